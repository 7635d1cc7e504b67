"""The jobs the entry points run on a workbook: validate, plan, forecast, what-if.

Each job reads through a workbook adapter, runs the core pipeline and writes through the adapter;
the command line and scheduled runs call these on a file.  `prepare_plan` and `whatif_cases` take
the workbook port (`adapters.port.WorkbookPort`), so the ribbon runs the very same jobs on the
book open in Excel (`live_jobs`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import __version__
from .adapters import preflight, runlog
from .adapters.port import WorkbookPort
from .adapters.run_lock import DEFAULT_WAIT_S, workbook_lock
from .adapters.safe_files import folder_writable, remove_stale_temps
from .adapters.workbook_file import WorkbookFile
from .core import tables
from .core.contract import Col
from .core.layout import Block, Grid, output_blocks, read_planning_data
from .core.model import InputError, Issue, PlanningData
from .core.pipeline import Outcome, Progress, fingerprint, released_starts, run
from .core.settings import Settings, SettingsSheet

if TYPE_CHECKING:
    from .core.cases import CasePlan
    from .core.demand import ForecastStore

#: Settings a run overrides (``{"forecast": False}``): names of `Settings` fields; None keeps the value.
Overrides = Mapping[str, object]

#: What the ribbon's status bar and the run record call each stage of a plan, in order.
READING, VALIDATING, WRITING = "Reading the workbook", "Validating the inputs", "Writing the workbook"


@dataclass
class PlanJob:
    outcome: Outcome
    path: Path
    run_id: str
    lost_parts: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0
    record: Path | None = None  # the run's record folder (<workbook>.runs/<run id>)
    notes: list[str] = field(default_factory=list)  # e.g. MLflow logging that failed


def load(
    book: WorkbookPort, sheets: Mapping[str, Grid] | None = None, overrides: Overrides | None = None
) -> tuple[PlanningData, Settings, SettingsSheet]:
    """Parse data and settings; raises `InputError` with every error of both.  Also returns the
    Settings sheet as read, whose cells a later problem with a setting is located by."""
    sheet = book.settings()
    try:
        data = read_planning_data(book.sheets() if sheets is None else sheets)
    except InputError as exc:
        raise InputError([i for i in sheet.issues if i.severity == "error"] + exc.issues) from None
    settings = sheet.settings
    if overrides:
        settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
        settings = Settings.model_validate(settings.model_dump())
    setting_issues = list(sheet.issues)
    forecasting = settings.forecast or settings.demand_source == "forecast" or settings.history_end_week
    if forecasting and not any(i.severity == "error" for i in setting_issues):
        from .core.demand import settings_issues  # the forecast path: a plan-only run never loads it

        setting_issues += settings_issues(sheet, settings, data.n_weeks)
    errors = [i for i in setting_issues if i.severity == "error"]
    if errors:
        raise InputError(errors)
    return data.with_warnings(setting_issues), settings, sheet


def validate(path: str | Path) -> list[Issue]:
    """Every warning of a valid workbook; raises `InputError` when it has errors."""
    data, _, _ = load(WorkbookFile(path))
    return list(data.warnings)


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def runs_log(
    previous: pd.DataFrame | None, outcome: Outcome, *, run_id: str, workbook: str, wall_time_s: float
) -> pd.DataFrame:
    """The ``LL_Runs`` log with this run appended (a previous log of another shape is replaced)."""
    row = tables.runs_row(
        run_id=run_id,
        time=datetime.now().replace(microsecond=0),
        workbook=workbook,
        fingerprint=outcome.fingerprint,
        settings_json=outcome.settings.to_json(),
        result=outcome.result,
        wall_time_s=wall_time_s,
        warnings=len(outcome.warnings),
        version=__version__,
    )
    runs = pd.DataFrame([row], columns=tables.RUNS_COLUMNS)
    if previous is not None and list(previous.columns) == tables.RUNS_COLUMNS and len(previous):
        runs = pd.concat([previous, runs], ignore_index=True)
    return runs


@dataclass
class PreparedPlan:
    """A planned workbook and everything to write into it; nothing written yet."""

    outcome: Outcome
    settings: Settings
    run_id: str
    tables: dict[str, pd.DataFrame]  # every output table, LL_Runs included
    blocks: list[Block]  # values for the workbook's own sheets


def prepare_plan(
    book: WorkbookPort,
    workbook: str,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    started: float | None = None,
    forecast_store: ForecastStore | None = None,
) -> PreparedPlan:
    """Read, check and plan a workbook through the workbook port (the file adapter, the live-book
    adapter); raises `InputError` on bad input.  ``forecast_store`` keeps the forecast between
    runs (``adapters.forecast_cache``; the ``reuse_forecast`` setting turns it off)."""
    started = time.perf_counter() if started is None else started
    sheets = book.sheets()
    if progress is not None:
        progress(VALIDATING)
    data, settings, sheet = load(book, sheets, overrides)
    with sheet.located():
        outcome = run(
            data,
            settings,
            progress,
            previous_alerts=book.table(tables.ALERTS),
            previous_plan=book.table(tables.PLAN) if settings.frozen_weeks else None,
            forecast_store=forecast_store,
        )
    run_id = new_run_id()
    out_tables = dict(outcome.tables)
    out_tables[tables.RUNS] = runs_log(
        book.table(tables.RUNS),
        outcome,
        run_id=run_id,
        workbook=workbook,
        wall_time_s=time.perf_counter() - started,
    )
    blocks = output_blocks(sheets, data, outcome.result.wafers, outcome.result.supply)
    return PreparedPlan(outcome, settings, run_id, out_tables, blocks)


def plan(
    path: str | Path,
    output: str | Path | None = None,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> PlanJob:
    """Plan a workbook file and write every result; nothing is written when the input is invalid
    (checks and lock: `exclusive_run`)."""
    started = time.perf_counter()
    say = runlog.StageClock(progress)  # times the stages for the run record
    with exclusive_run(path, output, wait_s, say):
        return _plan_locked(Path(path), output, overrides, say, started)


@contextmanager
def exclusive_run(
    path: str | Path, output: str | Path | None, wait_s: float, say: Progress | None = None
) -> Iterator[None]:
    """Checks before any work, then the run lock, for every job that writes a workbook file.

    Before any work: the input must be a readable workbook and the destination writable (not a
    folder, not open in Excel, not read-only, in a writable folder).  The run then holds the run
    lock of the input and of the destination (waiting up to ``wait_s`` seconds for another run)
    and removes what killed runs left for the destination."""
    src = Path(path)
    dest = Path(output) if output else src
    in_place = output is None or _same_file(src, dest)
    preflight.check_input(src)
    preflight.check_destination(dest, in_place=in_place)
    # The input is locked too, so that no in-place run replaces it while this run reads it (on
    # Windows a file open for reading cannot be replaced); an input in a folder this run may not
    # write (a read-only share) cannot take a lock and is only read.
    locked = [dest] + ([src] if not in_place and folder_writable(src.resolve().parent) else [])
    dest.parent.mkdir(parents=True, exist_ok=True)  # the lock goes beside the destination
    with workbook_lock(locked, wait_s, on_wait=say):
        preflight.check_destination(dest, in_place=in_place)  # again: it may have changed meanwhile
        remove_stale_temps(dest)
        runlog.remove_partial_records(dest)
        yield


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _plan_locked(
    path: Path, output: str | Path | None, overrides: Overrides | None, say: runlog.StageClock, started: float
) -> PlanJob:
    say(READING)
    book = WorkbookFile(path)
    input_sha256 = runlog.file_sha256(book.path)
    from .adapters.forecast_cache import ForecastCache  # a plan without forecast never needs it

    cache = ForecastCache(Path(output) if output else book.path)  # beside the run records
    prepared = prepare_plan(book, Path(path).name, overrides, say, started, cache)
    # The record is staged before the workbook is written and put in place after it: every record
    # belongs to a written plan, and a run that cannot record writes nothing.
    staged = runlog.stage_record(
        prepared.outcome,
        Path(output) if output else book.path,
        run_id=prepared.run_id,
        time=pd.Timestamp(prepared.tables[tables.RUNS][Col.TIME].iloc[-1]).to_pydatetime(),
        input_sha256=input_sha256,
        version=__version__,
    )
    say(WRITING)
    try:
        dest, lost = book.write(prepared.blocks, prepared.tables, prepared.settings, output)
    except BaseException:
        staged.discard()
        raise
    say.stop()
    wall = time.perf_counter() - started
    record = staged.commit(
        timings=say.timings,
        wall_time_s=wall,
        notes=[f"not carried over by the file writer: {', '.join(lost)}"] if lost else None,
    )
    return PlanJob(
        outcome=prepared.outcome,
        path=dest,
        run_id=prepared.run_id,
        lost_parts=lost,
        wall_time_s=wall,
        record=record,
        notes=cache.notes
        + runlog.mirror_to_mlflow(record)
        + whatif_note(book.table(tables.WHATIF), prepared.outcome),
    )


def whatif_note(whatif: pd.DataFrame | None, outcome: Outcome) -> list[str]:
    """The plan's line when the workbook's ``LL_WhatIf`` (``whatif``, which a plan leaves in place)
    holds cases planned on other inputs or settings than this plan, or not saying on which
    (`core.case_origin`); none when the cases belong to it or there are none."""
    from .core.case_origin import origin_of_plan, stale_note

    origin = origin_of_plan(whatif, outcome.fingerprint, outcome.settings.to_json())
    note = stale_note(origin)
    return [note] if note is not None else []


@dataclass
class ForecastJob:
    path: Path
    tables: dict[str, pd.DataFrame]  # LL_Forecast, LL_Backtest
    models: dict[str, str]  # product -> the model the backtest chose
    warnings: list[Issue]
    reused: bool = False  # the forecast kept by an earlier run on the same inputs was used
    notes: list[str] = field(default_factory=list)  # e.g. a damaged kept forecast, ignored


def forecast(
    path: str | Path,
    output: str | Path | None = None,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> ForecastJob:
    """Forecast, backtest and draw scenarios, write ``LL_Forecast`` and ``LL_Backtest``; no plan
    (``LL_Plan`` and the rest stay as the last plan left them).  Checked and locked like a plan
    (`exclusive_run`); nothing is written when the input is invalid."""
    from .adapters.forecast_cache import ForecastCache
    from .core.demand import forecast_only

    say = progress or (lambda _msg: None)
    with exclusive_run(path, output, wait_s, progress):
        say("Reading the workbook")
        book = WorkbookFile(path)
        data, settings, _ = load(book, None, overrides)
        say("Forecasting demand and drawing scenarios")
        cache = ForecastCache(Path(output) if output else book.path)
        view, out = forecast_only(data, settings, cache)
        say("Writing the workbook")
        dest, _ = book.write([], out, settings, output)
    return ForecastJob(
        dest, out, dict(view.model_by_product), list(data.warnings), view.forecast_reused, cache.notes
    )


@dataclass
class WhatIfRun:
    """The base and every what-if case planned; nothing written yet."""

    plans: list[CasePlan]  # base first
    tables: dict[str, pd.DataFrame]  # what a what-if run writes: LL_WhatIf and LL_Insights
    settings: Settings
    new_sheets: dict[str, list[list[Any]]] | None  # the WhatIf example, when the book has no such sheet
    notes: list[str] = field(default_factory=list)  # what was not done, e.g. a Dashboard left alone

    @property
    def table(self) -> pd.DataFrame:
        """``LL_WhatIf``: one row per case and product."""
        return self.tables[tables.WHATIF]

    @property
    def findings(self) -> list[str]:
        from .core.cases import case_findings

        return case_findings(self.plans)

    @property
    def n_cases(self) -> int:
        return len(self.plans) - 1


@dataclass
class WhatIfJob:
    path: Path
    plans: list[CasePlan]  # base first
    table: pd.DataFrame  # LL_WhatIf
    findings: list[str]
    created_sheet: bool  # the WhatIf sheet was absent and written with the example


def whatif(
    path: str | Path,
    output: str | Path | None = None,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    n_jobs: int | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> WhatIfJob:
    """Plan the base and every case of the `WhatIf` sheet, write ``LL_WhatIf``; with no such sheet,
    plan the example cases and write the sheet with them for the planner to edit.  Checked and
    locked like a plan (`exclusive_run`)."""
    say = progress or (lambda _msg: None)
    with exclusive_run(path, output, wait_s, progress):
        say(READING)
        book = WorkbookFile(path)
        run = whatif_cases(book, overrides, say, n_jobs)
        say(WRITING)
        dest, _ = book.write([], run.tables, run.settings, output, new_sheets=run.new_sheets)
    return WhatIfJob(dest, run.plans, run.table, run.findings, created_sheet=run.new_sheets is not None)


def whatif_cases(
    book: WorkbookPort,
    overrides: Overrides | None = None,
    progress: Progress | None = None,
    n_jobs: int | None = None,
) -> WhatIfRun:
    """Read the workbook and its `WhatIf` sheet (the example cases when it has none), plan the base
    and every case (in parallel: ``n_jobs``, default one per case up to the cores) and build
    ``LL_WhatIf``: the one runner of the command line and the ribbon."""
    import os

    from .core.case_insights import whatif_insights, with_whatif
    from .core.cases import plan_cases, whatif_table
    from .core.whatif import WHATIF_SHEET, example_rows, read_cases

    say = progress or (lambda _msg: None)
    sheets = book.sheets()
    say(VALIDATING)
    data, settings, sheet = load(book, sheets, overrides)
    name = next((s for s in sheets if s.strip().lower() == WHATIF_SHEET.lower()), None)
    example = example_rows(data)
    cases = read_cases(sheets[name] if name is not None else example, data)
    say(f"Planning the base and {len(cases)} case(s)")
    jobs = n_jobs if n_jobs is not None else max(1, min(len(cases) + 1, os.cpu_count() or 1))
    weeks = settings.frozen_weeks
    frozen = released_starts(book.table(tables.PLAN), data, weeks) if weeks else None
    with sheet.located():
        plans = plan_cases(
            data,
            cases,
            settings.plan_options(),
            cycle_time=settings.cycle_time_weeks,
            n_jobs=jobs,
            frozen=frozen,
        )
    # the run's time and its base's inputs, as a plan stamps LL_Runs: which plan the cases belong to
    now = datetime.now().replace(microsecond=0)
    outputs = {
        tables.WHATIF: whatif_table(
            plans, time=now, fingerprint=fingerprint(data), settings_json=settings.whatif_basis()
        ),
        # the plan's own findings stay; the what-if ones (kind "whatif") are replaced
        tables.INSIGHTS: with_whatif(book.table(tables.INSIGHTS), whatif_insights(plans)),
    }
    return WhatIfRun(plans, outputs, settings, {WHATIF_SHEET: example} if name is None else None)
