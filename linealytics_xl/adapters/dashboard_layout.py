"""`layout`: where everything on the ``Dashboard`` goes, from the prepared figures (pure).

The one definition of the sheet's content, shared by every renderer (see `dashboard_cells` for
the layout's map and its data types).  Text (labels, product ids, messages) is put as text: it is
never a formula; only the formulas this module builds are formulas.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..core.contract import WHATIF as WHATIF_SPEC
from ..core.contract import Col, table_name
from ..core.kpis import KPIS, SS_REL_TOL
from .dashboard_cells import (
    C_BACKLOG,
    C_CARD,
    C_DEMAND,
    C_INK,
    C_MUTED,
    CARD_COLS,
    CARD_ROW,
    CHART_ROWS,
    CHART_TOP,
    COL_WIDTH,
    DATA_COL,
    FORECAST_COLUMNS,
    GRID_COLS,
    QUARTER_COLUMNS,
    RISK_COLUMNS,
    SELECTOR,
    SELECTOR_ABS,
    SS_ABS_TOL,
    TITLE,
    WEEK_COLUMNS,
    WHATIF_TOP,
    Block,
    Card,
    Layout,
    Validation,
    q,
)
from .dashboard_data import (
    ALERTS,
    ALL_PRODUCTS,
    FORECAST,
    INSIGHTS,
    PLAN,
    RISK,
    RUNS,
    Prepared,
    case_headline,
)
from .dashboard_print import block_ends

P, F, R, A = (table_name(t) for t in (PLAN, FORECAST, RISK, ALERTS))
IS_ALL = f"({SELECTOR_ABS}={q(ALL_PRODUCTS)})"


def _data_letter(offset: int) -> str:
    return Block(DATA_COL + offset, 0, 0, 0).letter


UNIT_CELL = f"${_data_letter(1)}$2"  # the byte unit the chart data divides by
CRIT_CELL = f"${_data_letter(1)}$3"  # SUMIFS criterion of the selection


def layout(p: Prepared) -> Layout:
    """The Dashboard of ``p``: cells, merges, drop-down, cards, what-if block and chart kinds."""
    out = Layout(unit=p.unit, plan_weeks=p.plan_weeks, backlog_apart=p.backlog_apart)
    for c in range(1, GRID_COLS + 1):
        out.widths[c] = COL_WIDTH
    out.widths[GRID_COLS + 1] = 4
    choice_ref = _data_header(out, p)
    ends_ref = _quarter_data(out, p)
    _week_data(out, p)
    _title_and_selector(out, p, choice_ref)
    out.cards = _cards(p, ends_ref)
    _put_cards(out)
    _findings(out, p)
    out.chart_top = _whatif_block(out, p) if p.cases else CHART_TOP
    out.charts = (
        ["plan", "stock", "capacity"] + (["forecast"] if p.forecast else []) + (["risk"] if p.risk else [])
    )
    out.print_ends = block_ends(out.chart_top - 1, CHART_ROWS, len(out.charts))
    return out


def _data_header(out: Layout, p: Prepared) -> str:
    """The chart data's note, unit, criterion and product list; returns the drop-down's range."""
    d = DATA_COL
    out.put(
        1,
        d,
        "Chart data: formulas over the LL_* tables that follow the "
        "product selector in B4. Rebuilt on every run; do not edit.",
        italic=True,
        color=C_MUTED,
    )
    out.put(2, d, "Byte unit")
    out.put(2, d + 1, p.scale, number_format="0E+0")
    out.put(2, d + 2, p.unit)
    # any product, or exactly the one picked ("=" keeps a name starting with < or > from reading
    # as a comparison, "~" escapes the wildcards)
    out.put(3, d, "Criterion")
    sel = SELECTOR_ABS
    out.formula(
        3,
        d + 1,
        f'=IF({IS_ALL},"*","="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({sel},"~","~~"),"*","~*"),"?","~?"))',
    )
    top = 5
    out.put(top, d, "Products", bold=True)
    choices = [ALL_PRODUCTS, *p.products]
    for k, name in enumerate(choices):
        out.put(top + 1 + k, d, name)
    letter = _data_letter(0)
    return f"${letter}${top + 1}:${letter}${top + len(choices)}"


def _quarter_data(out: Layout, p: Prepared) -> str:
    """Per quarter: SUMIFS of the plan for the selection; returns the range of quarter-end weeks."""
    top, qc = 5, DATA_COL + 2
    first, last = top + 1, top + len(p.ends)
    qb = {name: Block(qc + k, top, first, last) for k, name in enumerate(QUARTER_COLUMNS)}
    out.quarter = qb
    for name, block in qb.items():
        out.put(top, block.col, name, bold=True)
    crit, u = CRIT_CELL, UNIT_CELL
    for i, (quarter, last_week) in enumerate(p.ends.items()):
        r = first + i
        Q, L = f"${qb['Quarter'].letter}{r}", f"${qb['Last week'].letter}{r}"
        out.put(r, qb[Col.QUARTER].col, str(quarter))
        out.put(r, qb["Last week"].col, int(last_week))
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
            fmt = "#,##0" if name.startswith(Col.WAFERS) else "#,##0.00"
            out.formula(r, qb[name].col, formula, number_format=fmt)
    letter = qb["Last week"].letter
    return f"${letter}${first}:${letter}${last}"


def _week_formulas(p: Prepared, W: str, r: int, plan_row: bool, wb: dict[str, Block]) -> dict[str, str]:
    crit, u = CRIT_CELL, UNIT_CELL

    def has(table: str, col: str) -> str:
        return f'COUNTIFS({table}[Product],{crit},{table}[WeekIndex],{W},{table}[{col}],">-1E300")'

    def total_of(table: str, col: str) -> str:
        return f"SUMIFS({table}[{col}],{table}[Product],{crit},{table}[WeekIndex],{W})/{u}"

    cells = {}
    if plan_row:
        cells["Stock"] = f"={total_of(P, 'StockBytes')}"
        cells["Safety stock target"] = f"={total_of(P, 'SafetyStockBytes')}"
        cells["Backlog"] = f"={total_of(P, 'BacklogBytes')}"
        if p.risk:  # one product: its probability; all products: the highest of any product
            cells["Stock-out probability"] = (
                f"=IF({IS_ALL},SUMPRODUCT(MAX(({R}[WeekIndex]={W})*{R}[StockoutProbability])),"
                f"SUMIFS({R}[StockoutProbability],{R}[Product],{crit},{R}[WeekIndex],{W}))"
            )
    if p.forecast:
        p50, p10 = f"${wb['Forecast P50'].letter}{r}", f"${wb['Forecast P10'].letter}{r}"
        # The band is a product's; quantiles do not add up, so "All products" shows none.
        band = f"AND(NOT{IS_ALL},{has(F, 'P10')}>0,{has(F, 'P90')}>0)"
        cells["Forecast P50"] = f"=IF({has(F, 'P50')}=0,NA(),{total_of(F, 'P50')})"
        cells["Forecast P10"] = f"=IF({band},{total_of(F, 'P10')},{p50})"
        cells["P10-P90 band"] = f"=IF({band},{total_of(F, 'P90')}-{p10},0)"
        cells["Actual demand"] = f"=IF({has(F, 'Actual')}=0,NA(),{total_of(F, 'Actual')})"
    return cells


def _week_data(out: Layout, p: Prepared) -> None:
    """Per week: the plan's weeks, then the forecast's weeks after the plan."""
    top = 5
    wc = DATA_COL + 2 + len(QUARTER_COLUMNS) + 1
    first, last = top + 1, top + len(p.week_rows)
    out.plan_last = top + p.plan_weeks
    names = (
        list(WEEK_COLUMNS)
        + (list(FORECAST_COLUMNS) if p.forecast else [])
        + (list(RISK_COLUMNS) if p.risk else [])
    )
    wb = {name: Block(wc + k, top, first, last) for k, name in enumerate(names)}
    out.week = wb
    for name, block in wb.items():
        out.put(top, block.col, name, bold=True)
    for i, (week, label) in enumerate(p.week_rows):
        r = first + i
        out.put(r, wb[Col.WEEK].col, week)
        out.put(r, wb["Label"].col, label)
        cells = _week_formulas(p, f"${wb['Week'].letter}{r}", r, r <= out.plan_last, wb)
        for name, formula in cells.items():
            fmt = "0.0%" if name == "Stock-out probability" else "#,##0.00"
            out.formula(r, wb[name].col, formula, number_format=fmt)
    for c in range(DATA_COL, wc + len(names)):
        out.widths[c] = 14


def run_line(p: Prepared) -> str | None:
    """The sentence naming the run the Dashboard shows (the last LL_Runs row)."""
    runs = p.frames.get(RUNS)
    if runs is None or not len(runs):
        return None
    run = runs.iloc[-1]
    stamp: Any = run.get(Col.TIME)
    when = stamp.strftime("%Y-%m-%d %H:%M") if hasattr(stamp, "strftime") else str(stamp or "")
    return (
        f"Run {run.get('RunId', '')} of {when}, workbook {run.get('Workbook', '')}, "
        f"solver status {run.get('Status', '')}."
    )


def _title_and_selector(out: Layout, p: Prepared, choice_ref: str) -> None:
    out.put(1, 1, TITLE, size=18, bold=True, color=C_INK)
    line = run_line(p)
    if line is not None:
        out.put(2, 1, line, color=C_MUTED)
    unit_text = f"Bytes in {p.unit} (1 {p.unit} = {p.scale:.0e} bytes)." if p.scale > 1 else "Bytes."
    out.put(3, 1, unit_text, color=C_MUTED)
    out.put(4, 1, Col.PRODUCT, bold=True, align="right")
    out.put(
        4,
        2,
        p.selected,
        bold=True,
        size=12,
        fill="FFF8C5",
        edges=("left", "top", "bottom"),
        edge_color=C_DEMAND,
    )
    out.put(4, 3, None, edges=("right", "top", "bottom"), edge_color=C_DEMAND)
    out.merges.append(f"{SELECTOR}:C4")
    out.put(4, 4, f"\u25c0 pick a product or {ALL_PRODUCTS} from the drop-down; the cards and charts follow")
    out.put(4, 4, None, italic=True, color=C_MUTED)
    out.validation = Validation(
        SELECTOR,
        choice_ref,
        Col.PRODUCT,
        f"Pick {ALL_PRODUCTS} or one of the products in the list.",
        Col.PRODUCT,
        "Pick the product the cards and charts show.",
    )


def _cards(p: Prepared, ends_ref: str) -> list[Card]:
    """The KPI cards: selected product (formulas), all products (values)."""
    sel, crit, u, t = SELECTOR_ABS, CRIT_CELL, UNIT_CELL, p.total
    match = f"((({P}[Product]={sel})+{IS_ALL})>0)"
    served = f"({P}[DemandBytes]+{P}[BacklogBytes]-ABS({P}[DemandBytes]-{P}[BacklogBytes]))/2"
    below = f"({P}[StockBytes]<{P}[SafetyStockBytes]*(1-{SS_REL_TOL:g})-{SS_ABS_TOL:g})"
    shortage = t["shortage_bytes"]
    cards = [
        Card(KPIS["wafers"].name, f"=SUMIFS({P}[Wafers],{P}[Product],{crit})", t["wafers"], "#,##0"),
        Card(
            KPIS["service_level"].name,
            f'=IFERROR(1-SUMPRODUCT({match}*{served})/SUMIFS({P}[DemandBytes],{P}[Product],{crit}),"")',
            t["service_level"],
            "0.0%",
        ),
        Card(
            f"{KPIS['shortage_bytes'].name} ({p.unit})",
            f"=SUMIFS({P}[BacklogBytes],{P}[Product],{crit},{P}[WeekIndex],MAX({P}[WeekIndex]))/{u}",
            None if shortage is None else shortage / p.scale,
            "#,##0.00",
        ),
        Card(
            KPIS["quarter_ends_below_ss"].name,
            f"=SUMPRODUCT({match}*{below}*ISNUMBER(MATCH({P}[WeekIndex],{ends_ref},0)))",
            t["quarter_ends_below_ss"],
            "#,##0",
        ),
        Card(
            KPIS["capacity_use"].name,
            f'=IFERROR(SUMIFS({P}[Wafers],{P}[Product],{crit})/SUMIFS({P}[CapacityWafers],{P}[Product],{crit}),"")',
            t["capacity_use"],
            "0.0%",
        ),
    ]
    if p.alerts:
        by_product = f'COUNTIFS({A}[Product],{crit},{A}[Status],"new")+COUNTIFS({A}[Product],{crit},{A}[Status],"open")'
        every = f'COUNTIFS({A}[Status],"new")+COUNTIFS({A}[Status],"open")'
        cards.append(Card("Open alerts", f"=IF({IS_ALL},{every},{by_product})", t["open_alerts"], "#,##0"))
    else:
        cards.append(Card("Open alerts", "n/a", f"no {ALERTS} table", "@"))
    if p.risk:
        formula = f"=IF({IS_ALL},MAX({R}[StockoutProbability]),SUMPRODUCT(MAX(({R}[Product]={sel})*{R}[StockoutProbability])))"
        cards.append(Card(KPIS["stockout_probability"].name, formula, t["max_stockout_probability"], "0.0%"))
    return cards


def _put_cards(out: Layout) -> None:
    for k, card in enumerate(out.cards):
        col = 1 + k * CARD_COLS
        for r in range(CARD_ROW, CARD_ROW + 3):
            for c in range(col, col + CARD_COLS):
                edges = tuple(
                    side
                    for side, on in (
                        ("left", c == col),
                        ("right", c == col + CARD_COLS - 1),
                        ("top", r == CARD_ROW),
                        ("bottom", r == CARD_ROW + 2),
                    )
                    if on
                )
                out.put(r, c, None, fill=C_CARD, edges=edges)
            out.merges.append(
                f"{Block(col, 0, 0, 0).letter}{r}:{Block(col + CARD_COLS - 1, 0, 0, 0).letter}{r}"
            )
        out.put(CARD_ROW, col, card.label, size=9, color=C_MUTED, shrink=True)
        value = out.put(
            CARD_ROW + 1,
            col,
            None,
            size=16,
            bold=True,
            color=C_INK,
            number_format=card.number_format,
            align="left",
        )
        if card.formula.startswith("="):
            value.value, value.formula = card.formula, True
        else:
            value.value = card.formula  # "n/a": text
        all_value = card.all_value
        if isinstance(all_value, float) and math.isnan(all_value):
            all_value = None
        fmt = "@" if card.number_format == "@" else f'"all: "{card.number_format}'
        out.put(CARD_ROW + 2, col, all_value, size=9, color=C_MUTED, number_format=fmt, align="left")
    out.heights[CARD_ROW + 1] = 24


def _findings(out: Layout, p: Prepared) -> None:
    out.put(10, 1, "Top findings", bold=True)
    insights = p.frames.get(INSIGHTS)
    if insights is not None and len(insights) and Col.MESSAGE in insights.columns:
        if Col.RANK in insights.columns:
            order = pd.to_numeric(insights[Col.RANK], errors="coerce")
            insights = insights.assign(_r=order).sort_values("_r", kind="stable")
        for k, message in enumerate(insights[Col.MESSAGE].dropna().astype(str).head(3)):
            out.put(11 + k, 1, f"{k + 1}. {message}")
    else:
        out.put(11, 1, f"No {INSIGHTS} table in this run.")


#: The what-if block's columns: header, CaseRow field, contract column whose format it takes.
WHATIF_FIGURES = (
    (Col.WAFERS, "wafers", Col.WAFERS),
    ("Shortage", "shortage_bytes", Col.SHORTAGE_BYTES),
    ("Service level (lowest product)", "service_level", Col.SERVICE_LEVEL),
    ("Weeks below safety stock", "weeks_below_ss", Col.WEEKS_BELOW_SAFETY_STOCK),
    ("Capacity use (highest product)", "capacity_use", Col.CAPACITY_USE),
)


def _whatif_block(out: Layout, p: Prepared) -> int:
    """One row per what-if case (base first): its KPIs and the change to the base, as values
    (the block names no table, so a later run that drops LL_WhatIf cannot leave it dangling).
    Returns the first row of the chart grid below it."""
    top = WHATIF_TOP
    formats = {c.name: c.number_format for c in WHATIF_SPEC.columns}
    # cases of other inputs than this plan: the headline says so, in the backlog's red
    current = p.origin is not None and p.origin.current
    out.put(top, 1, case_headline(p.origin, p.cases[0].case), bold=True, color=None if current else C_BACKLOG)
    out.put(top + 1, 1, Col.CASE, bold=True, edges=("bottom",))
    for k, (header, _, _) in enumerate(WHATIF_FIGURES):
        out.put(top + 1, 2 + 2 * k, header, bold=True, edges=("bottom",))
        out.put(top + 1, 3 + 2 * k, "change", bold=True, color=C_MUTED, edges=("bottom",))
    base = p.cases[0]
    for i, case in enumerate(p.cases):
        r = top + 2 + i
        out.put(r, 1, case.case)
        for k, (_, attr, column) in enumerate(WHATIF_FIGURES):
            value, diff = getattr(case, attr), getattr(case, attr) - getattr(base, attr)
            fmt = formats[column]
            out.put(r, 2 + 2 * k, value, number_format=fmt)
            out.put(r, 3 + 2 * k, diff, number_format=f"+{fmt};-{fmt};{fmt}", color=C_MUTED)
    return top + 2 + len(p.cases) + 2
