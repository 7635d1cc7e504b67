"""The run log: a record folder per run beside the workbook, `linealytics runs`, and MLflow.

The template is planned twice in one module fixture: first with the forecast on (so the record
holds an XGBoost model), then with other settings, for the diff.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_notify import TEMPLATE, add_settings
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.adapters import runlog
from linealytics_xl.adapters.workbook_file import WorkbookError, WorkbookFile, lock_file
from linealytics_xl.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


class Runs:
    def __init__(self, path: Path, first, second, input_sha: str):
        self.path, self.first, self.second, self.input_sha = path, first, second, input_sha


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    path = tmp_path_factory.mktemp("runlog") / "planning.xlsx"
    shutil.copyfile(TEMPLATE, path)
    add_settings(path, scenarios=200)
    input_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    first = jobs.plan(path)
    add_settings(path, forecast=False, simulate=False, cycle_time_weeks=1)
    second = jobs.plan(path)
    return Runs(path, first, second, input_sha)


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_record_folder_traces_the_plan(runs):
    job = runs.first
    folder = runs.path.with_name("planning.xlsx.runs") / job.run_id
    assert job.record == folder and folder.is_dir()
    record = read_json(folder / "run.json")
    assert sorted(p.name for p in folder.iterdir()) == record["files"]
    assert {"settings.json", "warnings.json", "plan.csv.gz", "alerts.csv", "backtest.csv"} <= set(
        record["files"]
    )

    # the record agrees with the workbook's LL_Runs row of the same run
    log = WorkbookFile(runs.path).table("LL_Runs")
    row = log[log["RunId"] == job.run_id].iloc[0]
    assert record["input"]["fingerprint"] == row["InputFingerprint"] == job.outcome.fingerprint
    assert record["input"]["file_sha256"] == runs.input_sha  # the file as it was read
    assert record["time"] == row["Time"].isoformat()
    assert record["solver"]["status"] == row["Status"] and record["solver"]["name"] == row["Solver"]
    assert record["solver"]["objectives"]["wafers"] == pytest.approx(row["Wafers"], rel=1e-12)
    assert read_json(folder / "settings.json") == job.outcome.settings.model_dump()
    assert read_json(folder / "settings.json")["scenarios"] == 200
    assert read_json(folder / "warnings.json") == [
        {"severity": w.severity, "sheet": w.sheet, "cell": w.cell, "message": w.message}
        for w in job.outcome.warnings
    ]

    # the plan itself, and totals per product recomputed from it
    with gzip.open(folder / "plan.csv.gz", "rt", encoding="utf-8") as f:
        plan = pd.read_csv(f)
    expected = job.outcome.tables["LL_Plan"]
    assert list(plan.columns) == list(expected.columns) and len(plan) == len(expected)
    for col in ("Wafers", "StockBytes", "BacklogBytes", "SupplyBytes"):
        assert np.array_equal(plan[col].to_numpy(float), expected[col].to_numpy(float))  # exact
    for product, g in plan.groupby("Product"):
        assert record["plan_totals"][product]["wafers"] == pytest.approx(g["Wafers"].sum(), rel=1e-9)
    alerts = pd.read_csv(folder / "alerts.csv")
    assert list(alerts["AlertId"]) == list(job.outcome.tables["LL_Alerts"]["AlertId"])

    # forecast choices and backtest metrics, timings per stage
    assert record["forecast"]["model_by_product"] == job.outcome.demand.model_by_product
    assert len(pd.read_csv(folder / "backtest.csv")) == len(job.outcome.tables["LL_Backtest"])
    assert {"Reading the workbook", "Optimising the wafer plan", "Writing the workbook"} <= set(
        record["timings_s"]
    )
    assert set(record["solver_timings_s"]) >= {"solve_backlog", "solve_wafers"}


def test_record_holds_the_refitted_xgboost_model(runs):
    xgb = pytest.importorskip("xgboost")
    job = runs.first
    record = read_json(job.record / "run.json")
    fitted = job.outcome.demand.forecast.models.get("XGBoost")
    if fitted is None:  # the gate chose baselines only: no model to keep
        assert "model_xgboost.json" not in record["files"]
        pytest.skip("XGBoost was not chosen for any product of the template")
    assert record["forecast"]["model_file"] == "model_xgboost.json"
    assert record["forecast"]["xgboost_params"]["seed"] == job.outcome.settings.seed
    booster = xgb.Booster(model_file=str(job.record / "model_xgboost.json"))
    X = np.random.default_rng(0).uniform(0, 2, (50, fitted.n_features_in_)).astype(np.float32)
    assert np.array_equal(booster.predict(xgb.DMatrix(X)), fitted.model_.predict(xgb.DMatrix(X)))


def test_second_run_without_forecast_has_no_model(runs):
    record = read_json(runs.second.record / "run.json")
    assert record["forecast"] == {} and "model_xgboost.json" not in record["files"]


def test_a_run_that_cannot_write_leaves_no_record(runs, tmp_path):
    path = tmp_path / "locked.xlsx"
    shutil.copyfile(runs.path, path)
    add_settings(path, forecast=False, simulate=False)
    lock_file(path).write_text("excel")
    with pytest.raises(WorkbookError, match="open in Excel"):
        jobs.plan(path)
    assert not runlog.runs_dir(path).exists()  # neither a record nor a half-written one


def test_runs_lists_every_run(runs):
    code, output = invoke("runs", str(runs.path))
    assert code == 0, output
    frame = runlog.list_runs(runs.path, WorkbookFile(runs.path).table("LL_Runs"))
    assert list(frame["RunId"]) == [runs.first.run_id, runs.second.run_id]
    assert frame["Record"].all()
    for rid in frame["RunId"]:
        assert rid[:15] in output.replace(" ", "")


def test_runs_diff_shows_inputs_settings_and_totals(runs):
    a = runlog.load_record(runs.path, runs.first.run_id)
    b = runlog.load_record(runs.path, "latest")
    d = runlog.diff_records(a, b)
    assert (d.a, d.b) == (runs.first.run_id, runs.second.run_id)
    assert d.same_inputs  # the same data, other settings
    changed = {name: (va, vb) for name, va, vb in d.settings}
    assert changed["cycle_time_weeks"] == (0, 1) and changed["forecast"] == (True, False)
    assert "seed" not in changed
    wafers = d.totals[d.totals["Measure"] == "wafers"].set_index("Product")
    for product in wafers.index:
        assert wafers.loc[product, "Change"] == pytest.approx(
            b["plan_totals"][product]["wafers"] - a["plan_totals"][product]["wafers"]
        )
    assert (wafers["Change"].abs() > 0).any()

    code, output = invoke("runs", str(runs.path), "--diff", runs.first.run_id[-6:], "latest")
    assert code == 2 and "no run record" in output  # a suffix is not an id
    code, output = invoke("runs", str(runs.path), "--diff", "previous", "latest")
    assert code == 0, output
    assert "Inputs: unchanged" in output and "cycle_time_weeks: 0 -> 1" in output
    assert "Plan totals per product" in output and "P3" in output


def test_runs_diff_ignores_round_off_and_shows_real_changes(runs):
    """A workbook re-saved with 15 significant digits (openpyxl) changes demand in its 16th digit:
    48.317080434472830 against ...472824 GB is the same demand, and `runs --diff` must not list
    it as changed."""
    import copy

    a = runlog.load_record(runs.path, runs.first.run_id)
    b = copy.deepcopy(a)
    product = next(iter(b["plan_totals"]))
    b["plan_totals"][product]["demand_bytes"] *= 1 + 2e-16
    b["plan_totals"][product]["wafers"] += 1.0
    b["solver"]["objectives"]["backlog"] = a["solver"]["objectives"]["backlog"] * (1 + 1e-14)
    d = runlog.diff_records(a, b)
    changed = d.totals[d.totals["Changed"]]
    assert list(zip(changed["Product"], changed["Measure"])) == [(product, "wafers")]
    assert d.solver == []


def test_safe_uri_drops_credentials():
    assert (
        runlog.safe_uri("https://ops:s3cret@mlflow.fab.example:5000/x") == "https://mlflow.fab.example:5000/x"
    )
    assert runlog.safe_uri("file:///srv/mlruns") == "file:///srv/mlruns"


def test_mlflow_gets_the_same_record(runs, tmp_path, monkeypatch):
    pytest.importorskip(
        "mlflow", reason="MLflow is optional: pip install 'linealytics-xl[mlflow]' to run this test"
    )
    from mlflow.tracking import MlflowClient

    store = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps file stores for opt-in use
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    folder = runs.first.record
    assert runlog.mirror_to_mlflow(folder) == []
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("linealytics")
    (run,) = client.search_runs([exp.experiment_id])
    record = read_json(folder / "run.json")
    assert run.info.run_name == record["run_id"] and run.info.status == "FINISHED"
    assert run.data.params["input.fingerprint"] == record["input"]["fingerprint"]
    assert run.data.params["setting.scenarios"] == "200"
    assert run.data.metrics["objective.wafers"] == pytest.approx(record["solver"]["objectives"]["wafers"])
    assert run.data.metrics["shortage_bytes.P3"] > 0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"run.json", "settings.json", "plan.csv.gz", "model_xgboost.json"} <= artifacts or (
        {"run.json", "settings.json", "plan.csv.gz"} <= artifacts
        and "model_xgboost.json" not in record["files"]
    )
    assert read_json(folder / "mlflow.json")["run_id"] == run.info.run_id

    # and a plan with MLFLOW_TRACKING_URI set logs itself
    path = tmp_path / "again.xlsx"
    shutil.copyfile(runs.path, path)
    job = jobs.plan(path)
    assert job.notes == []
    names = {r.info.run_name for r in client.search_runs([exp.experiment_id])}
    assert names == {record["run_id"], job.run_id}


# --------------------------------------------------------------------------------------------
# Scheduling files: the commands they run are the command line's
# --------------------------------------------------------------------------------------------

SCHEDULE = Path(__file__).resolve().parents[1] / "install" / "schedule"


def _accepted(args: list[str], tmp_path: Path) -> None:
    """The command line parses ``args`` (``--help`` after them: parsed, nothing run; the log file
    is moved to ``tmp_path``, since the main options take effect before the help)."""
    args = list(args)
    args[args.index("--log-file") + 1] = str(tmp_path / "plan.log")
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, (args, result.output)
    assert "start: linealytics plan" in (tmp_path / "plan.log").read_text(encoding="utf-8")


def test_task_scheduler_xml_runs_plan_with_notify(tmp_path):
    import shlex
    from xml.etree import ElementTree

    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    task = ElementTree.parse(SCHEDULE / "linealytics-task.xml").getroot()
    command = task.find("t:Actions/t:Exec/t:Command", ns).text
    args = shlex.split(task.find("t:Actions/t:Exec/t:Arguments", ns).text.replace("\\", "/"))
    assert command.endswith("linealytics.exe")
    assert args[args.index("plan") + 2 :] == ["--notify"] and "--log-file" in args
    _accepted(args, tmp_path)
    assert task.find("t:Principals/t:Principal/t:LogonType", ns).text == "Password"  # no password in the file
    assert "PASSWORD" not in (SCHEDULE / "linealytics-task.xml").read_text(encoding="utf-8").split("-->")[-1]


def test_cron_line_runs_plan_with_notify_and_reports_failures(tmp_path):
    import re
    import shlex

    lines = [
        ln
        for ln in (SCHEDULE / "linealytics.cron").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#") and "=" not in ln.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["0", "6", "*", "*", "1"] and "%" not in fields[5]  # cron treats % as newline
    command = re.search(r"/linealytics (.*?) >>", fields[5]).group(1)
    args = shlex.split(command)
    assert args[-1] == "--notify"
    _accepted(args, tmp_path)
    assert "|| echo" in fields[5]  # a failed run prints, so cron mails MAILTO
