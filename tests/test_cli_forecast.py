"""`linealytics forecast`: LL_Forecast and LL_Backtest without planning, on the template workbook."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.cli import app

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
runner = CliRunner()


def _table(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name)


def test_forecast_writes_the_forecast_and_backtest_tables_and_no_plan(tmp_path):
    src = tmp_path / "planning.xlsx"
    shutil.copyfile(TEMPLATE, src)
    before = src.read_bytes()
    out = tmp_path / "forecast.xlsx"
    result = runner.invoke(app, ["forecast", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "LL_Forecast" in result.output and "WAPE" in result.output
    assert src.read_bytes() == before  # --output: the input is not touched
    book = openpyxl.load_workbook(out)
    assert {"LL_Forecast", "LL_Backtest"} <= set(book.sheetnames)
    from linealytics_xl.core.contract import table_name

    assert table_name("LL_Forecast") in book["LL_Forecast"].tables
    assert table_name("LL_Backtest") in book["LL_Backtest"].tables
    assert "LL_Plan" not in book.sheetnames  # no planning
    fc = _table(out, "LL_Forecast")
    products = fc["Product"].nunique()
    beyond = fc[fc["Week"].astype(str).str.startswith("+")]
    assert len(beyond) == products * 13  # horizon_weeks of the template
    assert not fc[["P10", "P50", "P90"]].isna().any().any()
    assert (fc["P10"] <= fc["P50"]).all() and (fc["P50"] <= fc["P90"]).all()
    assert ((beyond["P90"] - beyond["P10"]) > 0).all()
    bt = _table(out, "LL_Backtest")
    chosen = bt[bt["Chosen"].astype(bool)]
    assert set(chosen["Product"].astype(str)) == set(fc["Product"].astype(str))
    assert np.isfinite(bt["WAPE"]).all()


def test_forecast_in_place_keeps_the_plan(tmp_path):
    path = tmp_path / "planning.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path, overrides={"forecast": False, "simulate": False})
    plan_before = _table(path, "LL_Plan")
    assert "LL_Forecast" not in openpyxl.load_workbook(path).sheetnames
    result = runner.invoke(app, ["forecast", str(path)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(_table(path, "LL_Plan"), plan_before)
    fc = _table(path, "LL_Forecast")
    assert len(fc) and not fc[["P10", "P90"]].isna().any().any()


def test_forecast_of_bad_input_exits_2_and_writes_nothing(tmp_path):
    path = tmp_path / "planning.xlsx"
    shutil.copyfile(TEMPLATE, path)
    book = openpyxl.load_workbook(path)
    book["Supply_Demand"]["E5"] = "lots"
    book.save(path)
    before = path.read_bytes()
    result = runner.invoke(app, ["forecast", str(path)])
    assert result.exit_code == 2
    assert "Supply_Demand!E5" in result.output
    assert path.read_bytes() == before


def test_forecast_says_when_it_reused_a_kept_forecast_and_when_it_ignored_a_damaged_one(tmp_path):
    src = tmp_path / "planning.xlsx"
    shutil.copyfile(TEMPLATE, src)
    first = runner.invoke(app, ["forecast", str(src)])
    assert first.exit_code == 0, first.output
    assert "reused" not in first.output  # nothing kept yet: fitted
    second = runner.invoke(app, ["forecast", str(src)])
    assert second.exit_code == 0, second.output
    assert "was reused" in second.output
    kept = list((tmp_path / "planning.xlsx.runs" / ".forecast-cache").iterdir())
    assert len(kept) == 1
    kept[0].write_bytes(b"not a forecast")
    third = runner.invoke(app, ["forecast", str(src)])
    assert third.exit_code == 0, third.output
    assert "was reused" not in third.output
    said = " ".join(third.output.split())
    assert kept[0].name in said and "damaged" in said and "made again" in said and "unsafe" not in said
