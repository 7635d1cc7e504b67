"""Weekly demand forecasts: one global XGBoost model, simple baselines, a rolling-origin backtest
and a gate that keeps XGBoost only for the products where it beats the baselines out of sample.

Every forecaster follows scikit-learn's estimator API: parameters in the constructor,
``fit(demand[P, T], calendar)`` and ``predict(horizon) -> [P, horizon]``.  Typical use::

    cal = Calendar.from_planning(data)
    result = forecast(data.demand, cal, horizon=26, seed=0)
    result.forecast        # [P, 26] bytes per week, each product from its chosen model
    result.metrics         # backtest table (WAPE, Bias, MASE by horizon band) with ``Chosen``
    result.errors()        # [origins, P, 26] out-of-sample relative errors, for scenarios
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .model import PlanningData

ALL = "all"  # HorizonWeeks label of the whole-horizon rows, the ones the gate reads
# Backtest fits run side by side in threads (XGBoost releases the GIL), each on one XGBoost
# thread: independent single-threaded fits give the same bits in any order, and unlike one fit
# on several OpenMP threads they do not stall when other processes hold the cores.
FIT_WORKERS = max(1, min(4, os.cpu_count() or 1))

_QUARTER_LABEL = re.compile(r"^\s*Q\s*([1-4])(?!\d)", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Calendar


@dataclass(frozen=True, eq=False)  # eq on arrays would be ambiguous
class Calendar:
    """Seasonal position of each week: the calendar features the forecasters see.

    ``week_of_quarter`` is 0-based (0..12, or 13 in a 14-week quarter); ``quarter_of_year`` is
    1..4.  Weeks are identified by position, as everywhere in the planner.  A calendar may be
    longer than the demand it is used with: the extra weeks are the known future calendar, which
    is how forecasts see a 14-week quarter coming.  Beyond its end ``extend`` continues it with
    ``weeks_per_quarter``-week quarters, since the future's long quarters are not known.
    """

    week_of_quarter: np.ndarray
    quarter_of_year: np.ndarray
    weeks_per_quarter: int = 13

    def __post_init__(self) -> None:
        woq = np.asarray(self.week_of_quarter)
        qoy = np.asarray(self.quarter_of_year)
        if woq.ndim != 1 or woq.shape != qoy.shape:
            raise ValueError("week_of_quarter and quarter_of_year must be 1-D and of equal length")
        for name, a in (("week_of_quarter", woq), ("quarter_of_year", qoy)):
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"{name} must hold integers, found dtype {a.dtype}")
        if np.any(woq < 0):
            raise ValueError("week_of_quarter must be >= 0")
        if np.any((qoy < 1) | (qoy > 4)):
            raise ValueError("quarter_of_year must be in 1..4")
        if self.weeks_per_quarter < 1:
            raise ValueError("weeks_per_quarter must be >= 1")
        for name, a in (("week_of_quarter", woq), ("quarter_of_year", qoy)):
            a = a.astype(np.int64)  # a copy, so the caller's array can't change under us
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    def __len__(self) -> int:
        return len(self.week_of_quarter)

    @classmethod
    def regular(cls, n_weeks: int, weeks_per_quarter: int = 13, start_quarter: int = 1) -> Calendar:
        """A calendar of equal quarters starting on week 0 of ``start_quarter`` (generated data)."""
        if n_weeks < 0 or weeks_per_quarter < 1 or not 1 <= start_quarter <= 4:
            raise ValueError("need n_weeks >= 0, weeks_per_quarter >= 1 and start_quarter in 1..4")
        t = np.arange(n_weeks)
        return cls(
            t % weeks_per_quarter, (start_quarter - 1 + t // weeks_per_quarter) % 4 + 1, weeks_per_quarter
        )

    @classmethod
    def from_planning(cls, data: PlanningData, weeks_per_quarter: int = 13) -> Calendar:
        """Read the calendar from ``data.week_quarter`` and quarter labels such as ``"Q3 95"``."""
        wq = np.asarray(data.week_quarter)
        if wq.ndim != 1 or not np.issubdtype(wq.dtype, np.integer):
            raise ValueError("week_quarter must be a 1-D integer array")
        if np.any((wq < 0) | (wq >= len(data.quarters))):
            raise ValueError(f"week_quarter must index the {len(data.quarters)} planning quarters")
        if np.any(np.diff(wq) < 0):
            raise ValueError("weeks must be in quarter order (week_quarter non-decreasing)")
        qoy = []
        for label in data.quarters:
            m = _QUARTER_LABEL.match(str(label))
            if m is None:
                raise ValueError(f"quarter label {label!r}: expected 'Q<1-4> <year>', e.g. 'Q3 95'")
            qoy.append(int(m.group(1)))
        first = np.searchsorted(wq, wq, side="left")  # first week of each week's quarter
        return cls(np.arange(len(wq)) - first, np.asarray(qoy, dtype=np.int64)[wq], weeks_per_quarter)

    def extend(self, n_weeks: int) -> Calendar:
        """This calendar continued to ``n_weeks`` weeks (returned unchanged if already as long)."""
        if n_weeks <= len(self):
            return self
        if len(self) == 0:
            return Calendar.regular(n_weeks, self.weeks_per_quarter)
        woq, qoy = [int(self.week_of_quarter[-1])], [int(self.quarter_of_year[-1])]
        for _ in range(n_weeks - len(self)):
            w, q = woq[-1] + 1, qoy[-1]
            if w >= self.weeks_per_quarter:
                w, q = 0, q % 4 + 1
            woq.append(w)
            qoy.append(q)
        return Calendar(
            np.concatenate([self.week_of_quarter, woq[1:]]),
            np.concatenate([self.quarter_of_year, qoy[1:]]),
            self.weeks_per_quarter,
        )


# --------------------------------------------------------------------------------------------
# Validation helpers


def _check_demand(demand, name: str = "demand") -> np.ndarray:
    y = np.asarray(demand, dtype=float)
    if y.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array [products, weeks], got shape {y.shape}; "
            "for one product pass demand[None, :]"
        )
    if y.shape[0] == 0 or y.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {y.shape})")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} has NaN or infinite values")
    if np.any(y < 0):
        raise ValueError(f"{name} has negative values")
    return y


def _check_horizon(horizon) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of weeks, got {horizon!r}")
    return int(horizon)


def _check_calendar(calendar: Calendar | None, n_weeks: int) -> Calendar:
    if calendar is None:
        return Calendar.regular(n_weeks)
    if not isinstance(calendar, Calendar):
        raise TypeError(f"calendar must be a Calendar, got {type(calendar).__name__}")
    if len(calendar) < n_weeks:
        raise ValueError(f"calendar covers {len(calendar)} weeks but demand has {n_weeks}")
    return calendar


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Forecasters


class _Forecaster(BaseEstimator):
    """Shared plumbing.  ``is_baseline`` tells the gate which models are the yardsticks."""

    is_baseline = False

    @property
    def min_history(self) -> int:
        """Weeks of demand ``fit`` needs (the backtest checks every origin against it)."""
        return 1

    def _start_fit(self, demand, calendar) -> tuple[np.ndarray, Calendar]:
        y = _check_demand(demand)
        if y.shape[1] < self.min_history:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.min_history} weeks of demand, got {y.shape[1]}"
            )
        return y, _check_calendar(calendar, y.shape[1])


class SeasonalNaive(_Forecaster):
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
        return _check_positive_int(self.season, "season")

    def fit(self, demand, calendar: Calendar | None = None) -> SeasonalNaive:
        y, _ = self._start_fit(demand, calendar)
        self.last_ = y[:, -self.season :].copy()
        return self

    def predict(self, horizon: int) -> np.ndarray:
        check_is_fitted(self, "last_")
        return self.last_[:, np.arange(_check_horizon(horizon)) % self.season]


class MovingAverage(_Forecaster):
    """Flat forecast at the mean of the last ``window`` weeks: the best one can do on noise."""

    is_baseline = True

    def __init__(self, window: int = 13):
        self.window = window

    @property
    def min_history(self) -> int:
        return _check_positive_int(self.window, "window")

    def fit(self, demand, calendar: Calendar | None = None) -> MovingAverage:
        y, _ = self._start_fit(demand, calendar)
        self.level_ = y[:, -self.window :].mean(axis=1)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        check_is_fitted(self, "level_")
        return np.repeat(self.level_[:, None], _check_horizon(horizon), axis=1)


class XGBForecaster(_Forecaster):
    """One global gradient-boosted model for all products, forecasting recursively.

    Features of week t: demand lags ``lags``, trailing means over ``rolling`` weeks, week of
    quarter, quarter of year, trend (week index t) and product id.  The product id lets the trees
    separate products while every product lends its history to the shared seasonal shape.

    Scaling, so products of any size share one model: each product's series is first divided by
    its mean over the training weeks (numbers of order 1 whether a product ships 1e12 or 1e16
    bytes), then every lag, rolling mean and the target are expressed relative to the *trailing
    level*, the mean of the ``level_window`` weeks before t (floored at ``level_floor`` of the
    product mean).  The second step is what lets trees follow a trend: trees cannot predict values
    outside those seen in training, so a growing product scaled only by its all-history mean would
    be capped at its past peak; as a ratio to its recent level it stays in the training range.

    Multi-step strategy: *recursive*.  The model predicts one week ahead and each forecast is fed
    back as the lag of the next week.  Chosen over direct (one model per horizon step, or a
    horizon feature) because (1) the short lags 1-3 and the 13-week lag stay usable at every step,
    while a direct model for step h may only use lags >= h and at a 52-week horizon is left with
    calendar features alone; (2) one model trains on P x T rows, where a stacked direct model
    needs P x T x H (with 500 products and 52 steps, ~11 M rows); (3) the forecast path is one
    coherent series.  The price, errors compounding along the path, is measured by the backtest
    per horizon band, and the gate falls back to a baseline where it hurts.

    ``predict(horizon, history=...)`` forecasts from a newer origin without refitting; the history
    must start at the same week as the training demand, since the trend feature is the week index.
    Products with no demand in training are forecast as zero.  Deterministic: ``tree_method``
    ``"hist"``, a fixed ``n_jobs`` and ``random_state=seed`` (which only matters when
    ``subsample`` or ``colsample_bytree`` < 1).
    """

    def __init__(
        self,
        lags: Sequence[int] = (1, 2, 3, 13, 26, 52),
        rolling: Sequence[int] = (4, 13),
        n_estimators: int = 120,
        max_depth: int = 4,
        learning_rate: float = 0.1,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        min_child_weight: float = 1.0,
        level_window: int = 13,
        level_floor: float = 0.05,
        n_jobs: int = 1,
        seed: int = 0,
    ):
        self.lags = lags
        self.rolling = rolling
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.level_window = level_window
        self.level_floor = level_floor
        self.n_jobs = n_jobs
        self.seed = seed

    @property
    def min_history(self) -> int:
        # The first training row needs a full level window; ask for as many rows again.
        return 2 * _check_positive_int(self.level_window, "level_window")

    def _check_params(self) -> None:
        for k in (*self.lags, *self.rolling):
            _check_positive_int(k, "every lag and rolling window")
        if not self.lags:
            raise ValueError("lags must not be empty")
        if not self.level_floor > 0:
            raise ValueError("level_floor must be > 0")

    def _design(self, z: np.ndarray, ts: np.ndarray, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
        """Features of target weeks ``ts`` from scaled demand ``z`` (only z[:, :t] is read).

        Returns ``X`` [P * len(ts), F] (product-major rows) and the trailing level [P, len(ts)].
        """
        P = z.shape[0]
        csum = np.concatenate([np.zeros((P, 1)), np.cumsum(z[:, : ts.max()], axis=1)], axis=1)

        def trailing_mean(w: int) -> np.ndarray:
            out = np.full((P, len(ts)), np.nan)
            ok = ts >= w
            out[:, ok] = (csum[:, ts[ok]] - csum[:, ts[ok] - w]) / w
            return out

        level = np.maximum(trailing_mean(self.level_window), self.level_floor)
        cols = []
        for k in self.lags:
            lag = np.full((P, len(ts)), np.nan)
            ok = ts >= k
            lag[:, ok] = z[:, ts[ok] - k]
            cols.append(lag / level)
        cols += [trailing_mean(w) / level for w in self.rolling]
        shape = (P, len(ts))
        cols += [
            np.broadcast_to(cal.week_of_quarter[ts], shape),
            np.broadcast_to(cal.quarter_of_year[ts], shape),
            np.broadcast_to(ts, shape),
            np.broadcast_to(np.arange(P)[:, None], shape),
        ]
        X = np.stack(cols, axis=-1).reshape(P * len(ts), len(cols)).astype(np.float32)
        return X, level

    def fit(self, demand, calendar: Calendar | None = None) -> XGBForecaster:
        self._check_params()
        y, cal = self._start_fit(demand, calendar)
        scale = y.mean(axis=1)
        active = scale > 0
        scale = np.where(active, scale, 1.0)
        z = y / scale[:, None]
        ts = np.arange(self.level_window, y.shape[1])
        X, level = self._design(z, ts, cal)
        target = (z[:, ts] / level).ravel()
        model = xgb.XGBRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight,
            tree_method="hist",
            objective="reg:squarederror",
            n_jobs=self.n_jobs,
            random_state=self.seed,
        )
        model.fit(X, target)
        self.model_, self.scale_, self.active_ = model, scale, active
        self.history_, self.calendar_ = y, cal
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, horizon: int, history=None) -> np.ndarray:
        """Forecast ``horizon`` weeks after the training demand, or after ``history`` if given."""
        check_is_fitted(self, "model_")
        h = _check_horizon(horizon)
        y = self.history_ if history is None else _check_demand(history, "history")
        P, T = y.shape
        if len(self.scale_) != P:
            raise ValueError(f"history has {P} products, the model was fitted on {len(self.scale_)}")
        if self.min_history > T:
            raise ValueError(f"history needs at least {self.min_history} weeks, got {T}")
        cal = self.calendar_.extend(T + h)
        z = np.empty((P, T + h))
        z[:, :T] = y / self.scale_[:, None]
        for t in range(T, T + h):
            X, level = self._design(z, np.array([t]), cal)
            z[:, t] = np.maximum(self.model_.predict(X), 0.0) * level[:, 0]
        out = z[:, T:] * self.scale_[:, None]
        out[~self.active_] = 0.0
        return out


Factory = Callable[[], _Forecaster] | BaseEstimator


def _make(factory: Factory):
    """A fresh, unfitted model: an estimator instance is cloned, anything else is called."""
    if isinstance(factory, BaseEstimator):
        return clone(factory)
    if callable(factory):
        return factory()
    raise TypeError(f"a model factory must be an estimator or a callable, got {factory!r}")


def default_models(seed: int = 0, **xgb_params) -> dict[str, Factory]:
    """The usual contenders: three baselines and the global XGBoost model."""
    return {
        "SeasonalNaive13": SeasonalNaive(13),
        "SeasonalNaive52": SeasonalNaive(52),
        "MovingAverage13": MovingAverage(13),
        "XGBoost": XGBForecaster(seed=seed, **xgb_params),
    }


# --------------------------------------------------------------------------------------------
# Backtest


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
    products: list

    def relative_errors(self, model: str) -> np.ndarray:
        """Errors divided by the forecast's mean level over each window ([origin, P, horizon]).

        Relative to the window level, not to each week's forecast, so a near-zero week does not
        blow the ratio up; a window whose forecast is all zero gets relative error 0.
        """
        level = self.forecasts[model].mean(axis=2, keepdims=True)
        e = self.errors[model]
        return np.divide(e, level, out=np.zeros_like(e), where=level > 0)


def _bands(horizon: int) -> list[tuple[str, int, int]]:
    """Quarter-long horizon bands (1-13, 14-26, ...) and the whole horizon."""
    bands = []
    if horizon > 13:
        bands = [(f"{a}-{min(a + 12, horizon)}", a, min(a + 12, horizon)) for a in range(1, horizon + 1, 13)]
    return bands + [(ALL, 1, horizon)]


def backtest(
    models: Mapping[str, Factory],
    demand,
    calendar: Calendar | None = None,
    horizon: int = 13,
    origins: int = 4,
    *,
    step: int = 13,
    mase_season: int = 13,
    products: Sequence[Hashable] | None = None,
    workers: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest: refit every model at each origin and forecast ``horizon`` weeks.

    The last origin's window ends at the last week of demand; earlier origins are ``step`` weeks
    apart (13 by default: one re-plan a quarter).  Windows may overlap.  Metrics per product,
    model and horizon band (``HorizonWeeks`` = ``"1-13"``, ... and ``"all"``), pooled over
    origins: ``WAPE`` = sum|error| / sum(actual); ``Bias`` = sum(forecast - actual) / sum(actual),
    positive when over-forecasting; ``MASE`` = mean |error| over the in-sample mean absolute
    ``mase_season``-week seasonal-naive error of the training weeks; ``MAE`` in bytes.  WAPE and
    Bias are NaN for a product without demand in the windows, MASE where its scale is zero.
    ``workers`` threads fit the origins side by side (default ``FIT_WORKERS``); the result does
    not depend on it.
    """
    y = _check_demand(demand)
    P, T = y.shape
    cal = _check_calendar(calendar, T)
    h = _check_horizon(horizon)
    K = _check_positive_int(origins, "origins")
    step = _check_positive_int(step, "step")
    m = _check_positive_int(mase_season, "mase_season")
    if not models:
        raise ValueError("no models to backtest")
    labels = list(range(P)) if products is None else list(products)
    if len(labels) != P:
        raise ValueError(f"{len(labels)} product labels for {P} products")
    starts = T - h - step * np.arange(K - 1, -1, -1)
    need = max(_make(f).min_history for f in models.values())
    if starts[0] < need:
        raise ValueError(
            f"backtest needs {need} weeks of history before the first origin plus "
            f"{h + (K - 1) * step} weeks for {K} origin(s) {step} weeks apart with a {h}-week "
            f"horizon, i.e. {need + h + (K - 1) * step} weeks; demand has {T}. Use a shorter "
            "horizon, fewer origins or a smaller step"
        )

    actuals = np.stack([y[:, o : o + h] for o in starts])

    def fit_predict(factory: Factory, origin: int) -> np.ndarray:
        return _make(factory).fit(y[:, :origin], cal).predict(h)

    with ThreadPoolExecutor(max_workers=FIT_WORKERS if workers is None else workers) as pool:
        pending = {name: [pool.submit(fit_predict, f, int(o)) for o in starts] for name, f in models.items()}
        forecasts = {name: np.stack([job.result() for job in jobs]) for name, jobs in pending.items()}
    errors = {name: actuals - fc for name, fc in forecasts.items()}
    mase_scale = np.stack(
        [np.abs(y[:, m:o] - y[:, : o - m]).mean(axis=1) if o > m else np.full(P, np.nan) for o in starts]
    )  # [K, P]

    baseline = {name: bool(getattr(_make(f), "is_baseline", False)) for name, f in models.items()}
    rows = []
    for p, label in enumerate(labels):
        for name in models:
            for band, a, b in _bands(h):
                e = errors[name][:, p, a - 1 : b]
                act = actuals[:, p, a - 1 : b]
                total = act.sum()
                scale = mase_scale[:, p, None]
                rows.append(
                    {
                        "Product": label,
                        "Model": name,
                        "HorizonWeeks": band,
                        "WAPE": np.abs(e).sum() / total if total > 0 else np.nan,
                        "Bias": -e.sum() / total if total > 0 else np.nan,
                        "MASE": (np.abs(e) / scale).mean() if np.all(scale > 0) else np.nan,
                        "MAE": np.abs(e).mean(),
                        "Baseline": baseline[name],
                    }
                )
    return BacktestResult(pd.DataFrame(rows), errors, forecasts, actuals, starts, labels)


