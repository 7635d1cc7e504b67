"""Alert conditions of one run: one `Condition` per episode worth someone's attention.

The rules that read the plan (stock-outs, stock-out risk, safety stock, overproduction, capacity)
and the import warnings; the forecast drift rules are in `core.alert_drift`, the table across
runs in `core.alerts` (whose docstring describes every type, identity and aggregation).
Thresholds against round-off come from `core.kpis`, so a condition states only what is true.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .explain import ProductSummary, at_capacity
from .kpis import above_limit, backlog_tolerance, below_target, format_bytes, shortage_phrase
from .model import Issue, PlanningData
from .optimize import PlanResult
from .risk import RiskResult

SEVERITIES = ("critical", "warning", "info")
TYPES = (
    "stockout",
    "stockout_risk",
    "safety_stock",
    "overproduction",
    "capacity",
    "forecast_drift",
    "data_quality",
)
TOTAL = "Total"  # product name of alerts about the total capacity
RISK_GAP_WEEKS = 13  # stock-out risk runs closer than this are one episode


@dataclass(frozen=True)
class Condition:
    """One alert-worthy episode of the current run.

    ``anchor`` identifies the episode together with ``type`` and ``product`` (it goes into the
    ``AlertId``); ``week`` is what the table shows (a week, a range of weeks or quarters, ...).
    """

    type: str
    severity: str
    product: str
    anchor: str
    week: str
    value: float
    threshold: float
    message: str

    @property
    def alert_id(self) -> str:
        return alert_id(self.type, self.product, self.anchor)


def alert_id(type_: str, product: str, anchor: str) -> str:
    """Stable id of a condition: the same type, product and anchor give the same id in every run."""
    key = "\x1f".join((str(type_).strip(), str(product).strip(), str(anchor).strip()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12].upper()


def runs(mask: Sequence[bool] | np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """``(first, last)`` index of each run of True; runs separated by at most ``max_gap`` False
    values are merged."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


class PeriodNames:
    """Week and quarter names of a plan."""

    def __init__(self, data: PlanningData):
        self.labels = data.weeks.labels
        self.quarters = data.weeks.quarters

    def week(self, t: int) -> str:
        return f"{self.quarters[t]} {self.labels[t]}"

    def weeks(self, a: int, b: int) -> str:
        return self.week(a) if a == b else f"{self.week(a)} to {self.week(b)}"


def _quarter_span(names: Sequence[str], a: int, b: int) -> str:
    return names[a] if a == b else f"{names[a]} to {names[b]}"


def stockout_conditions(
    data: PlanningData, result: PlanResult, summaries: Sequence[ProductSummary] | None = None
) -> list[Condition]:
    ax = PeriodNames(data)
    found = []
    by_product = {s.product: s for s in summaries or ()}
    for p, name in enumerate(data.products):
        backlog = result.backlog[p]
        tol = backlog_tolerance(float(data.demand[p].sum()))
        for a, b in runs(backlog > tol):
            peak_t = a + int(np.argmax(backlog[a : b + 1]))
            peak = float(backlog[peak_t])
            n = b - a + 1
            msg = (
                f"{name} cannot meet demand in {n} week{'s' if n != 1 else ''} "
                f"({ax.weeks(a, b)}): backlog peaks at {format_bytes(peak)} in {ax.week(peak_t)}"
            )
            if b == data.n_weeks - 1:
                msg += f", and {shortage_phrase(float(backlog[-1]), float(data.demand[p].sum()))}"
            s = by_product.get(name)
            if s is not None and s.binding:
                msg += f". {s.binding[0].upper()}{s.binding[1:]} binds"
                if math.isfinite(s.extra_wafers_per_week) and s.extra_wafers_per_week > 0:
                    msg += f"; {s.extra_wafers_per_week:,.0f} more wafers per week would close the gap"
            found.append(
                Condition("stockout", "critical", name, ax.week(a), ax.weeks(a, b), peak, 0.0, msg + ".")
            )
    return found


def stockout_risk_conditions(
    data: PlanningData, result: PlanResult, risk: RiskResult, threshold: float
) -> list[Condition]:
    ax = PeriodNames(data)
    found = []
    for p, name in enumerate(data.products):
        tol = backlog_tolerance(float(data.demand[p].sum()))
        prob = np.asarray(risk.stockout_probability[p], dtype=float)
        risky = (result.backlog[p] <= tol) & (prob > threshold)
        for a, b in runs(risky, max_gap=RISK_GAP_WEEKS - 1):
            weeks = int(risky[a : b + 1].sum())
            peak_t = a + int(np.argmax(np.where(risky[a : b + 1], prob[a : b + 1], -1.0)))
            peak = float(prob[peak_t])
            where = (
                f"in {ax.week(a)}"
                if a == b
                else f"in {weeks} week{'s' if weeks != 1 else ''} between {ax.week(a)} and {ax.week(b)}"
            )
            msg = (
                f"{name}: the plan covers demand, but the chance of running out exceeds "
                f"{threshold:.0%} {where}; highest {peak:.0%}"
                + (f" in {ax.week(peak_t)}." if a != b else ".")
            )
            found.append(
                Condition(
                    "stockout_risk", "warning", name, ax.week(a), ax.weeks(a, b), peak, float(threshold), msg
                )
            )
    return found


