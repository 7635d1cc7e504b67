"""The tidy output tables (the Power BI contract), built as DataFrames from results.

Column names and order are the contract (`core.contract`, documented in ``docs/tables.md``); the
adapters write these frames as Excel Tables without renaming anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from . import contract
from .contract import Col
from .kpis import without_round_off
from .model import Issue, PlanningData
from .optimize import PlanResult
from .risk import RiskResult

# Names and columns come from the contract (core.contract), defined once.
PLAN, RUNS, DATA_QUALITY = contract.PLAN.name, contract.RUNS.name, contract.DATA_QUALITY.name
FORECAST, BACKTEST, RISK = contract.FORECAST.name, contract.BACKTEST.name, contract.RISK.name
INSIGHTS, ALERTS = contract.INSIGHTS.name, contract.ALERTS.name  # LL_Alerts is built by core.alerts.reconcile
WHATIF = contract.WHATIF.name  # built by core.cases.whatif_table
PLAN_COLUMNS = contract.PLAN.names
RUNS_COLUMNS = contract.RUNS.names
DATA_QUALITY_COLUMNS = contract.DATA_QUALITY.names
RISK_COLUMNS = contract.RISK.names
ALERTS_COLUMNS = contract.ALERTS.names


def _long(a: np.ndarray) -> np.ndarray:
    """[P, T] -> product-major flat vector matching the table's row order."""
    return np.asarray(a, dtype=float).reshape(-1)


def product_week_keys(data: PlanningData) -> dict[str, object]:
    """The key columns every product x week table starts with, product-major like ``_long``."""
    P, T = data.n_products, data.n_weeks
    starts = [pd.Timestamp(d) if d is not None else pd.NaT for d in data.weeks.starts]
    return {
        Col.PRODUCT: np.repeat(np.array(data.products, dtype=object), T),
        Col.QUARTER: np.tile(np.array(data.weeks.quarters, dtype=object), P),
        Col.WEEK: np.tile(np.array(data.weeks.labels, dtype=object), P),
        Col.WEEK_INDEX: np.tile(np.arange(1, T + 1), P),
        Col.WEEK_START: pd.to_datetime(pd.Series(starts * P, dtype="datetime64[ns]")),
    }


def plan_table(data: PlanningData, result: PlanResult, demand: np.ndarray | None = None) -> pd.DataFrame:
    """One row per product and week.

    Backlog within the round-off tolerance is written as exact 0 (`kpis.without_round_off`).
    ``SafetyStockBytes`` is the target of the week's quarter (it binds at the quarter's last week);
    ``Utilization`` is wafers over product capacity (0 where capacity is 0).  ``DemandBytes`` is
    the demand planned on (the workbook's unless the settings plan on a forecast or a quantile).
    """
    cap = data.capacity
    demand = data.demand if demand is None else demand
    stock, backlog = without_round_off(result.stock, result.backlog, demand)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cap > 0, result.wafers / np.where(cap > 0, cap, 1.0), 0.0)
    frame = pd.DataFrame(
        {
            **product_week_keys(data),
            Col.DEMAND_BYTES: _long(demand),
            Col.WAFERS: _long(result.wafers),
            Col.SUPPLY_BYTES: _long(result.supply),
            Col.STOCK_BYTES: _long(stock),
            Col.BACKLOG_BYTES: _long(backlog),
            Col.SAFETY_STOCK_BYTES: _long(data.safety_stock[:, data.week_quarter]),
            Col.CAPACITY_WAFERS: _long(cap),
            Col.UTILIZATION: _long(util),
        }
    )
    return frame[PLAN_COLUMNS]


def risk_table(data: PlanningData, risk: RiskResult) -> pd.DataFrame:
    """One row per product and week; ``FillRate`` is the product's, repeated on its rows, and
    ``SafetyStockBytes`` the WOS-based target beside the recommended one."""
    frame = pd.DataFrame(
        {
            **product_week_keys(data),
            Col.STOCKOUT_PROBABILITY: _long(risk.stockout_probability),
            Col.EXPECTED_SHORTAGE_BYTES: _long(risk.expected_shortage),
            Col.FILL_RATE: np.repeat(np.asarray(risk.fill_rate, dtype=float), data.n_weeks),
            Col.RECOMMENDED_SAFETY_STOCK_BYTES: _long(risk.safety_stock),
            Col.SAFETY_STOCK_BYTES: _long(data.safety_stock[:, data.week_quarter]),
        }
    )
    return frame[RISK_COLUMNS]


def data_quality_table(issues: Sequence[Issue]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.severity, i.sheet, i.cell, i.message) for i in issues], columns=DATA_QUALITY_COLUMNS
    )


def runs_row(
    *,
    run_id: str,
    time: datetime,
    workbook: str,
    fingerprint: str,
    settings_json: str,
    result: PlanResult,
    wall_time_s: float,
    warnings: int,
    version: str,
) -> dict:
    return {
        Col.RUN_ID: run_id,
        Col.TIME: time,
        Col.WORKBOOK: workbook,
        Col.INPUT_FINGERPRINT: fingerprint,
        Col.SETTINGS: settings_json,
        Col.SOLVER: result.solver,
        Col.STATUS: result.status,
        Col.BACKLOG_BYTE_WEEKS: result.objectives.get("backlog", float("nan")),
        Col.SAFETY_STOCK_SHORTFALL_BYTES: result.objectives.get("safety_stock", float("nan")),
        Col.WAFERS: result.objectives.get("wafers", float("nan")),
        Col.SHORTAGE_BYTES: float(result.total_shortage.sum()),
        Col.WALL_TIME_S: round(wall_time_s, 3),
        Col.WARNINGS: warnings,
        Col.VERSION: version,
    }
