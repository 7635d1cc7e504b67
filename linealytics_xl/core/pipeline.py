"""The planning pipeline every entry point runs: data + settings in, results and tables out.

No I/O here: the command line, the ribbon and the worksheet functions read the workbook with an
adapter, call `run`, and hand the outcome to an adapter that writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import alerts, tables
from .contract import Col
from .explain import ProductSummary, summarize
from .insights import Insight, find_insights, insights_table
from .model import Issue, PlanningData
from .optimize import PlanResult, optimize
from .risk import RiskResult, simulate_plan
from .settings import Settings

if TYPE_CHECKING:  # the demand stage imports xgboost: only runs that forecast pay for it
    from .demand import DemandView, ForecastStore

Progress = Callable[[str], None]


@dataclass
class Outcome:
    data: PlanningData
    settings: Settings
    result: PlanResult
    summaries: list[ProductSummary]
    tables: dict[str, pd.DataFrame]
    fingerprint: str
    warnings: list[Issue] = field(default_factory=list)
    demand: DemandView | None = None
    risk: RiskResult | None = None
    insights: list[Insight] = field(default_factory=list)

    @property
    def shortage_bytes(self) -> float:
        return float(self.result.total_shortage.sum())


def fingerprint(data: PlanningData) -> str:
    """SHA-256 of every input the plan depends on (not of the file, which outputs change)."""
    h = hashlib.sha256()
    h.update(json.dumps([data.products, data.weeks.labels, data.weeks.quarters, data.quarters]).encode())
    for arr in (
        data.quarterly_demand,
        data.week_ratios,
        data.yields,
        data.density,
        data.capacity,
        data.total_capacity,
        data.initial_stock,
        data.wos,
    ):
        h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def released_starts(previous_plan: pd.DataFrame | None, data: PlanningData, weeks: int) -> np.ndarray | None:
    """[P, weeks] wafer starts of the first ``weeks`` weeks in the previous ``LL_Plan`` (None when
    there is no previous plan, or it lacks a product or week: the optimiser then says so)."""
    if (
        previous_plan is None
        or previous_plan.empty
        or not {Col.PRODUCT, Col.WEEK_INDEX, Col.WAFERS} <= set(previous_plan)
    ):
        return None
    frame = previous_plan.assign(
        Product=previous_plan[Col.PRODUCT].astype(str),
        WeekIndex=pd.to_numeric(previous_plan[Col.WEEK_INDEX], errors="coerce"),
        Wafers=pd.to_numeric(previous_plan[Col.WAFERS], errors="coerce"),
    )
    grid = frame.pivot_table(index=Col.PRODUCT, columns=Col.WEEK_INDEX, values=Col.WAFERS, aggfunc="first")
    try:
        return grid.loc[list(data.products), list(range(1, weeks + 1))].to_numpy(float)
    except KeyError:
        return None


def run(
    data: PlanningData,
    settings: Settings,
    progress: Progress | None = None,
    *,
    previous_alerts: pd.DataFrame | None = None,
    now: datetime | None = None,
    previous_plan: pd.DataFrame | None = None,
    forecast_store: ForecastStore | None = None,
) -> Outcome:
    """Forecast and simulate demand (as the settings ask), optimise, measure risk, build tables.

    ``previous_alerts`` is the ``LL_Alerts`` table of the previous run (read back from the
    workbook), so that alerts keep their status across runs; ``now`` is the run's time stamp
    (the alerts' FirstSeen/LastSeen; the clock when not given); ``previous_plan`` is the previous
    ``LL_Plan``, whose wafer starts the first ``frozen_weeks`` keep (weeks released to the line);
    ``forecast_store`` keeps forecasts between runs (``core.demand.ForecastStore``).
    """
    say = progress or (lambda _msg: None)
    view = None
    if settings.forecast or settings.simulate or settings.demand_source == "forecast":
        from .demand import backtest_table, demand_view, forecast_table

        say("Forecasting demand and drawing scenarios")
        view = demand_view(data, settings, forecast_store)
    say("Optimising the wafer plan")
    plan_demand = view.plan_demand if view is not None else None
    frozen = released_starts(previous_plan, data, settings.frozen_weeks) if settings.frozen_weeks else None
    result = optimize(data, plan_demand, options=settings.plan_options(), frozen=frozen)
    risk = None
    if view is not None and view.scenarios is not None:
        say("Measuring stock-out risk")
        risk = simulate_plan(
            result.supply,
            data.initial_stock,
            view.scenarios,
            data.safety_stock[:, data.week_quarter],
            settings.service_level,
            lead_weeks=max(1, min(settings.risk_lead_weeks, data.n_weeks)),
            replan=True,
            planned_demand=plan_demand,
        )
    say("Building output tables")
    summaries = summarize(data, result, settings.cycle_time_weeks, plan_demand)
    found = find_insights(
        data,
        result,
        summaries,
        risk,
        view.forecast if view is not None else None,
        settings.overstock_factor,
        settings.stockout_probability_alert,
    )
    out = {tables.PLAN: tables.plan_table(data, result, plan_demand)}
    if view is not None and view.forecast is not None:
        out[tables.FORECAST] = forecast_table(data, view)
        out[tables.BACKTEST] = backtest_table(view)
    if risk is not None:
        out[tables.RISK] = tables.risk_table(data, risk)
    out[tables.INSIGHTS] = insights_table(found)
    conditions = alerts.find_conditions(
        data,
        result,
        settings,
        summaries=summaries,
        risk=risk,
        demand=view,
        warnings=data.warnings,
    )
    checked = alerts.evaluated_types(
        risk=risk is not None, forecast=view is not None and view.forecast is not None
    )
    out[tables.ALERTS] = alerts.reconcile(
        previous_alerts,
        conditions,
        now or datetime.now().replace(microsecond=0),
        checked,
        keep_resolved_days=settings.resolved_alert_days,
    )
    out[tables.DATA_QUALITY] = tables.data_quality_table(data.warnings)
    return Outcome(
        data=data,
        settings=settings,
        result=result,
        summaries=summaries,
        tables=out,
        fingerprint=fingerprint(data),
        warnings=list(data.warnings),
        demand=view,
        risk=risk,
        insights=found,
    )
