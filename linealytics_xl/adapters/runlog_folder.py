"""A run's record folder: what a planning run writes beside the workbook, staged then committed.

``planning.xlsx`` gets ``planning.xlsx.runs/<run id>/`` (the files are listed in :mod:`.runlog`).
A record is written to a hidden ``.<run id>.partial`` folder first and renamed into place only
after the workbook was saved, so every record belongs to a plan that was written.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import tables
from ..core.contract import Col
from .literal_text import csv_safe

if TYPE_CHECKING:  # the pipeline imports the solver: only type checkers need it here
    from ..core.pipeline import Outcome

__all__ = [
    "RECORD_FILE",
    "TOTAL_KEYS",
    "RunLogError",
    "StageClock",
    "StagedRecord",
    "dump_json",
    "file_sha256",
    "finite",
    "record_data",
    "remove_partial_records",
    "runs_dir",
    "stage_record",
]

RECORD_FILE = "run.json"
SUFFIX = ".runs"


class RunLogError(Exception):
    """A run record cannot be found or read; the message is meant for a planner."""


# --------------------------------------------------------------------------------------------
# Where records live, timings
# --------------------------------------------------------------------------------------------


def runs_dir(workbook: str | os.PathLike[str]) -> Path:
    """The record folder of a workbook: ``<workbook>.runs`` beside it."""
    path = Path(workbook)
    return path.with_name(path.name + SUFFIX)


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class StageClock:
    """A progress callback that also times the stages it announces.

    Each message starts a stage and ends the previous one; :meth:`stop` ends the last.  The
    wrapped callback (the command line's spinner, the ribbon's status bar) still gets every message.
    """

    def __init__(self, progress: Callable[[str], None] | None = None):
        self._progress = progress
        self._current: str | None = None
        self._started = 0.0
        self.timings: dict[str, float] = {}

    def __call__(self, message: str) -> None:
        self.stop()
        self._current, self._started = message, time.perf_counter()
        if self._progress is not None:
            self._progress(message)

    def stop(self) -> None:
        if self._current is not None:
            took = time.perf_counter() - self._started
            self.timings[self._current] = round(self.timings.get(self._current, 0.0) + took, 4)
            self._current = None


def finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _json_default(v: Any) -> Any:
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=_json_default, allow_nan=False) + "\n"


#: The per-product totals a record keeps (``ProductSummary`` fields, named by their KPI keys in
#: core.kpis); the counts are whole numbers.
TOTAL_KEYS = (
    "demand_bytes",
    "supply_bytes",
    "wafers",
    "shortage_bytes",
    "service_level",
    "weeks_with_backlog",
    "quarter_ends_below_ss",
    "weeks_below_ss",
    "capacity_use",
)
_COUNT_KEYS = frozenset({"weeks_with_backlog", "quarter_ends_below_ss", "weeks_below_ss"})


def record_data(
    outcome: Outcome, *, run_id: str, time: datetime, workbook: str, input_sha256: str, version: str
) -> dict[str, Any]:
    """The content of ``run.json`` (timings and files are added when the record is committed)."""
    result = outcome.result
    totals: dict[str, dict[str, float | int | None]] = {}
    for s in outcome.summaries:
        totals[s.product] = {
            k: int(getattr(s, k)) if k in _COUNT_KEYS else finite(getattr(s, k)) for k in TOTAL_KEYS
        }
    alerts = outcome.tables.get(tables.ALERTS)
    alert_counts: dict[str, int] = {}
    if alerts is not None and len(alerts):
        counts = alerts.groupby([Col.STATUS, Col.SEVERITY]).size()
        for (status, sev), n in zip(counts.index.tolist(), counts.tolist()):
            alert_counts[f"{status}_{sev}"] = int(n)
    forecast: dict[str, Any] = {}
    view = outcome.demand
    if view is not None and view.forecast is not None:
        forecast["model_by_product"] = {str(k): v for k, v in view.model_by_product.items()}
        if view.forecast_key is not None:  # kept between runs (adapters.forecast_cache)
            forecast["key"] = view.forecast_key
            forecast["reused"] = view.forecast_reused  # no model was fitted: none is recorded
        xgb_model = view.forecast.models.get("XGBoost")
        if xgb_model is not None:
            forecast["xgboost_params"] = {k: v for k, v in xgb_model.get_params().items()}
        bt = outcome.tables.get(tables.BACKTEST)
        if bt is not None and len(bt):
            chosen = bt[bt[Col.CHOSEN].astype(bool) & (bt[Col.HORIZON_WEEKS].astype(str) == "all")]
            forecast["chosen_wape"] = {str(r[Col.PRODUCT]): finite(r[Col.WAPE]) for _, r in chosen.iterrows()}
    return {
        "run_id": run_id,
        "time": time.isoformat(timespec="seconds"),
        "workbook": workbook,
        "version": version,
        "input": {"fingerprint": outcome.fingerprint, "file_sha256": input_sha256},
        "solver": {
            "name": result.solver,
            "status": result.status,
            "objectives": {k: finite(v) for k, v in result.objectives.items()},
        },
        "shortage_bytes": finite(float(result.total_shortage.sum())),
        "plan_totals": totals,
        "warnings": len(outcome.warnings),
        "alerts": alert_counts,
        "forecast": forecast,
        "solver_timings_s": {k: round(float(v), 4) for k, v in result.timings.items()},
    }


@dataclass
class StagedRecord:
    """A record written to a temporary folder; :meth:`commit` puts it in place."""

    tmp: Path
    final: Path
    data: dict[str, Any]
    files: list[str] = field(default_factory=list)

    def commit(
        self,
        *,
        timings: Mapping[str, float] | None = None,
        wall_time_s: float | None = None,
        notes: list[str] | None = None,
    ) -> Path:
        data = dict(self.data)
        data["timings_s"] = {k: round(float(v), 4) for k, v in (timings or {}).items()}
        if wall_time_s is not None:
            data["wall_time_s"] = round(float(wall_time_s), 3)
        if notes:
            data["notes"] = list(notes)
        data["files"] = sorted(self.files + [RECORD_FILE])
        (self.tmp / RECORD_FILE).write_text(dump_json(data), encoding="utf-8")
        os.replace(self.tmp, self.final)
        self.data = data
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        try:
            self.tmp.parent.rmdir()  # only when this was its first record
        except OSError:
            pass


def _safe_text(column: pd.Series) -> pd.Series:
    """``literal_text.csv_safe`` over a whole column, applied to its distinct values only.

    Table columns repeat few values (500 products, 443 weeks in 221,500 plan rows), so the rule
    runs on those (``pandas.factorize``, in C) instead of per cell (0.4 s at 500 products); a
    column with nothing to neutralise is returned as it is.  Missing cells stay missing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable cells (a list, say): the rule per cell
        return column.map(csv_safe)
    distinct = list(uniques)
    safe = [csv_safe(v) for v in distinct]
    if all(a is b for a, b in zip(safe, distinct)):
        return column
    values = column.to_numpy(dtype=object, copy=True)
    present = codes >= 0
    values[present] = np.asarray(safe, dtype=object)[codes[present]]
    return pd.Series(values, index=column.index, name=column.name)


