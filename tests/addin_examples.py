"""The worked examples of README.md's worksheet-function section, as xlwings hands them to Python.

Each example is the formula a planner types, the arguments Excel passes for it (ranges as lists of
row lists, a one-row or one-column range or array constant as a flat list, numbers as floats, a
``DATE()`` as its serial number) and which result columns the README shows.
tests/test_addin_readme.py checks that the README's table under each formula is what the function
returns, so the examples cannot drift from the code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from linealytics_xl import udfs


def excel_round(x: float) -> float:
    """Excel's ROUND(x, 0) for x >= 0: halves away from zero (Python's round() goes to even)."""
    return float(math.floor(x + 0.5))


# =ROUND(1000+200*SIN(2*PI()*COLUMN()/13)+60*SIN(7*COLUMN()),0) and
# =ROUND(500+5*COLUMN()+40*COS(5*COLUMN()),0) in B2:DA2 and B3:DA3 (COLUMN() is 2 ... 105).
HISTORY = [
    [
        "21A",
        *[
            excel_round(1000 + 200 * math.sin(2 * math.pi * c / 13) + 60 * math.sin(7 * c))
            for c in range(2, 106)
        ],
    ],
    ["22B", *[excel_round(500 + 5 * c + 40 * math.cos(5 * c)) for c in range(2, 106)]],
]
RATIOS = [0.07] * 12 + [0.16]


@dataclass
class Example:
    formula: str
    call: Callable[[], list[list[Any]]]
    columns: list[int] | None = None  # result columns shown (None: all); gaps get a "…" column
    compare: list[int] | None = None  # columns the test compares (None: all shown)


EXAMPLES = [
    Example(
        "=LL_WEEKLY(A2:C3, E1:Q1, 13, DATE(2025,3,3))",
        lambda: udfs.LL_WEEKLY([["21A", 1300.0, 2600.0], ["22B", 650.0, 1300.0]], RATIOS, 13.0, 45719.0),
        columns=[0, 1, 2, 12, 13, 14, 26],
    ),
    Example(
        '=LL_PLAN(A2:G3, 0.9, 100, {60;30}, 0, 0, "stock, backlog")',
        lambda: udfs.LL_PLAN(
            [
                ["21A", 4500.0, 4500.0, 4500.0, 9000.0, 9000.0, 4500.0],
                ["22B", 2700.0, 2700.0, 2700.0, 2700.0, 2700.0, 2700.0],
            ],
            0.9,
            100.0,
            [60.0, 30.0],
            0.0,
            0.0,
            "stock, backlog",
        ),
    ),
    Example("=LL_FORECAST(A2:DA3, 4, {0.1,0.9})", lambda: udfs.LL_FORECAST(HISTORY, 4.0, [0.1, 0.9])),
    Example("=LL_SCENARIOS(A2:DA3, 4, 3, 0)", lambda: udfs.LL_SCENARIOS(HISTORY, 4.0, 3.0, 0.0)),
    Example(
        "=LL_RISK(A2:DA3, A5:E6, 100)",
        lambda: udfs.LL_RISK(
            HISTORY, [["21A", 1200.0, 1200.0, 1200.0, 1200.0], ["22B", 1040.0, 1040.0, 1040.0, 1040.0]], 100.0
        ),
    ),
    Example("=LL_VERSION()", udfs.LL_VERSION, compare=[0]),  # the versions are this machine's
]


def cell(value: Any) -> str:
    """A value as the README shows it: whole numbers and numbers >= 100 without decimals, else 2."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    value = round(float(value), 4)
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def render(example: Example) -> list[str]:
    """The markdown table the README shows for ``example`` (header, separator, rows)."""
    result = example.call()
    shown = example.columns or list(range(len(result[0])))
    rows = []
    for row in result:
        cells, last = [], None
        for i in shown:
            if last is not None and i != last + 1:
                cells.append("…")
            cells.append(cell(row[i]))
            last = i
        if shown[-1] != len(row) - 1:
            cells.append("…")
        rows.append("| " + " | ".join(cells) + " |")
    rows.insert(1, "|" + "---|" * (rows[0].count(" | ") + 1))
    return rows
