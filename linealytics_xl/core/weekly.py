"""Quarterly demand to weekly demand.

Rule (documented in the README): a quarter of ``n`` weeks takes its weekly shares from the
13-week ratio profile by *resampling its cumulative curve*: week ``k`` of ``n`` gets
``F(13*k/n) - F(13*(k-1)/n)``, where ``F`` is the piecewise-linear cumulative share.  For
``n = 13`` this is the profile itself; a 14-week quarter keeps the same back-loaded shape, and the
shares of any quarter add up to exactly the profile's total, so quarterly demand is conserved to
float rounding.  The last week absorbs that rounding so the sum is exact in floating point too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .labels import WEEKS_PER_QUARTER


def week_shares(ratios: ArrayLike, n_weeks: int) -> np.ndarray:
    """Share of a quarter's demand in each of its ``n_weeks`` weeks (sums to 1)."""
    r = np.asarray(ratios, dtype=float)
    if r.ndim != 1 or r.size == 0:
        raise ValueError("ratios must be a non-empty list of weekly shares")
    if np.any(~np.isfinite(r)) or np.any(r < 0):
        raise ValueError("ratios must be finite and non-negative")
    total = r.sum()
    if total <= 0:
        raise ValueError("ratios must not all be zero")
    if n_weeks < 1:
        raise ValueError("a quarter needs at least one week")
    r = r / total
    if n_weeks == r.size:
        return r
    cumulative = np.concatenate([[0.0], np.cumsum(r)])
    points = np.linspace(0.0, r.size, n_weeks + 1)
    shares = np.diff(np.interp(points, np.arange(r.size + 1), cumulative))
    return shares / shares.sum()


def weekly_demand(quarterly: ArrayLike, week_quarter: ArrayLike, ratios: ArrayLike) -> np.ndarray:
    """Split ``quarterly[P, Q]`` demand into weeks ``[P, T]`` (``week_quarter[T]`` -> quarter index).

    Weeks of one quarter must be contiguous.  Each quarter's weeks sum to its demand exactly.
    """
    quarterly = np.atleast_2d(np.asarray(quarterly, dtype=float))
    week_quarter = np.asarray(week_quarter, dtype=int)
    out = np.zeros((quarterly.shape[0], week_quarter.size))
    for q in np.unique(week_quarter):
        idx = np.flatnonzero(week_quarter == q)
        if idx.size and idx[-1] - idx[0] + 1 != idx.size:
            raise ValueError(f"the weeks of quarter {q} are not contiguous")
        part = quarterly[:, [q]] * week_shares(ratios, idx.size)[None, :]
        part[:, -1] = quarterly[:, q] - part[:, :-1].sum(axis=1)
        out[:, idx] = part
    return out


def safety_stock_targets(wos: np.ndarray, quarterly_demand: np.ndarray) -> np.ndarray:
    """The workbook's rule: SST(q) = WOS(q) x demand(q+1) / 13; the last quarter's is 0.

    Zero in the last quarter matches both the sheet (its formula then references an empty cell)
    and the brief's final stock target of zero.
    """
    nxt = np.zeros_like(quarterly_demand)
    nxt[:, :-1] = quarterly_demand[:, 1:]
    return wos * nxt / WEEKS_PER_QUARTER


def first_quarter_shares(demand: np.ndarray, week_quarter: np.ndarray) -> np.ndarray:
    """The weekly ratio profile implied by weekly demand: the first quarter's own shares.

    Used where demand is given by week (a worksheet function), so the object's ratios agree with
    its demand; equal shares when the first quarter has no demand.
    """
    first = np.asarray(demand, dtype=float)[:, np.asarray(week_quarter) == 0].sum(axis=0)
    total = first.sum()
    return first / total if total > 0 else np.full(first.size, 1.0 / max(first.size, 1))
