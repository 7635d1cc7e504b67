"""The KPI vocabulary: one definition per key figure, shared by every place that shows one.

The command line, the Dashboard (its cards are Excel formulas that follow these definitions), the
insights, the alerts, the report mail and the Power BI measures all speak of the same figures
under the same names.  Each figure is computed here from the arrays the output tables hold, so
that a figure shown anywhere can be recomputed from ``LL_Plan`` / ``LL_Risk`` alone
(`plan_kpis`); `docs/tables.md` lists these definitions and a test keeps the two in step.

Tolerances live here too: the solver reports about 8 significant digits, so a few bytes of
backlog or a sliver of stock below target are round-off, not a shortage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contract import Col

SERVED_TOL_BYTES = 64.0  # backlog (bytes) below this is solver round-off, not a shortage
SS_REL_TOL = 1e-6  # stock below its target by less than this share (and SERVED_TOL_BYTES)
AT_CAPACITY = 1e-4  # relative tolerance for "runs at capacity" (solver round-off is ~1e-5)
SAME_REL_TOL = 1e-9  # two runs' figures closer than this share are one figure (round-off)


def same_figure(a: object, b: object) -> bool:
    """Whether two runs' values of a figure are the same to a planner: equal, or numbers apart by
    round-off only.  A workbook re-saved by a tool that writes 15 significant digits (openpyxl
    turns 141337199.35999998 into 141337199.36) changes demand in its 16th digit: 48.317080434472830
    against ...472824 GB is not a change a planner made."""
    numbers = (int, float)
    if (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return math.isclose(a, b, rel_tol=SAME_REL_TOL, abs_tol=SAME_REL_TOL)
    return a == b


def backlog_tolerance(total_demand: float) -> float:
    """Backlog (bytes) that still counts as fully served: a few bytes of round-off accumulate over
    hundreds of weeks, so the bar grows with the product's demand (1e-9 of it, at least 64 bytes)."""
    return max(SERVED_TOL_BYTES, 1e-9 * float(total_demand))


