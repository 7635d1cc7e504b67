"""The Linealytics ribbon tab: each button runs ``RunPython "import linealytics_xl.ribbon as r; r.<name>()"``.

Every action works on the calling workbook (``xw.Book.caller()``), runs the same job the command
line runs (`jobs.plan_live`, over `jobs.prepare_plan`: read, check, forecast/optimise/simulate as
the settings say, build the tables) through the live-book adapter, writes the results through
Excel, and records the run beside the workbook's file (``<workbook>.runs``) when Excel knows its path.  The status bar
says what is running; the outcome, or what is wrong with the input, comes in a message box in
plain words.  Nothing is written when the input has errors.

* Run all: the pipeline with the workbook's Settings as they are.
* Optimize: the plan only (forecast and simulation off for this run).
* Forecast: forecast on, simulation off; Simulate: forecast and simulation on.
* Validate: checks the workbook and lists every problem; writes nothing.
* Send alerts: plans, then hands the outcome to ``linealytics_xl.notify.send_alerts_for_book``
  when that module exists.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

NO_NOTIFY = "e-mail alerts are configured by the alerts feature"


def run_all() -> None:
    _plan("Run all")


def optimize() -> None:
    _plan("Optimize", {"forecast": False, "simulate": False})


def forecast() -> None:
    _plan("Forecast", {"forecast": True, "simulate": False})


def simulate() -> None:
    _plan("Simulate", {"forecast": True, "simulate": True})


def validate() -> None:
    _validate()


def send_alerts() -> None:
    _plan("Send alerts", after=_send_alerts)


# --------------------------------------------------------------------------------------------


def _live():
    import xlwings as xw

    from .adapters.live_book import LiveBook

    return LiveBook(xw.Book.caller())


def _input_problems(exc, limit: int = 15) -> str:
    lines = [f"The workbook has {len(exc.issues)} problem(s); nothing was written."]
    lines += [f"- {issue}" for issue in exc.issues[:limit]]
    if len(exc.issues) > limit:
        lines.append(
            f"... and {len(exc.issues) - limit} more (run Validate, or the command line's "
            f"'linealytics validate', for the full list)."
        )
    return "\n".join(lines)


def _summary(action: str, prepared, seconds: float) -> str:
    o = prepared.outcome
    own = sorted({b.sheet for b in prepared.blocks})
    lines = [
        (
            f"{action}: plan written to {', '.join(own)} and tables {', '.join(prepared.tables)} "
            f"(run {prepared.run_id}, solver {o.result.solver} {o.result.status}, {seconds:.1f} s)."
        )
    ]
    short = [s for s in o.summaries if s.weeks_with_backlog]
    if short:
        lines.append("SHORTAGE - demand that this plan cannot meet:")
        lines += [f"- {s.message}" for s in short]
    else:
        lines.append("All demand is served on time.")
    if o.warnings:
        lines.append(f"{len(o.warnings)} data-quality warning(s): see the LL_DataQuality table.")
    return "\n".join(lines)


def _plan(
    action: str, overrides: dict | None = None, after: Callable[[Any, Any], str | None] | None = None
) -> None:
    """Plan the calling workbook and write every result into it, keeping the planner informed."""
    from . import jobs
    from .core.model import InputError

    started = time.perf_counter()
    live = _live()

    def say(message: str) -> None:
        live.status(f"{action}: {message}")

    try:
        say("reading the workbook")
        job = jobs.plan_live(live, overrides, progress=say, started=started)
        prepared = job.prepared
        message = _summary(action, prepared, time.perf_counter() - started)
        if job.record is not None:
            message += f"\nRun recorded in {job.record}."
        critical = any(s.weeks_with_backlog for s in prepared.outcome.summaries)
        if after is not None:
            say("sending alerts")
            try:
                message += "\n" + (after(live.book, prepared.outcome) or "")
            except Exception as exc:  # the plan is written: say what did not happen
                log.exception("%s: the step after the plan failed", action)
                message += f"\nThe plan was written, but the alerts were not sent: {exc}"
                critical = True
        live.alert(message.strip(), title=f"Linealytics - {action}", critical=critical)
    except InputError as exc:
        live.alert(_input_problems(exc), title=f"Linealytics - {action}", critical=True)
    except Exception as exc:  # a ribbon click shows a message, never a traceback
        log.exception("%s failed", action)
        live.alert(
            f"{action} could not finish: {type(exc).__name__}: {exc}\n"
            f"Cells already written stay as they are; run it again once the cause is fixed.",
            title=f"Linealytics - {action}",
            critical=True,
        )
    finally:
        live.status(None)


def _validate() -> None:
    from . import jobs
    from .core.model import InputError

    live = _live()
    try:
        live.status("Validate: checking the workbook")
        data, _ = jobs.load(live)
        lines = [
            (
                f"{live.name} is valid: {data.n_products} products, {data.n_weeks} weeks, "
                f"{len(data.warnings)} warning(s)."
            )
        ]
        lines += [f"- {w}" for w in data.warnings[:15]]
        if len(data.warnings) > 15:
            lines.append(
                f"... and {len(data.warnings) - 15} more (a plan writes them all to LL_DataQuality)."
            )
        live.alert("\n".join(lines), title="Linealytics - Validate")
    except InputError as exc:
        live.alert(
            _input_problems(exc).replace("; nothing was written", ""),
            title="Linealytics - Validate",
            critical=True,
        )
    except Exception as exc:
        log.exception("Validate failed")
        live.alert(
            f"Validate could not finish: {type(exc).__name__}: {exc}",
            title="Linealytics - Validate",
            critical=True,
        )
    finally:
        live.status(None)


def _send_alerts(book, outcome) -> str:
    """Hand the outcome to ``linealytics_xl.notify.send_alerts_for_book(book, outcome)`` if it exists."""
    try:
        notify = importlib.import_module(f"{__package__}.notify")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.notify":  # notify exists but lacks a dependency: say so
            raise
        return NO_NOTIFY
    send = getattr(notify, "send_alerts_for_book", None)
    if send is None:
        return NO_NOTIFY
    result = send(book, outcome)
    return result if isinstance(result, str) else "Alerts sent."
