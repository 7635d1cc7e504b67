"""What the ``Dashboard`` shows, computed from the output tables (pure: no workbook, no I/O).

Every renderer of the Dashboard (the package writer, openpyxl, the live book) starts from the
`Prepared` figures built here, so the cards, the chart data and the what-if block are defined once.

Definitions (the same as the DAX measures in ``install/powerbi/measures.dax``):

* service level: share of demand served in its own week, ``1 - sum(min(demand, backlog)) / sum(demand)``
  (a week's unserved demand is the part of it still in the week-end backlog);
* shortage: backlog at the last week of the plan;
* quarter ends below safety stock: quarter-end weeks whose stock is below the quarter's target;
* capacity used: wafers planned / wafers available;
* open alerts: ``LL_Alerts`` rows with Status ``new`` or ``open``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..core import tables as T
from ..core.case_origin import CaseOrigin, Match, case_origin, mismatch
from ..core.contract import Col
from ..core.kpis import plan_kpis

PLAN, RUNS, FORECAST, RISK, INSIGHTS, ALERTS, WHATIF = (
    T.PLAN,
    T.RUNS,
    T.FORECAST,
    T.RISK,
    T.INSIGHTS,
    T.ALERTS,
    T.WHATIF,
)
#: The tables the Dashboard reads (this run's, else the workbook's previous ones).
DASHBOARD_TABLES = (PLAN, RUNS, FORECAST, RISK, INSIGHTS, ALERTS, WHATIF)
ALL_PRODUCTS = "All products"
OPEN_STATUSES = ("new", "open")
# A backlog above this many times the stock (or safety stock) gets its own axis on the weekly chart.
BACKLOG_APART = 3.0
_UNITS = ((1e18, "EB"), (1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))

PLAN_NEEDS = (
    Col.PRODUCT,
    Col.QUARTER,
    Col.WEEK_INDEX,
    Col.DEMAND_BYTES,
    Col.WAFERS,
    Col.SUPPLY_BYTES,
    Col.STOCK_BYTES,
    Col.BACKLOG_BYTES,
    Col.SAFETY_STOCK_BYTES,
    Col.CAPACITY_WAFERS,
)
FORECAST_NEEDS = (Col.PRODUCT, Col.WEEK_INDEX, Col.P10, Col.P50, Col.P90, Col.ACTUAL)
RISK_NEEDS = (Col.PRODUCT, Col.WEEK_INDEX, Col.STOCKOUT_PROBABILITY)
ALERTS_NEEDS = (Col.PRODUCT, Col.STATUS)
WHATIF_NEEDS = (
    Col.CASE,
    Col.PRODUCT,
    Col.WAFERS,
    Col.SHORTAGE_BYTES,
    Col.SERVICE_LEVEL,
    Col.WEEKS_BELOW_SAFETY_STOCK,
    Col.CAPACITY_USE,
)


class DashboardError(Exception):
    """The dashboard cannot be written (the message says why); the workbook is not changed."""


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(frame[col], errors="coerce").fillna(0.0).astype(float)


def _quarter_ends(plan: pd.DataFrame) -> pd.Series:
    """Last WeekIndex of each quarter, quarters in plan order (index: quarter label)."""
    weeks = plan[[Col.QUARTER, Col.WEEK_INDEX]].assign(WeekIndex=_num(plan, Col.WEEK_INDEX))
    weeks = weeks.sort_values(Col.WEEK_INDEX, kind="stable")
    return weeks.groupby(Col.QUARTER, sort=False)[Col.WEEK_INDEX].max().astype(int)


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
            alerts = alerts[alerts[Col.PRODUCT].astype(str) == str(product)]
        status = alerts[Col.STATUS].astype("string").fillna("").str.strip().str.lower()
        out["open_alerts"] = float(status.isin(OPEN_STATUSES).sum())
    risk = tables.get(RISK)
    if risk is not None:
        if product is not None:
            risk = risk[risk[Col.PRODUCT].astype(str) == str(product)]
        out["max_stockout_probability"] = (
            float(_num(risk, Col.STOCKOUT_PROBABILITY).max()) if len(risk) else 0.0
        )
    return out


def _unit(plan: pd.DataFrame) -> tuple[float, str]:
    """One byte unit for every chart: the largest quarterly flow or stock level reads 1..999."""
    by_q = (
        plan.assign(D=_num(plan, Col.DEMAND_BYTES), S=_num(plan, Col.SUPPLY_BYTES))
        .groupby([Col.PRODUCT, Col.QUARTER], sort=False)[["D", "S"]]
        .sum()
    )
    top = max(
        float(by_q.to_numpy().max(initial=0.0)),
        float(_num(plan, Col.STOCK_BYTES).max()),
        float(_num(plan, Col.SAFETY_STOCK_BYTES).max()),
        float(_num(plan, Col.BACKLOG_BYTES).max()),
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
        S=_num(plan, Col.STOCK_BYTES),
        T=_num(plan, Col.SAFETY_STOCK_BYTES),
        B=_num(plan, Col.BACKLOG_BYTES),
        W=_num(plan, Col.WEEK_INDEX),
    )
    total = frame.groupby("W")[["S", "T", "B"]].sum().assign(Product="")
    tops = pd.concat([frame, total.reset_index()]).groupby(Col.PRODUCT)[["S", "T", "B"]].max()
    return bool((tops["B"] > BACKLOG_APART * tops[["S", "T"]].max(axis=1)).any())


@dataclass(frozen=True)
class CaseRow:
    """One row of the what-if comparison: a case's KPIs over all products, and its change to the base.

    Wafers, shortage and weeks below safety stock add up over products; service level is the
    lowest and capacity use the highest of any product (ratios do not add up, and the worst
    product is what a planner compares cases by)."""

    case: str
    wafers: float
    shortage_bytes: float
    service_level: float
    weeks_below_ss: float
    capacity_use: float


def case_rows(whatif: pd.DataFrame) -> list[CaseRow]:
    """The comparison rows of an ``LL_WhatIf`` table, cases in table order (the base first)."""
    frame = whatif.dropna(subset=[Col.CASE]).assign(Case=lambda f: f[Col.CASE].astype(str))
    out = []
    for case, rows in frame.groupby(Col.CASE, sort=False):
        out.append(
            CaseRow(
                str(case),
                float(_num(rows, Col.WAFERS).sum()),
                float(_num(rows, Col.SHORTAGE_BYTES).sum()),
                float(_num(rows, Col.SERVICE_LEVEL).min()),
                float(_num(rows, Col.WEEKS_BELOW_SAFETY_STOCK).sum()),
                float(_num(rows, Col.CAPACITY_USE).max()),
            )
        )
    return out


@dataclass
class Prepared:
    """Everything the Dashboard's layout needs, computed once from the tables."""

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
    cases: list[CaseRow]  # the what-if comparison (empty: no block)
    origin: CaseOrigin | None = None  # which plan the cases belong to (None: no cases)


