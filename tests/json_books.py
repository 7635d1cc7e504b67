"""JSON-engine xlwings books built from real workbooks, for the ribbon tests and benchmarks.

``payload`` is what xlwings' VBA client sends for a workbook (every sheet's values from A1, read
with openpyxl); ``json_book`` makes an ``xw.Book(json=...)`` of it the mock caller, so a ribbon
macro runs against the real xlwings API; ``Recorded`` reads back the actions xlwings records.
The JSON engine needs xlwings' noncommercial key: `use_json_engine` sets it for this process
(or, in tests, through monkeypatch for one test only).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw

from linealytics_xl.adapters.literal_text import live_value
from linealytics_xl.core.cells import address

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
OWN_SHEETS = {"Wafer Plan", "Boundary Conditions", "Supply_Demand"}


# ---------------------------------------------------------------------------------------------
# JSON books from real workbooks
# ---------------------------------------------------------------------------------------------


def _json_value(v):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%dT00:00:00.000Z")
    if isinstance(v, time):
        return v.isoformat()
    return v


def sheet_values(ws) -> list[list]:
    rows = [
        [_json_value(v) for v in r]
        for r in ws.iter_rows(
            min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
        )
    ]
    return rows or [[None]]


def payload(path: Path, extra_sheets: list[dict] = (), name: str = "plan.xlsx") -> dict:
    """What xlwings' VBA client sends for the workbook: every sheet's values from A1, formulas as
    the "=..." text openpyxl reads (the JSON engine cannot read formulas, so they travel as values)."""
    wb = openpyxl.load_workbook(path)
    sheets = [
        {"name": ws.title, "values": sheet_values(ws), "tables": [], "pictures": []} for ws in wb.worksheets
    ]
    return {
        "client": "VBA",
        "version": xw.__version__,
        "names": [],
        "sheets": sheets + list(extra_sheets),
        "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
    }


def table_sheet(name: str, rows: list[list]) -> dict:
    """A sheet holding an Excel Table ``name`` over ``rows`` (header first), as the client reports it."""
    end = address(len(rows) - 1, len(rows[0]) - 1)
    col = "".join(ch for ch in end if ch.isalpha())
    return {
        "name": name,
        "values": rows,
        "pictures": [],
        "tables": [
            {
                "name": name,
                "range_address": f"$A$1:${col}${len(rows)}",
                "header_row_range_address": f"$A$1:${col}$1",
                "data_body_range_address": f"$A$2:${col}${len(rows)}",
                "total_row_range_address": None,
                "show_headers": True,
                "show_totals": False,
                "table_style": "TableStyleMedium2",
                "show_autofilter": True,
            }
        ],
    }


def make_book(data: dict) -> Any:
    """A JSON-engine Book of ``data``, set as the mock caller (``xw.Book.caller()``)."""
    book = xw.Book(json=copy.deepcopy(data))  # the engine keeps (and changes) the dict it is given
    book.set_mock_caller()
    return book


def use_json_engine() -> None:
    """Register xlwings' JSON (remote) engine for this process (benchmarks; tests use `json_book`)."""
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [e.name for e in xw.engines]:
        from xlwings.pro import _xlremote

        remote = xw.Engine(impl=_xlremote.engine)
        xw.engines.engines.append(remote)
        xw.engines.engines_by_name["remote"] = remote


def json_engine(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict], Any]:
    """For one test: the JSON engine registered and `make_book`, undone after the test (each test
    module's ``json_book`` fixture returns this)."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [e.name for e in xw.engines]:  # xlwings was imported before the key was set
        from xlwings.pro import _xlremote

        remote = xw.Engine(impl=_xlremote.engine)
        monkeypatch.setattr(xw.engines, "engines", xw.engines.engines + [remote])
        monkeypatch.setattr(xw.engines, "engines_by_name", {**xw.engines.engines_by_name, "remote": remote})
    monkeypatch.setattr(xw.Book, "_mock_caller", None, raising=False)  # removed again after the test
    return make_book


def actions(book) -> list[dict]:
    return book.json()["actions"]


def sheet_names(data: dict) -> list[str]:
    return [s["name"] for s in data["sheets"]]


class Recorded:
    """The recorded actions, each resolved to the name of the sheet it acted on when it ran (a
    sheet added before others, as the Dashboard is, moves the positions of those after it)."""

    def __init__(self, book, data: dict):
        self.acts = actions(book)
        names = sheet_names(data)
        self._names: dict[int, str] = {}
        for a in self.acts:
            if isinstance(a.get("sheet_position"), int) and a["sheet_position"] < len(names):
                self._names[id(a)] = names[a["sheet_position"]]
            if a["func"] == "addSheet":
                names.insert(a["args"][0], a["args"][1])
            elif a["func"] == "sheetDelete":
                del names[a["sheet_position"]]
        self.names = names

    def of(self, func: str) -> list[dict]:
        return [a for a in self.acts if a["func"] == func]

    def sheet(self, a: dict) -> str:
        return self._names[id(a)]

    def values_on(self, sheet: str) -> list[dict]:
        return [a for a in self.of("setValues") if self.sheet(a) == sheet]

    def alert(self) -> str:
        alerts = self.of("alert")
        assert len(alerts) == 1, [a["args"][0][:80] for a in alerts]
        return alerts[0]["args"][0]


def run_time_columns(frame: pd.DataFrame) -> set[str]:
    """Columns of timestamps with a time of day: when a run happened, not what it planned."""
    out = set()
    for c in frame.columns:
        values = frame[c].dropna()
        stamps = pd.api.types.is_datetime64_any_dtype(values) or (
            len(values) and values.map(lambda v: isinstance(v, (datetime, pd.Timestamp))).all()
        )
        if stamps and any(pd.Timestamp(v).time() != time(0) for v in values):
            out.add(c)
    return out


def frame_cells(frame: pd.DataFrame) -> list[list]:
    """A table's rows as the JSON engine records them (dates as yyyy-mm-dd, blanks as "")."""
    out = [list(frame.columns)]
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for v in row:
            if isinstance(v, (pd.Timestamp, datetime)) and not pd.isna(v):
                cells.append(
                    pd.Timestamp(v).strftime("%Y-%m-%d")
                    if pd.Timestamp(v).time() == time(0)
                    else pd.Timestamp(v).isoformat()
                )
            elif (
                v is None or (isinstance(v, float) and np.isnan(v)) or (not isinstance(v, str) and pd.isna(v))
            ):
                cells.append("")
            elif isinstance(v, np.generic):
                cells.append(v.item())
            elif isinstance(v, str):
                # text Excel would read as a formula or number ("+1") carries Excel's text marker
                cells.append(live_value(v))
            else:
                cells.append(v)
        out.append(cells)
    return out
