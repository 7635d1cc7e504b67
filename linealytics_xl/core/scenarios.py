"""Demand scenarios around a forecast, drawn from the forecaster's own out-of-sample errors.

The error model: a forecast misses by what it missed in the backtest.  ``errors[origin, P, h]``
are the backtest's *actual - forecast* paths (see ``BacktestResult``), relative to the window's
mean forecast level by default.  Scenarios are the base forecast plus error paths re-assembled
by a block bootstrap, so that

* the spread grows with the horizon as it did in the backtest (errors are standardised by a
  per-product, per-step spread, resampled, then rescaled to the step they land on);
* consecutive weeks stay correlated: ``block`` consecutive steps come from one origin's path;
* products stay correlated: one draw picks the same origin and steps for every product.

Standardising is what allows a block to be taken from any steps of any origin: a handful of
origins gives origins x (horizon - block + 1) distinct blocks instead of only one per origin,
which would make P10/P90 little more than the second-smallest and second-largest error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK_BYTES = 64 * 2**20  # temporaries of the scenario and quantile loops stay near this size


def _horizon_spread(errors: np.ndarray, width: int) -> np.ndarray:
    """RMS error per product and step ([P, H]), smoothed over ``width`` neighbouring steps.

    Smoothing because a few origins give a noisy spread for each single step.
    """
    ms = np.mean(errors**2, axis=0)  # [P, H]
    H = ms.shape[1]
    csum = np.concatenate([np.zeros((ms.shape[0], 1)), np.cumsum(ms, axis=1)], axis=1)
    lo = np.clip(np.arange(H) - width // 2, 0, H)
    hi = np.clip(np.arange(H) + (width - 1) // 2 + 1, 0, H)
    return np.sqrt((csum[:, hi] - csum[:, lo]) / (hi - lo))


def bootstrap_scenarios(
    base,
    errors,
    n: int = 1000,
    block: int = 13,
    seed: int = 0,
    *,
    relative: bool = True,
    extend: bool = False,
    dtype: type = np.float64,
) -> np.ndarray:
    """``n`` demand scenarios [n, P, H] around ``base`` [P, H] by a moving-block bootstrap.

    ``errors`` [origin, P, H_e] with H_e >= H: out-of-sample errors by horizon step (step h of
    an error path is applied to step h of the forecast).  With ``relative`` they are fractions of
    the forecast level (``BacktestResult.relative_errors``) and are scaled by each product's
    mean base forecast; otherwise they are in bytes.  Demand is clipped at 0.  Same inputs and
    seed give bit-identical scenarios.
    """
    base = np.asarray(base, dtype=float)
    e = np.asarray(errors, dtype=float)
    if base.ndim != 2 or base.size == 0:
        raise ValueError(f"base must be a non-empty [products, weeks] array, got shape {base.shape}")
    P, H = base.shape
    if e.ndim != 3 or e.shape[0] < 1 or e.shape[1] != P:
        raise ValueError(f"errors must be [origins, {P}, steps], got shape {e.shape}")
    if e.shape[2] < H and not extend:
        raise ValueError(
            f"errors cover {e.shape[2]} steps but base has {H}: backtest with a "
            "horizon at least as long as the scenarios, or pass extend=True"
        )
    if not (np.all(np.isfinite(base)) and np.all(np.isfinite(e))):
        raise ValueError("base and errors must be finite")
    if np.any(base < 0):
        raise ValueError("base forecast has negative values")
    for v in (n, block):
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError("n and block must be positive integers")

    He = min(e.shape[2], H)
    e = e[:, :, :He]
    K, L = e.shape[0], min(int(block), He)
    sigma_e = _horizon_spread(e, L)  # [P, He]
    z = np.divide(e, sigma_e, out=np.zeros_like(e), where=sigma_e > 0)
    sigma = np.concatenate([sigma_e, np.repeat(sigma_e[:, -1:], H - He, axis=1)], axis=1)

    rng = np.random.default_rng(seed)
    n_blocks = -(-H // L)
    origin = rng.integers(0, K, size=(int(n), n_blocks))
    start = rng.integers(0, He - L + 1, size=(int(n), n_blocks))
    steps = np.arange(H)
    src_origin = origin[:, steps // L]  # [n, H]
    src_step = start[:, steps // L] + steps % L  # [n, H]
    z_t = z.astype(dtype).transpose(0, 2, 1)  # [K, He, P]
    sigma_t: np.ndarray = sigma.astype(dtype)
    level = base.mean(axis=1)[:, None].astype(dtype) if relative else None
    base_t = base.astype(dtype)
    out = np.empty((int(n), P, H), dtype=dtype)
    # A few scenarios at a time, so the only full-size array is the result (at 1000 x 500 x 443
    # float32 that is 0.9 GB; one temporary of the same size more would double it).  Every
    # element goes through the same operations in the same order: the chunking is invisible.
    chunk = max(1, int(CHUNK_BYTES // max(1, P * H * np.dtype(dtype).itemsize)))
    for s0 in range(0, int(n), chunk):
        c = slice(s0, min(s0 + chunk, int(n)))
        scen = z_t[src_origin[c], src_step[c]]  # [c, H, P]
        scen = scen.transpose(0, 2, 1) * sigma_t  # [c, P, H]
        if relative:
            scen *= level
        scen += base_t
        np.maximum(scen, 0.0, out=out[c])
    return out


def quantile_last(values: np.ndarray, q) -> np.ndarray:
    """``np.quantile(values, q, axis=-1)`` (linear method) in float64, bit for bit, faster.

    ``np.quantile`` partitions along a strided axis, slow for many short rows (here: 1000
    scenarios for each product and week).  Here the rows are made contiguous and either sorted
    (float32: SIMD sorting is several times faster than partitioning, and float32 -> float64 is
    exact and keeps the order) or partitioned at the order statistics numpy asks for (float64),
    then interpolated as numpy's ``_lerp`` does (``a + (b - a) * g``, or ``b - (b - a) * (1 - g)``
    where ``g >= 0.5``), so the values are numpy's bits; tests/test_scenarios.py checks that.
    Where ``-0.0`` and ``0.0`` (equal, different bits) both occur, which one lands at an order
    statistic depends on the algorithm, so such float32 input takes numpy's partition route too.
    ``values`` must be finite.
    """
    v = np.asarray(values)
    qs = np.asarray(q, dtype=np.float64)
    n = v.shape[-1]
    virtual = (n - 1) * qs.ravel()
    lo = np.clip(np.floor(virtual), 0, n - 1).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    gamma = virtual - lo
    if v.dtype == np.float32 and not (np.signbit(v) & (v == 0)).any():
        part = np.sort(v, axis=-1)
    else:
        # the same order statistics as numpy asks for (first and last too), so that equal values
        # of different bits (0.0 and -0.0) land where numpy puts them
        part = np.partition(v.astype(np.float64), np.unique(np.concatenate([[0, n - 1], lo, hi])), axis=-1)
    out = np.empty((len(virtual), *v.shape[:-1]))
    for k in range(len(virtual)):
        a, b = part[..., lo[k]].astype(np.float64), part[..., hi[k]].astype(np.float64)
        diff = b - a
        out[k] = b - diff * (1 - gamma[k]) if gamma[k] >= 0.5 else a + diff * gamma[k]
    return out.reshape(qs.shape + v.shape[:-1])


def quantiles(scenarios, q: Sequence[float] = (0.1, 0.5, 0.9)) -> np.ndarray:
    """Quantiles over scenarios: [len(q), ...] for scenarios [n, ...] (e.g. [3, P, H]).

    Computed in float64 a slice of axis 1 at a time (products, for [n, P, H]), so a float32
    scenario cube is never copied whole; the values are those of one ``np.quantile`` call.
    """
    s = np.asarray(scenarios)
    qs = np.asarray(q, dtype=float)
    if s.ndim < 1 or s.shape[0] < 1:
        raise ValueError("scenarios must have at least one scenario on axis 0")
    if qs.ndim != 1 or np.any((qs < 0) | (qs > 1)):
        raise ValueError("q must be a sequence of probabilities in [0, 1]")
    if s.ndim < 2 or s.shape[1] == 0:
        return np.quantile(s.astype(float), qs, axis=0)
    out = np.empty((len(qs), *s.shape[1:]))
    row_bytes = 8 * s.size // s.shape[1]
    chunk = max(1, int(CHUNK_BYTES // max(1, row_bytes)))
    for i in range(0, s.shape[1], chunk):
        out[:, i : i + chunk] = quantile_last(np.moveaxis(s[:, i : i + chunk], 0, -1), qs)
    return out


def coverage(actual, scenarios, interval: tuple[float, float] = (0.1, 0.9)) -> float:
    """Share of ``actual`` values inside the scenarios' ``interval`` quantiles (P10-P90 default).

    ``actual`` is held-out demand of any shape and ``scenarios`` [n, *actual.shape]; stack
    several held-out windows along a leading axis of both to pool them.  A well-calibrated P10-P90
    band covers about 80 %.
    """
    a = np.asarray(actual, dtype=float)
    s = np.asarray(scenarios, dtype=float)
    if s.shape[1:] != a.shape:
        raise ValueError(f"scenarios {s.shape} must be [n, *{a.shape}]")
    lo_q, hi_q = interval
    if not 0 <= lo_q < hi_q <= 1:
        raise ValueError("interval must be (low, high) with 0 <= low < high <= 1")
    lo, hi = quantiles(s, (lo_q, hi_q))
    return float(np.mean((a >= lo) & (a <= hi)))
