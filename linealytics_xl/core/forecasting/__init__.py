"""Weekly demand forecasts: one global XGBoost model, simple baselines, a rolling-origin backtest
and a gate that keeps XGBoost only for the products where it beats the baselines out of sample.

Modules, in the order the data flows: ``calendar`` (seasonal position of each week, input
checks), ``params`` (scikit-learn's estimator API without scikit-learn: parameters, ``clone``,
``NotFittedError``), ``base`` (the public ``Forecaster`` contract, the baselines, ``make_forecaster``),
``boosted`` (``XGBForecaster``), ``backtesting`` (rolling origins, metrics, errors), ``gate``
(choice per product and the full ``forecast``), ``results`` (the result classes, free of
the model stack).  A new model subclasses ``Forecaster`` and is
added to ``default_models``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backtesting import ALL, FIT_WORKERS, backtest
    from .base import Forecaster, ModelSpec, MovingAverage, SeasonalNaive, make_forecaster
    from .boosted import XGBForecaster
    from .calendar import Calendar
    from .gate import choose_models, default_models, forecast, mark_chosen
    from .params import NotFittedError
    from .results import BacktestResult, ForecastResult

#: where each public name lives: imported on first use, so that a run which only needs the result
#: classes (a reused forecast) never loads the model code (PEP 562)
_HOMES = {
    "ALL": "backtesting",
    "FIT_WORKERS": "backtesting",
    "backtest": "backtesting",
    "BacktestResult": "results",
    "ForecastResult": "results",
    "Forecaster": "base",
    "ModelSpec": "base",
    "MovingAverage": "base",
    "SeasonalNaive": "base",
    "make_forecaster": "base",
    "NotFittedError": "params",
    "XGBForecaster": "boosted",
    "Calendar": "calendar",
    "choose_models": "gate",
    "default_models": "gate",
    "forecast": "gate",
    "mark_chosen": "gate",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
