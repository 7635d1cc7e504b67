"""The wafer-plan LP as a sparse matrix, built from whole arrays (no loop over products or weeks).

One model, two solvers: `core.staged_lp` hands it to HiGHS and warm-starts the stages in one
instance; `core.optimize` writes it in PuLP for CBC (the reference) and for plans in whole lots.
Both read the same `PlanModel`, so they solve the same rows; they differ only in how the stages
are solved.  The model (see `core.optimize` for the priorities and units), per product p and
week t, in the scaled units of `LPData`:

    columns  w[p, t] in [0, cap]   (wafers started; fixed to the released starts in frozen weeks)
             i[p, t], b[p, t] >= 0 (stock, backlog)
             u[p, q] >= 0          (safety-stock shortfall, keyed by (product, quarter): only
                                    where the quarter has an end week and a target > 0)
             e[p, q] >= 0          (band excess, with ``band_high``)
             v[p, t] >= 0          (|w[t] - w[t-1]|, with ``smooth``; t >= 1)
    rows     i[t] - b[t] - i[t-1] + b[t-1] - a[t-L] w[t-L] = -d[t] (+ i0 at t = 0)
             i[end q] + u[p, q] >= target[p, q];   i[end q] - e[p, q] <= band_high
             sum_p w[p, t] <= total[t]              (only weeks where the total binds)
             -ramp <= w[t] - w[t-1] <= ramp          (free between frozen weeks)
             v[t] - w[t] + w[t-1] >= 0;   v[t] + w[t] - w[t-1] >= 0

Every block of rows is one numpy broadcast of (column, row, value) triples, sorted once into
compressed-column form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

STAGE_NAMES = ("backlog", "safety_stock", "wafers")
SMOOTH_STAGE = "variation"  # fourth stage with ``smooth``: least total week-to-week change

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class LPData:
    """The scaled inputs of the plan LP for all products (see ``optimize`` for the units)."""

    a: FloatArray  # [P, T] scaled bytes per wafer started
    d: FloatArray  # [P, T] scaled demand
    i0: FloatArray  # [P] scaled initial stock
    cap: FloatArray  # [P, T] wafers
    target: FloatArray  # [P, Q] scaled end-of-quarter stock target
    ends: IntArray  # [Q] last week of each quarter (-1: none)
    band_high: float | None  # scaled soft cap on quarter-end stock
    total: FloatArray  # [T] wafers, total capacity
    binding: npt.NDArray[np.bool_]  # [T] bool: weeks whose total capacity row is in the model
    cycle_time: int
    ramp: float | None = None  # max |w[t] - w[t-1]| per product (scaled wafers); None: none
    smooth: bool = False  # fourth stage: least sum of |w[t] - w[t-1]|
    fixed: FloatArray | None = None  # [P, F] wafers of the frozen first weeks


@dataclass(frozen=True)
class PlanModel:
    """The LP of products ``rows`` in compressed-column form, and where each variable sits."""

    rows: IntArray  # the products (indices into the data) this model plans
    start: npt.NDArray[np.int32]  # [n_cols + 1] column starts
    index: npt.NDArray[np.int32]  # row of each nonzero
    value: FloatArray
    col_lo: FloatArray
    col_hi: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    w: IntArray  # column of w[p, t], [n, T]
    b: IntArray  # column of backlog[p, t], [n, T]
    shortfall: dict[tuple[int, int], int]  # (product, quarter) -> column of u
    stage_cols: dict[str, IntArray]

    @property
    def n_cols(self) -> int:
        return len(self.col_lo)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)


def build_model(lp: LPData, rows: IntArray) -> PlanModel:
    """The LP of products ``rows`` (all products: ``np.arange(P)``), built column-wise from arrays."""
    n, T = len(rows), lp.d.shape[1]
    L = lp.cycle_time
    a, d, cap, target = lp.a[rows], lp.d[rows], lp.cap[rows], lp.target[rows]
    nT = n * T
    idx = np.arange(nT).reshape(n, T)
    w, inv, bkl = idx, nT + idx, 2 * nT + idx
    valid_q = np.flatnonzero(lp.ends >= 0)
    sp, sq = np.nonzero(target[:, valid_q] > 0)  # shortfall variables: only where a target exists
    sq = valid_q[sq]
    n_u = len(sp)
    u = 3 * nT + np.arange(n_u)
    if lp.band_high is not None:
        ep, eq = np.divmod(np.arange(n * len(valid_q)), len(valid_q))
        eq = valid_q[eq]
    else:
        ep = eq = np.zeros(0, dtype=int)
    e = 3 * nT + n_u + np.arange(len(ep))
    n_v = n * (T - 1) if lp.smooth else 0
    v = (3 * nT + n_u + len(ep) + np.arange(n_v)).reshape(n, -1) if n_v else np.zeros((n, 0), dtype=int)
    n_cols = 3 * nT + n_u + len(ep) + n_v
    weeks = np.flatnonzero(lp.binding)
    n_ramp = n * (T - 1) if lp.ramp is not None else 0

    # rows: balance [0, nT), sst, band, total capacity, ramp, change >= +-step (two per column v)
    r_sst = nT + np.arange(n_u)
    r_band = nT + n_u + np.arange(len(ep))
    r_tot = nT + n_u + len(ep) + np.arange(len(weeks))
    base = nT + n_u + len(ep) + len(weeks)
    r_ramp = (base + np.arange(n_ramp)).reshape(n, -1) if n_ramp else np.zeros((n, 0), dtype=int)
    r_up = (base + n_ramp + np.arange(n_v)).reshape(n, -1) if n_v else np.zeros((n, 0), dtype=int)
    r_dn = r_up + n_v
    n_rows = base + n_ramp + 2 * n_v
    bal = idx
    ci: list[IntArray] = []
    ri: list[IntArray] = []
    vi: list[FloatArray] = []

    def put(cols: IntArray, rws: IntArray, vals: float | FloatArray) -> None:
        ci.append(np.ravel(cols))
        ri.append(np.ravel(rws))
        vi.append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(cols)).ravel())

    put(inv, bal, 1.0)
    put(bkl, bal, -1.0)
    put(inv[:, :-1], bal[:, 1:], -1.0)
    put(bkl[:, :-1], bal[:, 1:], 1.0)
    if T - L > 0:
        put(w[:, : T - L], bal[:, L:], -a[:, : T - L])
    put(inv[sp, lp.ends[sq]], r_sst, 1.0)
    put(u, r_sst, 1.0)
    put(inv[ep, lp.ends[eq]], r_band, 1.0)
    put(e, r_band, -1.0)
    if len(weeks):
        put(w[:, weeks], np.broadcast_to(r_tot, (n, len(weeks))), 1.0)
    if n_ramp:
        put(w[:, 1:], r_ramp, 1.0)
        put(w[:, :-1], r_ramp, -1.0)
    if n_v:
        for r, sign in ((r_up, 1.0), (r_dn, -1.0)):  # v + sign * (w[t-1] - w[t]) >= 0
            put(v, r, 1.0)
            put(w[:, 1:], r, -sign)
            put(w[:, :-1], r, sign)
    col: IntArray = np.concatenate(ci)
    row_of: IntArray = np.concatenate(ri)
    order = np.argsort(col.astype(np.int64) * n_rows + row_of, kind="stable")
    index: npt.NDArray[np.int32] = row_of[order].astype(np.int32)
    value: FloatArray = np.concatenate(vi)[order].astype(np.float64)
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(col[order], minlength=n_cols), out=start[1:])

    rhs = -d
    rhs[:, 0] += lp.i0[rows]
    inf = np.inf
    row_lo = np.concatenate([rhs.ravel(), target[sp, sq], np.full(len(ep) + len(weeks), -inf)])
    row_hi = np.concatenate(
        [
            rhs.ravel(),
            np.full(n_u, inf),
            np.full(len(ep), lp.band_high if lp.band_high is not None else inf),
            lp.total[weeks],
        ]
    )
    ramp = np.full((n, T - 1), lp.ramp if lp.ramp is not None else 0.0)
    if lp.fixed is not None:
        ramp[:, : lp.fixed.shape[1] - 1] = inf  # not between frozen weeks: released starts are what they are
    ramp_rows = ramp.ravel() if n_ramp else np.zeros(0)
    row_lo = np.concatenate([row_lo, -ramp_rows, np.zeros(2 * n_v)])
    row_hi = np.concatenate([row_hi, ramp_rows, np.full(2 * n_v, inf)])
    col_lo = np.zeros(n_cols)
    col_hi = np.full(n_cols, inf)
    col_hi[:nT] = cap.ravel()
    if lp.fixed is not None:
        F = lp.fixed.shape[1]
        col_lo[w[:, :F].ravel()] = col_hi[w[:, :F].ravel()] = lp.fixed[rows].ravel()
    stage_cols = {
        "backlog": bkl.ravel(),
        "safety_stock": np.concatenate([u, e]),
        "wafers": w.ravel(),
        SMOOTH_STAGE: v.ravel(),
    }
    shortfall = {(int(rows[p]), int(q)): int(c) for p, q, c in zip(sp, sq, u)}
    return PlanModel(rows, start, index, value, col_lo, col_hi, row_lo, row_hi, w, bkl, shortfall, stage_cols)


def total_variation(wafers: npt.ArrayLike) -> float:
    """Sum over products and weeks of |w[t] - w[t-1]|: how much a plan makes the line change."""
    return float(np.abs(np.diff(np.asarray(wafers, dtype=float), axis=-1)).sum())


def blocks_of(lp: LPData) -> list[IntArray]:
    """Products in independent LPs: one block of those sharing binding weeks, one per other product."""
    P = lp.d.shape[0]
    if lp.binding.any():
        shared = (lp.cap[:, lp.binding] > 0).any(axis=1)
    else:
        shared = np.zeros(P, dtype=bool)
    blocks = [np.flatnonzero(shared)] if shared.any() else []
    return blocks + [np.array([p]) for p in np.flatnonzero(~shared)]