# --------------------------------------------------------------------------------------------
# Gate and the full forecast


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
    rows = metrics[metrics["HorizonWeeks"] == ALL]
    if rows.empty:
        raise ValueError(f"metrics have no HorizonWeeks == {ALL!r} rows")
    choices: dict[Hashable, str] = {}
    for product, g in rows.groupby("Product", sort=False):
        is_base = g["Baseline"].astype(bool) if "Baseline" in g else pd.Series(True, g.index)
        base, chall = g[is_base], g[~is_base]
        if base.empty or chall.empty:
            best = (chall if base.empty else base)["MAE"].idxmin()
        else:
            b, c = base["MAE"].idxmin(), chall["MAE"].idxmin()
            best = c if g.at[c, "MAE"] < (1 - margin) * g.at[b, "MAE"] else b
        choices[product] = g.at[best, "Model"]
    return choices


def mark_chosen(metrics: pd.DataFrame, choices: Mapping[Hashable, str]) -> pd.DataFrame:
    """A copy of ``metrics`` with a boolean ``Chosen`` column."""
    out = metrics.copy()
    out["Chosen"] = [choices.get(p) == m for p, m in zip(out["Product"], out["Model"])]
    return out


@dataclass
class ForecastResult:
    """The forecast, which model made each product's, and the evidence for the choice."""

    forecast: np.ndarray  # [P, horizon] bytes per week
    choices: dict[Hashable, str]  # product label -> model name
    metrics: pd.DataFrame  # backtest metrics with ``Chosen``
    backtest: BacktestResult
    models: dict[str, _Forecaster] = field(default_factory=dict)  # refitted on all history

    def errors(self, relative: bool = True) -> np.ndarray:
        """Out-of-sample errors of each product's chosen model, [origin, P, horizon]."""
        bt = self.backtest
        out = np.empty_like(bt.actuals)
        for name in set(self.choices.values()):
            rows = [p for p, label in enumerate(bt.products) if self.choices[label] == name]
            src = bt.relative_errors(name) if relative else bt.errors[name]
            out[:, rows] = src[:, rows]
        return out