def below_target(stock: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where stock is below its safety-stock target by more than round-off."""
    return np.asarray(stock) < np.asarray(target) * (1 - SS_REL_TOL) - SERVED_TOL_BYTES


def above_limit(stock: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Where stock is above a limit (overstock, a band's upper end) by more than round-off: the
    mirror of `below_target`, with the same tolerances."""
    return np.asarray(stock) > np.asarray(limit) * (1 + SS_REL_TOL) + SERVED_TOL_BYTES


def without_round_off(
    stock: np.ndarray, backlog: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Stock and backlog ([P, T]) as the tables show them: backlog within a product's round-off
    tolerance is exact 0, so a product served in full shows no backlog at all.

    The solver never holds stock and backlog in the same week, so a sliver of backlog stands for a
    net position a few bytes below zero; it becomes zero stock and zero backlog (the net moves by
    less than the tolerance, at most 64 bytes on a product's 1e11).
    """
    tol = np.maximum(SERVED_TOL_BYTES, 1e-9 * np.asarray(demand, dtype=float).sum(axis=1))[:, None]
    small = (backlog > 0) & (backlog <= tol)
    return np.where(small, np.maximum(stock - backlog, 0.0), stock), np.where(small, 0.0, backlog)


@dataclass(frozen=True)
class Kpi:
    """One key figure: how it is named wherever it is shown, what it means, how Excel formats it."""

    key: str
    name: str
    short: str  # column heading where space is tight (the command line's summary)
    unit: str  # share, probability, bytes, wafers, count
    grain: str
    formula: str
    number_format: str


KPIS: dict[str, Kpi] = {
    k.key: k
    for k in (
        Kpi(
            "wafers",
            "Wafers planned",
            Col.WAFERS,
            "wafers",
            "product or all products, whole horizon",
            "sum of LL_Plan.Wafers",
            "#,##0",
        ),
        Kpi(
            "service_level",
            "Service level (on time)",
            "Service",
            "share",
            "product or all products, whole horizon",
            "1 - sum over weeks of min(DemandBytes, BacklogBytes) / sum of DemandBytes: the share of each "
            "week's demand delivered in that week (backlog is served first in first out)",
            "0.0%",
        ),
        Kpi(
            "shortage_bytes",
            "Shortage at the end",
            "Short at end",
            "bytes",
            "product or all products, last week",
            "LL_Plan.BacklogBytes of the last week; 0 where it is below the round-off tolerance",
            "#,##0",
        ),
        Kpi(
            "weeks_with_backlog",
            "Weeks with backlog",
            "Wks backlog",
            "count",
            "product (all products: product-weeks)",
            "weeks whose BacklogBytes exceed the round-off tolerance",
            "#,##0",
        ),
        Kpi(
            "quarter_ends_below_ss",
            "Quarter ends below safety stock",
            "Qtr ends < SS",
            "count",
            "product (all products: product-quarters)",
            "quarters whose last week's StockBytes is below SafetyStockBytes (the target binds at quarter "
            "ends)",
            "#,##0",
        ),
        Kpi(
            "weeks_below_ss",
            "Weeks below safety stock",
            "Wks < SS",
            "count",
            "product (all products: product-weeks)",
            "weeks whose StockBytes is below that quarter's SafetyStockBytes",
            "#,##0",
        ),
        Kpi(
            "capacity_use",
            "Capacity use",
            "Cap. use",
            "share",
            "product or all products, whole horizon",
            "sum of Wafers / sum of CapacityWafers",
            "0.0%",
        ),
        Kpi(
            "fill_rate",
            "Fill rate (scenarios)",
            "Fill rate",
            "share",
            "product, whole horizon, mean over scenarios",
            "LL_Risk.FillRate: served / demanded bytes in the bootstrapped demand scenarios, with weekly "
            "re-planning (all products: weighted by planned demand)",
            "0.0%",
        ),
        Kpi(
            "stockout_probability",
            "Peak stock-out probability",
            "Peak P(out)",
            "probability",
            "product or all products",
            "the highest LL_Risk.StockoutProbability of any week",
            "0.0%",
        ),
    )
}


def product_kpis(
    demand: np.ndarray,
    backlog: np.ndarray,
    stock: np.ndarray,
    safety: np.ndarray,
    wafers: np.ndarray,
    capacity: np.ndarray,
    quarter_end: np.ndarray,
) -> dict[str, float]:
    """The plan KPIs of one product from its weekly arrays ([T] each; ``safety`` is the week's
    quarter target, ``quarter_end`` a [T] bool mask of quarters' last weeks)."""
    total = float(demand.sum())
    tol = backlog_tolerance(total)
    cap = float(capacity.sum())
    low = below_target(stock, safety)
    late = np.where(backlog > tol, np.minimum(demand, backlog), 0.0)
    return {
        "wafers": float(wafers.sum()),
        "service_level": 1.0 - float(late.sum()) / total if total > 0 else 1.0,
        "shortage_bytes": float(backlog[-1]) if len(backlog) and backlog[-1] > tol else 0.0,
        "weeks_with_backlog": float((backlog > tol).sum()),
        "quarter_ends_below_ss": float((low & quarter_end).sum()),
        "weeks_below_ss": float(low.sum()),
        "capacity_use": float(wafers.sum()) / cap if cap > 0 else 0.0,
    }


_PLAN_COLS = (
    Col.DEMAND_BYTES,
    Col.BACKLOG_BYTES,
    Col.STOCK_BYTES,
    Col.SAFETY_STOCK_BYTES,
    Col.WAFERS,
    Col.CAPACITY_WAFERS,
)


def products_kpis(plan: pd.DataFrame, products: list[str] | None = None) -> dict[str, dict[str, float]]:
    """The plan KPIs of each product (``products``, default all, in table order) from ``LL_Plan``."""
    return _per_product(plan, products)[0]


def _per_product(
    plan: pd.DataFrame, products: list[str] | None
) -> tuple[dict[str, dict[str, float]], dict[str, float], float]:
    """(KPIs, demand) per product and the products' total capacity, each product's rows taken
    once from one groupby."""
    frame = plan.assign(
        WeekIndex=pd.to_numeric(plan[Col.WEEK_INDEX], errors="coerce"),
        Product=plan[Col.PRODUCT].astype(str),
        **{c: pd.to_numeric(plan[c], errors="coerce").fillna(0.0) for c in _PLAN_COLS},
    )
    frame = frame.sort_values([Col.PRODUCT, Col.WEEK_INDEX], kind="stable")
    last_week = frame.groupby(Col.QUARTER, sort=False)[Col.WEEK_INDEX].transform("max")
    frame = frame.assign(_end=frame[Col.WEEK_INDEX].eq(last_week))
    names = products if products is not None else list(dict.fromkeys(plan[Col.PRODUCT].astype(str)))
    frame = frame[frame[Col.PRODUCT].isin(names)]
    cols = {c: frame[c].to_numpy(float) for c in _PLAN_COLS}
    end = frame["_end"].to_numpy(bool)
    groups = frame.groupby(Col.PRODUCT, sort=False).indices  # positions of each product's rows, in week order
    out, demand = {}, {}
    for name in names:
        rows = groups.get(name, np.array([], dtype=int))
        demand_, backlog, stock, safety, wafers, capacity = (cols[c][rows] for c in _PLAN_COLS)
        out[name] = product_kpis(demand_, backlog, stock, safety, wafers, capacity, end[rows])
        demand[name] = float(cols[Col.DEMAND_BYTES][rows].sum())
    return out, demand, float(cols[Col.CAPACITY_WAFERS].sum())


def plan_kpis(
    plan: pd.DataFrame, risk: pd.DataFrame | None = None, product: str | None = None
) -> dict[str, float]:
    """The KPIs of one product (or all products, ``None``) from the ``LL_Plan`` and ``LL_Risk``
    tables as written: what every consumer of the tables can recompute."""
    each, demand_of, capacity = _per_product(plan, [str(product)] if product is not None else None)
    names = list(each)
    out = _combine(list(each.values()), [demand_of[n] for n in names], capacity)
    if risk is not None and len(risk):
        r = risk.assign(Product=risk[Col.PRODUCT].astype(str))
        r = r[r[Col.PRODUCT].isin(names)]
        prob = pd.to_numeric(r[Col.STOCKOUT_PROBABILITY], errors="coerce")
        out["stockout_probability"] = float(prob.max()) if len(r) else 0.0
        fill = pd.to_numeric(r.groupby(Col.PRODUCT, sort=False)[Col.FILL_RATE].first(), errors="coerce")
        weights = np.array([demand_of.get(n, 0.0) for n in fill.index])
        out["fill_rate"] = (
            float(np.average(fill.to_numpy(float), weights=weights))
            if weights.sum() > 0
            else float(fill.mean())
        )
    return out


def _combine(per: list[dict[str, float]], demand: list[float], capacity: float) -> dict[str, float]:
    """All products' KPIs from each product's: sums, and shares weighted by their denominators."""
    if len(per) == 1:
        return dict(per[0])
    total = sum(demand)
    out = {
        k: float(sum(p[k] for p in per))
        for k in ("wafers", "shortage_bytes", "weeks_with_backlog", "quarter_ends_below_ss", "weeks_below_ss")
    }
    late = sum((1.0 - p["service_level"]) * d for p, d in zip(per, demand))
    out["service_level"] = 1.0 - late / total if total > 0 else 1.0
    out["capacity_use"] = out["wafers"] / capacity if capacity > 0 else 0.0
    return out


def format_kpi(key: str, value: float | None) -> str:
    """A KPI as people read it: shares as percentages, bytes in GB with separators, counts whole."""
    if value is None or not np.isfinite(value):
        return ""
    unit = KPIS[key].unit
    if unit in ("share", "probability"):
        return f"{value:.1%}"
    if unit == "bytes":
        return format_bytes(value)
    return f"{value:,.0f}"


def format_bytes(value: float) -> str:
    """Bytes in GB (the unit planners quote), with thousands separators and no float noise."""
    return f"{value / 1e9:,.2f} GB"


def shortage_phrase(shortage_bytes: float, demand_bytes: float) -> str:
    """The shortage KPI in words, as every message about a short product says it (the summary,
    the insights, the alerts): ``138.21 GB (68% of demand) still unserved at the end of the
    plan``."""
    share = f" ({shortage_bytes / demand_bytes:.0%} of demand)" if demand_bytes > 0 else ""
    return f"{format_bytes(shortage_bytes)}{share} still unserved at the end of the plan"


def format_measure(key: str, value: object) -> str:
    """A run-record figure (a KPI key, ``*_bytes``, ``wafers``, a solver objective) as people read
    it; text (a solver status) as it is."""
    if value is None:
        return ""
    if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
        return str(value)
    v = float(value)
    if not np.isfinite(v):
        return ""
    if key in KPIS:
        return format_kpi(key, v)
    if key == "backlog_byte_weeks":
        return f"{v / 1e9:,.2f} GB-weeks"
    if key == "bytes" or key.endswith("_bytes"):
        return format_bytes(v)
    return f"{v:,.0f}"
