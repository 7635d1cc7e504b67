"""The MLflow mirror of a run record (optional, extra ``linealytics-xl[mlflow]``).

When ``MLFLOW_TRACKING_URI`` is set, a committed record is logged as an MLflow run: settings and
inputs as parameters, objectives, totals, backtest errors and timings as metrics, the folder as
artifacts.  The record folder stays the run log; a tracking server that is down is reported, never
a failed plan, and a tracking URI is stored without its user and password.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .runlog_folder import RECORD_FILE, dump_json, finite

__all__ = ["log_to_mlflow", "mirror_to_mlflow", "mlflow_wanted", "safe_uri"]

ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
ENV_EXPERIMENT = "MLFLOW_EXPERIMENT_NAME"
DEFAULT_EXPERIMENT = "linealytics"


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
        v = finite(value)
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
        dump_json(
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
