"""The demand the plan uses, and how wrong it may be: forecast, backtest gate, scenarios.

Two sources (setting ``demand_source``):

* ``workbook`` -- plan on the weekly `EffectiveDemand`.  The forecaster is still backtested on
  that series: its out-of-sample errors are what the scenarios bootstrap, and it forecasts the
  ``horizon_weeks`` beyond the workbook's last week (shown, not planned: there is no capacity
  for them).
* ``forecast`` -- demand up to ``history_end_week`` is history; the weeks after it are
  forecast by the model that won the backtest, and planned.

``plan_for`` ``P50`` plans on that demand; a service level ``s`` plans on the path whose
*cumulative* demand at every week is reached with probability ``s`` in the scenarios (quantiles
of weekly demand would overstate it: the sum of weekly P95s is far above the P95 of the sum).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from .contract import Col
from .model import Issue, PlanningData
from .scenarios import CHUNK_BYTES, bootstrap_scenarios, quantiles
from .settings import Settings, SettingsSheet
from .tables import BACKTEST, FORECAST, product_week_keys

FORECAST_COLUMNS = [
    Col.PRODUCT,
    Col.WEEK,
    Col.WEEK_INDEX,
    Col.WEEK_START,
    Col.MODEL,
    Col.P10,
    Col.P50,
    Col.P90,
    Col.ACTUAL,
]
BACKTEST_COLUMNS = [Col.PRODUCT, Col.MODEL, Col.HORIZON_WEEKS, Col.WAPE, Col.BIAS, Col.MASE, Col.CHOSEN]
ORIGINS = 8  # backtest origins: enough errors for calibrated scenarios (4 gives too narrow bands)
#: Changes whenever what the forecast stage computes changes in a way its inputs do not show.
FORECAST_KEY_VERSION = 1

if TYPE_CHECKING:  # the forecasting stack loads xgboost: a run that reuses a forecast skips it
    from .forecasting import ForecastResult, ModelSpec


@dataclass(frozen=True)
class StoredForecast:
    """What the forecast stage produces for the rest of the pipeline, as kept between runs.

    ``result`` is the backtest, the choice per product and the chosen models' forecast; its
    ``models`` are empty when it was loaded (the fitted models are not kept: reusing them would
    import xgboost, which is what reuse saves).  ``predicted`` is the chosen models' forecast
    of the ``n`` weeks the view needs ([P, n], never negative)."""

    result: ForecastResult
    predicted: np.ndarray


class ForecastStore(Protocol):
    """Where forecasts are kept between runs, by :func:`forecast_key` (``adapters.forecast_cache``
    keeps them beside the workbook; a plain ``dict`` works too)."""

    def get(self, key: str, /) -> StoredForecast | None: ...

    def __setitem__(self, key: str, value: StoredForecast, /) -> None: ...


def forecast_key(data: PlanningData, settings: Settings, history_end: int, n_predicted: int) -> str:
    """A hash of everything the forecast stage reads: the demand history, the products, the
    calendar (quarter of each week, quarter labels), the horizon, the seed and how many weeks
    are predicted.  The store adds what code made it (package and library versions)."""
    h = hashlib.sha256()
    history = np.ascontiguousarray(data.demand[:, :history_end], dtype=np.float64)
    meta = {
        "version": FORECAST_KEY_VERSION,
        "shape": list(history.shape),
        "products": [str(p) for p in data.products],
        "quarters": [str(q) for q in data.quarters],
        "horizon_weeks": settings.horizon_weeks,
        "seed": settings.seed,
        "origins": ORIGINS,
        "n_predicted": n_predicted,
    }
    h.update(json.dumps(meta, sort_keys=True).encode())
    h.update(history.tobytes())
    h.update(np.ascontiguousarray(data.week_quarter, dtype=np.int64).tobytes())
    return h.hexdigest()


@dataclass
class DemandView:
    plan_demand: np.ndarray  # [P, T] bytes the optimiser plans on
    base: np.ndarray  # [P, T] P50 demand (workbook or forecast)
    scenarios: np.ndarray | None  # [S, P, T]
    forecast: ForecastResult | None
    beyond: np.ndarray | None  # [P, H] forecast past the last week (workbook mode)
    beyond_band: np.ndarray | None  # [2, P, H] its P10 and P90 (see ``horizon_band``)
    history_end: int  # weeks 0..history_end-1 are history
    model_by_product: dict[str, str]
    forecast_key: str | None = None  # the forecast's key in a ForecastStore (when one was given)
    forecast_reused: bool = False  # the forecast came from the store: no model was fitted


def _origin_step(horizon_weeks: int) -> int:
    """Weeks between backtest origins: half a horizon, so their windows overlap by half."""
    return max(1, horizon_weeks // 2)


def _backtest_design(n_weeks: int, settings: Settings) -> tuple[dict[str, ModelSpec], int] | None:
    """The contenders and backtest origins ``n_weeks`` of history can hold (up to ``ORIGINS``),
    or None when too few.  A short history (the two-year template) cannot hold a year-ago
    baseline plus several origins; the yearly contenders are then left out rather than the
    forecast given up."""
    from .forecasting import make_forecaster

    h = settings.horizon_weeks
    step = _origin_step(h)
    for models in (_full_history_models(settings.seed), _short_history_models(settings.seed)):
        need = max(make_forecaster(m).min_history for m in models.values())
        origins = min(ORIGINS, (n_weeks - need - h) // step + 1)
        if origins >= 2:
            return models, origins
    return None


def history_needed(horizon_weeks: int) -> int:
    """Fewest weeks of demand history that can backtest a ``horizon_weeks`` forecast: two origins
    of the short-history contenders (``_backtest_design``'s bound; a test holds the two together)."""
    from .forecasting import make_forecaster

    need = max(make_forecaster(m).min_history for m in _short_history_models(0).values())
    return need + horizon_weeks + _origin_step(horizon_weeks)


def _fit(data: PlanningData, history: np.ndarray, settings: Settings) -> ForecastResult:
    """Backtest with as many origins as the history allows, then forecast."""
    from .forecasting import Calendar, forecast

    design = _backtest_design(history.shape[1], settings)
    if design is None:
        raise ValueError(
            f"{history.shape[1]} weeks of demand are too few to backtest a {settings.horizon_weeks}-week "
            f"forecast (at least {history_needed(settings.horizon_weeks)} are needed); set forecast "
            "to FALSE or a shorter horizon_weeks"
        )
    models, origins = design
    return forecast(
        history,
        Calendar.from_planning(data),
        horizon=settings.horizon_weeks,
        seed=settings.seed,
        models=models,
        origins=origins,
        step=_origin_step(settings.horizon_weeks),
        products=list(data.products),
    )


def settings_issues(sheet: SettingsSheet, settings: Settings, n_weeks: int) -> list[Issue]:
    """What is wrong with the forecast settings for ``n_weeks`` of demand, at their cells.

    Found before anything runs: a history_end_week past the last week or a horizon the history
    cannot backtest is the planner's setting to change (exit 2, naming the cell), not a failure
    of the run.  ``settings`` are the ones the run uses (the sheet's, with any overrides)."""
    issues: list[Issue] = []
    h, end = settings.horizon_weeks, settings.history_end_week
    forecast_mode = settings.demand_source == "forecast"
    if end is not None and not forecast_mode:
        issues.append(
            sheet.issue("warning", "history_end_week", "used only with demand_source forecast; ignored")
        )
    if forecast_mode and end is not None and not h < end <= n_weeks:
        issues.append(
            sheet.issue(
                "error",
                "history_end_week",
                f"expected a week between {h + 1} (horizon_weeks + 1) and {n_weeks} (the last week of "
                f"demand), found {end}",
            )
        )
        return issues
    history = end if forecast_mode and end is not None else n_weeks
    if (settings.forecast or forecast_mode) and _backtest_design(history, settings) is None:
        need = history_needed(h)
        longest = max((k for k in range(1, h) if history_needed(k) <= history), default=0)
        if forecast_mode and end is not None and need <= n_weeks:
            issues.append(
                sheet.issue(
                    "error",
                    "history_end_week",
                    f"leaves {end} weeks of demand history; a {h}-week forecast needs at least {need} "
                    f"to backtest: expected a week between {need} and {n_weeks}",
                )
            )
        else:
            shorter = f"a horizon_weeks of at most {longest}, or " if longest else ""
            issues.append(
                sheet.issue(
                    "error",
                    "horizon_weeks",
                    f"a {h}-week forecast needs at least {need} weeks of demand history to backtest and "
                    f"{history} are given: expected {shorter}forecast FALSE",
                )
            )
    return issues


def _full_history_models(seed: int) -> dict[str, ModelSpec]:
    from .forecasting import default_models

    return default_models(seed)


def _short_history_models(seed: int) -> dict[str, ModelSpec]:
    from .forecasting import default_models

    models = default_models(seed, lags=(1, 2, 3, 13, 26), level_window=13)
    models.pop("SeasonalNaive52")
    return models


def cumulative_quantile_path(scenarios: np.ndarray, level: float) -> np.ndarray:
    """Weekly demand whose running total is the ``level`` quantile of the scenarios' running totals."""
    S, P, T = scenarios.shape
    cum = np.empty((P, T))
    chunk = max(1, int(CHUNK_BYTES // (8 * S * T)))  # a few products at a time: no float64 copy of the cube
    for p0 in range(0, P, chunk):
        sl = slice(p0, p0 + chunk)
        cum[sl] = np.quantile(np.cumsum(scenarios[:, sl], axis=-1, dtype=np.float64), level, axis=0)
    cum = np.maximum.accumulate(np.maximum(cum, 0.0), axis=-1)
    return np.diff(cum, axis=-1, prepend=0.0)


def _fitted(
    data: PlanningData, settings: Settings, hist_end: int, n: int, store: ForecastStore | None
) -> tuple[StoredForecast, str | None, bool]:
    """The forecast stage's result and the ``n`` weeks it predicts, from ``store`` when it holds
    them under this run's :func:`forecast_key` (never fitted then), else fitted and stored."""
    key = forecast_key(data, settings, hist_end, n) if store is not None else None
    if store is not None and key is not None:
        kept = store.get(key)
        if kept is not None:
            return kept, key, True
    result = _fit(data, data.demand[:, :hist_end], settings)
    fresh = StoredForecast(result, _predict_chosen(result, n))
    if store is not None and key is not None:
        store[key] = fresh
    return fresh, key, False


def demand_view(data: PlanningData, settings: Settings, store: ForecastStore | None = None) -> DemandView:
    """Forecast (when enabled), scenarios (when enabled) and the demand to plan on.

    With ``store`` (and the ``reuse_forecast`` setting on) a forecast made earlier from the same
    inputs is reused instead of fitted again: the same arrays, so the same tables."""
    if not settings.reuse_forecast:
        store = None
    T = data.n_weeks
    result: ForecastResult | None = None
    beyond = beyond_band = None
    hist_end = T
    base = data.demand.copy()
    if settings.demand_source == "forecast":
        hist_end = settings.history_end_week or T
        if not settings.horizon_weeks < hist_end <= T:
            raise ValueError(
                f"history_end_week must lie between horizon_weeks+1 ({settings.horizon_weeks + 1}) "
                f"and the number of weeks ({T}); found {hist_end}"
            )
    key, reused = None, False
    if settings.forecast or settings.demand_source == "forecast":
        future = T - hist_end
        kept, key, reused = _fitted(data, settings, hist_end, future or settings.horizon_weeks, store)
        result = kept.result
        if future > 0:
            base[:, hist_end:] = kept.predicted
        else:
            beyond = kept.predicted.copy()
            beyond_band = horizon_band(
                beyond, result.errors(relative=True), n=settings.scenarios, seed=settings.seed
            )
    scen = None
    if settings.simulate and result is not None:
        # scenarios cover the planned weeks; in forecast mode the history is known (no spread)
        dtype = np.float32 if data.n_products * T * settings.scenarios > 5e7 else np.float64
        errors = result.errors(relative=True)
        if settings.demand_source == "workbook":
            # EffectiveDemand is the planners' own figure, not the model's: the model's bias says
            # nothing about it, only its spread does.  Centre the errors so P50 stays on it.
            errors = errors - errors.mean(axis=0, keepdims=True)
        planned = base[:, hist_end:] if hist_end < T else base
        s = bootstrap_scenarios(
            planned,
            errors,
            n=settings.scenarios,
            block=min(13, errors.shape[2]),
            seed=settings.seed,
            extend=True,
            dtype=dtype,
        )
        if hist_end < T:
            known = np.broadcast_to(base[:, :hist_end].astype(dtype), (s.shape[0], data.n_products, hist_end))
            s = np.concatenate([known, s], axis=2)
        scen = s
    plan_demand = base
    if settings.plan_for != Col.P50 and scen is not None:
        plan_demand = cumulative_quantile_path(scen, float(settings.plan_for))
    choices = {str(k): v for k, v in result.choices.items()} if result else {}
    return DemandView(plan_demand, base, scen, result, beyond, beyond_band, hist_end, choices, key, reused)


def horizon_band(forecast_path: np.ndarray, errors: np.ndarray, *, n: int, seed: int) -> np.ndarray:
    """P10 and P90 ([2, P, H]) around a forecast made today, H steps ahead, from the backtest.

    The scenarios bootstrap the chosen model's out-of-sample errors by horizon step (as the
    planned weeks' scenarios do), centred so the forecast stays the P50 the table shows.  A
    forecast further ahead is never surer than a nearer one from the same origin, so the
    distances below and above the forecast are carried forward (running maximum over the
    horizon) where a few backtest origins make a later step's spread come out smaller.
    """
    e = errors - errors.mean(axis=0, keepdims=True)
    scen = bootstrap_scenarios(forecast_path, e, n=n, block=min(13, e.shape[2]), seed=seed, extend=True)
    lo, hi = quantiles(scen, (0.1, 0.9))
    below = np.maximum.accumulate(np.maximum(forecast_path - lo, 0.0), axis=-1)
    above = np.maximum.accumulate(np.maximum(hi - forecast_path, 0.0), axis=-1)
    return np.stack([np.maximum(forecast_path - below, 0.0), forecast_path + above])


def _predict_chosen(result: ForecastResult, n: int) -> np.ndarray:
    products = list(result.choices)
    out = np.empty((len(products), n))
    for name, model in result.models.items():
        rows = [i for i, p in enumerate(products) if result.choices[p] == name]
        out[rows] = model.predict(n)[rows]
    return np.maximum(out, 0.0)


def forecast_table(data: PlanningData, view: DemandView) -> pd.DataFrame:
    """``LL_Forecast``: one row per product and week, planned weeks and the weeks beyond."""
    P, T = data.n_products, data.n_weeks
    if view.scenarios is not None:
        q = quantiles(view.scenarios, (0.1, 0.5, 0.9))
    else:
        q = np.stack([view.base] * 3)
    models = np.array([view.model_by_product.get(p, "") for p in data.products], dtype=object)
    source = np.where(np.arange(T) < view.history_end, "workbook", "")
    week_model = np.where(source[None, :] == "workbook", "workbook", models[:, None])
    frame = pd.DataFrame(
        {
            **product_week_keys(data),
            Col.MODEL: week_model.reshape(-1),
            Col.P10: q[0].reshape(-1).astype(float),
            Col.P50: q[1].reshape(-1).astype(float),
            Col.P90: q[2].reshape(-1).astype(float),
            Col.ACTUAL: data.demand.reshape(-1),
        }
    )
    if view.beyond is not None:
        H = view.beyond.shape[1]
        band = view.beyond_band if view.beyond_band is not None else np.stack([view.beyond] * 2)
        extra = pd.DataFrame(
            {
                Col.PRODUCT: np.repeat(np.array(data.products, dtype=object), H),
                Col.WEEK: np.tile(np.array([f"+{k}" for k in range(1, H + 1)], dtype=object), P),
                Col.WEEK_INDEX: np.tile(np.arange(T + 1, T + H + 1), P),
                Col.WEEK_START: pd.to_datetime(
                    pd.Series(_future_starts(data, H) * P, dtype="datetime64[ns]")
                ),
                Col.MODEL: np.repeat(models, H),
                Col.P10: band[0].reshape(-1),
                Col.P50: view.beyond.reshape(-1),
                Col.P90: band[1].reshape(-1),
                Col.ACTUAL: np.nan,
            }
        )
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame[FORECAST_COLUMNS]


def _future_starts(data: PlanningData, n: int) -> list:
    last = next((d for d in reversed(data.weeks.starts) if d is not None), None)
    if last is None:
        return [None] * n
    offset = data.n_weeks - 1 - max(i for i, d in enumerate(data.weeks.starts) if d is not None)
    return [pd.Timestamp(last) + pd.Timedelta(weeks=offset + k) for k in range(1, n + 1)]


def forecast_only(
    data: PlanningData, settings: Settings, store: ForecastStore | None = None
) -> tuple[DemandView, dict[str, pd.DataFrame]]:
    """Forecast, backtest and scenarios without planning: ``LL_Forecast`` and ``LL_Backtest``.

    For a planner who wants next quarter's demand and its band without re-planning (the plan
    takes the optimiser's minutes on a large workbook).  The forecast is always made, whatever
    the ``forecast`` setting says: it is what was asked for.
    """
    settings = settings.model_copy(update={"forecast": True})
    view = demand_view(data, settings, store)
    return view, {FORECAST: forecast_table(data, view), BACKTEST: backtest_table(view)}


def backtest_table(view: DemandView) -> pd.DataFrame:
    if view.forecast is None:
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    m = view.forecast.metrics.copy()
    m[Col.PRODUCT] = m[Col.PRODUCT].astype(str)
    return m[BACKTEST_COLUMNS].reset_index(drop=True)
