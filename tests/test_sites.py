"""`linealytics sites`: several workbooks planned side by side, each as `plan` plans it alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.cli import app
from linealytics_xl.sites import plan_sites

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
runner = CliRunner()
KEYS = ["Product", "Quarter", "Week"]


def _site(folder: Path, name: str, demand_factor: float = 1.0) -> Path:
    """A copy of the template as another site would hold it: its own demand."""
    path = folder / name
    shutil.copyfile(TEMPLATE, path)
    if demand_factor != 1.0:
        book = openpyxl.load_workbook(path)
        ws = book["Supply_Demand"]
        for row in ws.iter_rows(min_row=2):
            if row[1].value == "EffectiveDemand":
                for cell in row[2:]:
                    if isinstance(cell.value, (int, float)):
                        cell.value = cell.value * demand_factor
        book.save(path)
    return path


def _plan(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name="LL_Plan").sort_values(KEYS).reset_index(drop=True)


def test_sites_are_planned_in_parallel_as_each_alone_and_a_bad_one_is_named(tmp_path):
    here, alone = tmp_path / "sites", tmp_path / "alone"
    here.mkdir()
    alone.mkdir()
    a, b = _site(here, "fab_a.xlsx"), _site(here, "fab_b.xlsx", demand_factor=1.3)
    bad = _site(here, "fab_c.xlsx")
    book = openpyxl.load_workbook(bad)
    book["Supply_Demand"]["E5"] = "lots"
    book.save(bad)
    bad_bytes = bad.read_bytes()

    result = runner.invoke(app, ["sites", str(a), str(b), str(bad), "--jobs", "2"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "Supply_Demand!E5" in said and "2 of 3 workbook(s) planned" in said
    assert bad.read_bytes() == bad_bytes  # the bad site is left untouched

    for site in (a, b):  # the same plan as `plan` gives the workbook alone
        own = _site(alone, site.name, demand_factor=1.3 if site is b else 1.0)
        jobs.plan(own)
        pd.testing.assert_frame_equal(_plan(site), _plan(own))
    assert _plan(a)["Wafers"].sum() != _plan(b)["Wafers"].sum()  # two sites, two plans


def test_plan_sites_reports_each_site_in_the_order_given(tmp_path):
    a, b = _site(tmp_path, "a.xlsx"), _site(tmp_path, "b.xlsx", demand_factor=0.5)
    gone = tmp_path / "gone.xlsx"  # a site's file that is not there
    found = plan_sites([b, gone, a], n_jobs=2, overrides={"forecast": False, "simulate": False})
    assert [r.path.name for r in found] == ["b.xlsx", "gone.xlsx", "a.xlsx"]
    missing = found.pop(1)
    assert missing.exit_code == 2 and "gone.xlsx" in missing.message
    assert all(r.ok and r.run_id and r.wafers and r.wafers > 0 for r in found)
    assert found[0].wafers < found[1].wafers  # half the demand, fewer wafers
    serial = plan_sites([a], n_jobs=1, overrides={"forecast": False, "simulate": False})
    assert serial[0].wafers == found[1].wafers


def test_a_workbook_named_twice_is_refused_before_anything_runs(tmp_path):
    a = _site(tmp_path, "a.xlsx")
    before = a.read_bytes()
    result = runner.invoke(app, ["sites", str(a), str(tmp_path / "." / "a.xlsx")])
    assert result.exit_code == 2
    assert "same workbook" in " ".join(result.output.split())
    assert a.read_bytes() == before


def test_output_dir_takes_the_plans_of_read_only_sources(tmp_path):
    src = tmp_path / "share"
    src.mkdir()
    a, b = _site(src, "fab_a.xlsx"), _site(src, "fab_b.xlsx", demand_factor=0.8)
    before = {p: p.read_bytes() for p in (a, b)}
    for p in (a, b):
        p.chmod(0o444)  # a planning share the planner may read but not write
    in_place = runner.invoke(app, ["sites", str(a), str(b)])
    assert in_place.exit_code == 2
    said = " ".join(in_place.output.split())
    assert "fab_a.xlsx cannot be written here" in said and "--output-dir" in said
    out = tmp_path / "plans"  # not there yet
    result = runner.invoke(app, ["sites", str(a), str(b), "--output-dir", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob("*.xlsx")} == {"fab_a.xlsx", "fab_b.xlsx"}
    assert all(p.read_bytes() == data for p, data in before.items())
    assert _plan(out / "fab_a.xlsx")["Wafers"].sum() > _plan(out / "fab_b.xlsx")["Wafers"].sum()


def test_output_dir_refuses_two_workbooks_of_one_name(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a, b = _site(tmp_path / "x", "fab.xlsx"), _site(tmp_path / "y", "fab.xlsx")
    result = runner.invoke(app, ["sites", str(a), str(b), "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "would both be written" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_folder_stands_for_every_workbook_in_it(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    a, b = _site(share, "fab_a.xlsx"), _site(share, "fab_b.xlsx")
    (share / "~$fab_a.xlsx").write_bytes(b"Excel's owner file")  # not a workbook to plan
    (share / "notes.txt").write_text("not a workbook")
    result = runner.invoke(app, ["sites", str(share), "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == [a.name, b.name]
    empty = tmp_path / "empty"
    empty.mkdir()
    none = runner.invoke(app, ["sites", str(empty)])
    assert none.exit_code == 2 and "no workbook" in none.output
