"""Why a plan falls short, in figures a planner can act on.

For a product with backlog, the binding constraint is read off the plan (weeks at product or
total capacity), and the *uniform extra capacity* that would close the gap is exact under the
model: adding ``x`` wafers to every week's capacity up to week t raises cumulative supply by
``x * A[t]`` (A = cumulative bytes per wafer of the weeks whose output lands by t), so all backlog
disappears iff ``x >= max_t backlog[t] / A[t]``.

With a ramp limit (``PlanResult.ramp_wafers``) a product can be short while its line is far from
capacity: the starts could not climb fast enough.  The ramp is named as the binding cause when
more of the product's week-to-week steps sit at the limit than its weeks sit at capacity; extra
capacity is then not the fix (the uniform-capacity figure above assumes no ramp), a larger ramp
limit is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kpis import AT_CAPACITY, SERVED_TOL_BYTES, backlog_tolerance, product_kpis, shortage_phrase
from .model import PlanningData
from .optimize import PlanResult

__all__ = [
    "AT_CAPACITY",
    "SERVED_TOL_BYTES",
    "ProductSummary",
    "at_capacity",
    "backlog_tolerance",
    "summarize",
]


@dataclass(frozen=True)
class ProductSummary:
    product: str
    demand_bytes: float
    supply_bytes: float
    wafers: float
    shortage_bytes: float  # unserved at the end of the horizon
    shortage_share: float  # of total demand
    service_level: float  # KPI service_level (core.kpis)
    weeks_with_backlog: int
    quarter_ends_below_ss: int  # KPI quarter_ends_below_ss
    weeks_below_ss: int  # KPI weeks_below_ss
    capacity_use: float  # wafers / capacity over the horizon
    weeks_at_capacity: int
    binding: str  # "product capacity", "total capacity", "ramp limit", "" (none)
    first_backlog_week: int | None  # 0-based
    extra_wafers_per_week: float  # uniform capacity increase that closes all backlog
    message: str


def at_capacity(data: PlanningData, result: PlanResult) -> tuple[np.ndarray, np.ndarray]:
    """Masks [P, T] of weeks at product capacity and [T] weeks at total capacity."""
    cap = data.capacity
    prod = result.wafers >= cap * (1 - AT_CAPACITY) - 1e-9
    total = np.isfinite(data.total_capacity) & (
        result.wafers.sum(axis=0) >= data.total_capacity * (1 - AT_CAPACITY) - 1e-9
    )
    return prod & (cap > 0), total


def ramp_steps(result: PlanResult) -> np.ndarray:
    """Per product, the week-to-week steps at the plan's ramp limit (0 without a limit)."""
    N = result.ramp_wafers
    if not N:
        return np.zeros(result.wafers.shape[0], dtype=int)
    steps = np.abs(np.diff(result.wafers, axis=1))
    return (steps >= N * (1 - AT_CAPACITY) - 1e-9).sum(axis=1)


def lot_bound_weeks(data: PlanningData, result: PlanResult, at_cap: np.ndarray) -> np.ndarray:
    """Per product, the weeks below capacity whose spare capacity cannot hold one more whole lot
    (0 without lots): there, the lot size and not the capacity stops more starts."""
    lot = result.lot_size_wafers
    if not lot:
        return np.zeros(result.wafers.shape[0], dtype=int)
    spare = data.capacity - result.wafers
    return ((spare < lot - 1e-6) & ~at_cap).sum(axis=1)


