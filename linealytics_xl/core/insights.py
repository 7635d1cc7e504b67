"""Plain-language findings from plan, risk and forecast, ranked by weight.

Ranking: findings are ordered by kind (what threatens deliveries first, then what costs money,
then what makes the numbers less trustworthy) and, within a kind, by size.  Each finding carries
the figure it is about in ``Value`` so Power BI can sort and filter without parsing text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import contract
from .contract import Col
from .explain import ProductSummary
from .kpis import format_bytes, shortage_phrase
from .model import PlanningData
from .optimize import PlanResult
from .risk import RiskResult

if TYPE_CHECKING:  # forecast imports xgboost: only runs that forecast pay for it
    from .forecasting import ForecastResult

#: ``whatif``: findings of the what-if command (core.case_insights), after the plan's own
KIND_ORDER = ("shortage", "capacity", "stockout_risk", "safety_stock", "overstock", "forecast", "whatif")


@dataclass(frozen=True)
class Insight:
    product: str
    kind: str
    message: str
    value: float


def find_insights(
    data: PlanningData,
    plan: PlanResult,
    summaries: list[ProductSummary],
    risk: RiskResult | None = None,
    forecast: ForecastResult | None = None,
    overstock_factor: float = 3.0,
    stockout_threshold: float = 0.2,
) -> list[Insight]:
    found: list[Insight] = []
    ends = data.quarter_end_weeks()
    valid = ends >= 0
    for p, s in enumerate(summaries):
        # counted above the solver's round-off (kpis.backlog_tolerance): a finding states only what is true
        if s.shortage_bytes > 0:
            found.append(
                Insight(
                    s.product,
                    "shortage",
                    f"{s.product} cannot be served in full: "
                    f"{shortage_phrase(s.shortage_bytes, s.demand_bytes)}, "
                    f"with backlog in {s.weeks_with_backlog} of {data.n_weeks} weeks.",
                    s.shortage_bytes,
                )
            )
        elif s.weeks_with_backlog:
            found.append(
                Insight(
                    s.product,
                    "shortage",
                    f"{s.product} is served late: backlog in {s.weeks_with_backlog} of {data.n_weeks} "
                    f"weeks (service level {s.service_level:.1%} on time), all of it caught up by "
                    f"the end of the plan.",
                    float(s.weeks_with_backlog),
                )
            )
            if np.isfinite(s.extra_wafers_per_week) and s.extra_wafers_per_week > 0:
                mean_cap = float(data.capacity[p].mean())
                found.append(
                    Insight(
                        s.product,
                        "capacity",
                        f"{s.product}: {s.binding} binds in {s.weeks_at_capacity} weeks; "
                        f"{s.extra_wafers_per_week:,.0f} more wafers per week "
                        f"(+{s.extra_wafers_per_week / mean_cap:.0%} of its average capacity) "
                        f"would close the gap.",
                        s.extra_wafers_per_week,
                    )
                )
        stock_end = plan.stock[p, ends[valid]]
        target = data.safety_stock[p, valid]
        over = (target > 0) & (stock_end > overstock_factor * target)
        if over.any():
            excess = float((stock_end - overstock_factor * target)[over].max())
            q = np.array(data.quarters)[valid][over]
            found.append(
                Insight(
                    s.product,
                    "overstock",
                    f"{s.product}: quarter-end stock exceeds {overstock_factor:g}x its safety stock target in "
                    f"{int(over.sum())} quarter(s) ({', '.join(q[:4])}{'...' if over.sum() > 4 else ''}); "
                    f"up to {format_bytes(excess)} above that.",
                    excess,
                )
            )
        if risk is not None:
            served = plan.backlog[p] <= 0
            risky = served & (risk.stockout_probability[p] > stockout_threshold)
            if risky.any():
                found.append(
                    Insight(
                        s.product,
                        "stockout_risk",
                        f"{s.product}: the plan covers demand, but in {int(risky.sum())} week(s) the chance of "
                        f"running out is above {stockout_threshold:.0%} (fill rate {risk.fill_rate[p]:.1%} "
                        f"across scenarios).",
                        float(risk.stockout_probability[p][risky].max()),
                    )
                )
            rec = float(np.mean(risk.safety_stock[p]))
            wos = float(np.mean(data.safety_stock[p, data.week_quarter]))
            if rec > 0 and wos < 0.8 * rec:
                found.append(
                    Insight(
                        s.product,
                        "safety_stock",
                        f"{s.product}: the WOS-based safety stock ({format_bytes(wos)} on average) is "
                        f"{wos / rec:.0%} of what a {risk.service_level:.0%} service level needs ({format_bytes(rec)}).",
                        rec - wos,
                    )
                )
    backtest = forecast.metrics if forecast is not None else None  # the backtest of the chosen models
    if backtest is not None and len(backtest):
        chosen = backtest[(backtest[Col.CHOSEN]) & (backtest[Col.HORIZON_WEEKS].astype(str) == "all")]
        for _, row in chosen.sort_values(Col.WAPE, ascending=False).head(3).iterrows():
            if np.isfinite(row[Col.WAPE]) and row[Col.WAPE] > 0.1:
                found.append(
                    Insight(
                        str(row[Col.PRODUCT]),
                        "forecast",
                        f"{row['Product']}: the forecast is least reliable here: {row['Model']} misses by "
                        f"{row['WAPE']:.0%} of demand over the horizon in the backtest (bias {row['Bias']:+.0%}).",
                        float(row[Col.WAPE]),
                    )
                )
    return sorted(found, key=lambda i: (KIND_ORDER.index(i.kind), -abs(i.value)))


def insights_table(found: list[Insight]) -> pd.DataFrame:
    return pd.DataFrame(
        [(k + 1, i.product, i.kind, i.message, float(i.value)) for k, i in enumerate(found)],
        columns=contract.INSIGHTS.names,
    )
