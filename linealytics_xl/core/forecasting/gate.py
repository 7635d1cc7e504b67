"""The gate and the full forecast: per product, XGBoost only where it beats the baselines.

Typical use::

    cal = Calendar.from_planning(data)
    result = forecast(data.demand, cal, horizon=26, seed=0)
    result.forecast        # [P, 26] bytes per week, each product from its chosen model
    result.metrics         # backtest table (WAPE, Bias, MASE by horizon band) with ``Chosen``
    result.errors()        # [origins, P, 26] out-of-sample relative errors, for scenarios
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contract import Col
from .backtesting import ALL, backtest
from .base import ModelSpec, MovingAverage, SeasonalNaive, make_forecaster
from .boosted import XGBForecaster
from .calendar import Calendar, check_calendar, check_demand, check_horizon
from .results import ForecastResult


def default_models(seed: int = 0, **xgb_params: Any) -> dict[str, ModelSpec]:
    """The usual contenders: three baselines and the global XGBoost model."""
    return {
        "SeasonalNaive13": SeasonalNaive(13),
        "SeasonalNaive52": SeasonalNaive(52),
        "MovingAverage13": MovingAverage(13),
        "XGBoost": XGBForecaster(seed=seed, **xgb_params),
    }


def choose_models(metrics: pd.DataFrame, *, margin: float = 0.05) -> dict[Hashable, str]:
    """Per product, the model with the best whole-horizon WAPE, where challengers must earn it.

    Baselines (``Baseline`` column) win unless a challenger such as XGBoost cuts the best
    baseline's WAPE by at least ``margin`` (relative; 5 % by default), because a backtest over a
    few origins is noisy and a marginal gain is not worth a model that can misbehave out of
    sample.  Ranking uses MAE, which orders models exactly as WAPE does (same actuals, same
    denominator) and stays defined for a product with no demand.  Ties go to the earlier model.
    """
    if not 0 <= margin < 1:
        raise ValueError("margin must be in [0, 1)")
    rows = metrics[metrics[Col.HORIZON_WEEKS] == ALL]
    if rows.empty:
        raise ValueError(f"metrics have no HorizonWeeks == {ALL!r} rows")
    choices: dict[Hashable, str] = {}
    for product, g in rows.groupby(Col.PRODUCT, sort=False):
        is_base = g["Baseline"].astype(bool) if "Baseline" in g else pd.Series(True, g.index)
        base, chall = g[is_base], g[~is_base]
        if base.empty or chall.empty:
            best = (chall if base.empty else base)["MAE"].idxmin()
        else:
            base_mae, chall_mae = base["MAE"].astype(float), chall["MAE"].astype(float)
            b, c = base_mae.idxmin(), chall_mae.idxmin()
            best = c if chall_mae.min() < (1 - margin) * base_mae.min() else b
        choices[product] = str(g.at[best, Col.MODEL])
    return choices


def mark_chosen(metrics: pd.DataFrame, choices: Mapping[Hashable, str]) -> pd.DataFrame:
    """A copy of ``metrics`` with a boolean ``Chosen`` column."""
    out = metrics.copy()
    out[Col.CHOSEN] = [choices.get(p) == m for p, m in zip(out[Col.PRODUCT], out[Col.MODEL])]
    return out


def forecast(
    demand: npt.ArrayLike,
    calendar: Calendar | None = None,
    horizon: int = 13,
    seed: int = 0,
    *,
    models: Mapping[str, ModelSpec] | None = None,
    origins: int = 4,
    step: int = 13,
    margin: float = 0.05,
    products: Sequence[Hashable] | None = None,
) -> ForecastResult:
    """Backtest the contenders, gate per product, refit the chosen ones on all history, predict.

    ``models`` defaults to ``default_models(seed)``.  The horizon must fit inside the history
    with room to backtest it; otherwise a ValueError says how much demand is needed.
    """
    y = check_demand(demand)
    h = check_horizon(horizon)
    if h >= y.shape[1]:
        raise ValueError(
            f"a {h}-week horizon is not shorter than the {y.shape[1]} weeks of "
            "history: it cannot be backtested"
        )
    cal = check_calendar(calendar, y.shape[1])
    models = default_models(seed) if models is None else dict(models)
    bt = backtest(models, y, cal, h, origins, step=step, products=products)
    choices = choose_models(bt.metrics, margin=margin)
    out = np.empty((y.shape[0], h))
    fitted = {}
    for name in (n for n in models if n in choices.values()):
        fitted[name] = make_forecaster(models[name]).fit(y, cal)
        rows = [p for p, label in enumerate(bt.products) if choices[label] == name]
        out[rows] = fitted[name].predict(h)[rows]
    return ForecastResult(out, choices, mark_chosen(bt.metrics, choices), bt, fitted)