def summarize(
    data: PlanningData, result: PlanResult, cycle_time_weeks: int = 0, demand: np.ndarray | None = None
) -> list[ProductSummary]:
    prod_full, total_full = at_capacity(data, result)
    ends = data.quarter_end_weeks()
    quarter_end = np.zeros(data.n_weeks, dtype=bool)
    quarter_end[ends[ends >= 0]] = True
    safety = data.safety_stock[:, data.week_quarter]
    demand = data.demand if demand is None else demand
    a = data.yielded_bytes_per_wafer()
    at_ramp = ramp_steps(result)
    lot_bound = lot_bound_weeks(data, result, prod_full)
    out = []
    for p, name in enumerate(data.products):
        demand_p = float(demand[p].sum())
        backlog = result.backlog[p]
        k = product_kpis(
            demand[p], backlog, result.stock[p], safety[p], result.wafers[p], data.capacity[p], quarter_end
        )
        shortage = k["shortage_bytes"]
        weeks_backlog = int(k["weeks_with_backlog"])
        lag = cycle_time_weeks
        cum_a = np.zeros(data.n_weeks)
        cum_a[lag:] = np.cumsum(a[p, : data.n_weeks - lag])
        first = int(np.argmax(backlog > backlog_tolerance(demand_p))) if weeks_backlog else None
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.where(backlog > 0, backlog / np.where(cum_a > 0, cum_a, np.nan), 0.0)
        extra = float(np.nanmax(need)) if weeks_backlog else 0.0
        if not np.isfinite(extra):
            extra = float("inf")
        binding = ""
        if weeks_backlog:
            weeks_p = int(prod_full[p].sum())
            weeks_t = int((total_full & ~prod_full[p]).sum())
            binding = "product capacity" if weeks_p >= weeks_t else "total capacity"
            if at_ramp[p] > max(weeks_p, weeks_t):
                binding = "ramp limit"
            if lot_bound[p] > max(weeks_p, weeks_t, at_ramp[p]):
                binding = "lot size"
        msg = _message(
            data,
            name,
            demand_p,
            shortage,
            weeks_backlog,
            first,
            binding,
            extra,
            int(prod_full[p].sum()),
            int(at_ramp[p]),
            result.ramp_wafers,
            (result.lot_size_wafers, float(data.capacity[p].max(initial=0.0)), int(lot_bound[p])),
        )
        out.append(
            ProductSummary(
                product=name,
                demand_bytes=demand_p,
                supply_bytes=float(result.supply[p].sum()),
                wafers=float(result.wafers[p].sum()),
                shortage_bytes=shortage,
                shortage_share=shortage / demand_p if demand_p > 0 else 0.0,
                service_level=k["service_level"],
                weeks_with_backlog=weeks_backlog,
                quarter_ends_below_ss=int(k["quarter_ends_below_ss"]),
                weeks_below_ss=int(k["weeks_below_ss"]),
                capacity_use=k["capacity_use"],
                weeks_at_capacity=int(prod_full[p].sum()),
                binding=binding,
                first_backlog_week=first,
                extra_wafers_per_week=extra,
                message=msg,
            )
        )
    return out


def _message(
    data,
    name,
    demand,
    shortage,
    weeks_backlog,
    first,
    binding,
    extra,
    weeks_full,
    steps_at_ramp=0,
    ramp=None,
    lots=(0.0, 0.0, 0),
) -> str:
    if not weeks_backlog:
        return f"{name}: all demand served on time."
    w = data.weeks
    where = f"{w.labels[first]} {w.quarters[first]}" if first is not None else ""
    if binding == "ramp limit":
        fix = (
            f"starts change by the full {ramp:,.0f} wafers in {steps_at_ramp} of the week-to-week steps; "
            "a larger ramp limit would ease it"
        )
    elif binding == "lot size":
        lot, top, weeks_lot = lots
        fix = (
            f"a lot of {lot:,.0f} wafers is more than its largest weekly capacity ({top:,.0f} wafers): "
            "no lot can start; a smaller lot_size_wafers would let it plan"
            if lot > top
            else f"in {weeks_lot} weeks the spare capacity cannot hold one more lot of {lot:,.0f} wafers; "
            "a smaller lot_size_wafers would ease it"
        )
    elif not np.isfinite(extra):
        fix = "no capacity increase can close it: demand falls before any wafer can be output (cycle time)"
    else:
        fix = f"+{extra:,.0f} wafers per week of capacity (every week) would close it"
    end = shortage_phrase(shortage, demand) if shortage > 0 else "all of it caught up by the horizon end"
    return (
        f"{name}: backlog in {weeks_backlog} weeks from {where}, {end}; {binding} binds "
        f"({weeks_full} weeks at capacity); {fix}."
    )
