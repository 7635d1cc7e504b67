"""The forecaster's public names, kept importable from their old home.

The code lives in the ``core.forecasting`` package (split for issue 14); ``udfs.py``, the
demand stage and the tests import from here or from the package alike.
"""

from .forecasting import (
    ALL,
    FIT_WORKERS,
    BacktestResult,
    Calendar,
    Forecaster,
    ForecastResult,
    ModelSpec,
    MovingAverage,
    NotFittedError,
    SeasonalNaive,
    XGBForecaster,
    backtest,
    choose_models,
    default_models,
    forecast,
    make_forecaster,
    mark_chosen,
)

__all__ = [
    "ALL",
    "FIT_WORKERS",
    "BacktestResult",
    "Calendar",
    "ForecastResult",
    "Forecaster",
    "ModelSpec",
    "MovingAverage",
    "NotFittedError",
    "SeasonalNaive",
    "XGBForecaster",
    "backtest",
    "choose_models",
    "default_models",
    "forecast",
    "make_forecaster",
    "mark_chosen",
]
