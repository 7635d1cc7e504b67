"""The run log on disk: one record folder per planning run, beside the workbook.

``planning.xlsx`` gets ``planning.xlsx.runs/<run id>/`` holding everything needed to trace a plan
back to what made it::

    run.json          run id, time, workbook, version, input fingerprints, solver status and
                      objectives, plan totals per product, alert counts, forecast choices,
                      timings per stage, the files below
    settings.json     the run's settings
    warnings.json     the import's data-quality warnings (sheet, cell, message)
    plan.csv.gz       the plan (LL_Plan)
    alerts.csv        the alerts as this run left them (LL_Alerts)
    backtest.csv      forecast backtest metrics (LL_Backtest), when the forecast ran
    model_xgboost.json  the refitted XGBoost model (``save_model``), when XGBoost was chosen

A record is written to a hidden temporary folder (``.<run id>.partial``) first and renamed into
place only after the workbook was saved, so a run that fails leaves no record and every record
belongs to a plan that was written; the partial folder of a killed run is removed by the next
run (:func:`remove_partial_records`, under the workbook's run lock).  Text cells of the CSV files
that a spreadsheet would run as a formula are neutralised (``literal_text.csv_safe``).  When ``MLFLOW_TRACKING_URI`` is set and MLflow is installed (extra
``linealytics-xl[mlflow]``), the same record is logged as an MLflow run: settings and inputs as
parameters, objectives, totals, backtest errors and timings as metrics, the folder as artifacts.

Credentials never enter a record: settings hold none (SMTP settings come from the environment),
and a tracking URI is stored without its user and password.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from .literal_text import csv_safe

__all__ = [
    "RECORD_FILE",
    "RunLogError",
    "StageClock",
    "StagedRecord",
    "diff_records",
    "file_sha256",
    "list_runs",
    "load_record",
    "log_to_mlflow",
    "mirror_to_mlflow",
    "mlflow_wanted",
    "record_data",
    "remove_partial_records",
    "resolve_run",
    "runs_dir",
    "stage_record",
    "write_record",
]

RECORD_FILE = "run.json"
SUFFIX = ".runs"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
ENV_EXPERIMENT = "MLFLOW_EXPERIMENT_NAME"
DEFAULT_EXPERIMENT = "linealytics"


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


# --------------------------------------------------------------------------------------------
# Writing a record
# --------------------------------------------------------------------------------------------


def _finite(x: Any) -> float | None:
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


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=_json_default, allow_nan=False) + "\n"


def record_data(
    outcome, *, run_id: str, time: datetime, workbook: str, input_sha256: str, version: str
) -> dict[str, Any]:
    """The content of ``run.json`` (timings and files are added when the record is committed)."""
    result = outcome.result
    totals = {}
    for s in outcome.summaries:
        totals[s.product] = {
            "demand_bytes": _finite(s.demand_bytes),
            "supply_bytes": _finite(s.supply_bytes),
            "wafers": _finite(s.wafers),
            "shortage_bytes": _finite(s.shortage_bytes),
            "service_level": _finite(s.service_level),
            "weeks_with_backlog": int(s.weeks_with_backlog),
            "quarter_ends_below_ss": int(s.quarter_ends_below_ss),
            "weeks_below_ss": int(s.weeks_below_ss),
            "capacity_use": _finite(s.capacity_use),
        }
    alerts = outcome.tables.get("LL_Alerts")
    alert_counts: dict[str, int] = {}
    if alerts is not None and len(alerts):
        for (status, sev), n in alerts.groupby(["Status", "Severity"]).size().items():
            alert_counts[f"{status}_{sev}"] = int(n)
    forecast: dict[str, Any] = {}
    view = outcome.demand
    if view is not None and view.forecast is not None:
        forecast["model_by_product"] = {str(k): v for k, v in view.model_by_product.items()}
        xgb_model = view.forecast.models.get("XGBoost")
        if xgb_model is not None:
            forecast["xgboost_params"] = {k: v for k, v in xgb_model.get_params().items()}
        bt = outcome.tables.get("LL_Backtest")
        if bt is not None and len(bt):
            chosen = bt[bt["Chosen"].astype(bool) & (bt["HorizonWeeks"].astype(str) == "all")]
            forecast["chosen_wape"] = {str(r["Product"]): _finite(r["WAPE"]) for _, r in chosen.iterrows()}
    return {
        "run_id": run_id,
        "time": time.isoformat(timespec="seconds"),
        "workbook": workbook,
        "version": version,
        "input": {"fingerprint": outcome.fingerprint, "file_sha256": input_sha256},
        "solver": {
            "name": result.solver,
            "status": result.status,
            "objectives": {k: _finite(v) for k, v in result.objectives.items()},
        },
        "shortage_bytes": _finite(float(result.total_shortage.sum())),
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
        (self.tmp / RECORD_FILE).write_text(_dump(data), encoding="utf-8")
        os.replace(self.tmp, self.final)
        self.data = data
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        try:
            self.tmp.parent.rmdir()  # only when this was its first record
        except OSError:
            pass


def _frame_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text; text cells that a spreadsheet would run as a formula are neutralised
    (``literal_text.csv_safe``), numbers are left as they are."""
    text_cols = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    if text_cols:
        frame = frame.assign(**{str(c): frame[c].map(csv_safe) for c in text_cols})
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
    outcome, workbook: str | os.PathLike[str], *, run_id: str, time: datetime, input_sha256: str, version: str
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

        put("settings.json", _dump(outcome.settings.model_dump()))
        put(
            "warnings.json",
            _dump(
                [
                    {"severity": w.severity, "sheet": w.sheet, "cell": w.cell, "message": w.message}
                    for w in outcome.warnings
                ]
            ),
        )
        plan = outcome.tables.get("LL_Plan")
        if plan is not None:
            # mtime=0: the same plan gives the same bytes
            with gzip.GzipFile(tmp / "plan.csv.gz", "wb", mtime=0) as f:
                f.write(_frame_csv(plan).encode("utf-8"))
            staged.files.append("plan.csv.gz")
        for name, table in (("alerts.csv", "LL_Alerts"), ("backtest.csv", "LL_Backtest")):
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


