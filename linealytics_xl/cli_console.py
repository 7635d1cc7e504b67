"""What every `linealytics` command shares: the consoles, exit codes, the log file, error mapping.

Failures become a plain message on stderr and an exit code (0 written, 2 invalid input and nothing
written, 1 anything else); tracebacks only with ``--debug``, which the root command keeps in its
typer context object (:class:`CliState`) rather than in a module global, so one process can run
the command line more than once (as the tests do) without one run's flags leaking into the next.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.markup import escape

from .failures import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, failure

if TYPE_CHECKING:  # the core loads numpy and pandas: `linealytics --help` must stay fast
    from .core.model import Issue

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INVALID",
    "EXIT_OK",
    "CliState",
    "command",
    "console",
    "errors",
    "fail",
    "log",
    "log_to",
    "out",
    "print_warnings",
    "print_wide",
    "progress",
]

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=True)
out = Console()
log = logging.getLogger("linealytics")
log.addHandler(logging.NullHandler())  # lines go to --log-file only; stderr has the plain messages


@dataclass
class CliState:
    """The root command's options that the subcommands need (``ctx.obj``)."""

    debug: bool = False


def command(group: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """``group.command(name)`` with the docstring as help, each paragraph on one line.

    Why: typer's rich help keeps a docstring's line breaks and wraps each line on its own, so a
    paragraph wrapped at 100 columns in the source broke mid-sentence on an 80-column terminal
    ("beside" / "it while it" / "reads ...").  One line per paragraph wraps to any width."""

    def register(fn: F) -> F:
        doc = inspect.getdoc(fn) or ""
        text = "\n\n".join(" ".join(paragraph.split()) for paragraph in doc.split("\n\n"))
        group.command(name, help=text)(fn)
        return fn

    return register


def log_to(path: Path | None) -> None:
    """Send the ``linealytics`` log to ``path`` (appending; None: nowhere), instead of any earlier
    log file (the command line can run more than once in one process, as in tests)."""
    for h in [h for h in log.handlers if isinstance(h, logging.FileHandler)]:
        log.removeHandler(h)
        h.close()
    if path is None:
        return
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def fail(code: int, message: str) -> typer.Exit:
    """Log a failure with its exit code; the caller raises the returned Exit."""
    log.error("failed (exit %d): %s", code, " ".join(str(message).split()))
    return typer.Exit(code)


@contextmanager
def errors(ctx: typer.Context, writes: bool = True) -> Iterator[None]:
    """Map failures to exit codes and plain messages (a traceback with the root's ``--debug``);
    ``writes`` False for a command that writes nothing anyway (validate)."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as exc:
        told = failure(exc, writes=writes)
        if told.internal and isinstance(ctx.obj, CliState) and ctx.obj.debug:
            console.print_exception()
        elif told.internal:
            console.print(
                f"[bold red]{escape(told.headline)}[/]\nRun again with --debug for the traceback.",
                highlight=False,
            )
        else:
            console.print(f"[bold red]{escape(told.headline)}[/]", highlight=False)
        for problem in told.problems:
            console.print(f"  [red]✗[/] {escape(problem)}", highlight=False)
        raise fail(told.exit_code, told.summary(5)) from None


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A transient spinner on stderr; the yielded callback sets its text (a stage of the run)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting", total=None)
        yield lambda msg: bar.update(task, description=escape(msg))


def print_warnings(warnings: Sequence[Issue], limit: int = 8) -> None:
    from .core import tables

    if not warnings:
        return
    console.print(
        f"[yellow]{len(warnings)} data-quality warning(s)[/] (all in the {tables.DATA_QUALITY} table):"
    )
    for w in warnings[:limit]:
        console.print(f"  [yellow]![/] {escape(str(w))}", highlight=False)
    if len(warnings) > limit:
        console.print(f"  … and {len(warnings) - limit} more")


def print_wide(renderable: RenderableType) -> None:
    """Tables at their natural width when the output is a file or a pipe (rich assumes 80 columns)."""
    if out.is_terminal:
        out.print(renderable)
        return
    natural = out.width
    out.width = 140
    try:
        out.print(renderable)
    finally:
        out.width = natural


def settle_heap() -> None:
    """Move everything imported so far out of the garbage collector's sight (`gc.freeze`).

    A command-line run imports pandas, numpy, openpyxl and the planning stack (hundreds of thousands
    of objects that live until the process ends); each full collection during the run would scan
    them all again, about 30 ms apiece on the real workbook.  Only the command line does this: it is
    one short process, whereas the add-in's warm Python server must keep collecting what its
    runs leave behind."""
    import gc

    gc.freeze()
