"""The ``Dashboard`` sheet: native Excel charts over the output tables, with a product selector.

Layout (one sheet the tool owns; rebuilt on every run)::

    A1   title, A2 the run it shows (LL_Runs) and the byte unit of the charts
    B4   product selector: a data-validation drop-down (``All products`` or one product); no macro
    A6:N8  KPI cards: label, value for the selected product (formula), value for all products
    A10  top findings (LL_Insights)
    A15  charts, two per row: plan by quarter; stock vs safety stock by week; capacity by
         quarter; demand forecast with its P10-P90 band (LL_Forecast); stock-out probability
         (LL_Risk).  Charts of tables the run did not write are left out.
    R1   the charts' data: per quarter and per week, SUMIFS formulas over the output tables that
         follow the selector (Excel charts need contiguous ranges; a chart cannot filter a table)

The formulas use structured references (``LL_Plan[DemandBytes]``), so they stay right when a
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

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.legend import LegendEntry
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

__all__ = ["DASHBOARD", "TITLE", "ALL_PRODUCTS", "DashboardError", "write_dashboard", "kpis"]

DASHBOARD = "Dashboard"
#: Cell A1 of the sheet; it marks the sheet as the tool's (a planner's own "Dashboard" is kept).
TITLE = "Linealytics dashboard"
ALL_PRODUCTS = "All products"

PLAN, RUNS, FORECAST, RISK, INSIGHTS, ALERTS = ("LL_Plan", "LL_Runs", "LL_Forecast", "LL_Risk",
                                                 "LL_Insights", "LL_Alerts")
OPEN_STATUSES = ("new", "open")
# Stock below target by less than this is solver round-off (as in core.explain).
SS_REL_TOL, SS_ABS_TOL = 1e-6, 64.0

SELECTOR = "B4"
CARD_ROW = 6                # label row; values below it, all-products values below those
CARD_COLS = 2               # columns per card
GRID_COLS = 14              # A..N: cards and charts
COL_WIDTH = 12.5
CHART_TOP = 15              # first row of the chart grid (1-based)
CHART_ROWS, CHART_COLS = 20, 7
DATA_COL = 18               # R: first column of the chart data

_UNITS = ((1e18, "EB"), (1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))
_C_DEMAND, _C_SUPPLY, _C_STOCK = "8C959F", "0969DA", "1A7F37"
_C_SAFETY, _C_BACKLOG, _C_BAND, _C_INK = "BF8700", "CF222E", "B6D7FF", "1F2328"


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

    Keys: ``wafers``, ``service_level``, ``shortage_bytes``, ``quarter_ends_below_ss``,
    ``capacity_use``, ``open_alerts`` (None without LL_Alerts), ``max_stockout_probability``
    (None without LL_Risk).  NaN where a ratio has a zero denominator.
    """
    plan = tables[PLAN]
    if product is not None:
        plan = plan[plan["Product"].astype(str) == str(product)]
    demand, backlog = _num(plan, "DemandBytes"), _num(plan, "BacklogBytes")
    stock, safety = _num(plan, "StockBytes"), _num(plan, "SafetyStockBytes")
    wafers, cap = _num(plan, "Wafers"), _num(plan, "CapacityWafers")
    week = _num(plan, "WeekIndex")
    ends = set(_quarter_ends(tables[PLAN]).tolist())
    last = _num(tables[PLAN], "WeekIndex").max()
    total = float(demand.sum())
    out: dict[str, float | None] = {
        "wafers": float(wafers.sum()),
        "service_level": 1.0 - float(np.minimum(demand, backlog).sum()) / total if total > 0 else math.nan,
        "shortage_bytes": float(backlog[week == last].sum()),
        "quarter_ends_below_ss": float((week.isin(ends) & (stock < safety * (1 - SS_REL_TOL) - SS_ABS_TOL)).sum()),
        "capacity_use": float(wafers.sum() / cap.sum()) if cap.sum() > 0 else math.nan,
        "open_alerts": None,
        "max_stockout_probability": None,
    }
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
    by_q = plan.assign(D=_num(plan, "DemandBytes"), S=_num(plan, "SupplyBytes")).groupby(
        ["Product", "Quarter"], sort=False)[["D", "S"]].sum()
    top = max(float(by_q.to_numpy().max(initial=0.0)), float(_num(plan, "StockBytes").max()),
              float(_num(plan, "SafetyStockBytes").max()), float(_num(plan, "BacklogBytes").max()))
    for scale, name in _UNITS:
        if top >= scale:
            return scale, name
    return 1.0, "bytes"