def write_record(
    outcome,
    workbook: str | os.PathLike[str],
    *,
    run_id: str,
    time: datetime,
    version: str,
    input_sha256: str = "",
    timings: Mapping[str, float] | None = None,
    wall_time_s: float | None = None,
) -> Path:
    """Stage and commit in one go, for a workbook already written (e.g. the ribbon after writing
    through Excel, with ``book.fullname`` as ``workbook`` when it is a local path)."""
    staged = stage_record(
        outcome, workbook, run_id=run_id, time=time, input_sha256=input_sha256, version=version
    )
    return staged.commit(timings=timings, wall_time_s=wall_time_s)


# --------------------------------------------------------------------------------------------
# MLflow (optional)
# --------------------------------------------------------------------------------------------


def mlflow_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``MLFLOW_TRACKING_URI`` is set (whether MLflow is installed or not)."""
    environ = os.environ if environ is None else environ
    return bool(str(environ.get(ENV_TRACKING_URI, "")).strip())


def safe_uri(uri: str) -> str:
    """A URI without user and password (they must not end up in a record or a log)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparsable URI>"
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return uri


_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")


def _key(text: str) -> str:
    return _KEY.sub("_", str(text))[:250]


def _mlflow_content(
    record: Mapping[str, Any], settings: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, float]]:
    params: dict[str, str] = {}
    for k, v in settings.items():
        params[f"setting.{_key(k)}"] = "" if v is None else str(v)[:6000]
    params["input.fingerprint"] = record["input"]["fingerprint"]
    params["input.file_sha256"] = record["input"]["file_sha256"]
    params["workbook"] = str(record["workbook"])[:6000]
    params["version"] = record["version"]
    params["solver.status"] = record["solver"]["status"]
    for product, model in record.get("forecast", {}).get("model_by_product", {}).items():
        params[f"forecast.model.{_key(product)}"] = model
    metrics: dict[str, float] = {}

    def put(name: str, value: Any) -> None:
        v = _finite(value)
        if v is not None:
            metrics[_key(name)] = v

    for k, v in record["solver"]["objectives"].items():
        put(f"objective.{k}", v)
    put("shortage_bytes", record.get("shortage_bytes"))
    put("warnings", record.get("warnings"))
    put("wall_time_s", record.get("wall_time_s"))
    for product, totals in record.get("plan_totals", {}).items():
        for k, v in totals.items():
            put(f"{k}.{product}", v)
    for product, wape in record.get("forecast", {}).get("chosen_wape", {}).items():
        put(f"backtest_wape.{product}", wape)
    for k, v in record.get("alerts", {}).items():
        put(f"alerts.{k}", v)
    for k, v in {**record.get("solver_timings_s", {}), **record.get("timings_s", {})}.items():
        put(f"time_s.{k}", v)
    return params, metrics