def _frame_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text; text cells that a spreadsheet would run as a formula are neutralised
    (``literal_text.csv_safe``, vectorised per column), numbers are left as they are."""
    text_cols = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    if text_cols:
        frame = frame.assign(**{str(c): _safe_text(frame[c]) for c in text_cols})
    buf = io.StringIO()
    # CRLF (RFC 4180): the csv module quotes a field only for the characters of the line
    # terminator, so with "\n" alone a text holding "\r" would break its row.
    frame.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue()


def remove_partial_records(workbook: str | os.PathLike[str]) -> list[Path]:
    """Remove the hidden ``.<run id>.partial`` folders of runs that were killed while staging.

    Callers hold the workbook's run lock, so no other run is staging a record for it now."""
    base = runs_dir(workbook)
    removed = []
    if base.is_dir():
        for folder in base.glob(".*.partial"):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def stage_record(
    outcome: Outcome,
    workbook: str | os.PathLike[str],
    *,
    run_id: str,
    time: datetime,
    input_sha256: str,
    version: str,
) -> StagedRecord:
    """Write the record of ``outcome`` into a hidden folder in ``<workbook>.runs``."""
    base = runs_dir(workbook)
    base.mkdir(parents=True, exist_ok=True)
    final = base / run_id
    if final.exists():
        raise RunLogError(f"a run record {final} already exists")
    tmp = base / f".{run_id}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    data = record_data(
        outcome,
        run_id=run_id,
        time=time,
        workbook=Path(workbook).name,
        input_sha256=input_sha256,
        version=version,
    )
    staged = StagedRecord(tmp, final, data)
    try:

        def put(name: str, text: str) -> None:
            (tmp / name).write_text(text, encoding="utf-8")
            staged.files.append(name)

        put("settings.json", dump_json(outcome.settings.model_dump()))
        put(
            "warnings.json",
            dump_json(
                [
                    {"severity": w.severity, "sheet": w.sheet, "cell": w.cell, "message": w.message}
                    for w in outcome.warnings
                ]
            ),
        )
        plan = outcome.tables.get(tables.PLAN)
        if plan is not None:
            # mtime=0: the same plan gives the same bytes.  Level 1: 0.2 s instead of 2.5 s for
            # the 500-product plan (28 MB of CSV), for a file 13 % larger (9.7 MB, not 8.5 MB).
            with gzip.GzipFile(tmp / "plan.csv.gz", "wb", compresslevel=1, mtime=0) as f:
                f.write(_frame_csv(plan).encode("utf-8"))
            staged.files.append("plan.csv.gz")
        for name, table in (("alerts.csv", tables.ALERTS), ("backtest.csv", tables.BACKTEST)):
            frame = outcome.tables.get(table)
            if frame is not None:
                put(name, _frame_csv(frame))
        view = outcome.demand
        model = (
            view.forecast.models.get("XGBoost") if view is not None and view.forecast is not None else None
        )
        booster = getattr(model, "model_", None)
        if booster is not None:
            booster.save_model(str(tmp / "model_xgboost.json"))
            staged.files.append("model_xgboost.json")
            staged.data["forecast"]["model_file"] = "model_xgboost.json"
    except BaseException:
        staged.discard()
        raise
    return staged
