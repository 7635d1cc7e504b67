"""What a planner sees and gets from each ribbon button, against the command line (issues 11, 15).

The buttons run on real xlwings Book objects of the JSON engine built from the real workbook
(tests/json_books.py, as tests/test_ribbon.py does).  Checked here:

* the status bar names every stage in order (the JSON engine has no status bar: its setter is
  replaced by one that records what xlwings hands the engine, which is what Excel would show);
* the closing message's figures are those of the tables the run wrote (recomputed from the
  written ``LL_Plan``, ``LL_Alerts`` and ``LL_Runs`` cells, not from the run's own objects);
* Optimize, Forecast, Simulate and What-if write the tables the command line writes for the
  same workbook and settings, apart from run ids and times (Run all: tests/test_ribbon.py);
* What-if input with errors writes nothing and names the cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from linealytics_xl import jobs, ribbon
from linealytics_xl.core import tables
from linealytics_xl.core.kpis import format_bytes, plan_kpis
from linealytics_xl.core.whatif import HEADER, WHATIF_SHEET
from linealytics_xl.summary import clip

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from json_books import TEMPLATE, Recorded, frame_cells, json_engine, payload, run_time_columns

WRITES = ("setValues", "addSheet", "addTable", "resizeTable", "rangeClearContents", "setNumberFormat")


@pytest.fixture()
def json_book(monkeypatch):
    return json_engine(monkeypatch)


@pytest.fixture()
def status_bar(monkeypatch, json_book) -> list[object]:
    """Every value set as Excel's status bar, in order (after json_book: xlwings.pro needs the key)."""
    from xlwings.pro import _xlremote

    shown: list[object] = []
    monkeypatch.setattr(
        _xlremote.App, "status_bar", property(lambda self: False, lambda self, v: shown.append(v))
    )
    return shown


def written_frame(rec: Recorded, name: str) -> pd.DataFrame:
    """A table as the ribbon wrote it (one setValues of header and rows)."""
    (write,) = rec.values_on(name)
    rows = write["values"]
    return pd.DataFrame(rows[1:], columns=rows[0])


def assert_same_tables(rec: Recorded, cli_tables: dict[str, pd.DataFrame]) -> None:
    """Every table the command line wrote, written by the ribbon with the same cells (run times aside)."""
    for name, frame in cli_tables.items():
        keep = [i for i, c in enumerate(frame.columns) if c not in run_time_columns(frame)]
        (write,) = rec.values_on(name)
        got = [[row[i] for i in keep] for row in write["values"]]
        assert got == [[row[i] for i in keep] for row in frame_cells(frame)], name


def test_run_all_shows_each_stage_and_a_summary_of_the_written_tables(json_book, status_bar, real_path):
    data = payload(real_path)
    book = json_book(data)
    ribbon.run_all()
    rec = Recorded(book, data)
    assert status_bar == [
        "Linealytics: Run all: Reading the workbook",
        "Linealytics: Run all: Validating the inputs",
        "Linealytics: Run all: Forecasting demand and drawing scenarios",
        "Linealytics: Run all: Optimising the wafer plan",
        "Linealytics: Run all: Measuring stock-out risk",
        "Linealytics: Run all: Building output tables",
        "Linealytics: Run all: Writing the workbook",
        False,  # the status bar is Excel's again
    ]

    text = rec.alert()
    assert len(text) < 1000, "the summary fits a message box untruncated"
    plan = written_frame(rec, tables.PLAN)
    k = plan_kpis(plan)
    n_products = plan["Product"].nunique()
    assert f"{n_products} products, {len(plan) // n_products} weeks:" in text
    assert f"{k['wafers']:,.0f} wafers" in text and k["wafers"] > 0
    assert f"shortage {format_bytes(k['shortage_bytes'])}" in text and k["shortage_bytes"] > 0
    assert f"service level {k['service_level']:.1%}" in text
    assert "SHORTAGE" in text and "23C" in text
    alerts = written_frame(rec, tables.ALERTS)
    active = alerts[alerts["Status"].isin(["new", "open"])]
    assert len(active) and f"Alerts: {int((active['Status'] == 'new').sum())} new" in text
    first = active.sort_values("Severity", key=lambda s: s != "critical", kind="stable").iloc[0]
    line = f"- [{first['Severity']}] {first['Message']}"
    assert clip(line, ribbon.LINE_CHARS) in text and line.startswith("- [critical] 23C")
    run_id = written_frame(rec, tables.RUNS)["RunId"].iloc[-1]
    assert text.endswith(f"Run {run_id}.")