def forecast(
    demand,
    calendar: Calendar | None = None,
    horizon: int = 13,
    seed: int = 0,
    *,
    models: Mapping[str, Factory] | None = None,
    origins: int = 4,
    step: int = 13,
    margin: float = 0.05,
    products: Sequence[Hashable] | None = None,
) -> ForecastResult:
    """Backtest the contenders, gate per product, refit the chosen ones on all history, predict.

    ``models`` defaults to ``default_models(seed)``.  The horizon must fit inside the history
    with room to backtest it; otherwise a ValueError says how much demand is needed.
    """
    y = _check_demand(demand)
    h = _check_horizon(horizon)
    if h >= y.shape[1]:
        raise ValueError(
            f"a {h}-week horizon is not shorter than the {y.shape[1]} weeks of "
            "history: it cannot be backtested"
        )
    cal = _check_calendar(calendar, y.shape[1])
    models = default_models(seed) if models is None else dict(models)
    bt = backtest(models, y, cal, h, origins, step=step, products=products)
    choices = choose_models(bt.metrics, margin=margin)
    out = np.empty((y.shape[0], h))
    fitted = {}
    for name in (n for n in models if n in choices.values()):
        fitted[name] = _make(models[name]).fit(y, cal)
        rows = [p for p, label in enumerate(bt.products) if choices[label] == name]
        out[rows] = fitted[name].predict(h)[rows]
    return ForecastResult(out, choices, mark_chosen(bt.metrics, choices), bt, fitted)
