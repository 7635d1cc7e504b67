"""The ribbon's jobs: the command line's plan and what-if, run on the workbook open in Excel.

Both run the very jobs of `jobs` (`jobs.prepare_plan`, `jobs.whatif_cases`) through the workbook
port, written through Excel by the live-book adapter (``adapters.live_book.LiveBook``) instead of
into the file, which Excel holds open.  They announce the same stages (`jobs.READING`,
`jobs.VALIDATING`, the pipeline's own, `jobs.WRITING`), which the ribbon shows in the status bar.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .adapters import runlog
from .adapters.live_book import LiveBook
from .core import tables
from .core.contract import Col
from .core.pipeline import Progress
from .jobs import (
    READING,
    WRITING,
    Overrides,
    PreparedPlan,
    WhatIfRun,
    prepare_plan,
    whatif_cases,
    whatif_note,
)


@dataclass
class LivePlanJob:
    prepared: PreparedPlan
    record: Path | None  # the run record, when the live book has a file path
    notes: list[str] = field(default_factory=list)  # what was not done, e.g. a Dashboard left alone


def plan_live(
    live: LiveBook,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    started: float | None = None,
) -> LivePlanJob:
    """The ribbon's plan: the same `prepare_plan` as `plan`, written through Excel by the live-book
    adapter (``adapters.live_book.LiveBook``), and recorded in the run-record folder beside the
    workbook's file when Excel knows its full path (staged before the write, committed after it,
    as `plan` does).  Raises `InputError` on bad input, before anything is written."""
    started = time.perf_counter() if started is None else started
    say = runlog.StageClock(progress)
    say(READING)
    path = live.file_path()
    from .adapters.forecast_cache import ForecastCache

    # a saved book keeps its forecast beside its run records, as a command-line run does
    cache = ForecastCache(path) if path is not None else None
    prepared = prepare_plan(live, live.name, overrides, say, started, cache)
    # read once, before the write (which clears what was read): the note and the Dashboard's block
    whatif = live.table(tables.WHATIF)
    stale = whatif_note(whatif, prepared.outcome)
    staged = None
    if path is not None:
        # Excel's copy may hold unsaved changes: the hash is the one of the file last saved
        staged = runlog.stage_record(
            prepared.outcome,
            path,
            run_id=prepared.run_id,
            time=pd.Timestamp(prepared.tables[tables.RUNS][Col.TIME].iloc[-1]).to_pydatetime(),
            input_sha256=runlog.file_sha256(path) if path.is_file() else "",
            version=__version__,
        )
    say(WRITING)
    try:
        with live.screen_updating_off():  # one repaint for the tables and the Dashboard
            live.write(prepared.blocks, prepared.tables, prepared.settings)
            shown = {**prepared.tables, **({tables.WHATIF: whatif} if whatif is not None else {})}
            notes = _dashboard(live, shown) + stale
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    say.stop()
    record = None
    if staged is not None:
        record = staged.commit(
            timings=say.timings,
            wall_time_s=time.perf_counter() - started,
            notes=["planned from the workbook open in Excel; file_sha256 is that of the file as last saved"],
        )
    return LivePlanJob(prepared, record, notes)


def _dashboard(live: LiveBook, run_tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The same Dashboard as a file run writes, through Excel.  A planner's own sheet called
    Dashboard is left alone and said so, as the file writer does: the plan itself is written."""
    from .adapters.dashboard_data import DashboardError
    from .adapters.live_dashboard import write_live_dashboard

    try:
        write_live_dashboard(live, run_tables)
    except DashboardError as exc:
        return [f"The Dashboard sheet was not updated: {exc}"]
    return []


def whatif_live(
    live: LiveBook,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    n_jobs: int | None = None,
) -> WhatIfRun:
    """The ribbon's What-if: `whatif_cases` on the book open in Excel, ``LL_WhatIf`` (and the
    WhatIf example sheet, the Settings sheet when absent) written through it as `whatif` writes
    them into the file, and -- as the file's writer does -- the Dashboard rebuilt when the book
    holds a plan, so the planner sees the comparison block at once.  Raises `InputError` on bad
    input, before anything is written."""
    say = progress or (lambda _msg: None)
    say(READING)
    run = whatif_cases(live, overrides, say, n_jobs)
    say(WRITING)
    with live.screen_updating_off():
        live.write([], run.tables, run.settings, new_sheets=run.new_sheets)
        run.notes += _dashboard(live, run.tables)  # none without a plan in the book
    return run
