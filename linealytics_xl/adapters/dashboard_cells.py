"""The ``Dashboard`` sheet's layout as plain data: cells, styles, merges, drop-down and charts.

`adapters.dashboard_layout.layout` places everything the Dashboard shows in a `Layout`; the
renderers only translate it: `adapters.xlsx.transplant` into sheet, drawing and chart XML of the planner's
package (fast: no openpyxl workbook is built or saved), `adapters.dashboard.write_dashboard`
into an openpyxl workbook, `adapters.live_dashboard` into the workbook Excel has open.

Layout (one sheet the tool owns; rebuilt on every run)::

    A1   title, A2 the run it shows (LL_Runs), A3 the byte unit of cards and charts
    B4   product selector: a data-validation drop-down (``All products``, the default, or one
         product); no macro
    A6:N8  KPI cards: label, value for the selected product (formula), value for all products
    A10  top findings (LL_Insights)
    A15  what-if comparison (LL_WhatIf, when the workbook has one): one row per case, base first
    then charts, two per row: plan by quarter; stock vs safety stock by week; capacity by
         quarter; demand forecast with its P10-P90 band (LL_Forecast); stock-out probability
         (LL_Risk).  Charts of tables the run did not write are left out.
    R1   the charts' data: per quarter and per week, SUMIFS formulas over the output tables that
         follow the selector (Excel charts need contiguous ranges; a chart cannot filter a table)

The formulas use structured references to the Excel Tables (``tblLL_Plan[DemandBytes]``), so they
stay right when a table grows or shrinks, and only functions both Excel and LibreOffice compute
(SUMIFS, COUNTIFS, SUMPRODUCT, MATCH).  They are stored without cached values: Excel computes
them on opening (the writer sets ``fullCalcOnLoad``); the "all products" values are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from ..core.cells import column_letter
from ..core.contract import Col
from ..core.kpis import SERVED_TOL_BYTES

DASHBOARD = "Dashboard"
#: Cell A1 of the sheet; it marks the sheet as the tool's (a planner's own "Dashboard" is kept).
TITLE = "Linealytics dashboard"
SELECTOR = "B4"
SELECTOR_ABS = "$B$4"
CARD_ROW = 6  # label row; values below it, all-products values below those
CARD_COLS = 2  # columns per card
GRID_COLS = 14  # A..N: cards and charts
COL_WIDTH = 12.5
CHART_TOP = 15  # first row of the chart grid (1-based) without a what-if block
CHART_ROWS, CHART_COLS = 20, 7
DATA_COL = 18  # R: first column of the chart data
WHATIF_TOP = 15  # first row of the what-if block
# Stock below target by less than this is solver round-off: the formulas use core.kpis' tolerances.
SS_ABS_TOL = SERVED_TOL_BYTES

C_DEMAND, C_SUPPLY, C_STOCK = "8C959F", "0969DA", "1A7F37"
C_SAFETY, C_BACKLOG, C_BAND, C_INK = "BF8700", "CF222E", "B6D7FF", "1F2328"
C_MUTED, C_CARD, C_EDGE = "57606A", "F6F8FA", "D0D7DE"

QUARTER_COLUMNS = (
    Col.QUARTER,
    "Last week",
    "Demand",
    "Yielded supply",
    "Stock (quarter end)",
    "Safety stock target",
    "Backlog (quarter end)",
    "Wafers planned",
    "Wafers available",
)
WEEK_COLUMNS = (Col.WEEK, "Label", "Stock", "Safety stock target", "Backlog")
FORECAST_COLUMNS = ("Forecast P10", "P10-P90 band", "Forecast P50", "Actual demand")
RISK_COLUMNS = ("Stock-out probability",)


@dataclass(frozen=True)
class Style:
    """A cell's look, in the terms every renderer has (colours as RGB hex)."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None
    fill: str | None = None
    edges: tuple[str, ...] = ()  # sides with a thin border: left, right, top, bottom
    edge_color: str = C_EDGE
    number_format: str = "General"
    align: str | None = None
    shrink: bool = False  # text smaller until it fits its (merged) cell: a card's label, not cut off


