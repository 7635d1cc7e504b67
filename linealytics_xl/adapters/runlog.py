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
    model_xgboost.json  the refitted XGBoost model (``save_model``), when XGBoost was chosen and
                      fitted by this run (a reused forecast has no model: ``forecast.reused``)

A record is written to a hidden temporary folder (``.<run id>.partial``) first and renamed into
place only after the workbook was saved, so a run that fails leaves no record and every record
belongs to a plan that was written; the partial folder of a killed run is removed by the next
run (:func:`remove_partial_records`, under the workbook's run lock).  Text cells of the CSV files
that a spreadsheet would run as a formula are neutralised (``literal_text.csv_safe``).  When ``MLFLOW_TRACKING_URI`` is set and MLflow is installed (extra
``linealytics-xl[mlflow]``), the same record is logged as an MLflow run: settings and inputs as
parameters, objectives, totals, backtest errors and timings as metrics, the folder as artifacts.

Credentials never enter a record: settings hold none (SMTP settings come from the environment),
and a tracking URI is stored without its user and password.

This module is the entry point; the parts are :mod:`.runlog_folder` (writing a record),
:mod:`.runlog_history` (listing, reading and diffing runs) and :mod:`.runlog_mlflow` (the mirror).
"""

from __future__ import annotations

from .runlog_folder import (
    RECORD_FILE,
    TOTAL_KEYS,
    RunLogError,
    StageClock,
    StagedRecord,
    file_sha256,
    record_data,
    remove_partial_records,
    runs_dir,
    stage_record,
)
from .runlog_history import LIST_COLUMNS, RunDiff, diff_records, list_runs, load_record, resolve_run
from .runlog_mlflow import log_to_mlflow, mirror_to_mlflow, mlflow_wanted, safe_uri

__all__ = [
    "LIST_COLUMNS",
    "RECORD_FILE",
    "TOTAL_KEYS",
    "RunDiff",
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
    "safe_uri",
    "stage_record",
]
