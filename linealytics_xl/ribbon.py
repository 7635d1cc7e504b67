"""The Linealytics ribbon tab: each button runs ``RunPython "import linealytics_xl.ribbon as r; r.<name>()"``.

Every action works on the calling workbook (``xw.Book.caller()``), runs the same job the command
line runs (`live_jobs.plan_live` over `jobs.prepare_plan`; `live_jobs.whatif_live` over
`jobs.whatif_cases`) through the live-book adapter, writes the results through Excel, and records
a plan beside the workbook's file (``<workbook>.runs``) when Excel knows its path.  The status bar
names each stage as it starts (reading, validating, forecast and scenarios, plan, risk, writing);
at the end a message box gives the plan summary (`summary.plan_summary_lines`, the command line's
figures) or, for bad input, every problem with its sheet and cell.  Nothing is written when the
input has errors.

* Run all: the pipeline with the workbook's Settings as they are.
* Optimize: the plan only (forecast and simulation off for this run).
* Forecast: forecast on, simulation off; Simulate: forecast and simulation on.
* What-if: the base and every case of the WhatIf sheet (the example cases and sheet when absent),
  written to ``LL_WhatIf`` as ``linealytics whatif`` writes it.
* Validate: checks the workbook and lists every problem; writes nothing.
* Send alerts: plans, then mails the report and new alerts (``notify.send_alerts_for_book``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .failures import failure

if TYPE_CHECKING:  # the heavy imports stay lazy: a click pays for them once, in the warm server
    from .adapters.live_book import LiveBook
    from .core.pipeline import Outcome
    from .jobs import Overrides

log = logging.getLogger(__name__)

ISSUES_SHOWN = 15  # a message box holds about 1,000 characters
MESSAGE_CHARS = 1000  # what a MsgBox shows of a prompt (about 1,024)
LINE_CHARS = 150  # a summary line beyond this is clipped: the tables hold every word


def run_all() -> None:
    _plan("Run all")


def optimize() -> None:
    _plan("Optimize", {"forecast": False, "simulate": False})


def forecast() -> None:
    _plan("Forecast", {"forecast": True, "simulate": False})


def simulate() -> None:
    _plan("Simulate", {"forecast": True, "simulate": True})


def whatif() -> None:
    _whatif()


def validate() -> None:
    _validate()


def send_alerts() -> None:
    _plan("Send alerts", after=_send_alerts)


# --------------------------------------------------------------------------------------------


def _live() -> LiveBook:
    import xlwings as xw

    from .adapters.live_book import LiveBook

    return LiveBook(xw.Book.caller())


@contextmanager
def _action(live: LiveBook, action: str, writes: bool = True) -> Iterator[Callable[[str], None]]:
    """Run one button's work: a status-bar callback for its stages, and any failure turned into
    one plain message box (bad input: every problem with its cell; anything else: what failed),
    never a traceback.  The status bar is given back to Excel at the end."""

    def say(message: str) -> None:
        live.status(f"{action}: {message}")

    title = f"Linealytics - {action}"
    try:
        yield say
    except Exception as exc:  # a ribbon click shows a message, never a traceback
        told = failure(exc, writes=writes)
        if told.internal:
            log.exception("%s failed", action)
            after = "\nCells already written stay as they are; run it again once the cause is fixed."
            text = f"{action} could not finish: {type(exc).__name__}: {exc}" + (after if writes else "")
        else:
            more = " (run Validate, or the command line's 'linealytics validate', for the full list)."
            text = "\n".join(told.lines(ISSUES_SHOWN, more, bullet="- "))
        live.alert(text, title, critical=True)
    finally:
        live.status(None)


def _plan(
    action: str,
    overrides: Overrides | None = None,
    after: Callable[[LiveBook, Outcome], str] | None = None,
) -> None:
    """Plan the calling workbook and write every result into it, keeping the planner informed."""
    from .live_jobs import plan_live
    from .summary import plan_summary_lines

    started = time.perf_counter()
    live = _live()
    with _action(live, action) as say:
        job = plan_live(live, overrides, progress=say, started=started)
        prepared = job.prepared
        outcome = prepared.outcome
        head = [
            f"{action}: plan written to {', '.join(sorted({b.sheet for b in prepared.blocks}))} and "
            f"{len(prepared.tables)} tables in {time.perf_counter() - started:.1f} s."
        ]
        summary = plan_summary_lines(outcome, prepared.run_id, width=LINE_CHARS)
        tail = list(job.notes) + ([f"Run recorded in {job.record}."] if job.record is not None else [])
        critical = any(s.weeks_with_backlog for s in outcome.summaries)
        if after is not None:
            say("sending alerts")
            try:
                tail.append(after(live, outcome))
            except Exception as exc:  # the plan is written: say what did not happen
                log.exception("%s: the step after the plan failed", action)
                tail.append(f"The plan was written, but the alerts were not sent: {exc}")
                critical = True
        message = _fit(head + summary[:1], summary[1:-1], summary[-1:] + tail)
        live.alert(message, title=f"Linealytics - {action}", critical=critical)


def _fit(head: list[str], middle: list[str], tail: list[str], limit: int = MESSAGE_CHARS) -> str:
    """The message's lines within what a message box shows: the head (what was done, the plan's
    figures) and the tail (run id, record, alerts sent) always; of the middle (shortages, alerts)
    as many lines as fit, in order, then a pointer to the tables that hold the rest."""
    more = "... (the rest in LL_Insights and LL_Alerts)"  # what-if findings are in LL_Insights too
    keep = list(middle)
    while keep and len("\n".join(head + keep + tail)) > limit:
        keep.pop()
    if len(keep) < len(middle):
        while keep and len("\n".join(head + keep + [more] + tail)) > limit:
            keep.pop()
        keep.append(more)
    return "\n".join(head + keep + tail)


def _whatif() -> None:
    """Plan the base and every what-if case of the calling workbook; write ``LL_WhatIf``."""
    from .core import tables
    from .live_jobs import whatif_live

    started = time.perf_counter()
    live = _live()
    with _action(live, "What-if") as say:
        run = whatif_live(live, progress=say)
        lines = [
            f"What-if: the base and {run.n_cases} case(s) planned and written to {tables.WHATIF} "
            f"in {time.perf_counter() - started:.1f} s."
        ]
        if run.new_sheets:
            lines.append(
                f"The workbook had no {', '.join(run.new_sheets)} sheet: it now holds the example "
                f"cases; edit them and click What-if again."
            )
        findings = [f"- {line}" for line in run.findings]
        live.alert(_fit(lines, findings, list(run.notes)), title="Linealytics - What-if")


def _validate() -> None:
    from . import jobs

    live = _live()
    with _action(live, "Validate", writes=False) as say:
        say("checking the workbook")
        data, _, _ = jobs.load(live)
        lines = [
            (
                f"{live.name} is valid: {data.n_products} products, {data.n_weeks} weeks, "
                f"{len(data.warnings)} warning(s)."
            )
        ]
        lines += [f"- {w}" for w in data.warnings[:ISSUES_SHOWN]]
        if len(data.warnings) > ISSUES_SHOWN:
            lines.append(
                f"... and {len(data.warnings) - ISSUES_SHOWN} more (a plan writes them all to LL_DataQuality)."
            )
        live.alert("\n".join(lines), title="Linealytics - Validate")


def _send_alerts(live: LiveBook, outcome: Outcome) -> str:
    """Mail the report and the new alerts of the plan just written (``notify.send_alerts_for_book``)."""
    from .notify import send_alerts_for_book

    return send_alerts_for_book(live.book, outcome)
