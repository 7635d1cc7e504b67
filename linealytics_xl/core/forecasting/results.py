"""The forecasting stage's results as plain data: no scikit-learn, no XGBoost.

A run that reuses a stored forecast (adapters.forecast_cache) rebuilds these without importing the
model stack, which costs more than half a second.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .base import Forecaster


@dataclass
class BacktestResult:
    """Metrics table plus the raw out-of-sample paths, kept for the scenario bootstrap.

    ``errors[model]``, ``forecasts[model]`` and ``actuals`` are [origin, P, horizon];
    errors are *actual - forecast* (positive = demand above forecast).  ``origins`` holds the
    first forecast week of each origin.
    """

    metrics: pd.DataFrame
    errors: dict[str, np.ndarray]
    forecasts: dict[str, np.ndarray]
    actuals: np.ndarray
    origins: np.ndarray
    products: list[Hashable]

    def relative_errors(self, model: str) -> np.ndarray:
        """Errors divided by the forecast's mean level over each window ([origin, P, horizon]).

        Relative to the window level, not to each week's forecast, so a near-zero week does not
        blow the ratio up; a window whose forecast is all zero gets relative error 0.
        """
        level = self.forecasts[model].mean(axis=2, keepdims=True)
        e = self.errors[model]
        return np.divide(e, level, out=np.zeros_like(e), where=level > 0)


@dataclass
class ForecastResult:
    """The forecast, which model made each product's, and the evidence for the choice."""

    forecast: np.ndarray  # [P, horizon] bytes per week
    choices: dict[Hashable, str]  # product label -> model name
    metrics: pd.DataFrame  # backtest metrics with ``Chosen``
    backtest: BacktestResult
    models: dict[str, Forecaster] = field(default_factory=dict)  # refitted on all history

    def errors(self, relative: bool = True) -> np.ndarray:
        """Out-of-sample errors of each product's chosen model, [origin, P, horizon]."""
        bt = self.backtest
        out = np.empty_like(bt.actuals)
        for name in set(self.choices.values()):
            rows = [p for p, label in enumerate(bt.products) if self.choices[label] == name]
            src = bt.relative_errors(name) if relative else bt.errors[name]
            out[:, rows] = src[:, rows]
        return out
