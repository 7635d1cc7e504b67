"""The Dashboard's what-if comparison block (issue 15): one row per case, base first, with the
KPIs of LL_WhatIf over all products and the change to the base; absent without cases."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from libreoffice import list_charts, recalculate, requires_libreoffice
from whatif_book import add_whatif_sheet

from linealytics_xl import jobs
from linealytics_xl.adapters.dashboard import DASHBOARD, dashboard_layout
from linealytics_xl.adapters.dashboard_cells import WHATIF_TOP
from linealytics_xl.adapters.dashboard_data import WHATIF
from linealytics_xl.adapters.dashboard_layout import WHATIF_FIGURES
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.core.contract import WHATIF as SPEC

PLAN_ONLY = {"forecast": False, "simulate": False}
CASES = (
    ("Yield slip", "yield", "21A", "", "", "x", 0.9),
    ("Capacity up", "capacity", "all", "", "", "x", 1.2),
)
#: block column -> LL_WhatIf column and how the block combines the products
COMBINE = {
    "Wafers": ("Wafers", "sum"),
    "Shortage": ("ShortageBytes", "sum"),
    "Service level (lowest product)": ("ServiceLevel", "min"),
    "Weeks below safety stock": ("WeeksBelowSafetyStock", "sum"),
    "Capacity use (highest product)": ("CapacityUse", "max"),
}


def _block(path) -> tuple[list[str], list[list], openpyxl.worksheet.worksheet.Worksheet]:
    ws = openpyxl.load_workbook(path)[DASHBOARD]
    header = [c.value for c in ws[WHATIF_TOP + 1]]
    rows = []
    r = WHATIF_TOP + 2
    while ws.cell(row=r, column=1).value:
        rows.append([c.value for c in ws[r]])
        r += 1
    return header, rows, ws


@pytest.fixture(scope="module")
def whatif_planned(real_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("whatif") / "cases.xlsx"
    path.write_bytes(real_path.read_bytes())
    add_whatif_sheet(path, CASES)
    jobs.plan(path, overrides=PLAN_ONLY)
    job = jobs.whatif(path, overrides=PLAN_ONLY)
    return path, job.table


def test_block_shows_each_case_with_the_whatif_tables_figures(whatif_planned):
    path, table = whatif_planned
    header, rows, ws = _block(path)
    assert str(ws.cell(row=WHATIF_TOP, column=1).value).startswith("What-if cases")
    assert [r[0] for r in rows] == ["Base", *(c[0] for c in CASES)]
    stored = WorkbookFile(path).table(WHATIF)
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True), table.reset_index(drop=True), check_dtype=False
    )
    formats = {c.name: c.number_format for c in SPEC.columns}
    base = None
    for row in rows:
        cases = table[table["Case"] == row[0]]
        expected = {name: getattr(cases[col], how)() for name, (col, how) in COMBINE.items()}
        base = base or expected
        for name, value in expected.items():
            k = header.index(name)
            assert row[k] == pytest.approx(value, rel=1e-12, abs=1e-9), (row[0], name)
            assert row[k + 1] == pytest.approx(value - base[name], rel=1e-12, abs=1e-6), (row[0], name)
            assert (
                ws.cell(row=WHATIF_TOP + 2 + rows.index(row), column=k + 1).number_format
                == formats[COMBINE[name][0]]
            )
    # the cases change something: the yield slip needs more wafers than the base
    assert rows[1][header.index("Wafers") + 1] > 0


def test_block_is_values_and_the_charts_sit_below_it(whatif_planned):
    path, _ = whatif_planned
    _, rows, ws = _block(path)
    block = ws.iter_rows(min_row=WHATIF_TOP, max_row=WHATIF_TOP + 1 + len(rows), max_col=14, values_only=True)
    assert not any(isinstance(v, str) and v.startswith("=") for row in block for v in row)
    tops = [chart.anchor._from.row for chart in ws._charts]
    assert len(tops) == 3 and min(tops) >= WHATIF_TOP + 1 + len(rows)


def test_no_cases_no_block_and_a_removed_table_leaves_none_behind(whatif_planned, tmp_path):
    path, _ = whatif_planned
    again = tmp_path / "again.xlsx"
    wb = openpyxl.load_workbook(path)
    del wb["LL_WhatIf"]  # the planner deletes the what-if results
    wb.save(again)
    jobs.plan(again, overrides=PLAN_ONLY)
    ws = openpyxl.load_workbook(again)[DASHBOARD]
    texts = [str(c.value) for row in ws.iter_rows(max_col=14) for c in row if c.value is not None]
    assert not any("What-if" in t or "LL_WhatIf" in t for t in texts)
    assert min(chart.anchor._from.row for chart in ws._charts) == WHATIF_TOP - 1


def test_layout_block_rows_follow_the_table_order():
    plan = pd.DataFrame(
        {
            "Product": ["A", "A"],
            "Quarter": ["Q1", "Q1"],
            "WeekIndex": [0, 1],
            **{
                c: [1.0, 1.0]
                for c in (
                    "DemandBytes",
                    "Wafers",
                    "SupplyBytes",
                    "StockBytes",
                    "SafetyStockBytes",
                    "CapacityWafers",
                )
            },
            "BacklogBytes": [0.0, 0.0],
        }
    )
    whatif = pd.DataFrame(
        [
            ["Base", "A", 10, 0, 1, 0, 0, 0.5, 0, 0, 0, pd.Timestamp("2026-12-01 13:20"), "abc", "{}"],
            ["Up", "A", 12, 0, 1, 0, 0, 0.6, 2, 0, 0, pd.Timestamp("2026-12-01 13:20"), "abc", "{}"],
        ],
        columns=SPEC.names,
    )
    out = dashboard_layout({"LL_Plan": plan, WHATIF: whatif})
    wafers_col = 2 + 2 * [h for h, _, _ in WHATIF_FIGURES].index("Wafers")
    assert [out.cells[(WHATIF_TOP + 2 + i, 1)].value for i in range(2)] == ["Base", "Up"]
    assert out.cells[(WHATIF_TOP + 3, wafers_col)].value == 12
    assert out.cells[(WHATIF_TOP + 3, wafers_col + 1)].value == 2
    assert dashboard_layout({"LL_Plan": plan}).chart_top == WHATIF_TOP


@requires_libreoffice
def test_libreoffice_opens_the_whatif_dashboard_with_its_charts(whatif_planned, tmp_path):
    path, table = whatif_planned
    assert list_charts(path)[DASHBOARD] == 3
    done = recalculate(path, tmp_path / "recalc.xlsx")
    ws = openpyxl.load_workbook(done, data_only=True)[DASHBOARD]
    header = [c.value for c in ws[WHATIF_TOP + 1]]
    k = header.index("Wafers")
    assert ws.cell(row=WHATIF_TOP + 2, column=k + 1).value == pytest.approx(
        table[table["Case"] == "Base"]["Wafers"].sum()
    )
    assert ws.cell(row=7, column=1).value == pytest.approx(
        ws.cell(row=8, column=1).value
    )  # the wafers card computes