def _quarter_ends(data: PlanningData, result: PlanResult):
    ends = data.quarter_end_weeks()
    valid = np.flatnonzero(ends >= 0)
    names = [data.quarters[q] for q in valid]
    return valid, ends[valid], names, result.stock[:, ends[valid]]


def safety_stock_conditions(
    data: PlanningData, result: PlanResult, band_low_bytes: float | None = None
) -> list[Condition]:
    valid, _, names, stock = _quarter_ends(data, result)
    target = data.safety_stock[:, valid].astype(float)
    if band_low_bytes is not None:
        target = np.maximum(target, band_low_bytes)
    found = []
    for p, name in enumerate(data.products):
        below = (target[p] > 0) & below_target(stock[p], target[p])
        for a, b in runs(below):
            gap = target[p, a : b + 1] - stock[p, a : b + 1]
            worst = a + int(np.argmax(gap))
            n = b - a + 1
            what = "stock target" if band_low_bytes is not None else "safety stock target"
            msg = (
                f"{name} ends {n} quarter{'s' if n != 1 else ''} ({_quarter_span(names, a, b)}) "
                f"below its {what}; worst {names[worst]}: {format_bytes(stock[p, worst])} against "
                f"{format_bytes(target[p, worst])} ({format_bytes(gap.max())} short)."
            )
            found.append(
                Condition(
                    "safety_stock",
                    "warning",
                    name,
                    names[a],
                    _quarter_span(names, a, b),
                    float(stock[p, worst]),
                    float(target[p, worst]),
                    msg,
                )
            )
    return found


def overproduction_conditions(
    data: PlanningData, result: PlanResult, overstock_factor: float, band_high_bytes: float | None = None
) -> list[Condition]:
    valid, _, names, stock = _quarter_ends(data, result)
    sst = data.safety_stock[:, valid].astype(float)
    limit = np.where(sst > 0, overstock_factor * sst, np.inf)
    if band_high_bytes is not None:
        limit = np.minimum(limit, band_high_bytes)
    found = []
    for p, name in enumerate(data.products):
        over = np.isfinite(limit[p]) & above_limit(stock[p], limit[p])
        for a, b in runs(over):
            excess = stock[p, a : b + 1] - limit[p, a : b + 1]
            worst = a + int(np.argmax(excess))
            n = b - a + 1
            if band_high_bytes is not None and limit[p, worst] == band_high_bytes:
                rule = f"the stock band's upper end ({format_bytes(band_high_bytes)})"
            else:
                rule = f"{overstock_factor:g}x its safety stock target"
            msg = (
                f"{name} ends {n} quarter{'s' if n != 1 else ''} ({_quarter_span(names, a, b)}) "
                f"above {rule}; worst {names[worst]}: {format_bytes(stock[p, worst])}, "
                f"{format_bytes(excess.max())} above the limit."
            )
            found.append(
                Condition(
                    "overproduction",
                    "warning",
                    name,
                    names[a],
                    _quarter_span(names, a, b),
                    float(stock[p, worst]),
                    float(limit[p, worst]),
                    msg,
                )
            )
    return found


def capacity_conditions(data: PlanningData, result: PlanResult, min_weeks: int) -> list[Condition]:
    ax = PeriodNames(data)
    prod_full, total_full = at_capacity(data, result)
    found = []
    masks = [(name, prod_full[p], data.capacity[p]) for p, name in enumerate(data.products)]
    if np.isfinite(data.total_capacity).any():
        masks.append((TOTAL, total_full, data.total_capacity))
    for name, mask, cap in masks:
        for a, b in runs(mask):
            n = b - a + 1
            if n < min_weeks:
                continue
            whose = "the fab's total capacity" if name == TOTAL else f"{name}'s capacity"
            msg = (
                f"The plan uses all of {whose} for {n} weeks in a row ({ax.weeks(a, b)}, "
                f"{float(np.mean(cap[a : b + 1])):,.0f} wafers a week on average): no headroom "
                f"for demand above plan or a lost week."
            )
            found.append(
                Condition(
                    "capacity", "warning", name, ax.week(a), ax.weeks(a, b), float(n), float(min_weeks), msg
                )
            )
    return found


def data_quality_conditions(issues: Iterable[Issue]) -> list[Condition]:
    by_sheet: dict[str, list[Issue]] = {}
    for i in issues:
        if i.severity != "error":
            by_sheet.setdefault(i.sheet, []).append(i)
    found = []
    for sheet, items in by_sheet.items():
        cells = [i.cell for i in items if i.cell]
        shown = ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
        first = items[0]
        msg = (
            f"{len(items)} data-quality warning{'s' if len(items) != 1 else ''} on sheet "
            f"{sheet}" + (f" ({shown})" if shown else "") + f", e.g. {first}. The plan used the "
            f"corrected values; details in LL_DataQuality."
        )
        found.append(Condition("data_quality", "info", "", sheet, "", float(len(items)), float("nan"), msg))
    return found
