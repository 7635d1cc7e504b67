"""Weekly demand forecasts: one global XGBoost model, simple baselines, a rolling-origin backtest
and a gate that keeps XGBoost only for the products where it beats the baselines out of sample.

Modules, in the order the data flows: ``calendar`` (seasonal position of each week, input
checks), ``base`` (the public ``Forecaster`` contract, the baselines, ``make_forecaster``),
``boosted`` (``XGBForecaster``), ``backtest`` (rolling origins, metrics, errors), ``gate``
(choice per product and the full ``forecast``).  A new model subclasses ``Forecaster`` and is
added to ``default_models``.
"""

from .backtest import ALL, FIT_WORKERS, BacktestResult, backtest
from .base import Forecaster, ModelSpec, MovingAverage, SeasonalNaive, make_forecaster
from .boosted import XGBForecaster
from .calendar import Calendar
from .gate import ForecastResult, choose_models, default_models, forecast, mark_chosen

__all__ = [
    "ALL",
    "FIT_WORKERS",
    "BacktestResult",
    "Calendar",
    "ForecastResult",
    "Forecaster",
    "ModelSpec",
    "MovingAverage",
    "SeasonalNaive",
    "XGBForecaster",
    "backtest",
    "choose_models",
    "default_models",
    "forecast",
    "make_forecaster",
    "mark_chosen",
]
