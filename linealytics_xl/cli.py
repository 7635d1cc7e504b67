"""The `linealytics` command line.

Exit codes: 0 a plan was written (shortages included: they are reported, not failures),
2 the input is invalid (nothing written), 1 anything else.  Tracebacks only with ``--debug``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Linealytics XL: weekly wafer-start planning on the planning workbook.")
addin_app = typer.Typer(no_args_is_help=True, help="Build the Excel add-in.")
app.add_typer(addin_app, name="addin")
console = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
_state = {"debug": False}

Workbook = Annotated[Path, typer.Argument(help="The planning workbook (.xlsx).", show_default=False)]


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
         version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    _state["debug"] = debug
    if version:
        out.print(f"linealytics {__version__}")
        raise typer.Exit(EXIT_OK)


@contextmanager
def _errors():
    """Map failures to exit codes and plain messages."""
    from .adapters.workbook_file import WorkbookError
    from .core.model import InputError

    try:
        yield
    except typer.Exit:
        raise
    except InputError as exc:
        console.print(f"[bold red]The workbook has {len(exc.issues)} problem(s); nothing was written.[/]")
        for issue in exc.issues:
            console.print(f"  [red]✗[/] {issue}", markup=True, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    except WorkbookError as exc:
        console.print(f"[bold red]Cannot use the workbook:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a scheduled run
        if _state["debug"]:
            console.print_exception()
        else:
            console.print(f"[bold red]Internal error:[/] {type(exc).__name__}: {exc}\n"
                          f"Run again with --debug for the traceback.", highlight=False)
        raise typer.Exit(EXIT_FAILURE) from None


@contextmanager
def _progress():
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("Starting", total=None)
        yield lambda msg: progress.update(task, description=msg)


def _print_warnings(warnings, limit: int = 8) -> None:
    if not warnings:
        return
    console.print(f"[yellow]{len(warnings)} data-quality warning(s)[/] (all in the LL_DataQuality table):")
    for w in warnings[:limit]:
        console.print(f"  [yellow]![/] {w}", highlight=False)
    if len(warnings) > limit:
        console.print(f"  … and {len(warnings) - limit} more")


@app.command()
def plan(
    workbook: Workbook,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of the workbook.")] = None,
    solver: Annotated[Optional[str], typer.Option(help="LP solver: cbc or highs (default: the Settings sheet).")] = None,
) -> None:
    """Plan weekly wafer starts and write the plan and tables into the workbook."""
    from . import jobs

    if solver is not None and solver not in ("cbc", "highs"):
        console.print(f"[red]--solver: expected cbc or highs, found {solver!r}[/]")
        raise typer.Exit(EXIT_INVALID)
    with _errors():
        with _progress() as say:
            job = jobs.plan(workbook, output, {"solver": solver}, progress=say)
        _print_warnings(job.outcome.warnings)
        if job.lost_parts:
            console.print("[yellow]Not carried over by the file writer (content kept where possible, e.g. "
                          f"threaded comments as notes):[/] {', '.join(job.lost_parts)}", highlight=False)
        _print_summary(job)


def _print_summary(job) -> None:
    o = job.outcome
    table = Table(title=f"Plan for {job.path.name} ({o.result.solver}, {o.result.status}, "
                        f"{job.wall_time_s:.2f} s)", title_justify="left")
    for col in ("Product", "Demand GB", "Wafers", "Shortage GB", "Short %", "Weeks < SST", "Capacity use"):
        table.add_column(col, justify="right" if col != "Product" else "left")
    for s in o.summaries:
        style = "bold red" if s.shortage_bytes > 0 else ""
        table.add_row(s.product, f"{s.demand_bytes / 1e9:,.1f}", f"{s.wafers:,.0f}",
                      f"{s.shortage_bytes / 1e9:,.2f}", f"{s.shortage_share:.1%}",
                      str(s.weeks_below_safety_stock), f"{s.capacity_use:.1%}", style=style)
    out.print(table)
    for s in o.summaries:
        if s.weeks_with_backlog:
            out.print(f"[bold red]Shortage[/] {s.message}", highlight=False)
    out.print(f"Written to {job.path} (run {job.run_id}).", highlight=False)


@app.command()
def validate(workbook: Workbook) -> None:
    """Check the workbook and list every problem with its sheet and cell; writes nothing."""
    from . import jobs

    with _errors():
        warnings = jobs.validate(workbook)
        _print_warnings(warnings, limit=len(warnings))
        out.print(f"[green]✓[/] {workbook.name} is valid ({len(warnings)} warning(s)).")


@app.command()
def demo(directory: Annotated[Path, typer.Argument(help="Folder to write planning.xlsx into.")] = Path("."),
         seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 0) -> None:
    """Write the template workbook with synthetic demo data."""
    from .adapters.demo_workbook import write_demo_workbook

    with _errors():
        directory.mkdir(parents=True, exist_ok=True)
        path = write_demo_workbook(directory / "planning.xlsx", seed=seed)
        out.print(f"Wrote {path}. Try: linealytics plan {path}", highlight=False)


@addin_app.command("build")
def addin_build(output: Annotated[Path, typer.Option("--output", "-o", help="The .xlam to write.")] = Path("linealytics_xl.xlam"),
                interpreter: Annotated[Optional[str], typer.Option(help="Python interpreter to preset in the add-in (default: none; the installer writes it to the user's config file).")] = None) -> None:
    """Build linealytics_xl.xlam (ribbon, macros, worksheet functions) from the text sources."""
    from .addin_build import build_addin

    with _errors():
        path = build_addin(output, interpreter=interpreter)
        out.print(f"Wrote {path}.", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