def log_to_mlflow(
    folder: str | os.PathLike[str], tracking_uri: str | None = None, experiment: str | None = None
) -> str:
    """Log the record in ``folder`` as an MLflow run; returns the MLflow run id.

    Raises ``ImportError`` when MLflow is not installed; MLflow's own errors pass through.
    """
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    folder = Path(folder)
    record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    uri = tracking_uri or os.environ.get(ENV_TRACKING_URI, "").strip()
    name = experiment or os.environ.get(ENV_EXPERIMENT, "").strip() or DEFAULT_EXPERIMENT
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(name)
    exp_id = found.experiment_id if found is not None else client.create_experiment(name)
    run = client.create_run(
        exp_id,
        run_name=record["run_id"],
        tags={
            "linealytics.run_id": record["run_id"],
            "linealytics.workbook": record["workbook"],
        },
    )
    rid = run.info.run_id
    try:
        params, metrics = _mlflow_content(record, settings)
        stamp = int(datetime.fromisoformat(record["time"]).timestamp() * 1000)
        param_items = [Param(k, v) for k, v in params.items()]
        metric_items = [Metric(k, v, stamp, 0) for k, v in metrics.items()]
        for i in range(0, len(param_items), 100):
            client.log_batch(rid, params=param_items[i : i + 100])
        for i in range(0, len(metric_items), 1000):
            client.log_batch(rid, metrics=metric_items[i : i + 1000])
        client.log_batch(rid, tags=[RunTag("linealytics.solver", record["solver"]["name"])])
        client.log_artifacts(rid, str(folder))
    except BaseException:
        client.set_terminated(rid, status="FAILED")
        raise
    client.set_terminated(rid)
    (folder / "mlflow.json").write_text(
        _dump(
            {
                "tracking_uri": safe_uri(uri),
                "experiment": name,
                "experiment_id": exp_id,
                "run_id": rid,
            }
        ),
        encoding="utf-8",
    )
    return rid


_USERINFO = re.compile(r"(//)[^/@\s]+@")


