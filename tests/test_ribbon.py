"""Ribbon macros (linealytics_xl/ribbon.py) and the live-book adapter run against real xlwings Book
objects of xlwings' JSON engine (``xw.Book(json=...)`` + ``set_mock_caller()``), built from real
workbooks read with openpyxl: the hackathon workbook (../shared, skipped when absent) and the
shipped template. The checks read the actions xlwings records (``book.json()``): which sheets,
ranges and tables are written, in how many calls, and that the plan written equals the plan the
file path (``jobs.plan``) computes for the same workbook.

The JSON engine needs xlwings' noncommercial key; it is set here for the test process only
(monkeypatch), and the remote engine is registered for the duration of a test if xlwings was
imported without a key. The add-in itself needs only the BSD part of xlwings. What this cannot
show: Excel's own status bar, message boxes and screen updating (the JSON engine has no status
bar and records the others as actions), and reading formulas through COM (``Range.formula``)."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from linealytics_xl import jobs, ribbon
from linealytics_xl.adapters.dashboard import DASHBOARD
from linealytics_xl.adapters.live_book import LiveBook
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.core import tables
from linealytics_xl.core.cells import address
from linealytics_xl.core.contract import table_name
from linealytics_xl.core.grid import Cells

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from json_books import (
    OWN_SHEETS,
    TEMPLATE,
    Recorded,
    frame_cells,
    json_engine,
    payload,
    run_time_columns,
    table_sheet,
)


@pytest.fixture()
def json_book(monkeypatch):
    """Factory: a JSON-engine Book from a payload, set as the mock caller for this test only."""
    return json_engine(monkeypatch)


# ---------------------------------------------------------------------------------------------
# Reading: the live book gives the core what the file gives it
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["template", "real"])
def test_live_book_reads_the_same_grids_as_the_file_adapter(json_book, which, request):
    path = TEMPLATE if which == "template" else request.getfixturevalue("real_path")
    live = LiveBook(json_book(payload(path)))
    file_grids = WorkbookFile(path).sheets()
    live_grids = live.sheets()
    assert list(live_grids) == list(file_grids)
    for name, cells in file_grids.items():  # the file gives sparse Cells, the live book rows: same cells
        assert Cells.of(live_grids[name]).values() == cells.values(), name
    formulas = [
        v for g in live_grids.values() for r in g for v in r if isinstance(v, str) and v.startswith("=")
    ]
    assert formulas, "the workbook's formulas reach the parser as '=...' text"
    assert live.settings() == WorkbookFile(path).settings()
    assert live.table(tables.RUNS) is None


# ---------------------------------------------------------------------------------------------
# Run all on the real workbook = the command line's plan
# ---------------------------------------------------------------------------------------------


def test_run_all_writes_what_the_file_path_writes(json_book, real_path, real_planned):
    data = payload(real_path)
    book = json_book(data)
    ribbon.run_all()
    rec = Recorded(book, data)
    file_out = openpyxl.load_workbook(real_planned.path)
    outcome = real_planned.outcome

    # screen updating off around every write, back on at the end
    funcs = [a["func"] for a in rec.acts]
    assert funcs[0] == "setScreenUpdating" and rec.acts[0]["args"] == [False]
    last_write = max(
        i for i, f in enumerate(funcs) if f in ("setValues", "addTable", "addSheet", "resizeTable")
    )
    toggles = [i for i, f in enumerate(funcs) if f == "setScreenUpdating"]
    assert rec.acts[toggles[1]]["args"] == [True] and toggles[1] > last_write  # one repaint, after all
    assert all(  # the Dashboard's formats and charts too
        i < toggles[1] for i, f in enumerate(funcs) if f in ("setFontProperty", "addChart", "setNumberFormat")
    )

    # the workbook's own sheets: one call per block, the very cells and values of the file path
    own = [a for a in rec.of("setValues") if rec.sheet(a) in OWN_SHEETS]
    blocks = jobs.output_blocks(
        WorkbookFile(real_path).sheets(), outcome.data, outcome.result.wafers, outcome.result.supply
    )
    assert len(own) == len(blocks)
    for a in own:
        assert a["row_count"] == 1
        ws = file_out[rec.sheet(a)]
        expected = [
            ws.cell(a["start_row"] + 1, a["start_column"] + c + 1).value for c in range(a["column_count"])
        ]
        assert a["values"] == [expected], (rec.sheet(a), a["start_row"], a["start_column"])
    wafer_rows = {a["start_row"]: a["values"][0] for a in rec.values_on("Wafer Plan")}
    plan_ws = file_out["Wafer Plan"]
    for product, wafers in zip(outcome.data.products, outcome.result.wafers):
        row = next(r for r in range(1, plan_ws.max_row + 1) if plan_ws.cell(r, 1).value == product)
        np.testing.assert_array_equal(wafer_rows[row - 1], wafers)

    # every table of the pipeline, on its own sheet, as the Excel Table tbl+sheet (contract 2.0:
    # never the name of a worksheet function such as LL_PLAN), in one write
    expected_tables = list(outcome.tables) + [tables.RUNS]
    added = rec.of("addTable")
    assert [a["args"][3] for a in added] == [table_name(n) for n in expected_tables]
    for a in added:
        name = rec.sheet(a)
        assert a["args"][3] == table_name(name) and a["args"][1] is True
        writes = rec.values_on(name)
        assert len(writes) == 1 and writes[0]["start_row"] == 0 and writes[0]["start_column"] == 0
        assert (
            a["args"][0] == f"$A$1:${address(0, writes[0]['column_count'] - 1)[:-1]}${writes[0]['row_count']}"
        )
        if name != tables.RUNS:
            frame = outcome.tables[name]
            stamps = run_time_columns(frame)  # when each run happened differs between the two runs
            keep = [i for i, c in enumerate(frame.columns) if c not in stamps]
            got = [[row[i] for i in keep] for row in writes[0]["values"]]
            assert got == [[row[i] for i in keep] for row in frame_cells(frame)], name
    runs = rec.values_on(tables.RUNS)[0]["values"]
    assert runs[0] == tables.RUNS_COLUMNS and len(runs) == 2
    run = dict(zip(runs[0], runs[1]))
    assert run["InputFingerprint"] == outcome.fingerprint and run["Workbook"] == "plan.xlsx"
    assert run["ShortageBytes"] == pytest.approx(outcome.shortage_bytes, rel=1e-12)

    # nothing written anywhere else; the Settings sheet and the Dashboard added as the file path adds them
    written = {rec.sheet(a) for a in rec.of("setValues")}
    assert written == OWN_SHEETS | set(expected_tables) | {"Settings", DASHBOARD}
    assert [a["args"][1] for a in rec.of("addSheet")] == expected_tables + ["Settings", DASHBOARD]
    assert DASHBOARD in file_out.sheetnames

    # and the planner is told, loudly, what cannot be served
    text = rec.alert()
    assert "SHORTAGE" in text and "23C" in text and "68% of demand" in text
    assert rec.of("alert")[0]["args"][3] == "critical"


# ---------------------------------------------------------------------------------------------
# The template: Optimize, a re-run over existing tables, settings from the workbook
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_planned(tmp_path_factory):
    out = tmp_path_factory.mktemp("template") / "planned.xlsx"
    return jobs.plan(TEMPLATE, output=out, overrides={"forecast": False, "simulate": False})


def test_optimize_on_the_template_plans_without_forecast(json_book, template_planned):
    data = payload(TEMPLATE)
    book = json_book(data)
    ribbon.optimize()
    rec = Recorded(book, data)
    names = [a["args"][3] for a in rec.of("addTable")]
    assert "tblLL_Plan" in names and "tblLL_Forecast" not in names and "tblLL_Risk" not in names
    assert names == [table_name(n) for n in list(template_planned.outcome.tables) + [tables.RUNS]]
    wafer_rows = {a["start_row"]: a["values"][0] for a in rec.values_on("Wafer Plan")}
    assert len(wafer_rows) == template_planned.outcome.data.n_products
    got = np.array([wafer_rows[r] for r in sorted(wafer_rows)])
    np.testing.assert_array_equal(got, template_planned.outcome.result.wafers)
    assert "Optimize: plan written to" in rec.alert()


def test_rerun_resizes_existing_tables_appends_the_run_log_and_uses_the_settings_sheet(json_book):
    previous_run = [
        "20250101-000000-abcdef",
        "2025-01-01T08:00:00.000Z",
        "plan.xlsx",
        "0" * 16,
        "{}",
        "cbc",
        "optimal",
        1.0,
        0.0,
        10.0,
        0.0,
        1.5,
        0,
        "0.0.9",
    ]
    old_plan = [tables.PLAN_COLUMNS] + [["old"] + [0] * 12 for _ in range(1499)]
    settings = [
        ["Name", "Value", "Description"],
        ["cycle_time_weeks", 2, ""],
        ["forecast", False, ""],
        ["simulate", False, ""],
    ]
    data = payload(
        TEMPLATE,
        extra_sheets=[
            table_sheet(tables.PLAN, old_plan),
            table_sheet(tables.RUNS, [tables.RUNS_COLUMNS, previous_run]),
            {"name": "Settings", "values": settings, "tables": [], "pictures": []},
        ],
    )
    book = json_book(data)
    ribbon.run_all()
    rec = Recorded(book, data)
    added_sheets = [a["args"][1] for a in rec.of("addSheet")]
    assert (
        tables.PLAN not in added_sheets and tables.RUNS not in added_sheets and "Settings" not in added_sheets
    )
    assert table_name(tables.PLAN) not in [a["args"][3] for a in rec.of("addTable")]
    # the 1.x tables named like their sheets (LL_Plan: the function LL_PLAN to Excel) are renamed
    # in place, not duplicated
    renamed = {rec.sheet(a): a["args"][1] for a in rec.of("setTableName")}
    assert renamed == {tables.PLAN: "tblLL_Plan", tables.RUNS: "tblLL_Runs"}

    resized = {rec.sheet(a): a["args"] for a in rec.of("resizeTable")}
    n_plan = 1 + 4 * 105
    assert resized[tables.PLAN] == [0, f"$A$1:$M${n_plan}"]
    assert resized[tables.RUNS] == [0, "$A$1:$N$3"]
    cleared = [a for a in rec.of("rangeClearContents") if rec.sheet(a) == tables.PLAN]
    assert [(a["start_row"], a["row_count"], a["column_count"]) for a in cleared] == [
        (n_plan, 1500 - n_plan, 13)
    ]
    plan_write = rec.values_on(tables.PLAN)
    assert len(plan_write) == 1 and plan_write[0]["row_count"] == n_plan

    runs = rec.values_on(tables.RUNS)[0]["values"]
    assert [r[0] for r in runs[1:]] == [previous_run[0], runs[2][0]] and runs[2][0] != previous_run[0]
    assert runs[1][1] == "2025-01-01 08:00:00" or runs[1][1].startswith("2025-01-01")
    assert json.loads(dict(zip(runs[0], runs[2]))["Settings"])["cycle_time_weeks"] == 2

    # the Settings sheet's cycle time reached the plan: nothing is started in the last 2 weeks
    wafer_rows = [a["values"][0] for a in rec.values_on("Wafer Plan")]
    assert len(wafer_rows) == 4 and all(row[-2:] == [0.0, 0.0] for row in wafer_rows)


# ---------------------------------------------------------------------------------------------
# Bad input, Validate, Send alerts
# ---------------------------------------------------------------------------------------------


def _with_bad_capacity(data: dict) -> dict:
    bc = next(s for s in data["sheets"] if s["name"] == "Boundary Conditions")
    r = next(i for i, row in enumerate(bc["values"]) if "Available Capacity" in row)
    bc["values"][r][3] = "lots"
    return data


WRITES = ("setValues", "addSheet", "addTable", "resizeTable", "rangeClearContents", "setNumberFormat")


def test_invalid_input_writes_nothing_and_names_the_cell(json_book):
    data = _with_bad_capacity(payload(TEMPLATE))
    book = json_book(data)
    ribbon.run_all()
    rec = Recorded(book, data)
    assert not [a for a in rec.acts if a["func"] in WRITES + ("setScreenUpdating",)]
    text = rec.alert()
    assert text.startswith("The workbook has 1 problem(s); nothing was written.")
    assert "'Boundary Conditions'!D" in text and "found 'lots'" in text


def test_validate_reports_and_writes_nothing(json_book):
    data = payload(TEMPLATE)
    book = json_book(data)
    ribbon.validate()
    rec = Recorded(book, data)
    assert not [a for a in rec.acts if a["func"] in WRITES]
    assert rec.alert().startswith("plan.xlsx is valid: 4 products, 105 weeks")

    data = _with_bad_capacity(payload(TEMPLATE))
    book = json_book(data)
    ribbon.validate()
    rec = Recorded(book, data)
    assert not [a for a in rec.acts if a["func"] in WRITES]
    assert "The workbook has 1 problem(s)." in rec.alert() and "found 'lots'" in rec.alert()


def test_send_alerts_hands_the_book_and_outcome_to_notify(json_book, monkeypatch):
    seen = {}
    notify = types.ModuleType("linealytics_xl.notify")

    def send_alerts_for_book(book, outcome):
        seen["book"], seen["outcome"] = book, outcome
        return "3 alert(s) e-mailed to planning@example.com"

    notify.send_alerts_for_book = send_alerts_for_book
    monkeypatch.setitem(sys.modules, "linealytics_xl.notify", notify)
    data = payload(TEMPLATE)
    book = json_book(data)
    ribbon.send_alerts()
    rec = Recorded(book, data)
    assert seen["book"].name == "plan.xlsx" and seen["book"].impl == book.impl
    assert seen["outcome"].data.products == ("P1", "P2", "P3", "P4")
    assert rec.alert().endswith("3 alert(s) e-mailed to planning@example.com")


def test_an_internal_failure_is_a_message_not_a_traceback(json_book, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("the solver's licence server is down")

    monkeypatch.setattr(jobs, "run", broken)
    data = payload(TEMPLATE)
    book = json_book(data)
    ribbon.optimize()
    rec = Recorded(book, data)
    assert not [a for a in rec.acts if a["func"] in WRITES]
    assert rec.alert().startswith(
        "Optimize could not finish: RuntimeError: the solver's licence server is down"
    )


def test_send_alerts_failure_after_the_plan_is_reported_as_such(json_book, monkeypatch):
    notify = types.ModuleType("linealytics_xl.notify")

    def send_alerts_for_book(book, outcome):
        raise ConnectionRefusedError("the SMTP server smtp.example.com:587 refused the connection")

    notify.send_alerts_for_book = send_alerts_for_book
    monkeypatch.setitem(sys.modules, "linealytics_xl.notify", notify)
    data = payload(TEMPLATE)
    book = json_book(data)
    ribbon.send_alerts()
    rec = Recorded(book, data)
    assert table_name(tables.PLAN) in [a["args"][3] for a in rec.of("addTable")]  # the plan stays written
    text = rec.alert()
    assert text.startswith("Send alerts: plan written to")
    assert text.endswith(
        "The plan was written, but the alerts were not sent: "
        "the SMTP server smtp.example.com:587 refused the connection"
    )
    assert rec.of("alert")[0]["args"][3] == "critical"


# ---------------------------------------------------------------------------------------------
# One runner: the ribbon's Run all is the command line's job, run record included
# ---------------------------------------------------------------------------------------------


def test_run_all_on_a_saved_book_writes_the_cli_tables_and_records_the_run_beside_it(json_book, tmp_path):
    """Run all on a book Excel knows by its full path (``Book.fullname``) runs `jobs.plan_live`:
    the tables the command line writes for the same file, equal apart from run ids and times,
    and a run record in ``<workbook>.runs`` beside the file, like the command line's."""
    from linealytics_xl.adapters import runlog

    saved = tmp_path / "excel" / "plan.xlsx"
    saved.parent.mkdir()
    shutil.copyfile(TEMPLATE, saved)
    cli_copy = tmp_path / "cli" / "plan.xlsx"
    cli_copy.parent.mkdir()
    shutil.copyfile(TEMPLATE, cli_copy)
    cli = jobs.plan(cli_copy)

    data = payload(saved, name=str(saved))
    book = json_book(data)
    ribbon.run_all()
    rec = Recorded(book, data)

    added = [rec.sheet(a) for a in rec.of("addTable")]
    assert added == list(cli.outcome.tables) + [tables.RUNS]
    for name in cli.outcome.tables:
        frame = cli.outcome.tables[name]
        keep = [i for i, c in enumerate(frame.columns) if c not in run_time_columns(frame)]
        got = [[row[i] for i in keep] for row in rec.values_on(name)[0]["values"]]
        assert got == [[row[i] for i in keep] for row in frame_cells(frame)], name
    run = dict(zip(*rec.values_on(tables.RUNS)[0]["values"][:2]))
    assert run["Workbook"] == "plan.xlsx" and run["InputFingerprint"] == cli.outcome.fingerprint
    assert run["RunId"] != cli.run_id

    folder = runlog.runs_dir(saved) / run["RunId"]
    assert folder.is_dir() and not list(runlog.runs_dir(saved).glob(".*.partial"))
    record = json.loads((folder / runlog.RECORD_FILE).read_text(encoding="utf-8"))
    cli_record = json.loads((cli.record / runlog.RECORD_FILE).read_text(encoding="utf-8"))
    assert record["run_id"] == run["RunId"]
    assert record["input"] == {
        "fingerprint": cli.outcome.fingerprint,
        "file_sha256": runlog.file_sha256(saved),
    }
    assert record["files"] == cli_record["files"]  # the same record as the CLI's
    assert f"Run recorded in {folder}" in rec.alert()

    # a second click on the saved book reuses the forecast kept beside its run records
    assert record["forecast"]["reused"] is False
    before = {p for p in runlog.runs_dir(saved).iterdir() if p.is_dir() and p != folder}
    book = json_book(payload(saved, name=str(saved)))
    ribbon.run_all()
    (again,) = {p for p in runlog.runs_dir(saved).iterdir() if p.is_dir()} - before - {folder}
    second = json.loads((again / runlog.RECORD_FILE).read_text(encoding="utf-8"))
    assert second["forecast"]["reused"] is True


def test_a_book_without_a_file_path_is_planned_without_a_record(json_book):
    data = payload(TEMPLATE, name="Book1")  # a new book, never saved
    book = json_book(data)
    ribbon.optimize()
    rec = Recorded(book, data)
    assert table_name(tables.PLAN) in [a["args"][3] for a in rec.of("addTable")]
    assert "Optimize: plan written to" in rec.alert() and "Run recorded" not in rec.alert()