PLAIN = Style()


@cache
def _restyled(style: Style, changes: tuple[tuple[str, object], ...]) -> Style:
    """``style`` with ``changes``; cached: a few dozen distinct looks serve thousands of cells."""
    return replace(style, **dict(changes))  # type: ignore[arg-type]  # the changes are Style's fields


@cache
def letter(col: int) -> str:
    """Column letters of a 1-based column number."""
    return column_letter(col - 1)


@dataclass
class Cell:
    """One cell: a number, a text (never read as a formula) or a formula (``formula`` set)."""

    row: int  # 1-based
    col: int  # 1-based
    value: str | float | int | None = None
    formula: bool = False
    style: Style = PLAIN

    @property
    def ref(self) -> str:
        return f"{letter(self.col)}{self.row}"


@dataclass(frozen=True)
class Validation:
    """The selector's drop-down."""

    sqref: str
    formula1: str
    error_title: str
    error: str
    prompt_title: str
    prompt: str


@dataclass(frozen=True)
class Block:
    """A column of the chart data: header cell row and the rows of its values."""

    col: int
    header_row: int
    first: int
    last: int

    @property
    def letter(self) -> str:
        return letter(self.col)

    def ref(self, *, with_header: bool = True, last: int | None = None) -> str:
        """The absolute range on the Dashboard (``'Dashboard'!$T$5:$T$17``)."""
        top = self.header_row if with_header else self.first
        return f"'{DASHBOARD}'!${self.letter}${top}:${self.letter}${self.last if last is None else last}"


@dataclass(frozen=True)
class Card:
    label: str
    formula: str  # "=..." or a text ("n/a")
    all_value: float | str | None
    number_format: str


@dataclass
class Layout:
    """The whole sheet.  ``charts`` are kinds (``plan``, ``stock``, ``capacity``, ``forecast``,
    ``risk``) drawn by `adapters.dashboard_charts` over ``quarter`` and ``week`` blocks."""

    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    validation: Validation | None = None
    cards: list[Card] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    chart_top: int = CHART_TOP
    quarter: dict[str, Block] = field(default_factory=dict)
    week: dict[str, Block] = field(default_factory=dict)
    plan_last: int = 0  # last row of the weekly data that is a plan week
    unit: str = "bytes"
    plan_weeks: int = 0
    backlog_apart: bool = False
    print_ends: list[int] = field(default_factory=list)

    def put(self, row: int, col: int, value: str | float | int | None = None, **style: object) -> Cell:
        """Set a cell's value (text or number) and merge ``style`` fields into its style."""
        cell = self.cells.setdefault((row, col), Cell(row, col))
        if value is not None:
            cell.value, cell.formula = value, False
        if style:
            cell.style = _restyled(cell.style, tuple(sorted(style.items())))
        return cell

    def formula(self, row: int, col: int, formula: str, **style: object) -> Cell:
        cell = self.put(row, col, None, **style)
        cell.value, cell.formula = formula, True
        return cell

    def rows(self) -> list[list[Cell]]:
        """The cells row by row, in column order (as sheet XML wants them)."""
        out: dict[int, list[Cell]] = {}
        for key in sorted(self.cells):
            out.setdefault(key[0], []).append(self.cells[key])
        return list(out.values())


def q(text: str) -> str:
    """A string literal for a formula."""
    return '"' + str(text).replace('"', '""') + '"'


def chart_anchor(slot: int, top: int) -> tuple[int, int, int, int]:
    """Grid position ``slot`` (0-based, two per row) as 0-based (from col, from row, to col, to row)."""
    row = top - 1 + (slot // 2) * CHART_ROWS
    col = (slot % 2) * CHART_COLS
    return col, row, col + CHART_COLS, row + CHART_ROWS - 1
