"""The ``Dashboard`` sheet: native Excel charts over the output tables, with a product selector.

Layout (one sheet the tool owns; rebuilt on every run)::

    A1   title, A2 the run it shows (LL_Runs), A3 the byte unit of cards and charts
    B4   product selector: a data-validation drop-down (``All products``, the default, or one
         product); no macro
    A6:N8  KPI cards: label, value for the selected product (formula), value for all products
    A10  top findings (LL_Insights)
    A15  charts, two per row: plan by quarter; stock vs safety stock by week; capacity by
         quarter; demand forecast with its P10-P90 band (LL_Forecast); stock-out probability
         (LL_Risk).  Charts of tables the run did not write are left out.
    R1   the charts' data: per quarter and per week, SUMIFS formulas over the output tables that
         follow the selector (Excel charts need contiguous ranges; a chart cannot filter a table)

The formulas use structured references to the Excel Tables (``tblLL_Plan[DemandBytes]``), so they stay right when a
table grows or shrinks, and only functions both Excel and LibreOffice compute (SUMIFS, COUNTIFS,
SUMPRODUCT, MATCH).  openpyxl stores formulas without cached values: Excel computes them on
opening (the writer sets ``fullCalcOnLoad``); the "all products" card values are plain numbers.

Definitions (the same as the DAX measures in ``install/powerbi/measures.dax``):

* service level: share of demand served in its own week, ``1 - sum(min(demand, backlog)) / sum(demand)``
  (a week's unserved demand is the part of it still in the week-end backlog);
* shortage: backlog at the last week of the plan;
* quarter ends below safety stock: quarter-end weeks whose stock is below the quarter's target;
* capacity used: wafers planned / wafers available;
* open alerts: ``LL_Alerts`` rows with Status ``new`` or ``open``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import openpyxl
import pandas as pd
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.legend import LegendEntry
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
    RichTextProperties,
)
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.contract import table_name
from ..core.kpis import KPIS, SERVED_TOL_BYTES, SS_REL_TOL, plan_kpis
from .dashboard_print import block_ends, set_print_layout
from .literal_text import set_text

__all__ = [
    "ALL_PRODUCTS",
    "DASHBOARD",
    "TITLE",
    "DashboardError",
    "is_own_dashboard",
    "kpis",
    "write_dashboard",
]

DASHBOARD = "Dashboard"
#: Cell A1 of the sheet; it marks the sheet as the tool's (a planner's own "Dashboard" is kept).
TITLE = "Linealytics dashboard"
ALL_PRODUCTS = "All products"

PLAN, RUNS, FORECAST, RISK, INSIGHTS, ALERTS = (
    "LL_Plan",
    "LL_Runs",
    "LL_Forecast",
    "LL_Risk",
    "LL_Insights",
    "LL_Alerts",
)
OPEN_STATUSES = ("new", "open")
# Stock below target by less than this is solver round-off: the formulas use core.kpis' tolerances.
SS_ABS_TOL = SERVED_TOL_BYTES
# A backlog above this many times the stock (or safety stock) gets its own axis on the weekly chart.
BACKLOG_APART = 3.0

SELECTOR = "B4"
SELECTOR_ABS = "$B$4"
_PARKED = "~LL_previous_dashboard"  # the old sheet's name while the new one is built
CARD_ROW = 6  # label row; values below it, all-products values below those
CARD_COLS = 2  # columns per card
GRID_COLS = 14  # A..N: cards and charts
COL_WIDTH = 12.5
CHART_TOP = 15  # first row of the chart grid (1-based)
CHART_ROWS, CHART_COLS = 20, 7
DATA_COL = 18  # R: first column of the chart data

_UNITS = ((1e18, "EB"), (1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))
_C_DEMAND, _C_SUPPLY, _C_STOCK = "8C959F", "0969DA", "1A7F37"
_C_SAFETY, _C_BACKLOG, _C_BAND, _C_INK = "BF8700", "CF222E", "B6D7FF", "1F2328"
_C_MUTED = "57606A"

PLAN_NEEDS = (
    "Product",
    "Quarter",
    "WeekIndex",
    "DemandBytes",
    "Wafers",
    "SupplyBytes",
    "StockBytes",
    "BacklogBytes",
    "SafetyStockBytes",
    "CapacityWafers",
)
FORECAST_NEEDS = ("Product", "WeekIndex", "P10", "P50", "P90", "Actual")
RISK_NEEDS = ("Product", "WeekIndex", "StockoutProbability")
ALERTS_NEEDS = ("Product", "Status")
# Columns of the chart data blocks (headers on the sheet; series names come from them).
QUARTER_COLUMNS = (
    "Quarter",
    "Last week",
    "Demand",
    "Yielded supply",
    "Stock (quarter end)",
    "Safety stock target",
    "Backlog (quarter end)",
    "Wafers planned",
    "Wafers available",
)
WEEK_COLUMNS = ("Week", "Label", "Stock", "Safety stock target", "Backlog")
FORECAST_COLUMNS = ("Forecast P10", "P10-P90 band", "Forecast P50", "Actual demand")
RISK_COLUMNS = ("Stock-out probability",)


class DashboardError(Exception):
    """The dashboard cannot be written (the message says why); the workbook is not changed."""


# --------------------------------------------------------------------------------------------
# The numbers (pure: no workbook)


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(frame[col], errors="coerce").fillna(0.0).astype(float)


def _quarter_ends(plan: pd.DataFrame) -> pd.Series:
    """Last WeekIndex of each quarter, quarters in plan order (index: quarter label)."""
    weeks = plan[["Quarter", "WeekIndex"]].assign(WeekIndex=_num(plan, "WeekIndex"))
    weeks = weeks.sort_values("WeekIndex", kind="stable")
    return weeks.groupby("Quarter", sort=False)["WeekIndex"].max().astype(int)


def kpis(tables: Mapping[str, pd.DataFrame], product: str | None = None) -> dict[str, float | None]:
    """The dashboard's indicators for one product (or all with ``None``), from the tables.

    The plan figures are `core.kpis.plan_kpis` (one definition for every place that shows them):
    ``wafers``, ``service_level``, ``shortage_bytes``, ``quarter_ends_below_ss``, ``weeks_below_ss``,
    ``capacity_use``; besides them ``open_alerts`` (None without LL_Alerts) and
    ``max_stockout_probability`` (the KPI ``stockout_probability``; None without LL_Risk).
    """
    out: dict[str, float | None] = dict(plan_kpis(tables[PLAN], None, product))
    out["open_alerts"] = None
    out["max_stockout_probability"] = None
    alerts = tables.get(ALERTS)
    if alerts is not None:
        if product is not None:
            alerts = alerts[alerts["Product"].astype(str) == str(product)]
        status = alerts["Status"].astype("string").fillna("").str.strip().str.lower()
        out["open_alerts"] = float(status.isin(OPEN_STATUSES).sum())
    risk = tables.get(RISK)
    if risk is not None:
        if product is not None:
            risk = risk[risk["Product"].astype(str) == str(product)]
        out["max_stockout_probability"] = float(_num(risk, "StockoutProbability").max()) if len(risk) else 0.0
    return out


def _unit(plan: pd.DataFrame) -> tuple[float, str]:
    """One byte unit for every chart: the largest quarterly flow or stock level reads 1..999."""
    by_q = (
        plan.assign(D=_num(plan, "DemandBytes"), S=_num(plan, "SupplyBytes"))
        .groupby(["Product", "Quarter"], sort=False)[["D", "S"]]
        .sum()
    )
    top = max(
        float(by_q.to_numpy().max(initial=0.0)),
        float(_num(plan, "StockBytes").max()),
        float(_num(plan, "SafetyStockBytes").max()),
        float(_num(plan, "BacklogBytes").max()),
    )
    for scale, name in _UNITS:
        if top >= scale:
            return scale, name
    return 1.0, "bytes"


def _backlog_apart(plan: pd.DataFrame) -> bool:
    """True when some product's (or the total's) backlog dwarfs its stock and safety stock.

    On one axis such a backlog (23C on the real workbook: many times its stock) flattens the
    stock and safety-stock lines (and the quarterly bars) to the floor; the quarterly and weekly
    charts then put the backlog on a secondary axis of its own.
    """
    frame = plan.assign(
        S=_num(plan, "StockBytes"),
        T=_num(plan, "SafetyStockBytes"),
        B=_num(plan, "BacklogBytes"),
        W=_num(plan, "WeekIndex"),
    )
    total = frame.groupby("W")[["S", "T", "B"]].sum().assign(Product="")
    tops = pd.concat([frame, total.reset_index()]).groupby("Product")[["S", "T", "B"]].max()
    return bool((tops["B"] > BACKLOG_APART * tops[["S", "T"]].max(axis=1)).any())


# --------------------------------------------------------------------------------------------
# Workbook helpers


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
    for name in (PLAN, RUNS, FORECAST, RISK, INSIGHTS, ALERTS):
        if not _has_table(book, name):
            continue
        frame = tables.get(name)
        if frame is None:
            frame = _read_table(book, name)
        if frame is not None:
            out[name] = frame
    return out


def _q(text: str) -> str:
    """A string literal for a formula."""
    return '"' + str(text).replace('"', '""') + '"'


@dataclass
class _Block:
    """A column of the chart data: header cell row and the rows of its values."""

    col: int
    header_row: int
    first: int
    last: int

    @property
    def letter(self) -> str:
        return get_column_letter(self.col)

    def ref(self, ws, *, with_header: bool = True, last: int | None = None) -> Reference:
        return Reference(
            ws,
            min_col=self.col,
            min_row=self.header_row if with_header else self.first,
            max_row=self.last if last is None else last,
        )


# --------------------------------------------------------------------------------------------
# Charts


def _anchor(slot: int) -> TwoCellAnchor:
    """Grid position ``slot`` (0-based, two charts per row) as a cell-to-cell anchor."""
    row = CHART_TOP - 1 + (slot // 2) * CHART_ROWS
    col = (slot % 2) * CHART_COLS
    return TwoCellAnchor(
        _from=AnchorMarker(col=col, row=row, colOff=38100, rowOff=38100),
        to=AnchorMarker(col=col + CHART_COLS, row=row + CHART_ROWS - 1, colOff=0, rowOff=0),
    )


def _axes(chart, y_title: str, y_format: str = "General") -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0  # bars and stock levels from zero: no truncated axis
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.legend.position = "b"


def _line(series, color: str, width: int = 22000, dash: str | None = None) -> None:
    series.smooth = False
    series.marker.symbol = "none"
    series.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.width = width
    if dash:
        series.graphicalProperties.line.dashStyle = dash


def _fill(series, color: str) -> None:
    series.graphicalProperties.solidFill = color
    series.graphicalProperties.line.solidFill = color


def _week_axis(chart, n_weeks: int) -> None:
    """Weekly category axis labelled with quarters: one label per quarter, or per few quarters so
    that at most about twelve show (LibreOffice ignores this and picks its own spacing)."""
    skip = 13 * max(1, math.ceil(n_weeks / 13 / 12))
    chart.x_axis.tickLblSkip = skip
    chart.x_axis.tickMarkSkip = skip
    small = CharacterProperties(sz=800)
    chart.x_axis.txPr = RichText(
        bodyPr=RichTextProperties(rot=-2700000, vert="horz"),
        p=[Paragraph(pPr=ParagraphProperties(defRPr=small), endParaRPr=small)],
    )


def _title(chart, text: str, size: int = 1100) -> None:
    props = CharacterProperties(sz=size, b=True, solidFill=_C_INK)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)


# --------------------------------------------------------------------------------------------
# Preparation (no change to the workbook)


@dataclass
class _Prepared:
    frames: dict[str, pd.DataFrame]
    plan: pd.DataFrame
    products: list[str]
    ends: pd.Series  # last WeekIndex per quarter, quarters in order
    scale: float
    unit: str
    plan_weeks: int  # number of planning weeks
    week_rows: list[tuple[int, str]]  # (WeekIndex, axis label): plan weeks, then forecast weeks after
    forecast: bool
    risk: bool
    alerts: bool
    selected: str
    backlog_apart: bool  # weekly chart: backlog on a secondary axis
    total: dict[str, float | None]


def _prepare(book: openpyxl.Workbook, tables: Mapping[str, pd.DataFrame]) -> _Prepared:
    frames = _frames(book, tables)
    plan = frames.get(PLAN)
    if plan is None:
        raise DashboardError(f"no {PLAN} table in the workbook: nothing to show")
    missing = [c for c in PLAN_NEEDS if c not in plan.columns]
    if missing:
        raise DashboardError(f"{PLAN} lacks column(s) {', '.join(missing)}")
    plan = plan.dropna(subset=["Product", "WeekIndex"])
    if plan.empty:
        raise DashboardError(f"{PLAN} has no rows: nothing to show")
    plan = plan.assign(Product=plan["Product"].astype(str), Quarter=plan["Quarter"].astype(str))
    frames[PLAN] = plan
    for name, needs in ((FORECAST, FORECAST_NEEDS), (RISK, RISK_NEEDS), (ALERTS, ALERTS_NEEDS)):
        if name in frames and not set(needs) <= set(frames[name].columns):
            del frames[name]  # a table of another shape: leave its chart out
    products = list(dict.fromkeys(plan["Product"]))
    scale, unit = _unit(plan)
    weeks = (
        plan.assign(W=_num(plan, "WeekIndex").astype(int))
        .sort_values("W", kind="stable")
        .drop_duplicates("W")
    )
    week_rows = list(zip(weeks["W"].tolist(), weeks["Quarter"].tolist()))
    forecast = frames.get(FORECAST)
    if forecast is not None:
        extra = forecast.assign(W=pd.to_numeric(forecast["WeekIndex"], errors="coerce")).dropna(subset=["W"])
        extra = extra[~extra["W"].astype(int).isin(set(weeks["W"]))].sort_values("W", kind="stable")
        extra = extra.drop_duplicates("W")
        labels = extra["Week"] if "Week" in extra.columns else pd.Series([""] * len(extra), index=extra.index)
        week_rows += [(int(w), "" if pd.isna(label) else str(label)) for w, label in zip(extra["W"], labels)]
    return _Prepared(
        frames=frames,
        plan=plan,
        products=products,
        ends=_quarter_ends(plan),
        scale=scale,
        unit=unit,
        plan_weeks=len(weeks),
        week_rows=week_rows,
        forecast=FORECAST in frames,
        risk=RISK in frames,
        alerts=ALERTS in frames,
        selected=ALL_PRODUCTS,
        backlog_apart=_backlog_apart(plan),
        total=kpis(frames),
    )


# --------------------------------------------------------------------------------------------
# The sheet


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
    prepared = _prepare(book, tables)
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
        _build(ws, prepared)
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


def _build(ws, p: _Prepared) -> None:
    frames, ends, scale, unit = p.frames, p.ends, p.scale, p.unit
    ws.sheet_view.showGridLines = False
    for c in range(1, GRID_COLS + 1):
        ws.column_dimensions[get_column_letter(c)].width = COL_WIDTH
    ws.column_dimensions[get_column_letter(GRID_COLS + 1)].width = 4
    # the formulas name the Excel Tables (tblLL_Plan), not the sheets (LL_Plan)
    P, F, R, A = (table_name(t) for t in (PLAN, FORECAST, RISK, ALERTS))
    sel = SELECTOR_ABS
    is_all = f"({sel}={_q(ALL_PRODUCTS)})"

    # -- chart data (written first: the formulas above it name its cells) --------------------
    d = DATA_COL
    # Text (labels, product ids, messages) goes through set_text: it is never a formula; only the
    # formulas this module builds are assigned as formulas.
    note = set_text(
        ws.cell(row=1, column=d),
        "Chart data: formulas over the LL_* tables that follow the "
        "product selector in B4. Rebuilt on every run; do not edit.",
    )
    note.font = Font(italic=True, color=_C_MUTED)
    set_text(ws.cell(row=2, column=d), "Byte unit")
    ws.cell(row=2, column=d + 1, value=scale).number_format = "0E+0"
    set_text(ws.cell(row=2, column=d + 2), unit)
    u = f"${get_column_letter(d + 1)}$2"
    # SUMIFS criterion for the selection: any product, or exactly the one picked ("=" keeps a
    # name starting with < or > from reading as a comparison, "~" escapes the wildcards).
    set_text(ws.cell(row=3, column=d), "Criterion")
    ws.cell(
        row=3,
        column=d + 1,
        value=(f'=IF({is_all},"*","="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({sel},"~","~~"),"*","~*"),"?","~?"))'),
    )
    crit = f"${get_column_letter(d + 1)}$3"

    top = 5
    set_text(ws.cell(row=top, column=d), "Products").font = Font(bold=True)
    choices = [ALL_PRODUCTS, *p.products]
    for k, name in enumerate(choices):
        set_text(ws.cell(row=top + 1 + k, column=d), name)
    letter = get_column_letter(d)
    choice_ref = f"${letter}${top + 1}:${letter}${top + len(choices)}"

    # per quarter
    qc = d + 2
    q_first, q_last = top + 1, top + len(ends)
    qb = {name: _Block(qc + k, top, q_first, q_last) for k, name in enumerate(QUARTER_COLUMNS)}
    for name, block in qb.items():
        set_text(ws.cell(row=top, column=block.col), name).font = Font(bold=True)
    for i, (quarter, last) in enumerate(ends.items()):
        r = q_first + i
        Q, L = f"${qb['Quarter'].letter}{r}", f"${qb['Last week'].letter}{r}"
        set_text(ws.cell(row=r, column=qb["Quarter"].col), quarter)
        ws.cell(row=r, column=qb["Last week"].col, value=int(last))
        cells = {
            "Demand": f"=SUMIFS({P}[DemandBytes],{P}[Product],{crit},{P}[Quarter],{Q})/{u}",
            "Yielded supply": f"=SUMIFS({P}[SupplyBytes],{P}[Product],{crit},{P}[Quarter],{Q})/{u}",
            "Stock (quarter end)": f"=SUMIFS({P}[StockBytes],{P}[Product],{crit},{P}[WeekIndex],{L})/{u}",
            "Safety stock target": f"=SUMIFS({P}[SafetyStockBytes],{P}[Product],{crit},{P}[WeekIndex],{L})/{u}",
            "Backlog (quarter end)": f"=SUMIFS({P}[BacklogBytes],{P}[Product],{crit},{P}[WeekIndex],{L})/{u}",
            "Wafers planned": f"=SUMIFS({P}[Wafers],{P}[Product],{crit},{P}[Quarter],{Q})",
            "Wafers available": f"=SUMIFS({P}[CapacityWafers],{P}[Product],{crit},{P}[Quarter],{Q})",
        }
        for name, formula in cells.items():
            cell = ws.cell(row=r, column=qb[name].col, value=formula)
            cell.number_format = "#,##0" if name.startswith("Wafers") else "#,##0.00"
    ends_ref = f"${qb['Last week'].letter}${q_first}:${qb['Last week'].letter}${q_last}"

    # per week: the plan's weeks, then the forecast's weeks after the plan
    wc = qc + len(QUARTER_COLUMNS) + 1
    w_first, w_last = top + 1, top + len(p.week_rows)
    w_plan_last = top + p.plan_weeks
    names = (
        list(WEEK_COLUMNS)
        + (list(FORECAST_COLUMNS) if p.forecast else [])
        + (list(RISK_COLUMNS) if p.risk else [])
    )
    wb = {name: _Block(wc + k, top, w_first, w_last) for k, name in enumerate(names)}
    for name, block in wb.items():
        set_text(ws.cell(row=top, column=block.col), name).font = Font(bold=True)

    def has(table: str, col: str, W: str) -> str:
        return f'COUNTIFS({table}[Product],{crit},{table}[WeekIndex],{W},{table}[{col}],">-1E300")'

    def total_of(table: str, col: str, W: str) -> str:
        return f"SUMIFS({table}[{col}],{table}[Product],{crit},{table}[WeekIndex],{W})/{u}"

    for i, (week, label) in enumerate(p.week_rows):
        r = w_first + i
        W = f"${wb['Week'].letter}{r}"
        ws.cell(row=r, column=wb["Week"].col, value=week)
        set_text(ws.cell(row=r, column=wb["Label"].col), label)
        cells = {}
        if r <= w_plan_last:
            cells["Stock"] = f"={total_of(P, 'StockBytes', W)}"
            cells["Safety stock target"] = f"={total_of(P, 'SafetyStockBytes', W)}"
            cells["Backlog"] = f"={total_of(P, 'BacklogBytes', W)}"
            if p.risk:
                # one product: its probability; all products: the highest of any product
                cells["Stock-out probability"] = (
                    f"=IF({is_all},SUMPRODUCT(MAX(({R}[WeekIndex]={W})*{R}[StockoutProbability])),"
                    f"SUMIFS({R}[StockoutProbability],{R}[Product],{crit},{R}[WeekIndex],{W}))"
                )
        if p.forecast:
            p50, p10 = f"${wb['Forecast P50'].letter}{r}", f"${wb['Forecast P10'].letter}{r}"
            # The band is a product's; quantiles do not add up, so "All products" shows none.
            band = f"AND(NOT{is_all},{has(F, 'P10', W)}>0,{has(F, 'P90', W)}>0)"
            cells["Forecast P50"] = f"=IF({has(F, 'P50', W)}=0,NA(),{total_of(F, 'P50', W)})"
            cells["Forecast P10"] = f"=IF({band},{total_of(F, 'P10', W)},{p50})"
            cells["P10-P90 band"] = f"=IF({band},{total_of(F, 'P90', W)}-{p10},0)"
            cells["Actual demand"] = f"=IF({has(F, 'Actual', W)}=0,NA(),{total_of(F, 'Actual', W)})"
        for name, formula in cells.items():
            cell = ws.cell(row=r, column=wb[name].col, value=formula)
            cell.number_format = "0.0%" if name == "Stock-out probability" else "#,##0.00"
    for c in range(d, wc + len(names)):
        ws.column_dimensions[get_column_letter(c)].width = 14

    # -- title and selector -------------------------------------------------------------------
    set_text(ws["A1"], TITLE)
    ws["A1"].font = Font(size=18, bold=True, color=_C_INK)
    runs = frames.get(RUNS)
    if runs is not None and len(runs):
        run = runs.iloc[-1]
        when = run.get("Time")
        when = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else str(when or "")
        set_text(
            ws["A2"],
            f"Run {run.get('RunId', '')} of {when}, workbook {run.get('Workbook', '')}, "
            f"solver status {run.get('Status', '')}.",
        )
    set_text(ws["A3"], f"Bytes in {unit} (1 {unit} = {scale:.0e} bytes)." if scale > 1 else "Bytes.")
    for ref in ("A2", "A3"):
        ws[ref].font = Font(color=_C_MUTED)
    set_text(ws["A4"], "Product")
    ws["A4"].font = Font(bold=True)
    ws["A4"].alignment = Alignment(horizontal="right")
    set_text(ws[SELECTOR], p.selected)
    ws[SELECTOR].font = Font(bold=True, size=12)
    ws[SELECTOR].fill = PatternFill("solid", fgColor="FFF8C5")
    thin = Side(style="thin", color=_C_DEMAND)
    for cell in (ws["B4"], ws["C4"]):
        cell.border = Border(
            left=thin if cell.column == 2 else None,
            right=thin if cell.column == 3 else None,
            top=thin,
            bottom=thin,
        )
    ws.merge_cells("B4:C4")
    set_text(
        ws["D4"], f"\u25c0 pick a product or {ALL_PRODUCTS} from the drop-down; the cards and charts follow"
    )
    ws["D4"].font = Font(italic=True, color=_C_MUTED)
    dv = DataValidation(
        type="list",
        formula1=choice_ref,
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="Product",
        error=f"Pick {ALL_PRODUCTS} or one of the products in the list.",
        showInputMessage=True,
        promptTitle="Product",
        prompt="Pick the product the cards and charts show.",
    )
    ws.add_data_validation(dv)
    dv.add(SELECTOR)

    # -- KPI cards: selected product (formulas), all products (values) --------------------------
    match = f"((({P}[Product]={sel})+{is_all})>0)"
    t = p.total
    cards: list[tuple[str, str, float | str | None, str]] = [
        (KPIS["wafers"].name, f"=SUMIFS({P}[Wafers],{P}[Product],{crit})", t["wafers"], "#,##0"),
        (
            KPIS["service_level"].name,
            f"=IFERROR(1-SUMPRODUCT({match}*({P}[DemandBytes]+{P}[BacklogBytes]-ABS({P}[DemandBytes]-{P}[BacklogBytes]))/2)"
            f'/SUMIFS({P}[DemandBytes],{P}[Product],{crit}),"")',
            t["service_level"],
            "0.0%",
        ),
        (
            f"{KPIS['shortage_bytes'].name} ({unit})",
            f"=SUMIFS({P}[BacklogBytes],{P}[Product],{crit},{P}[WeekIndex],MAX({P}[WeekIndex]))/{u}",
            t["shortage_bytes"] / scale,
            "#,##0.00",
        ),
        (
            KPIS["quarter_ends_below_ss"].name,
            f"=SUMPRODUCT({match}*({P}[StockBytes]<{P}[SafetyStockBytes]*(1-{SS_REL_TOL:g})-{SS_ABS_TOL:g})"
            f"*ISNUMBER(MATCH({P}[WeekIndex],{ends_ref},0)))",
            t["quarter_ends_below_ss"],
            "#,##0",
        ),
        (
            KPIS["capacity_use"].name,
            f'=IFERROR(SUMIFS({P}[Wafers],{P}[Product],{crit})/SUMIFS({P}[CapacityWafers],{P}[Product],{crit}),"")',
            t["capacity_use"],
            "0.0%",
        ),
    ]
    if p.alerts:
        cards.append(
            (
                "Open alerts",
                f'=IF({is_all},COUNTIFS({A}[Status],"new")+COUNTIFS({A}[Status],"open"),'
                f'COUNTIFS({A}[Product],{crit},{A}[Status],"new")+COUNTIFS({A}[Product],{crit},{A}[Status],"open"))',
                t["open_alerts"],
                "#,##0",
            )
        )
    else:
        cards.append(("Open alerts", "n/a", f"no {ALERTS} table", "@"))
    if p.risk:
        cards.append(
            (
                KPIS["stockout_probability"].name,
                f"=IF({is_all},MAX({R}[StockoutProbability]),"
                f"SUMPRODUCT(MAX(({R}[Product]={sel})*{R}[StockoutProbability])))",
                t["max_stockout_probability"],
                "0.0%",
            )
        )
    fill = PatternFill("solid", fgColor="F6F8FA")
    edge = Side(style="thin", color="D0D7DE")
    for k, (label, formula, all_value, fmt) in enumerate(cards):
        col = 1 + k * CARD_COLS
        for r in range(CARD_ROW, CARD_ROW + 3):
            for c in range(col, col + CARD_COLS):
                cell = ws.cell(row=r, column=c)
                cell.fill = fill
                cell.border = Border(
                    top=edge if r == CARD_ROW else None,
                    bottom=edge if r == CARD_ROW + 2 else None,
                    left=edge if c == col else None,
                    right=edge if c == col + CARD_COLS - 1 else None,
                )
            ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + CARD_COLS - 1)
        set_text(ws.cell(row=CARD_ROW, column=col), label).font = Font(size=9, color=_C_MUTED)
        value = ws.cell(row=CARD_ROW + 1, column=col, value=formula)  # the card's formula ("n/a": text)
        if not formula.startswith("="):
            set_text(value, formula)
        value.font = Font(size=16, bold=True, color=_C_INK)
        value.number_format = fmt
        value.alignment = Alignment(horizontal="left")
        if isinstance(all_value, float) and math.isnan(all_value):
            all_value = None
        other = set_text(ws.cell(row=CARD_ROW + 2, column=col), all_value)
        other.number_format = "@" if fmt == "@" else f'"all: "{fmt}'
        other.font = Font(size=9, color=_C_MUTED)
        other.alignment = Alignment(horizontal="left")
    ws.row_dimensions[CARD_ROW + 1].height = 24

    # -- top findings --------------------------------------------------------------------------
    set_text(ws["A10"], "Top findings")
    ws["A10"].font = Font(bold=True)
    insights = frames.get(INSIGHTS)
    if insights is not None and len(insights) and "Message" in insights.columns:
        order = pd.to_numeric(insights["Rank"], errors="coerce") if "Rank" in insights.columns else None
        ranked = insights.assign(_r=order).sort_values("_r", kind="stable") if order is not None else insights
        for k, message in enumerate(ranked["Message"].dropna().astype(str).head(3)):
            set_text(ws.cell(row=11 + k, column=1), f"{k + 1}. {message}")
    else:
        set_text(ws["A11"], f"No {INSIGHTS} table in this run.")

    # -- charts --------------------------------------------------------------------------------
    charts = [
        _plan_chart(ws, qb, unit, p.backlog_apart),
        _stock_chart(ws, wb, w_plan_last, unit, p.plan_weeks, p.backlog_apart),
        _capacity_chart(ws, qb),
    ]
    if p.forecast:
        charts.append(_forecast_chart(ws, wb, unit, len(p.week_rows)))
    if p.risk:
        charts.append(_risk_chart(ws, wb, w_plan_last, p.plan_weeks))
    for slot, chart in enumerate(charts):
        chart.anchor = _anchor(slot)
        ws.add_chart(chart)

    set_print_layout(ws, block_ends(CHART_TOP - 1, CHART_ROWS, len(charts)), GRID_COLS)


def _plan_chart(ws, qb: dict[str, _Block], unit: str, backlog_apart: bool):
    bar = BarChart()
    bar.type, bar.grouping, bar.gapWidth, bar.overlap = "col", "clustered", 60, -10
    for name, color in (("Demand", _C_DEMAND), ("Yielded supply", _C_SUPPLY)):
        bar.add_data(qb[name].ref(ws), titles_from_data=True)
        _fill(bar.series[-1], color)
    bar.set_categories(qb["Quarter"].ref(ws, with_header=False))
    line = LineChart()
    lines = [("Stock (quarter end)", _C_STOCK, None), ("Safety stock target", _C_SAFETY, "dash")]
    for name, color, dash in lines + ([] if backlog_apart else [("Backlog (quarter end)", _C_BACKLOG, None)]):
        line.add_data(qb[name].ref(ws), titles_from_data=True)
        _line(line.series[-1], color, dash=dash)
    _title(
        bar,
        "Demand, yielded supply and stock by quarter" + (" (backlog: right axis)" if backlog_apart else ""),
    )
    _axes(bar, unit)
    line.x_axis.delete = line.y_axis.delete = False
    bar += line
    if backlog_apart:
        bar += _right_axis_line(qb["Backlog (quarter end)"].ref(ws), unit)
    return bar


def _right_axis_line(ref: Reference, unit: str) -> LineChart:
    """The backlog as a line on a secondary axis on the right (see ``_backlog_apart``)."""
    right = LineChart()
    right.add_data(ref, titles_from_data=True)
    _line(right.series[-1], _C_BACKLOG, width=15000)
    right.y_axis.axId = 200
    right.y_axis.title = f"backlog ({unit})"
    right.y_axis.crosses = "max"
    right.y_axis.delete = False
    right.y_axis.scaling.min = 0
    right.y_axis.majorGridlines = None
    return right


def _stock_chart(ws, wb: dict[str, _Block], last: int, unit: str, n_weeks: int, backlog_apart: bool):
    chart = LineChart()
    series = [("Stock", _C_STOCK, None), ("Safety stock target", _C_SAFETY, "dash")]
    if not backlog_apart:
        series.append(("Backlog", _C_BACKLOG, None))
    for name, color, dash in series:
        chart.add_data(wb[name].ref(ws, last=last), titles_from_data=True)
        _line(chart.series[-1], color, width=15000, dash=dash)
    chart.set_categories(wb["Label"].ref(ws, with_header=False, last=last))
    _title(chart, "Inventory vs safety stock by week" + (" (backlog: right axis)" if backlog_apart else ""))
    _axes(chart, unit)
    _week_axis(chart, n_weeks)
    if backlog_apart:
        chart += _right_axis_line(wb["Backlog"].ref(ws, last=last), unit)
    return chart


def _capacity_chart(ws, qb: dict[str, _Block]):
    bar = BarChart()
    bar.type, bar.grouping, bar.gapWidth = "col", "clustered", 60
    bar.add_data(qb["Wafers planned"].ref(ws), titles_from_data=True)
    _fill(bar.series[-1], _C_SUPPLY)
    bar.set_categories(qb["Quarter"].ref(ws, with_header=False))
    line = LineChart()
    line.add_data(qb["Wafers available"].ref(ws), titles_from_data=True)
    _line(line.series[-1], _C_INK, dash="sysDash")
    _title(bar, "Capacity: wafer starts planned vs available by quarter")
    _axes(bar, "wafers", "#,##0")
    line.x_axis.delete = line.y_axis.delete = False
    bar += line
    return bar


def _forecast_chart(ws, wb: dict[str, _Block], unit: str, n_weeks: int):
    # The band is a stacked area: an invisible P10 base with the P90 - P10 width on top.
    area = AreaChart()
    area.grouping = "stacked"
    area.add_data(wb["Forecast P10"].ref(ws), titles_from_data=True)
    base = area.series[-1]
    base.graphicalProperties.noFill = True
    base.graphicalProperties.line.noFill = True
    area.add_data(wb["P10-P90 band"].ref(ws), titles_from_data=True)
    _fill(area.series[-1], _C_BAND)
    area.set_categories(wb["Label"].ref(ws, with_header=False))
    lines = LineChart()
    for name, color, width in (("Forecast P50", _C_SUPPLY, 15000), ("Actual demand", _C_INK, 9525)):
        lines.add_data(wb[name].ref(ws), titles_from_data=True)
        _line(lines.series[-1], color, width=width)
    _title(area, "Weekly demand: forecast P50 with P10-P90 band, and actual")
    _axes(area, unit)
    _week_axis(area, n_weeks)
    area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]
    lines.x_axis.delete = lines.y_axis.delete = False
    area += lines
    return area


def _risk_chart(ws, wb: dict[str, _Block], last: int, n_weeks: int):
    chart = LineChart()
    chart.add_data(wb["Stock-out probability"].ref(ws, last=last), titles_from_data=True)
    _line(chart.series[-1], _C_BACKLOG, width=15000)
    chart.set_categories(wb["Label"].ref(ws, with_header=False, last=last))
    _title(chart, "Stock-out probability by week (across demand scenarios)")
    _axes(chart, "probability", "0%")
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    _week_axis(chart, n_weeks)
    return chart
