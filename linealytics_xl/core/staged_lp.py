"""The wafer-plan LP built once from arrays and solved in three stages (four when smoothing) by HiGHS, warm.

The PuLP path (``optimize``) writes the model to a file and solves every priority stage from
scratch in a new solver process; at 500 products that is minutes.  Here the constraint matrix is
built with numpy in compressed-column form, handed to one ``highspy.Highs`` instance, and the
stages only change what they change: the objective (``changeColsCost``), one stage-fixing row
(``addRow``) and the pinned backlog of served products (``changeColsBounds``).  HiGHS keeps the
optimal basis between ``run`` calls, so stages 2 and 3 start from the previous stage's optimum.

The model and the stage logic are exactly those of ``optimize`` (see its docstring): same
variables, rows, scaling, fix tolerance ``tolerance * |optimum| + FIX_ABS``, and products served
in full at stage 1 pinned to (about) zero backlog.

Block structure: products are coupled only by the total-capacity rows that bind.  Products with
no capacity in any binding week are independent LPs and are solved one by one (a product's
priorities are then fixed on its own optimum, which is stricter than fixing the sum, never
looser); the products sharing binding weeks form one coupled LP.  Small LPs solve in
milliseconds; one LP of all products costs superlinearly more.

Ramp rows (-N <= w[t] - w[t-1] <= N), the smoothing stage's change columns and the frozen weeks
(column bounds) are per product, so they leave the block structure as it is.

Continuous wafers only: plans in lots (integer) stay on the PuLP path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

STAGE_NAMES = ("backlog", "safety_stock", "wafers")
SMOOTH_STAGE = "variation"  # fourth stage with ``smooth``: least total week-to-week change
DUAL, PRIMAL = 1, 4  # HiGHS option simplex_strategy


@dataclass(frozen=True)
class LPData:
    """The scaled inputs of the plan LP for all products (see ``optimize`` for the units)."""

    a: np.ndarray  # [P, T] scaled bytes per wafer started
    d: np.ndarray  # [P, T] scaled demand
    i0: np.ndarray  # [P] scaled initial stock
    cap: np.ndarray  # [P, T] wafers
    target: np.ndarray  # [P, Q] scaled end-of-quarter stock target
    ends: np.ndarray  # [Q] last week of each quarter (-1: none)
    band_high: float | None  # scaled soft cap on quarter-end stock
    total: np.ndarray  # [T] wafers, total capacity
    binding: np.ndarray  # [T] bool: weeks whose total capacity row is in the model
    cycle_time: int
    ramp: float | None = None  # max |w[t] - w[t-1]| per product (scaled wafers); None: none
    smooth: bool = False  # fourth stage: least sum of |w[t] - w[t-1]|
    fixed: np.ndarray | None = None  # [P, F] wafers of the frozen first weeks


@dataclass
class _Block:
    """Column and row layout of the LP of products ``rows`` (indices into the data)."""

    rows: np.ndarray
    n_cols: int
    w: np.ndarray  # column index of w[p, t], [n, T]
    b: np.ndarray  # column index of backlog[p, t], [n, T]
    stage_cols: dict[str, np.ndarray]


def _build(h, lp: LPData, rows: np.ndarray, highspy) -> _Block:
    """Pass the LP of products ``rows`` to ``h`` (column-wise, no Python loop over variables)."""
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
    ci, ri, vi = [], [], []

    def put(cols, rws, vals):
        ci.append(np.ravel(cols))
        ri.append(np.ravel(rws))
        vi.append(np.broadcast_to(vals, np.shape(cols)).ravel())

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
    col, row, val = (np.concatenate(x) for x in (ci, ri, vi))
    order = np.argsort(col.astype(np.int64) * n_rows + row, kind="stable")
    col, row, val = col[order], row[order].astype(np.int32), val[order].astype(np.float64)
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(col, minlength=n_cols), out=start[1:])

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
    ramp = ramp.ravel() if n_ramp else np.zeros(0)
    row_lo = np.concatenate([row_lo, -ramp, np.zeros(2 * n_v)])
    row_hi = np.concatenate([row_hi, ramp, np.full(2 * n_v, inf)])
    col_lo = np.zeros(n_cols)
    col_hi = np.full(n_cols, inf)
    col_hi[:nT] = cap.ravel()
    if lp.fixed is not None:
        F = lp.fixed.shape[1]
        col_lo[w[:, :F].ravel()] = col_hi[w[:, :F].ravel()] = lp.fixed[rows].ravel()
    status = h.passModel(
        n_cols,
        n_rows,
        len(val),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.zeros(n_cols),
        col_lo,
        col_hi,
        row_lo,
        row_hi,
        start,
        row,
        val,
        np.zeros(n_cols, dtype=np.int32),
    )  # all continuous (an empty array is read as garbage)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS rejected the plan model ({status})")
    stage_cols = {
        "backlog": bkl.ravel(),
        "safety_stock": np.concatenate([u, e]),
        "wafers": w.ravel(),
        SMOOTH_STAGE: v.ravel(),
    }
    return _Block(rows, n_cols, w, bkl, stage_cols)


def total_variation(wafers: np.ndarray) -> float:
    """Sum over products and weeks of |w[t] - w[t-1]|: how much a plan makes the line change."""
    return float(np.abs(np.diff(wafers, axis=-1)).sum())


def _set_objective(h, block: _Block, stage: str) -> None:
    cost = np.zeros(block.n_cols)
    cost[block.stage_cols[stage]] = 1.0
    h.changeColsCost(block.n_cols, np.arange(block.n_cols, dtype=np.int32), cost)


def blocks_of(lp: LPData) -> list[np.ndarray]:
    """Products in independent LPs: one block of those sharing binding weeks, one per other product."""
    P = lp.d.shape[0]
    if lp.binding.any():
        shared = (lp.cap[:, lp.binding] > 0).any(axis=1)
    else:
        shared = np.zeros(P, dtype=bool)
    blocks = [np.flatnonzero(shared)] if shared.any() else []
    return blocks + [np.array([p]) for p in np.flatnonzero(~shared)]


def solve_staged(
    lp: LPData, tolerance: float, fix_abs: float, time_limit: float | None, *, warm: bool = True
) -> tuple[np.ndarray, dict[str, float], str, dict[str, float]]:
    """Raw wafers [P, T], stage objectives (scaled units, summed over blocks), status, timings.

    ``warm=False`` clears the solver's basis before every stage (each solved from scratch, as
    the PuLP path does): only there to check that warm starts change nothing but the time.
    Raises RuntimeError when the first stage has no optimum (as the PuLP path does).
    """
    import highspy

    P, T = lp.d.shape
    wafers = np.zeros((P, T))
    stages = STAGE_NAMES + ((SMOOTH_STAGE,) if lp.smooth else ())
    objectives = dict.fromkeys(stages, 0.0)
    before = 0.0  # total variation at the wafers optimum, before smoothing
    timings = {"build": 0.0, **{f"solve_{s}": 0.0 for s in stages}}
    status = "optimal"
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    ok = highspy.HighsModelStatus.kOptimal
    solved = len(stages)  # stages solved to optimality in every block
    for rows in blocks_of(lp):
        t = time.perf_counter()
        block = _build(h, lp, rows, highspy)
        timings["build"] += time.perf_counter() - t
        x = None
        for k, stage in enumerate(stages):
            t = time.perf_counter()
            _set_objective(h, block, stage)
            if not warm:
                h.clearSolver()
            # Later stages start from the previous optimum, which stays primal feasible when the
            # objective changes and a fixing row is added: primal simplex goes on from there (dual
            # simplex took 100x longer on a coupled case).  Stage 1 starts from nothing: dual
            # simplex is faster on one product, primal on the coupled block (20 products sharing
            # a binding total: 16.5 s against 21.4 s).
            h.setOptionValue("simplex_strategy", PRIMAL if k > 0 or len(rows) > 1 else DUAL)
            h.run()
            st = h.getModelStatus()
            if st != ok:
                timings[f"solve_{stage}"] += time.perf_counter() - t
                word = h.modelStatusToString(st).lower()
                if k == 0:
                    raise RuntimeError(f"the solver (highs) returned {word} at the first stage; no plan")
                status = word
                solved = min(solved, k)
                break
            x = np.asarray(h.getSolution().col_value)
            cols = block.stage_cols[stage]
            value = float(x[cols].sum())
            objectives[stage] += value
            if stage == "wafers" and lp.smooth:
                before += total_variation(x[block.w])
            if k < len(stages) - 1:
                slack = tolerance * abs(value) + fix_abs
                h.addRow(-np.inf, value + slack, len(cols), cols.astype(np.int32), np.ones(len(cols)))
            if stage == "backlog":
                # products served in full stay served: the slack above must not move backlog onto them
                served = x[block.b].sum(axis=1) <= fix_abs * T
                pin = block.b[served].ravel().astype(np.int32)
                if len(pin):
                    h.changeColsBounds(len(pin), pin, np.zeros(len(pin)), np.full(len(pin), fix_abs))
            timings[f"solve_{stage}"] += time.perf_counter() - t
        if x is not None:
            wafers[rows] = x[block.w]
    objectives = {s: objectives[s] for s in stages[:solved]}
    if lp.smooth and solved >= len(STAGE_NAMES):
        objectives["variation_before"] = before
    return wafers, objectives, status, timings