@pytest.mark.parametrize(
    "action, overrides",
    [
        ("optimize", {"forecast": False, "simulate": False}),
        ("forecast", {"forecast": True, "simulate": False}),
        ("simulate", {"forecast": True, "simulate": True}),
    ],
)
def test_each_plan_button_writes_the_command_lines_tables(json_book, real_path, real_copy, action, overrides):
    cli = jobs.plan(real_copy, overrides=overrides)  # the copy is planned; Excel holds the original
    data = payload(real_path)
    book = json_book(data)
    getattr(ribbon, action)()
    rec = Recorded(book, data)
    assert [rec.sheet(a) for a in rec.of("addTable")] == list(cli.outcome.tables) + [tables.RUNS]
    assert_same_tables(rec, cli.outcome.tables)
    if action == "optimize":
        assert tables.FORECAST not in cli.outcome.tables and tables.RISK not in cli.outcome.tables
    if action == "simulate":
        assert tables.RISK in cli.outcome.tables
    run = written_frame(rec, tables.RUNS).iloc[-1]
    assert run["InputFingerprint"] == cli.outcome.fingerprint and run["RunId"] != cli.run_id


def test_whatif_button_writes_the_command_lines_whatif_table_and_example_sheet(
    json_book, status_bar, real_path, real_copy
):
    cli = jobs.whatif(real_copy, n_jobs=1)
    assert cli.created_sheet  # the real workbook has no WhatIf sheet: both write the example
    data = payload(real_path)
    book = json_book(data)
    ribbon.whatif()
    rec = Recorded(book, data)
    # LL_WhatIf and LL_Insights (the what-if findings), as the command line writes them
    assert [rec.sheet(a) for a in rec.of("addTable")] == [tables.WHATIF, tables.INSIGHTS]
    assert_same_tables(rec, {tables.WHATIF: cli.table})
    assert [a["args"][1] for a in rec.of("addSheet")] == [
        tables.WHATIF,
        tables.INSIGHTS,
        "Settings",
        WHATIF_SHEET,
    ]
    (example,) = rec.values_on(WHATIF_SHEET)
    ws = openpyxl.load_workbook(cli.path)[WHATIF_SHEET]
    cli_rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    assert example["values"] == cli_rows and tuple(example["values"][0]) == HEADER
    assert status_bar[:2] == [
        "Linealytics: What-if: Reading the workbook",
        "Linealytics: What-if: Validating the inputs",
    ]
    assert status_bar[-2:] == ["Linealytics: What-if: Writing the workbook", False]
    text = rec.alert()
    assert text.startswith(f"What-if: the base and {len(cli.plans) - 1} case(s) planned")
    assert all(line in text for line in cli.findings[:2]) and "example cases" in text
    assert len(text) <= ribbon.MESSAGE_CHARS  # what a message box shows


def test_whatif_with_a_bad_case_writes_nothing_and_names_the_cell(json_book):
    rows = [list(HEADER), ["More capacity", "colour", "", "", "", "x", 1.1]]
    sheet = {"name": WHATIF_SHEET, "values": rows, "tables": [], "pictures": []}
    data = payload(TEMPLATE, extra_sheets=[sheet])
    book = json_book(data)
    ribbon.whatif()
    rec = Recorded(book, data)
    assert not [a for a in rec.acts if a["func"] in WRITES]
    text = rec.alert()
    assert text.startswith("The workbook has 1 problem(s); nothing was written.")
    assert "WhatIf" in text and "B2" in text and "colour" in text
