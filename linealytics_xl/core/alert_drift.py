"""Forecast drift: recent actuals outside the P10-P90 band more often than it promises.

Read from the forecast's result objects (`ForecastResult` and its backtest, the `DemandView`
the plan was made on), not from the output tables: one `Condition` per drifting product.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .alert_conditions import Condition, PeriodNames
from .model import PlanningData
from .scenarios import quantiles

if TYPE_CHECKING:  # the demand stage imports xgboost: only runs that forecast pay for it
    from .demand import DemandView
    from .forecasting import ForecastResult

BAND_PROMISE = 0.2  # share of actuals a P10-P90 band lets fall outside it
DRIFT_ALPHA = 0.05  # significance of the drift test


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def band_drift(
    actual: np.ndarray,
    p10: np.ndarray,
    p90: np.ndarray,
    promise: float = BAND_PROMISE,
    alpha: float = DRIFT_ALPHA,
) -> tuple[int, int, bool]:
    """(weeks outside the band, weeks compared, drifting?) over the weeks where all are known.

    Drifting means more weeks outside than the band promises (``promise`` = 20 % for P10-P90)
    and so many that chance explains it with probability below ``alpha``.
    """
    actual, p10, p90 = (np.asarray(x, dtype=float) for x in (actual, p10, p90))
    known = np.isfinite(actual) & np.isfinite(p10) & np.isfinite(p90)
    n = int(known.sum())
    if n == 0:
        return 0, 0, False
    k = int(((actual[known] < p10[known]) | (actual[known] > p90[known])).sum())
    return k, n, k > promise * n and binomial_tail(k, n, promise) < alpha


def _drift_condition(name: str, source: str, anchor: str, week: str, k: int, n: int) -> Condition:
    msg = (
        f"{name}: actual demand fell outside the forecast's P10-P90 band in {k} of {n} recent "
        f"weeks ({week}, {source}), where the band promises about {BAND_PROMISE:.0%}: the "
        f"demand pattern has likely changed; check the forecast before trusting its risk figures."
    )
    return Condition("forecast_drift", "warning", name, f"{source}: {anchor}", week, k / n, BAND_PROMISE, msg)


def backtest_drift_conditions(data: PlanningData, forecast_result: ForecastResult) -> list[Condition]:
    """Drift in the latest backtest window, where actuals are known.

    The band of the latest window is the window's forecast plus the 10th and 90th percentiles of
    the errors of the earlier windows that end before it starts (relative to each window's
    forecast level, as the scenarios use them), so the recent actuals are judged against a band
    built without them.  At least two such windows are needed.
    """
    bt = forecast_result.backtest
    if bt.actuals.shape[0] < 3:
        return []
    ax = PeriodNames(data)
    found = []
    start = int(bt.origins[-1])
    h = bt.actuals.shape[2]
    earlier = np.flatnonzero(np.asarray(bt.origins) + h <= start)
    if start + h > data.n_weeks or earlier.size < 2:
        return []
    for p, label in enumerate(bt.products):
        model = forecast_result.choices.get(label)
        if model is None or model not in bt.forecasts:
            continue
        rel = bt.relative_errors(model)[:, p, :]
        fc = bt.forecasts[model][-1, p]
        level = float(fc.mean())
        if level <= 0:
            continue
        lo, hi = np.quantile(rel[earlier].ravel(), [0.1, 0.9])
        k, n, drifting = band_drift(bt.actuals[-1, p], fc + lo * level, fc + hi * level)
        if drifting:
            week = ax.weeks(start, start + h - 1)
            found.append(_drift_condition(str(label), "latest backtest window", ax.week(start), week, k, n))
    return found


def forecast_drift_conditions(data: PlanningData, view: DemandView | None) -> list[Condition]:
    """Drift in the weeks the plan's demand was forecast (after the history) and whose actual
    is known: the band is that of ``LL_Forecast`` (P10 and P90 of the demand scenarios, or the
    forecast itself without scenarios), the actual the workbook's demand of the week."""
    if view is None or view.history_end >= data.n_weeks:
        return []
    if view.scenarios is not None:
        p10, p90 = quantiles(view.scenarios, (0.1, 0.9))
    else:
        p10 = p90 = view.base
    weeks = np.arange(view.history_end, data.n_weeks)
    labels = data.weeks.labels
    found = []
    for p, name in enumerate(data.products):
        if not view.model_by_product.get(name, ""):
            continue  # not forecast: the workbook's own demand
        actual = data.demand[p, weeks]
        known = np.isfinite(actual) & np.isfinite(p10[p, weeks]) & np.isfinite(p90[p, weeks])
        if not known.any():
            continue
        k, n, drifting = band_drift(actual, p10[p, weeks], p90[p, weeks])
        if drifting:
            shown = weeks[known]
            first, last = int(shown[0]), int(shown[-1])
            week = f"{labels[first]} to {labels[last]}" if len(shown) > 1 else str(labels[first])
            found.append(_drift_condition(str(name), "forecast weeks", f"week {first + 1}", week, k, n))
    return found
