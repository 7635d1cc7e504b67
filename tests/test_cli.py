"""The command line: exit codes, messages, summary."""

import hashlib
import shutil
import subprocess
import sys

import openpyxl
from typer.testing import CliRunner

from linealytics_xl.cli import app

runner = CliRunner()


def test_plan_exits_0_with_shortages_and_prints_the_explanation(real_copy):
    result = runner.invoke(app, ["plan", str(real_copy)])
    assert result.exit_code == 0, result.output
    assert "23C" in result.output and "68" in result.output  # 68% of 23C's demand cannot be met
    assert "wafers per week" in result.output


def test_plan_on_invalid_input_exits_2_and_writes_nothing(real_copy):
    wb = openpyxl.load_workbook(real_copy)
    wb["Yield"]["F4"] = "abc"
    wb.save(real_copy)
    before = hashlib.sha256(real_copy.read_bytes()).hexdigest()
    result = runner.invoke(app, ["plan", str(real_copy)])
    assert result.exit_code == 2
    assert "Yield!F4: expected a yield between 0 and 1, found 'abc'" in result.output
    assert "Traceback" not in result.output
    assert hashlib.sha256(real_copy.read_bytes()).hexdigest() == before


def test_missing_file_and_bad_option_exit_2(tmp_path):
    assert runner.invoke(app, ["plan", str(tmp_path / "nope.xlsx")]).exit_code == 2
    assert runner.invoke(app, ["plan", str(tmp_path / "nope.xlsx"), "--solver", "gurobi"]).exit_code == 2


def test_internal_failure_exits_1_and_shows_traceback_only_with_debug(tmp_path, monkeypatch):
    bad = tmp_path / "plan.xlsx"
    shutil.copyfile(__file__, bad)  # not a workbook at all: reported as invalid input
    assert runner.invoke(app, ["plan", str(bad)]).exit_code == 2
    # an output path that is a folder is invalid input too (it used to be an internal error)
    out = tmp_path / "a-folder.xlsx"
    out.mkdir()
    from linealytics_xl import jobs
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook

    wb = write_demo_workbook(tmp_path / "demo.xlsx")
    folder = runner.invoke(app, ["plan", str(wb), "--output", str(out)])
    assert folder.exit_code == 2 and "is a folder" in " ".join(folder.output.split())
    assert "Traceback" not in folder.output and not (tmp_path / "demo.xlsx.runs").exists()

    # a failure of the tool itself is exit 1, traceback only with --debug
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the tool")

    monkeypatch.setattr(jobs, "plan", broken)
    plain = runner.invoke(app, ["plan", str(wb)])
    assert plain.exit_code == 1 and "Traceback" not in plain.output and "--debug" in plain.output
    debug = runner.invoke(app, ["--debug", "plan", str(wb)])
    assert debug.exit_code == 1 and "Traceback" in debug.output


def test_validate_and_demo(tmp_path):
    result = runner.invoke(app, ["demo", str(tmp_path)])
    assert result.exit_code == 0
    path = tmp_path / "planning.xlsx"
    assert path.exists()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "is valid" in result.output


def test_installed_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "linealytics_xl.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "plan" in out.stdout and "validate" in out.stdout