def _checked_plan(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    plan = frames.get(PLAN)
    if plan is None:
        raise DashboardError(f"no {PLAN} table in the workbook: nothing to show")
    missing = [c for c in PLAN_NEEDS if c not in plan.columns]
    if missing:
        raise DashboardError(f"{PLAN} lacks column(s) {', '.join(missing)}")
    plan = plan.dropna(subset=[Col.PRODUCT, Col.WEEK_INDEX])
    if plan.empty:
        raise DashboardError(f"{PLAN} has no rows: nothing to show")
    return plan.assign(Product=plan[Col.PRODUCT].astype(str), Quarter=plan[Col.QUARTER].astype(str))


def _week_rows(plan: pd.DataFrame, forecast: pd.DataFrame | None) -> tuple[list[tuple[int, str]], int]:
    """(WeekIndex, axis label) of the weekly chart data: the plan's weeks, then the forecast's
    weeks after them; and the number of plan weeks."""
    weeks = (
        plan.assign(W=_num(plan, Col.WEEK_INDEX).astype(int))
        .sort_values("W", kind="stable")
        .drop_duplicates("W")
    )
    rows = list(zip(weeks["W"].tolist(), weeks[Col.QUARTER].tolist()))
    if forecast is not None:
        extra = forecast.assign(W=pd.to_numeric(forecast[Col.WEEK_INDEX], errors="coerce")).dropna(
            subset=["W"]
        )
        extra = extra[~extra["W"].astype(int).isin(set(weeks["W"]))].sort_values("W", kind="stable")
        extra = extra.drop_duplicates("W")
        labels = (
            extra[Col.WEEK] if Col.WEEK in extra.columns else pd.Series([""] * len(extra), index=extra.index)
        )
        rows += [(int(w), "" if pd.isna(label) else str(label)) for w, label in zip(extra["W"], labels)]
    return rows, len(weeks)


def prepare(tables: Mapping[str, pd.DataFrame]) -> Prepared:
    """The Dashboard's figures from the output tables (``LL_Plan`` required, with rows).

    Tables of another shape than the Dashboard needs are left out (their chart or block with
    them).  Raises `DashboardError` when there is no usable plan."""
    frames = {name: tables[name] for name in DASHBOARD_TABLES if tables.get(name) is not None}
    plan = _checked_plan(frames)
    frames[PLAN] = plan
    for name, needs in (
        (FORECAST, FORECAST_NEEDS),
        (RISK, RISK_NEEDS),
        (ALERTS, ALERTS_NEEDS),
        (WHATIF, WHATIF_NEEDS),
    ):
        if name in frames and not set(needs) <= set(frames[name].columns):
            del frames[name]  # a table of another shape: leave its chart out
    scale, unit = _unit(plan)
    week_rows, plan_weeks = _week_rows(plan, frames.get(FORECAST))
    whatif = frames.get(WHATIF)
    return Prepared(
        frames=frames,
        plan=plan,
        products=list(dict.fromkeys(plan[Col.PRODUCT])),
        ends=_quarter_ends(plan),
        scale=scale,
        unit=unit,
        plan_weeks=plan_weeks,
        week_rows=week_rows,
        forecast=FORECAST in frames,
        risk=RISK in frames,
        alerts=ALERTS in frames,
        selected=ALL_PRODUCTS,
        backlog_apart=_backlog_apart(plan),
        total=kpis(frames),
        cases=case_rows(whatif) if whatif is not None else [],
        origin=case_origin(whatif, frames.get(RUNS)) if whatif is not None else None,
    )


def case_headline(origin: CaseOrigin | None, base: str) -> str:
    """The what-if block's headline: when its cases were planned and whether on the inputs and
    settings of the plan the Dashboard shows (the latest LL_Runs row).  Cases of another plan are
    shown, but the headline says so and what to do (`core.case_origin.mismatch`, the wording the
    plan's note uses too): a planner must never take their base for this plan."""
    origin = origin or CaseOrigin(None, None, Match.UNKNOWN)
    of = f" of {origin.time:%Y-%m-%d %H:%M}" if origin.time is not None else ""
    found = mismatch(origin)
    if found is None:
        return (
            f"What-if cases{of} ({WHATIF}), planned on this plan's inputs: all products; "
            f"change to {base} beside each figure"
        )
    why, advice = found
    return f"What-if cases{of} ({WHATIF}) {why}: their {base} row is not this plan. {advice}".strip()
