"""Rolling-origin backtest: every contender refitted at each origin, errors kept for scenarios."""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contract import Col
from .base import ModelSpec, make_forecaster
from .calendar import Calendar, check_calendar, check_demand, check_horizon, check_positive_int
from .results import BacktestResult

ALL = "all"  # HorizonWeeks label of the whole-horizon rows, the ones the gate reads
# Backtest fits run side by side in threads (XGBoost releases the GIL), each on one XGBoost
# thread: independent single-threaded fits give the same bits in any order, and unlike one fit
# on several OpenMP threads they do not stall when other processes hold the cores.
FIT_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _bands(horizon: int) -> list[tuple[str, int, int]]:
    """Quarter-long horizon bands (1-13, 14-26, ...) and the whole horizon."""
    bands = []
    if horizon > 13:
        bands = [(f"{a}-{min(a + 12, horizon)}", a, min(a + 12, horizon)) for a in range(1, horizon + 1, 13)]
    return bands + [(ALL, 1, horizon)]


def backtest(
    models: Mapping[str, ModelSpec],
    demand: npt.ArrayLike,
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
    y = check_demand(demand)
    P, T = y.shape
    cal = check_calendar(calendar, T)
    h = check_horizon(horizon)
    K = check_positive_int(origins, "origins")
    step = check_positive_int(step, "step")
    m = check_positive_int(mase_season, "mase_season")
    if not models:
        raise ValueError("no models to backtest")
    labels: list[Hashable] = list(range(P)) if products is None else list(products)
    if len(labels) != P:
        raise ValueError(f"{len(labels)} product labels for {P} products")
    starts = T - h - step * np.arange(K - 1, -1, -1)
    need = max(make_forecaster(f).min_history for f in models.values())
    if starts[0] < need:
        raise ValueError(
            f"backtest needs {need} weeks of history before the first origin plus "
            f"{h + (K - 1) * step} weeks for {K} origin(s) {step} weeks apart with a {h}-week "
            f"horizon, i.e. {need + h + (K - 1) * step} weeks; demand has {T}. Use a shorter "
            "horizon, fewer origins or a smaller step"
        )

    actuals = np.stack([y[:, o : o + h] for o in starts])

    def fit_predict(factory: ModelSpec, origin: int) -> np.ndarray:
        return make_forecaster(factory).fit(y[:, :origin], cal).predict(h)

    with ThreadPoolExecutor(max_workers=FIT_WORKERS if workers is None else workers) as pool:
        pending = {name: [pool.submit(fit_predict, f, int(o)) for o in starts] for name, f in models.items()}
        forecasts = {name: np.stack([job.result() for job in jobs]) for name, jobs in pending.items()}
    errors = {name: actuals - fc for name, fc in forecasts.items()}
    mase_scale = np.stack(
        [np.abs(y[:, m:o] - y[:, : o - m]).mean(axis=1) if o > m else np.full(P, np.nan) for o in starts]
    )  # [K, P]

    baseline = {name: make_forecaster(f).is_baseline for name, f in models.items()}
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
                        Col.PRODUCT: label,
                        Col.MODEL: name,
                        Col.HORIZON_WEEKS: band,
                        Col.WAPE: np.abs(e).sum() / total if total > 0 else np.nan,
                        Col.BIAS: -e.sum() / total if total > 0 else np.nan,
                        Col.MASE: (np.abs(e) / scale).mean() if np.all(scale > 0) else np.nan,
                        "MAE": np.abs(e).mean(),
                        "Baseline": baseline[name],
                    }
                )
    return BacktestResult(pd.DataFrame(rows), errors, forecasts, actuals, starts, labels)
