"""What-if findings: which case closes which gap, and at what cost in wafers (issue 15).

Read from the typed case plans (`core.cases.CasePlan`, base first), never from the output
tables, so the figures are the ones ``LL_WhatIf`` shows, computed once: a *gap* is a product's
shortage at the end of the plan or its quarter ends below safety stock in the base plan (KPIs
of `core.kpis`, with its round-off tolerances).  Quarter ends, not weeks: the safety-stock
target is an end-of-quarter target, and a case that adds capacity can leave mid-quarter weeks
below it at no cost (production moves later in the quarter); judged by weeks, such a case was
said to "worsen" safety stock at +0 wafers, and a yield loss to "reduce" it.  For every case and product the effect on each gap
is measured against the base:

* ``closes`` the gap (none left), ``reduces`` it, or ``worsens`` it (a case can make a product
  worse: more shortage or more quarter ends below safety stock, e.g. a shared capacity moved
  elsewhere);
* at a cost of the product's change in wafers (``WafersChange`` in ``LL_WhatIf``) and, for a
  shortage, wafers per GB closed, so cases are comparable across sizes of gap;
* per gap the best case is named: the one closing most of it, then the cheaper per GB.

The findings go into ``LL_Insights`` as kind ``whatif`` (after the plan's own findings) and are
the what-if command's summary lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd

from .contract import Col
from .explain import ProductSummary
from .insights import Insight, insights_table
from .kpis import backlog_tolerance, format_bytes

WHATIF_KIND = "whatif"
Gap = Literal["shortage", "safety_stock"]
Effect = Literal["closes", "reduces", "worsens"]
GAPS: tuple[Gap, ...] = ("shortage", "safety_stock")


class HasSummaries(Protocol):
    """What a case plan offers here (``core.cases.CasePlan``): its name and product summaries."""

    @property
    def name(self) -> str: ...

    @property
    def summaries(self) -> tuple[ProductSummary, ...]: ...


@dataclass(frozen=True)
class CaseEffect:
    """One case's effect on one product's gap, compared with the base plan."""

    case: str
    product: str
    gap: Gap
    effect: Effect
    base: float  # the gap in the base plan (bytes short, or quarter ends below safety stock)
    value: float  # the gap in this case
    wafers_change: float  # the product's wafers, case minus base

    @property
    def closed(self) -> float:
        """How much of the gap the case closes (negative: it widens it)."""
        return self.base - self.value

    @property
    def wafers_per_gb(self) -> float | None:
        """Extra wafers per GB of shortage closed (None for quarter ends below safety stock)."""
        if self.gap != "shortage" or self.closed <= 0:
            return None
        return self.wafers_change / (self.closed / 1e9)


def _effect(case: str, s: ProductSummary, b: ProductSummary, gap: Gap) -> CaseEffect | None:
    if gap == "shortage":
        base, value, tol = b.shortage_bytes, s.shortage_bytes, backlog_tolerance(s.demand_bytes)
    else:
        base, value, tol = float(b.quarter_ends_below_ss), float(s.quarter_ends_below_ss), 0.5
    if abs(value - base) <= tol:
        return None
    effect: Effect = "worsens" if value > base else ("closes" if value <= 0 else "reduces")
    return CaseEffect(case, s.product, gap, effect, base, value, s.wafers - b.wafers)


def case_effects(plans: Sequence[HasSummaries]) -> list[CaseEffect]:
    """Every case's effect on every product's gaps, in case and product order (base first in
    ``plans``); a product a case leaves as it was (within round-off) has no effect."""
    base = {s.product: s for s in plans[0].summaries}
    out = []
    for plan in plans[1:]:
        for s in plan.summaries:
            for gap in GAPS:
                found = _effect(plan.name, s, base[s.product], gap)
                if found is not None:
                    out.append(found)
    return out


def _sentence(e: CaseEffect) -> str:
    cost = f"{round(e.wafers_change):+,d} wafers"
    if e.gap == "shortage":
        if e.effect == "worsens":
            was = f"{format_bytes(e.base)} in the base plan" if e.base > 0 else "none in the base plan"
            return f"{e.case}: worsens {e.product}'s shortage to {format_bytes(e.value)} ({was}), at {cost}."
        rate = e.wafers_per_gb
        per = f" ({rate:,.0f} wafers per GB closed)" if rate is not None else ""
        share = "all" if e.effect == "closes" else f"{e.closed / e.base:.0%}"
        return (
            f"{e.case}: closes {share} of {e.product}'s shortage ({format_bytes(e.closed)} of "
            f"{format_bytes(e.base)}) for {cost}{per}."
        )
    was = f"{e.base:,.0f} in the base plan"
    if e.effect == "worsens":
        return (
            f"{e.case}: worsens {e.product}'s quarter ends below safety stock to {e.value:,.0f} ({was}), "
            f"at {cost}."
        )
    now = "none left" if e.effect == "closes" else f"{e.value:,.0f} left"
    verb = "closes" if e.effect == "closes" else "reduces"
    return f"{e.case}: {verb} {e.product}'s quarter ends below safety stock ({was}; {now}) for {cost}."


def best_cases(effects: Sequence[CaseEffect]) -> dict[tuple[str, Gap], CaseEffect]:
    """Per (product, gap) the case that closes most of it; among equals, the fewer wafers per GB
    (then fewer extra wafers, then the case listed first)."""
    best: dict[tuple[str, Gap], CaseEffect] = {}
    for e in effects:
        if e.closed <= 0:
            continue
        key = (e.product, e.gap)
        old = best.get(key)
        if old is None or _rank(e) < _rank(old):
            best[key] = e
    return best


def _rank(e: CaseEffect) -> tuple[float, float, float]:
    return (-e.closed, e.wafers_per_gb if e.wafers_per_gb is not None else 0.0, e.wafers_change)


def whatif_insights(plans: Sequence[HasSummaries]) -> list[Insight]:
    """The what-if findings, per gap: the best case first, the other cases that help, then those
    that make it worse.  ``Value``: the gap closed (bytes, or weeks; negative when worsened)."""
    effects = case_effects(plans)
    best = best_cases(effects)
    order = {key: k for k, key in enumerate(dict.fromkeys((e.product, e.gap) for e in effects))}
    ranked = sorted(
        effects,
        key=lambda e: (
            order[(e.product, e.gap)],
            best.get((e.product, e.gap)) is not e,
            e.effect == "worsens",
            _rank(e),
        ),
    )
    helping = Counter((e.product, e.gap) for e in effects if e.closed > 0)
    out = []
    for e in ranked:
        text = _sentence(e)
        if best.get((e.product, e.gap)) is e and helping[(e.product, e.gap)] > 1:
            text += " The best case for this gap."
        out.append(Insight(e.product, WHATIF_KIND, text, float(e.closed)))
    return out


def with_whatif(previous: pd.DataFrame | None, found: Sequence[Insight]) -> pd.DataFrame:
    """``LL_Insights`` after a what-if run: the plan's findings as the last plan wrote them, the
    previous run's what-if findings replaced by ``found``, ranked after them."""
    kept: list[Insight] = []
    if previous is not None and {Col.PRODUCT, Col.KIND, Col.MESSAGE, Col.VALUE} <= set(
        map(str, previous.columns)
    ):
        for row in previous.to_dict("records"):
            if str(row[Col.KIND]) == WHATIF_KIND or not str(row[Col.KIND] or "").strip():
                continue
            value = pd.to_numeric(pd.Series([row[Col.VALUE]]), errors="coerce").iloc[0]
            product = "" if row[Col.PRODUCT] is None or pd.isna(row[Col.PRODUCT]) else str(row[Col.PRODUCT])
            kept.append(Insight(product, str(row[Col.KIND]), str(row[Col.MESSAGE]), float(value)))
    return insights_table(kept + list(found))
