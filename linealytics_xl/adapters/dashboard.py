"""The ``Dashboard`` sheet: native Excel charts over the output tables, with a product selector.

The content is defined once, as data: `dashboard_data.prepare` computes the figures from the
tables, `dashboard_layout.layout` places them (see `dashboard_cells` for the sheet's map).  This
module is the public face: `dashboard_layout` for the package writer (which renders the layout as
XML straight into the planner's file, `adapters.xlsx.transplant`), and `write_dashboard`, the
same layout rendered into an openpyxl workbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..core.contract import table_name
from .dashboard_cells import (
    C_BACKLOG as _C_BACKLOG,
)
from .dashboard_cells import (
    C_SUPPLY as _C_SUPPLY,
)
from .dashboard_cells import (
    CARD_COLS,
    CARD_ROW,
    CHART_ROWS,
    CHART_TOP,
    DASHBOARD,
    DATA_COL,
    GRID_COLS,
    QUARTER_COLUMNS,
    SELECTOR,
    TITLE,
    Layout,
    Style,
)
from .dashboard_charts import charts
from .dashboard_data import (
    ALERTS,
    ALL_PRODUCTS,
    DASHBOARD_TABLES,
    FORECAST,
    INSIGHTS,
    PLAN,
    RISK,
    RUNS,
    WHATIF,
    DashboardError,
    kpis,
    prepare,
)
from .dashboard_layout import layout
from .dashboard_print import set_print_layout
from .literal_text import set_text

__all__ = [
    "ALERTS",
    "ALL_PRODUCTS",
    "CARD_COLS",
    "CARD_ROW",
    "CHART_ROWS",
    "CHART_TOP",
    "DASHBOARD",
    "DASHBOARD_TABLES",
    "DATA_COL",
    "FORECAST",
    "GRID_COLS",
    "INSIGHTS",
    "PLAN",
    "QUARTER_COLUMNS",
    "RISK",
    "RUNS",
    "SELECTOR",
    "TITLE",
    "WHATIF",
    "_C_BACKLOG",
    "_C_SUPPLY",
    "DashboardError",
    "dashboard_layout",
    "is_own_dashboard",
    "kpis",
    "write_dashboard",
]

_PARKED = "~LL_previous_dashboard"  # the old sheet's name while the new one is built


def dashboard_layout(tables: Mapping[str, pd.DataFrame]) -> Layout:
    """The Dashboard over ``tables`` (output tables by name, ``LL_Plan`` required); raises
    `DashboardError` when there is nothing to show."""
    return layout(prepare(tables))


def _has_table(book: openpyxl.Workbook, name: str) -> bool:
    return name in book.sheetnames and table_name(name) in book[name].tables


def _read_table(book: openpyxl.Workbook, name: str) -> pd.DataFrame | None:
    if not _has_table(book, name):
        return None
    rows = list(book[name].iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    return frame.dropna(how="all")


def _frames(book: openpyxl.Workbook, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables the dashboard reads, from ``tables`` or else from the workbook; only those
    that exist in the workbook as Excel Tables (the formulas refer to them by name)."""
    out = {}
    for name in DASHBOARD_TABLES:
        if not _has_table(book, name):
            continue
        frame = tables.get(name)
        if frame is None:
            frame = _read_table(book, name)
        if frame is not None:
            out[name] = frame
    return out


def write_dashboard(book: openpyxl.Workbook, tables: dict[str, pd.DataFrame]) -> None:
    """(Re)create the ``Dashboard`` sheet of ``book`` from the output tables.

    ``tables`` maps table names to the frames just written with ``write_table`` (tables missing
    from it are read from the workbook); the charts and formulas refer to the Excel Tables on those
    sheets, which must exist in ``book`` as ``table_name(name)``.  Needs ``LL_Plan`` with at least one row; uses
    ``LL_Runs``, ``LL_Forecast``, ``LL_Risk``, ``LL_Insights`` and ``LL_Alerts`` when present.

    The sheet goes where the tool's previous dashboard was, or before the first ``LL_*`` sheet;
    the planner's active sheet stays active.  A sheet called ``Dashboard`` that the tool did not
    make is never touched.  Raises :class:`DashboardError` when the dashboard cannot be written;
    on any error the workbook is left as it was (the previous dashboard included).
    """
    prepared = prepare(_frames(book, tables))
    old = book[DASHBOARD] if DASHBOARD in book.sheetnames else None
    if old is not None and not is_own_dashboard(book):
        raise DashboardError(
            f"the workbook has its own sheet {DASHBOARD!r} (cell A1 is not {TITLE!r}); "
            "it was left untouched and no dashboard was written"
        )
    active = book.active
    if old is not None:
        index = book.sheetnames.index(DASHBOARD)
        old.title = _PARKED
    else:
        tool = [i for i, n in enumerate(book.sheetnames) if n.startswith("LL_")]
        index = tool[0] if tool else len(book.sheetnames)
    ws = book.create_sheet(DASHBOARD, index)
    try:
        _render(ws, layout(prepared))
    except BaseException:
        book.remove(ws)
        if old is not None:
            old.title = DASHBOARD
        book.active = book.worksheets.index(active)
        raise
    if old is not None:
        book.remove(old)
    if active is old:
        ws.sheet_view.tabSelected = True
        book.active = ws
    else:
        book.active = book.worksheets.index(active)


def is_own_dashboard(book: openpyxl.Workbook) -> bool:
    """True when ``book`` has a ``Dashboard`` sheet that this module wrote."""
    return DASHBOARD in book.sheetnames and str(book[DASHBOARD]["A1"].value or "") == TITLE


def _openpyxl_style(style: Style) -> dict[str, Any]:
    side = Side(style="thin", color=style.edge_color)
    return {
        "font": Font(bold=style.bold, italic=style.italic, size=style.size, color=style.color),
        "fill": PatternFill("solid", fgColor=style.fill) if style.fill else PatternFill(),
        "border": Border(**{edge: side for edge in style.edges}),
        "alignment": Alignment(horizontal=style.align, shrink_to_fit=style.shrink or None),
        "number_format": style.number_format,
    }


def _render(ws: Worksheet, out: Layout) -> None:
    """The layout into an openpyxl sheet (text through ``set_text``: never a formula)."""
    ws.sheet_view.showGridLines = False
    for col, width in out.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in out.heights.items():
        ws.row_dimensions[row].height = height
    looks: dict[Style, dict[str, Any]] = {}
    for cell in out.cells.values():
        target = ws.cell(row=cell.row, column=cell.col)
        if cell.formula:
            target.value = cell.value
        elif cell.value is not None:
            set_text(target, cell.value)
        if cell.style != Style():
            look = looks.get(cell.style) or looks.setdefault(cell.style, _openpyxl_style(cell.style))
            for attr, value in look.items():
                setattr(target, attr, value)
    for merge in out.merges:
        ws.merge_cells(merge)
    v = out.validation
    if v is not None:
        dv = DataValidation(
            type="list",
            formula1=v.formula1,
            allow_blank=False,
            showErrorMessage=True,
            errorTitle=v.error_title,
            error=v.error,
            showInputMessage=True,
            promptTitle=v.prompt_title,
            prompt=v.prompt,
        )
        ws.add_data_validation(dv)
        dv.add(v.sqref)
    for chart in charts(out):
        ws.add_chart(chart)
    set_print_layout(ws, out.print_ends, GRID_COLS)