def _default_product(plan: pd.DataFrame, products: list[str]) -> str:
    """The product with the largest shortage at the end of the plan; the first if none is short."""
    last = plan[_num(plan, "WeekIndex") == _num(plan, "WeekIndex").max()]
    short = last.assign(B=_num(last, "BacklogBytes")).groupby("Product", sort=False)["B"].sum()
    short = short[short > 0]
    return str(short.idxmax()) if len(short) else products[0]


# --------------------------------------------------------------------------------------------
# Workbook helpers


def _has_table(book: openpyxl.Workbook, name: str) -> bool:
    return name in book.sheetnames and name in book[name].tables


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
        return Reference(ws, min_col=self.col, min_row=self.header_row if with_header else self.first,
                         max_row=self.last if last is None else last)


# --------------------------------------------------------------------------------------------
# Charts


def _anchor(slot: int) -> TwoCellAnchor:
    """Grid position ``slot`` (0-based, two charts per row) as a cell-to-cell anchor."""
    row = CHART_TOP - 1 + (slot // 2) * CHART_ROWS
    col = (slot % 2) * CHART_COLS
    return TwoCellAnchor(_from=AnchorMarker(col=col, row=row, colOff=38100, rowOff=38100),
                         to=AnchorMarker(col=col + CHART_COLS, row=row + CHART_ROWS - 1, colOff=0, rowOff=0))


def _axes(chart, y_title: str, y_format: str = "#,##0") -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default grid
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
    that about eight labels show."""
    skip = 13 * max(1, math.ceil(n_weeks / 13 / 8))
    chart.x_axis.tickLblSkip = skip
    chart.x_axis.tickMarkSkip = skip


def _title(chart, text: str, size: int = 1100) -> None:
    props = CharacterProperties(sz=size, b=True, solidFill=_C_INK)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)


# --------------------------------------------------------------------------------------------
# The sheet


def _sheet(book: openpyxl.Workbook):
    """Remove the tool's old dashboard and create the new sheet where it was (or before the
    first LL_* sheet); keep the planner's active sheet."""
    active = book.active
    if DASHBOARD in book.sheetnames:
        old = book[DASHBOARD]
        if old.title != DASHBOARD or str(old["A1"].value or "") != TITLE:
            raise DashboardError(f"the workbook has its own sheet {DASHBOARD!r} (cell A1 is not "
                                 f"{TITLE!r}); it was left untouched and no dashboard was written")
        index = book.sheetnames.index(DASHBOARD)
        was_active = active is old
        book.remove(old)
    else:
        tool = [i for i, n in enumerate(book.sheetnames) if n.startswith("LL_")]
        index = tool[0] if tool else len(book.sheetnames)
        was_active = False
    ws = book.create_sheet(DASHBOARD, index)
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = False
    book.active = ws if was_active else book.worksheets.index(active) if active in book.worksheets else 0
    book.active.sheet_view.tabSelected = True
    return ws


