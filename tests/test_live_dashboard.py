"""The ribbon's Dashboard (issue 11): `write_live_dashboard` writes, through the real xlwings API
(its JSON/remote engine, as tests/test_ribbon.py drives the live book), the same cards and
formulas as the file Dashboard, and native charts over the same chart data."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from test_ribbon import json_book, payload  # noqa: F401  (json_book is a fixture)

from linealytics_xl import jobs, live_jobs
from linealytics_xl.adapters.dashboard import (
    CARD_COLS,
    CARD_ROW,
    DASHBOARD,
    TITLE,
    DashboardError,
    dashboard_layout,
)
from linealytics_xl.adapters.dashboard_data import DASHBOARD_TABLES
from linealytics_xl.adapters.live_book import LiveBook
from linealytics_xl.adapters.live_dashboard import CHARTS, write_live_dashboard

PLAN_ONLY = {"forecast": False, "simulate": False}


def _dashboard_actions(book) -> list[dict]:
    """The actions after the Dashboard sheet was added, on its position."""
    acts = book.json()["actions"]
    start = max(i for i, a in enumerate(acts) if a["func"] == "addSheet" and a["args"][1] == DASHBOARD)
    position = acts[start]["args"][0]
    return [a for a in acts[start + 1 :] if a.get("sheet_position") == position]


@pytest.fixture(scope="module")
def file_dashboard(real_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("file") / "plan.xlsx"
    shutil.copyfile(real_path, path)
    jobs.plan(path, overrides=PLAN_ONLY)
    return openpyxl.load_workbook(path)[DASHBOARD]


def test_live_plan_writes_the_file_dashboards_cards_and_charts(json_book, real_copy, file_dashboard):  # noqa: F811
    book = json_book(payload(real_copy))
    live = LiveBook(book)
    job = live_jobs.plan_live(live, overrides=PLAN_ONLY)  # the ribbon's plan writes the Dashboard
    assert job.notes == []
    acts = _dashboard_actions(book)
    [values] = [a for a in acts if a["func"] == "setValues"]
    grid = values["values"]
    assert grid[0][0] == TITLE
    n_cards = len(
        dashboard_layout({n: t for n, t in job.prepared.tables.items() if n in DASHBOARD_TABLES}).cards
    )
    assert n_cards >= 6
    for k in range(n_cards):
        col = k * CARD_COLS
        label, formula, every = (grid[CARD_ROW - 1 + i][col] for i in range(3))
        file_cells = [file_dashboard.cell(row=CARD_ROW + i, column=col + 1).value for i in range(3)]
        assert label == file_cells[0]
        assert formula == file_cells[1], label  # the same formula over the same tables
        if isinstance(file_cells[2], float):
            assert every == pytest.approx(file_cells[2], rel=1e-12), label
        else:
            assert every == file_cells[2], label
    # the chart data too: the same formulas cell for cell
    for r, row in enumerate(grid[:20]):
        for c, v in enumerate(row):
            if isinstance(v, str) and v.startswith("="):
                assert v == file_dashboard.cell(row=r + 1, column=c + 1).value, (r + 1, c + 1)
    charts = [a for a in acts if a["func"] == "addChart"]
    assert [a["args"][0] for a in charts] == [
        "Demand, yielded supply and stock by quarter",
        "Inventory vs safety stock by week",
        "Capacity: wafer starts planned vs available by quarter",
    ]
    assert all(a["args"][3].count(":") == 1 for a in charts)  # each over one block of the chart data
    formats = {
        str(a["args"][0] if isinstance(a["args"], list) else a["args"])
        for a in acts
        if a["func"] == "setNumberFormat"
    }
    assert {"0.0%", "#,##0"} <= formats
    assert set(CHARTS) >= {"plan", "stock", "capacity", "forecast", "risk"}


def test_a_planners_own_dashboard_is_left_alone(json_book, real_copy):  # noqa: F811
    data = payload(real_copy)
    data["sheets"].append({"name": DASHBOARD, "values": [["my own notes"]], "tables": [], "pictures": []})
    book = json_book(data)
    live = LiveBook(book)
    job = live_jobs.plan_live(live, overrides=PLAN_ONLY)  # the plan is written all the same
    assert len(job.notes) == 1 and "Dashboard sheet was not updated" in job.notes[0]
    assert "its own sheet" in job.notes[0]
    with pytest.raises(DashboardError, match="its own sheet"):
        write_live_dashboard(live, job.prepared.tables)
    assert not [a for a in book.json()["actions"] if a["func"] == "sheetDelete"]
