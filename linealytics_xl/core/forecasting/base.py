"""The public forecaster contract, the two baselines and the factory that makes fresh models.

Every forecaster follows scikit-learn's estimator API: parameters in the constructor (so
``get_params``/``clone`` work), ``fit(demand[P, T], calendar)`` and ``predict(horizon) -> [P,
horizon]``; the API comes from ``params`` (issue 13: without importing scikit-learn).  A new model subclasses ``Forecaster``; the backtest, the gate and the demand stage
only ever see this base and ``make_forecaster``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt

from .calendar import Calendar, check_calendar, check_demand, check_horizon, check_positive_int
from .params import Estimator, check_is_fitted, clone


class Forecaster(Estimator):
    """Base of every forecaster.  ``is_baseline`` tells the gate which models are the yardsticks."""

    is_baseline: ClassVar[bool] = False

    @property
    def min_history(self) -> int:
        """Weeks of demand ``fit`` needs (the backtest checks every origin against it)."""
        return 1

    def fit(self, demand: npt.ArrayLike, calendar: Calendar | None = None) -> Self:
        """Learn from ``demand`` [products, weeks]; returns the fitted model."""
        raise NotImplementedError

    def predict(self, horizon: int) -> np.ndarray:
        """Forecast the ``horizon`` weeks after the training demand, [products, horizon]."""
        raise NotImplementedError

    def _start_fit(self, demand: npt.ArrayLike, calendar: Calendar | None) -> tuple[np.ndarray, Calendar]:
        y = check_demand(demand)
        if y.shape[1] < self.min_history:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.min_history} weeks of demand, got {y.shape[1]}"
            )
        return y, check_calendar(calendar, y.shape[1])


ModelSpec = Forecaster | Callable[[], Forecaster]
"""What the backtest and the gate accept per contender: a (template) forecaster or a factory."""


def make_forecaster(spec: ModelSpec) -> Forecaster:
    """A fresh, unfitted forecaster: an instance is cloned (its parameters kept), a callable called.

    Cloning is why parameters live in the constructor: the backtest refits a model at every
    origin from the same template without sharing fitted state between threads.
    """
    if isinstance(spec, Forecaster):
        model: Forecaster = clone(spec)
        return model
    if callable(spec):
        made = spec()
        if not isinstance(made, Forecaster):
            raise TypeError(f"a model factory must return a Forecaster, got {type(made).__name__}")
        return made
    raise TypeError(f"a model spec must be a Forecaster or a callable, got {spec!r}")


class SeasonalNaive(Forecaster):
    """Repeat the last ``season`` weeks: same week of the previous quarter (13) or year (52).

    The yardstick a cleverer model has to beat: nothing to train, nothing to overfit.  The lag is
    a fixed number of weeks, so after a 14-week quarter the 13-week version is one week off; the
    backtest measures what that costs.  The calendar is accepted only for a uniform API.
    """

    is_baseline = True

    def __init__(self, season: int = 13):
        self.season = season

    @property
    def min_history(self) -> int:
        return check_positive_int(self.season, "season")

    def fit(self, demand: npt.ArrayLike, calendar: Calendar | None = None) -> Self:
        y, _ = self._start_fit(demand, calendar)
        self.last_ = y[:, -self.season :].copy()
        return self

    def predict(self, horizon: int) -> np.ndarray:
        check_is_fitted(self, "last_")
        out: np.ndarray = self.last_[:, np.arange(check_horizon(horizon)) % self.season]
        return out


class MovingAverage(Forecaster):
    """Flat forecast at the mean of the last ``window`` weeks: the best one can do on noise."""

    is_baseline = True

    def __init__(self, window: int = 13):
        self.window = window

    @property
    def min_history(self) -> int:
        return check_positive_int(self.window, "window")

    def fit(self, demand: npt.ArrayLike, calendar: Calendar | None = None) -> Self:
        y, _ = self._start_fit(demand, calendar)
        self.level_ = y[:, -self.window :].mean(axis=1)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        check_is_fitted(self, "level_")
        return np.repeat(self.level_[:, None], check_horizon(horizon), axis=1)