def write_dashboard(book: openpyxl.Workbook, tables: dict[str, pd.DataFrame]) -> None:
    """(Re)create the ``Dashboard`` sheet of ``book`` from the output tables.

    ``tables`` maps table names to the frames just written with ``write_table`` (tables missing
    from it are read from the workbook); the charts and formulas refer to the Excel Tables of the
    same names, which must exist in ``book``.  Needs ``LL_Plan`` with at least one row; uses
    ``LL_Runs``, ``LL_Forecast``, ``LL_Risk``, ``LL_Insights`` and ``LL_Alerts`` when present.
    Raises :class:`DashboardError` (before changing anything) when it cannot be written.
    """
    frames = _frames(book, tables)
    plan = frames.get(PLAN)
    if plan is None:
        raise DashboardError(f"no {PLAN} table in the workbook: nothing to show")
    missing = [c for c in ("Product", "Quarter", "WeekIndex", "DemandBytes", "Wafers", "SupplyBytes",
                           "StockBytes", "BacklogBytes", "SafetyStockBytes", "CapacityWafers")
               if c not in plan.columns]
    if missing:
        raise DashboardError(f"{PLAN} lacks column(s) {', '.join(missing)}")
    plan = plan.dropna(subset=["Product", "WeekIndex"])
    if plan.empty:
        raise DashboardError(f"{PLAN} has no rows: nothing to show")
    plan = plan.assign(Product=plan["Product"].astype(str), Quarter=plan["Quarter"].astype(str))
    frames[PLAN] = plan
    products = list(dict.fromkeys(plan["Product"]))
    ends = _quarter_ends(plan)
    scale, unit = _unit(plan)
    weeks = plan.assign(W=_num(plan, "WeekIndex").astype(int)).sort_values("W", kind="stable") \
        .drop_duplicates("W")[["W", "Quarter"]]
    forecast = frames.get(FORECAST)
    if forecast is not None and not {"Product", "WeekIndex", "P10", "P50", "P90", "Actual"} <= set(forecast.columns):
        forecast = None
    risk = frames.get(RISK)
    if risk is not None and not {"Product", "WeekIndex", "StockoutProbability"} <= set(risk.columns):
        risk = None
    week_rows = list(zip(weeks["W"].tolist(), weeks["Quarter"].tolist()))
    if forecast is not None:
        known = set(weeks["W"].tolist())
        extra = forecast.assign(W=pd.to_numeric(forecast["WeekIndex"], errors="coerce")).dropna(subset=["W"])
        extra = extra[~extra["W"].astype(int).isin(known)].sort_values("W").drop_duplicates("W")
        week_rows += [(int(w), str(label) if label is not None else "") for w, label in
                      zip(extra["W"], extra["Week"] if "Week" in extra else [""] * len(extra))]
    selected = _default_product(plan, products)
    total = kpis(frames)
    runs = frames.get(RUNS)

    ws = _sheet(book)
    ws.sheet_view.showGridLines = False
    for c in range(1, GRID_COLS + 1):
        ws.column_dimensions[get_column_letter(c)].width = COL_WIDTH
    ws.column_dimensions[get_column_letter(GRID_COLS + 1)].width = 4

    # -- chart data (first, so that the formulas below can name its cells) -----------------
    d = DATA_COL
    crit = f"${get_column_letter(d + 1)}$3"
    all_ = f"({SELECTOR_ABS}={_q(ALL_PRODUCTS)})"
    ws.cell(row=1, column=d, value="Chart data: formulas over the LL_* tables, following the product "
                                   "selector in B4. Rebuilt on every run; do not edit.").font = Font(italic=True, color="57606A")
    ws.cell(row=2, column=d, value="Byte unit")
    ws.cell(row=2, column=d + 1, value=scale).number_format = "0E+0"
    ws.cell(row=2, column=d + 2, value=unit)
    ws.cell(row=3, column=d, value="Criterion")
    ws.cell(row=3, column=d + 1, value=(
        f'=IF({SELECTOR_ABS}={_q(ALL_PRODUCTS)},"*","="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE('
        f'{SELECTOR_ABS},"~","~~"),"*","~*"),"?","~?"))'))
    u = f"${get_column_letter(d + 1)}$2"

    # products for the drop-down
    top = 5
    ws.cell(row=top, column=d, value="Products").font = Font(bold=True)
    choices = [ALL_PRODUCTS, *products]
    for k, name in enumerate(choices):
        ws.cell(row=top + 1 + k, column=d, value=name)
    choice_ref = f"${get_column_letter(d)}${top + 1}:${get_column_letter(d)}${top + len(choices)}"

    # per quarter
    qc = d + 2
    q_head = top
    q_first, q_last = q_head + 1, q_head + len(ends)
    qcols = ["Quarter", "Last week", "Demand", "Yielded supply", "Stock (quarter end)",
             "Safety stock target", "Backlog (quarter end)", "Wafers planned", "Wafers available"]
    for k, h in enumerate(qcols):
        ws.cell(row=q_head, column=qc + k, value=h).font = Font(bold=True)
    P = "LL_Plan"
    for i, (quarter, last) in enumerate(ends.items()):
        r = q_first + i
        Q, L = f"${get_column_letter(qc)}{r}", f"${get_column_letter(qc + 1)}{r}"
        ws.cell(row=r, column=qc, value=quarter)
        ws.cell(row=r, column=qc + 1, value=int(last))
        flows = {2: "DemandBytes", 3: "SupplyBytes"}
        for k, col in flows.items():
            ws.cell(row=r, column=qc + k, value=f"=SUMIFS({P}[{col}],{P}[Product],{crit},{P}[Quarter],{Q})/{u}")
        levels = {4: "StockBytes", 5: "SafetyStockBytes", 6: "BacklogBytes"}
        for k, col in levels.items():
            ws.cell(row=r, column=qc + k, value=f"=SUMIFS({P}[{col}],{P}[Product],{crit},{P}[WeekIndex],{L})/{u}")
        ws.cell(row=r, column=qc + 7, value=f"=SUMIFS({P}[Wafers],{P}[Product],{crit},{P}[Quarter],{Q})")
        ws.cell(row=r, column=qc + 8, value=f"=SUMIFS({P}[CapacityWafers],{P}[Product],{crit},{P}[Quarter],{Q})")
        for k in range(2, 9):
            ws.cell(row=r, column=qc + k).number_format = "#,##0.00" if k < 7 else "#,##0"
    qb = {name: _Block(qc + k, q_head, q_first, q_last) for k, name in enumerate(qcols)}
    ends_ref = f"${qb['Last week'].letter}${q_first}:${qb['Last week'].letter}${q_last}"

    # per week
    wc = qc + len(qcols) + 1
    w_head = top
    w_first, w_last = w_head + 1, w_head + len(week_rows)
    w_plan_last = w_head + len(weeks)
    wcols = ["Week", "Label", "Stock", "Safety stock target", "Backlog"]
    if forecast is not None:
        wcols += ["Forecast P10", "P10-P90 band", "Forecast P50", "Actual demand"]
    if risk is not None:
        wcols += ["Stock-out probability"]
    for k, h in enumerate(wcols):
        ws.cell(row=w_head, column=wc + k, value=h).font = Font(bold=True)
    wb = {name: _Block(wc + k, w_head, w_first, w_last) for k, name in enumerate(wcols)}
    F, R = "LL_Forecast", "LL_Risk"
    for i, (week, label) in enumerate(week_rows):
        r = w_first + i
        W = f"${wb['Week'].letter}{r}"
        ws.cell(row=r, column=wb["Week"].col, value=week)
        ws.cell(row=r, column=wb["Label"].col, value=label)
        if r <= w_plan_last:
            for name, col in (("Stock", "StockBytes"), ("Safety stock target", "SafetyStockBytes"),
                              ("Backlog", "BacklogBytes")):
                ws.cell(row=r, column=wb[name].col,
                        value=f"=SUMIFS({P}[{col}],{P}[Product],{crit},{P}[WeekIndex],{W})/{u}")
        if forecast is not None:
            def has(col: str) -> str:
                return f'COUNTIFS({F}[Product],{crit},{F}[WeekIndex],{W},{F}[{col}],">-1E300")'

            def total_of(col: str) -> str:
                return f"SUMIFS({F}[{col}],{F}[Product],{crit},{F}[WeekIndex],{W})/{u}"

            p50 = f"${wb['Forecast P50'].letter}{r}"
            p10 = f"${wb['Forecast P10'].letter}{r}"
            band = f"AND(NOT{all_},{has('P10')}>0,{has('P90')}>0)"
            ws.cell(row=r, column=wb["Forecast P50"].col, value=f"=IF({has('P50')}=0,NA(),{total_of('P50')})")
            ws.cell(row=r, column=wb["Forecast P10"].col, value=f"=IF({band},{total_of('P10')},{p50})")
            ws.cell(row=r, column=wb["P10-P90 band"].col, value=f"=IF({band},{total_of('P90')}-{p10},0)")
            ws.cell(row=r, column=wb["Actual demand"].col, value=f"=IF({has('Actual')}=0,NA(),{total_of('Actual')})")
        if risk is not None and r <= w_plan_last:
            ws.cell(row=r, column=wb["Stock-out probability"].col, value=(
                f"=IF({all_},SUMPRODUCT(MAX(({R}[WeekIndex]={W})*{R}[StockoutProbability])),"
                f"SUMIFS({R}[StockoutProbability],{R}[Product],{crit},{R}[WeekIndex],{W}))"))
        for name in wcols[2:]:
            ws.cell(row=r, column=wb[name].col).number_format = "0.0%" if name == "Stock-out probability" else "#,##0.00"
    for c in range(d, wc + len(wcols)):
        ws.column_dimensions[get_column_letter(c)].width = 14

    # -- title, selector -------------------------------------------------------------------
    ws["A1"] = TITLE
    ws["A1"].font = Font(size=18, bold=True, color=_C_INK)
    subtitle = f"Bytes in {unit} ({scale:.0e} bytes). "
    if runs is not None and len(runs):
        last_run = runs.iloc[-1]
        when = last_run.get("Time")
        when = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else str(when or "")
        subtitle = (f"Run {last_run.get('RunId', '')} of {when}, workbook {last_run.get('Workbook', '')}, "
                    f"solver status {last_run.get('Status', '')}. ") + subtitle
    ws["A2"] = subtitle
    ws["A2"].font = Font(color="57606A")
    ws["A4"] = "Product"
    ws["A4"].font = Font(bold=True)
    ws["A4"].alignment = Alignment(horizontal="right")
    ws[SELECTOR] = selected
    ws[SELECTOR].font = Font(bold=True, size=12)
    ws[SELECTOR].fill = PatternFill("solid", fgColor="FFF8C5")
    thin = Side(style="thin", color="8C959F")
    ws[SELECTOR].border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["C4"] = f"\u25c0 pick a product or {ALL_PRODUCTS} from the drop-down; the cards and charts follow"
    ws["C4"].font = Font(italic=True, color="57606A")
    dv = DataValidation(type="list", formula1=f"={choice_ref}", allow_blank=False,
                        showErrorMessage=True, errorTitle="Product",
                        error=f"Pick {ALL_PRODUCTS} or one of the products in the list.",
                        promptTitle="Product", prompt="Pick the product the cards and charts show.",
                        showInputMessage=True)
    ws.add_data_validation(dv)
    dv.add(SELECTOR)

    # -- KPI cards ---------------------------------------------------------------------------
    match = f"((({P}[Product]={SELECTOR_ABS})+{all_})>0)"
    last_week = f"MAX({P}[WeekIndex])"
    cards: list[tuple[str, str, float | None, str]] = [
        ("Wafers planned", f"=SUMIFS({P}[Wafers],{P}[Product],{crit})", total["wafers"], "#,##0"),
        ("Service level (on time)",
         f"=IFERROR(1-SUMPRODUCT({match}*({P}[DemandBytes]+{P}[BacklogBytes]-ABS({P}[DemandBytes]-{P}[BacklogBytes]))/2)"
         f"/SUMIFS({P}[DemandBytes],{P}[Product],{crit}),\"\")", total["service_level"], "0.0%"),
        (f"Shortage at end ({unit})",
         f"=SUMIFS({P}[BacklogBytes],{P}[Product],{crit},{P}[WeekIndex],{last_week})/{u}",
         total["shortage_bytes"] / scale, "#,##0.00"),
        ("Quarter ends below SS",
         f"=SUMPRODUCT({match}*({P}[StockBytes]<{P}[SafetyStockBytes]*(1-{SS_REL_TOL:g})-{SS_ABS_TOL:g})"
         f"*ISNUMBER(MATCH({P}[WeekIndex],{ends_ref},0)))", total["quarter_ends_below_ss"], "#,##0"),
        ("Capacity used",
         f"=IFERROR(SUMIFS({P}[Wafers],{P}[Product],{crit})/SUMIFS({P}[CapacityWafers],{P}[Product],{crit}),\"\")",
         total["capacity_use"], "0.0%"),
    ]
    A = "LL_Alerts"
    if ALERTS in frames:
        cards.append(("Open alerts",
                      f"=IF({all_},COUNTIFS({A}[Status],\"new\")+COUNTIFS({A}[Status],\"open\"),"
                      f"COUNTIFS({A}[Product],{crit},{A}[Status],\"new\")+COUNTIFS({A}[Product],{crit},{A}[Status],\"open\"))",
                      total["open_alerts"], "#,##0"))
    else:
        cards.append(("Open alerts", "no LL_Alerts table", None, "@"))
    if risk is not None:
        cards.append(("Max stock-out probability",
                      f"=IF({all_},MAX({R}[StockoutProbability]),"
                      f"SUMPRODUCT(MAX(({R}[Product]={SELECTOR_ABS})*{R}[StockoutProbability])))",
                      total["max_stockout_probability"], "0.0%"))
    card_fill = PatternFill("solid", fgColor="F6F8FA")
    edge = Side(style="thin", color="D0D7DE")
    for k, (label, formula, all_value, fmt) in enumerate(cards):
        col = 1 + k * CARD_COLS
        for r in range(CARD_ROW, CARD_ROW + 3):
            for c in range(col, col + CARD_COLS):
                cell = ws.cell(row=r, column=c)
                cell.fill = card_fill
                cell.border = Border(top=edge if r == CARD_ROW else None,
                                     bottom=edge if r == CARD_ROW + 2 else None,
                                     left=edge if c == col else None,
                                     right=edge if c == col + CARD_COLS - 1 else None)
        for r in range(CARD_ROW, CARD_ROW + 3):
            ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + CARD_COLS - 1)
        ws.cell(row=CARD_ROW, column=col, value=label).font = Font(size=9, color="57606A")
        value = ws.cell(row=CARD_ROW + 1, column=col, value=formula)
        value.font = Font(size=16, bold=True, color=_C_INK)
        value.number_format = fmt
        value.alignment = Alignment(horizontal="left")
        other = ws.cell(row=CARD_ROW + 2, column=col,
                        value=None if all_value is None or (isinstance(all_value, float) and math.isnan(all_value))
                        else all_value)
        other.number_format = f'"all products: "{fmt}' if fmt != "@" else "@"
        other.font = Font(size=9, color="57606A")
        other.alignment = Alignment(horizontal="left")
    ws.row_dimensions[CARD_ROW + 1].height = 24

    # -- top findings --------------------------------------------------------------------------
    insights = frames.get(INSIGHTS)
    ws["A10"] = "Top findings"
    ws["A10"].font = Font(bold=True)
    if insights is not None and len(insights) and "Message" in insights.columns:
        ranked = insights.assign(_r=pd.to_numeric(insights.get("Rank"), errors="coerce")).sort_values("_r", kind="stable")
        for k, message in enumerate(ranked["Message"].astype(str).head(3)):
            ws.cell(row=11 + k, column=1, value=f"{k + 1}. {message}")
    else:
        ws["A11"] = "No LL_Insights table in this run."

    # -- charts --------------------------------------------------------------------------------
    charts = []
    # 1. the plan by quarter
    bar = BarChart()
    bar.type, bar.grouping, bar.gapWidth, bar.overlap = "col", "clustered", 60, -10
    for name, color in (("Demand", _C_DEMAND), ("Yielded supply", _C_SUPPLY)):
        bar.add_data(qb[name].ref(ws), titles_from_data=True)
        _fill(bar.series[-1], color)
    bar.set_categories(qb["Quarter"].ref(ws, with_header=False))
    line = LineChart()
    for name, color, dash in (("Stock (quarter end)", _C_STOCK, None), ("Safety stock target", _C_SAFETY, "dash"),
                              ("Backlog (quarter end)", _C_BACKLOG, None)):
        line.add_data(qb[name].ref(ws), titles_from_data=True)
        _line(line.series[-1], color, dash=dash)
    _title(bar, "Demand, yielded supply and stock by quarter")
    _axes(bar, unit)
    line.x_axis.delete = line.y_axis.delete = False
    bar += line
    charts.append(bar)

    # 2. stock vs safety stock by week
    stock = LineChart()
    for name, color, dash in (("Stock", _C_STOCK, None), ("Safety stock target", _C_SAFETY, "dash"),
                              ("Backlog", _C_BACKLOG, None)):
        stock.add_data(wb[name].ref(ws, last=w_plan_last), titles_from_data=True)
        _line(stock.series[-1], color, width=15000, dash=dash)
    stock.set_categories(wb["Label"].ref(ws, with_header=False, last=w_plan_last))
    _title(stock, "Inventory vs safety stock by week")
    _axes(stock, unit)
    _week_axis(stock, len(weeks))
    charts.append(stock)

    # 3. capacity by quarter
    cap = BarChart()
    cap.type, cap.grouping, cap.gapWidth = "col", "clustered", 60
    cap.add_data(qb["Wafers planned"].ref(ws), titles_from_data=True)
    _fill(cap.series[-1], _C_SUPPLY)
    cap.set_categories(qb["Quarter"].ref(ws, with_header=False))
    avail = LineChart()
    avail.add_data(qb["Wafers available"].ref(ws), titles_from_data=True)
    _line(avail.series[-1], _C_INK, dash="sysDash")
    _title(cap, "Capacity: wafer starts planned vs available by quarter")
    _axes(cap, "wafers")
    avail.x_axis.delete = avail.y_axis.delete = False
    cap += avail
    charts.append(cap)

    # 4. forecast band
    if forecast is not None:
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
        _week_axis(area, len(week_rows))
        area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]
        lines.x_axis.delete = lines.y_axis.delete = False
        area += lines
        charts.append(area)

    # 5. stock-out risk
    if risk is not None:
        prob = LineChart()
        prob.add_data(wb["Stock-out probability"].ref(ws, last=w_plan_last), titles_from_data=True)
        _line(prob.series[-1], _C_BACKLOG, width=15000)
        prob.set_categories(wb["Label"].ref(ws, with_header=False, last=w_plan_last))
        _title(prob, "Stock-out probability by week (across demand scenarios)")
        _axes(prob, "probability", "0%")
        prob.y_axis.scaling.min = 0
        prob.y_axis.scaling.max = 1
        _week_axis(prob, len(weeks))
        charts.append(prob)

    for slot, chart in enumerate(charts):
        chart.anchor = _anchor(slot)
        ws.add_chart(chart)

    last_row = CHART_TOP - 1 + ((len(charts) + 1) // 2) * CHART_ROWS
    ws.print_area = f"A1:{get_column_letter(GRID_COLS)}{last_row}"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


SELECTOR_ABS = "$" + SELECTOR[0] + "$" + SELECTOR[1:]
