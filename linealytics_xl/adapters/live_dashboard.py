"""The ``Dashboard`` written through the workbook Excel has open (the ribbon's runs).

The file writer cannot write a file Excel holds open, so the ribbon's plan writes the Dashboard
here, through xlwings: the same `dashboard_layout` as the file Dashboard (one definition of every
card, formula, label and what-if row), rendered as one block of values and formulas, number
formats and fonts per run of cells, and native Excel charts (``sheet.charts.add`` with
``set_source_data``; xlwings' remote engine supports them too).  What an engine cannot do (a
drop-down on a VBA-client book, merged cells, a chart title) is skipped: the cells and charts are
written either way.

A native chart takes one chart type over one contiguous block of series: the quarterly chart
shows demand, supply, stock, safety stock and backlog as clustered columns, the weekly ones as
lines (the file Dashboard's combined bar-and-line charts and the P10-P90 band need DrawingML that
xlwings cannot set).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core.contract import Col
from .dashboard import dashboard_layout
from .dashboard_cells import (
    CHART_COLS,
    CHART_ROWS,
    DASHBOARD,
    TITLE,
    Block,
    Cell,
    Layout,
    Style,
    chart_anchor,
)
from .dashboard_charts import TITLES
from .dashboard_data import DASHBOARD_TABLES, PLAN, DashboardError
from .literal_text import live_value
from .live_book import LiveBook

#: chart kind -> (xlwings chart type, first and last series column, category column, plan weeks only)
CHARTS = {
    "plan": ("column_clustered", "Demand", "Backlog (quarter end)", Col.QUARTER, False),
    "stock": ("line", "Stock", "Backlog", "Label", True),
    "capacity": ("column_clustered", "Wafers planned", "Wafers available", Col.QUARTER, False),
    "forecast": ("line", "Forecast P50", "Actual demand", "Label", False),
    "risk": ("line", "Stock-out probability", "Stock-out probability", "Label", True),
}
POINTS_PER_COLUMN, POINTS_PER_ROW = 68.0, 15.0  # the grid's 12.5-character columns, default rows


def write_live_dashboard(live: LiveBook, tables: Mapping[str, pd.DataFrame]) -> bool:
    """(Re)create the ``Dashboard`` sheet of the open workbook from the output tables; False
    (nothing written) when the book holds no plan (a what-if on a book never planned).

    ``tables`` are this run's tables (the tables of the workbook's previous runs are read from
    it); ``LL_Plan`` must exist as the Excel Table the formulas name.  A ``Dashboard`` sheet the
    tool did not make (cell A1 is not the tool's title) is never touched: `DashboardError`."""
    frames = {name: tables[name] for name in DASHBOARD_TABLES if name in tables}
    for name in DASHBOARD_TABLES:
        if name not in frames:
            previous = live.table(name)
            if previous is not None:
                frames[name] = previous.dropna(how="all")
    if PLAN not in frames:
        return False
    out = dashboard_layout(frames)
    sheet = _fresh_sheet(live)
    _write_cells(sheet, out)
    _write_looks(live, sheet, out)
    _write_charts(live, sheet, out)
    return True


def _fresh_sheet(live: LiveBook) -> Any:
    """An empty ``Dashboard`` where the tool's previous one was, or before the first ``LL_*`` sheet."""
    book = live.book
    names = [s.name for s in book.sheets]
    if DASHBOARD in names:
        old = book.sheets[DASHBOARD]
        if str(old.range("A1").value or "") != TITLE:
            raise DashboardError(
                f"the workbook has its own sheet {DASHBOARD!r} (cell A1 is not {TITLE!r}); "
                "it was left untouched and no dashboard was written"
            )
        index = names.index(DASHBOARD)
        old.delete()  # charts, formats and values go with it
        names.pop(index)
    else:
        tool = [i for i, n in enumerate(names) if n.startswith("LL_")]
        index = tool[0] if tool else len(names)
    if index < len(names):
        return book.sheets.add(DASHBOARD, before=book.sheets[names[index]])
    return book.sheets.add(DASHBOARD, after=book.sheets[names[-1]])


def _live(cell: Cell) -> Any:
    """A cell's value for ``range.value``: formulas as typed, text protected from reading as one."""
    v = cell.value
    if cell.formula:
        return v
    if isinstance(v, str):
        return live_value(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _write_cells(sheet: Any, out: Layout) -> None:
    """Every value and formula in one write from A1."""
    n_rows = max(r for r, _ in out.cells)
    n_cols = max(c for _, c in out.cells)
    grid: list[list[Any]] = [[None] * n_cols for _ in range(n_rows)]
    for (r, c), cell in out.cells.items():
        grid[r - 1][c - 1] = _live(cell)
    sheet.range((1, 1), (n_rows, n_cols)).value = grid


def _runs(out: Layout) -> dict[Style, list[tuple[int, int, int]]]:
    """Cells of each style as vertical runs (column, first row, last row): one action per run."""
    runs: dict[Style, list[tuple[int, int, int]]] = {}
    for col, row in sorted((c, r) for r, c in out.cells):
        style = out.cells[(row, col)].style
        if style == Style():
            continue
        spans = runs.setdefault(style, [])
        if spans and spans[-1][0] == col and spans[-1][2] == row - 1:
            spans[-1] = (col, spans[-1][1], row)
        else:
            spans.append((col, row, row))
    return runs


def _set(live: LiveBook, target: Any, attr: str, value: Any) -> None:
    """``target.attr = value`` where the engine supports it (skipped where it does not)."""
    live._guard(lambda: setattr(target, attr, value))


def _write_looks(live: LiveBook, sheet: Any, out: Layout) -> None:
    for style, spans in _runs(out).items():
        for col, first, last in spans:
            rng = sheet.range((first, col), (last, col))
            if style.number_format != "General":
                rng.number_format = style.number_format
            for attr, on, value in (
                ("bold", style.bold, True),
                ("italic", style.italic, True),
                ("size", style.size is not None, style.size),
                ("color", style.color is not None, f"#{style.color}"),
            ):
                if on:
                    _set(live, rng.font, attr, value)
            if style.fill is not None:
                _set(live, rng, "color", f"#{style.fill}")
    for col, width in sorted(out.widths.items()):
        _set(live, sheet.range((1, col)), "column_width", width)
    for merge in out.merges:
        live._guard(sheet.range(merge).merge)
    v = out.validation
    if v is not None:
        source = sheet.range(v.formula1.replace("$", ""))
        live._guard(lambda: sheet.range(v.sqref).data_validation.set_list(source, in_cell_dropdown=True))
    area = f"A1:N{out.print_ends[-1]}"
    live._guard(lambda: setattr(sheet.page_setup, "print_area", area))


def _write_charts(live: LiveBook, sheet: Any, out: Layout) -> None:
    for slot, kind in enumerate(out.charts):
        chart_type, first, last, category, plan_only = CHARTS[kind]
        block = out.quarter if category == Col.QUARTER else out.week
        end = out.plan_last if plan_only else None
        c0, r0, _, _ = chart_anchor(slot, out.chart_top)
        chart = sheet.charts.add(
            0,
            0,
            CHART_COLS * POINTS_PER_COLUMN,
            CHART_ROWS * POINTS_PER_ROW,
            chart_type=chart_type,
            anchor=sheet.range((r0 + 1, c0 + 1)),
            name=TITLES[kind],
        )
        chart.set_source_data(sheet.range(_span(block[first], block[last], end)))
        cats = block[category]

        def categories(chart: Any = chart, cats: Any = cats, end: int | None = end) -> None:
            chart.set_x_axis_values(sheet.range(_span(cats, cats, end, False)))

        live._guard(categories)
        _set(live, chart, "title", TITLES[kind])


def _span(first: Block, last: Block, end: int | None, with_header: bool = True) -> str:
    """The address of columns ``first``..``last`` of the chart data (header row included)."""
    top = first.header_row if with_header else first.first
    return f"{first.letter}{top}:{last.letter}{first.last if end is None else end}"