def mirror_to_mlflow(folder: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Log the record to MLflow when ``MLFLOW_TRACKING_URI`` is set; returns notes for the user.

    Never raises: the record folder is the run log, MLflow a mirror of it, so a tracking server
    that is down (or MLflow missing) is reported, not a failed plan.
    """
    if not mlflow_wanted(environ):
        return []
    try:
        log_to_mlflow(folder)
    except ImportError:
        return [
            f"{ENV_TRACKING_URI} is set but MLflow is not installed "
            f"(pip install 'linealytics-xl[mlflow]'); the run is recorded in {folder} only."
        ]
    except Exception as exc:
        text = _USERINFO.sub(r"\1***@", f"{type(exc).__name__}: {exc}")
        text = " ".join(text.split())[:300]
        return [f"Logging the run to MLflow failed ({text}); the run is recorded in {folder}."]
    return []


# --------------------------------------------------------------------------------------------
# Reading records: list and diff
# --------------------------------------------------------------------------------------------


def _records(workbook: Path) -> dict[str, dict[str, Any]]:
    base = runs_dir(workbook)
    out = {}
    if base.is_dir():
        for folder in sorted(base.iterdir()):
            f = folder / RECORD_FILE
            if folder.name.startswith(".") or not f.is_file():
                continue
            try:
                out[folder.name] = json.loads(f.read_text(encoding="utf-8"))
                # the record file's write time orders two runs of the same second
                out[folder.name]["_written_ns"] = f.stat().st_mtime_ns
            except (OSError, ValueError):
                continue
    return out


LIST_COLUMNS = [
    "RunId",
    "Time",
    "InputFingerprint",
    "Solver",
    "Status",
    "ShortageBytes",
    "Wafers",
    "WallTimeS",
    "Warnings",
    "Record",
]


def list_runs(workbook: str | os.PathLike[str], runs_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every known run, oldest first: the ``LL_Runs`` rows (``runs_table``) and the record folders,
    matched by run id; ``Record`` says whether the run has a record folder."""
    records = _records(Path(workbook))
    rows: dict[str, dict[str, Any]] = {}
    if runs_table is not None and "RunId" in runs_table.columns:
        for r in runs_table.to_dict("records"):
            rid = str(r.get("RunId") or "").strip()
            if not rid:
                continue
            rows[rid] = {
                "RunId": rid,
                "Time": pd.Timestamp(r["Time"]) if r.get("Time") is not None else pd.NaT,
                "InputFingerprint": r.get("InputFingerprint"),
                "Solver": r.get("Solver"),
                "Status": r.get("Status"),
                "ShortageBytes": _finite(r.get("ShortageBytes")),
                "Wafers": _finite(r.get("Wafers")),
                "WallTimeS": _finite(r.get("WallTimeS")),
                "Warnings": r.get("Warnings"),
                "Record": rid in records,
            }
    for rid, rec in records.items():
        if rid in rows:
            continue
        rows[rid] = {
            "RunId": rid,
            "Time": pd.Timestamp(rec.get("time")),
            "InputFingerprint": rec.get("input", {}).get("fingerprint"),
            "Solver": rec.get("solver", {}).get("name"),
            "Status": rec.get("solver", {}).get("status"),
            "ShortageBytes": _finite(rec.get("shortage_bytes")),
            "Wafers": _finite(rec.get("solver", {}).get("objectives", {}).get("wafers")),
            "WallTimeS": _finite(rec.get("wall_time_s")),
            "Warnings": rec.get("warnings"),
            "Record": True,
        }
    frame = pd.DataFrame(list(rows.values()), columns=LIST_COLUMNS)
    # Times have whole seconds and two runs can fall in one: the stable sort keeps LL_Runs' own
    # (chronological) order for them; a run id's random suffix says nothing about order.
    return frame.sort_values("Time", kind="stable").reset_index(drop=True)


def resolve_run(workbook: str | os.PathLike[str], ref: str) -> str:
    """The run id that ``ref`` names: an id, a unique prefix of one, ``latest`` or ``previous``."""
    records = _records(Path(workbook))
    ids = sorted(
        records, key=lambda r: (str(records[r].get("time", "")), records[r].get("_written_ns", 0), r)
    )
    if not ids:
        raise RunLogError(f"no run records in {runs_dir(workbook)}; plan the workbook first")
    ref = ref.strip()
    if ref == "latest":
        return ids[-1]
    if ref == "previous":
        if len(ids) < 2:
            raise RunLogError("there is only one run record, so no previous run")
        return ids[-2]
    if ref in ids:
        return ref
    hits = [i for i in ids if i.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise RunLogError(f"no run record {ref!r} in {runs_dir(workbook)} (see `linealytics runs`)")
    raise RunLogError(f"{ref!r} matches {len(hits)} runs ({', '.join(hits[:4])}); give more of the id")


def load_record(workbook: str | os.PathLike[str], ref: str) -> dict[str, Any]:
    """The record (``run.json`` plus its settings) of run ``ref`` (see :func:`resolve_run`)."""
    rid = resolve_run(workbook, ref)
    folder = runs_dir(workbook) / rid
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        settings_file = folder / "settings.json"
        record["settings"] = (
            json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
        )
    except (OSError, ValueError) as exc:
        raise RunLogError(f"cannot read the run record {folder}: {exc}") from None
    record["folder"] = str(folder)
    return record


#: The per-product totals a record keeps, with the KPI (core.kpis) or unit each is shown in.
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


@dataclass
class RunDiff:
    a: str
    b: str
    fingerprint: tuple[str, str]
    file_sha256: tuple[str, str]
    settings: list[tuple[str, Any, Any]]  # (name, a, b) of every setting that differs
    solver: list[tuple[str, Any, Any]]  # status and objectives that differ
    totals: pd.DataFrame  # Product, Measure, A, B, Change

    @property
    def same_inputs(self) -> bool:
        return self.fingerprint[0] == self.fingerprint[1]


def diff_records(a: Mapping[str, Any], b: Mapping[str, Any]) -> RunDiff:
    """What changed from run ``a`` to run ``b``: input fingerprint, settings, solver results and
    the plan's totals per product."""
    sa, sb = a.get("settings", {}), b.get("settings", {})
    settings = [(k, sa.get(k), sb.get(k)) for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    solver = []
    if a["solver"].get("status") != b["solver"].get("status"):
        solver.append(("status", a["solver"].get("status"), b["solver"].get("status")))
    oa, ob = a["solver"].get("objectives", {}), b["solver"].get("objectives", {})
    for k in sorted(set(oa) | set(ob)):
        if oa.get(k) != ob.get(k):
            solver.append((f"objective {k}", oa.get(k), ob.get(k)))
    rows = []
    ta, tb = a.get("plan_totals", {}), b.get("plan_totals", {})
    for product in list(dict.fromkeys([*ta, *tb])):
        pa, pb = ta.get(product, {}), tb.get(product, {})
        for k in TOTAL_KEYS:
            va, vb = pa.get(k), pb.get(k)
            change = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            rows.append({"Product": product, "Measure": k, "A": va, "B": vb, "Change": change})
    totals = pd.DataFrame(rows, columns=["Product", "Measure", "A", "B", "Change"])
    return RunDiff(
        a=a["run_id"],
        b=b["run_id"],
        fingerprint=(a["input"]["fingerprint"], b["input"]["fingerprint"]),
        file_sha256=(a["input"].get("file_sha256", ""), b["input"].get("file_sha256", "")),
        settings=settings,
        solver=solver,
        totals=totals,
    )
