"""How a failed run is told: one classification, worded once, for every entry point.

A run fails in one of three ways, and the command line, the ribbon, ``sites`` and the worksheet
functions must tell them apart alike: bad input (every problem with its cell; nothing written;
exit 2), a workbook that cannot be used (open in Excel, read-only, not a workbook: one sentence;
exit 2) and anything else (an internal error: its type and message; exit 1).  Each entry point
only lays the words out -- a console, a message box, one line per site, a cell.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True)
class Failure:
    """A failed run as a planner is told it."""

    exit_code: int
    headline: str  # one sentence: what happened
    problems: tuple[str, ...] = ()  # bad input: each problem, naming its cell
    internal: bool = False  # not the planner's to fix: the log has the traceback

    def lines(self, shown: int | None = None, more: str = "", bullet: str = "") -> list[str]:
        """The headline, then up to ``shown`` problems (all: None) after ``bullet``, then a line
        saying how many more, ending with ``more``."""
        problems = list(self.problems if shown is None else self.problems[:shown])
        rest = len(self.problems) - len(problems)
        return [self.headline, *(bullet + p for p in problems)] + (
            [f"... and {rest} more{more}"] if rest else []
        )

    def summary(self, shown: int = 3) -> str:
        """One line (a log, one site's row): the headline and the first problems."""
        if not self.problems:
            return self.headline
        rest = " ..." if len(self.problems) > shown else ""
        return f"{self.headline} " + "; ".join(self.problems[:shown]) + rest


def failure(exc: BaseException, *, writes: bool = True) -> Failure:
    """What ``exc`` means to a planner; ``writes`` False for a run that writes nothing anyway
    (validate), whose bad input is not also "nothing was written"."""
    from .adapters.workbook_file import WorkbookError
    from .core.model import InputError

    if isinstance(exc, InputError):
        written = "; nothing was written." if writes else "."
        return Failure(
            EXIT_INVALID,
            f"The workbook has {len(exc.issues)} problem(s){written}",
            tuple(str(i) for i in exc.issues),
        )
    if isinstance(exc, WorkbookError):
        return Failure(EXIT_INVALID, f"Cannot use the workbook: {exc}")
    return Failure(EXIT_FAILURE, f"Internal error: {type(exc).__name__}: {exc}", internal=True)
