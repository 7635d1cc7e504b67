"""Weekly wafer starts by linear programming, with strict priorities.

Per product p and week t, with a = density x yield (bytes per wafer started) and cycle time L:

    stock[t] - backlog[t] = stock[t-1] - backlog[t-1] + a[t-L] * wafers[t-L] - demand[t]
    0 <= wafers[t] <= capacity[p, t];   sum_p wafers[p, t] <= total_capacity[t]
    stock[end of q] + sst_short[q] >= safety_stock[q]            (soft)
    stock[end of q] - band_excess[q] <= band_high                (soft, optional)

Priorities are lexicographic and solved in stages, each optimum fixed (with a relative slack of
1e-7, the precision CBC reports) before the next: (1) least backlog, summed over weeks, (2) least safety-stock shortfall and band
excess, (3) fewest wafers.  Staging, rather than weights, is what guarantees that no shortage is
ever traded for wafers, whatever the byte magnitudes.  Bytes are scaled to a unit near the
median weekly demand so coefficients stay within a few orders of magnitude of 1.

One model, built once from whole arrays (``lp_model.build_model``: every block of rows one numpy
broadcast into a compressed-column matrix, no loop over products or weeks), shortfall variables
keyed by (product, quarter); two ways of solving its stages.  With HiGHS (``auto`` when highspy
is installed) and continuous wafers, ``staged_lp`` hands the matrix to one solver instance and
warm-starts each stage from the previous optimum, product blocks without a shared binding
capacity apart: about 10x faster.  Otherwise (CBC, bundled with PuLP, or plans in whole lots)
the same matrix is written in PuLP, one `LpAffineExpression` per row, and each stage is solved
from scratch; CBC is the reference that tests hold the HiGHS path's staging to.  Neither solver
prints: the core redirects no file descriptor (``staged_lp.new_highs``).

Plans a fab can run (each off by default, so a default plan is the same bit for bit):
``ramp_wafers`` N bounds every week-to-week change of a product's starts, -N <= w[t] - w[t-1] <= N
(a line cannot jump from idle to full); ``smooth`` adds a fourth stage that, with the wafers optimum
fixed like the others, minimises the total variation sum |w[t] - w[t-1]| (one auxiliary variable
per product and week pair), so the plan stops zig-zagging between equivalent optima; and
``frozen`` ([P, F] wafer starts of the previous plan, the weeks already released to the line)
fixes w[:, :F] to them, so a replan only moves the weeks it may still move.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .balance import project
from .lp_model import SMOOTH_STAGE, LPData
from .model import InputError, Issue, PlanningData
from .staged_lp import solve_staged

Solver = Literal["cbc", "highs"]
STAGES = ("backlog", "safety_stock", "wafers")
MIP_TIME_LIMIT_S = 60.0  # per stage with lots, unless set: a plan in a minute beats a proof in an hour
FIX_ABS = 1e-6  # absolute slack per fixed variable, in scaled byte units (about a byte)


@dataclass(frozen=True)
class PlanOptions:
    """Settings of the optimisation; the defaults follow the product brief."""

    solver: Solver | Literal["auto"] = "auto"  # HiGHS when highspy is installed (10x faster), else CBC
    cycle_time_weeks: int = 0
    lot_size_wafers: float = 0.0  # 0: continuous wafers; >0: whole lots
    band_low_bytes: float | None = None  # raises the end-of-quarter stock target
    band_high_bytes: float | None = None  # soft cap on end-of-quarter stock
    time_limit_s: float | None = None
    tolerance: float = 1e-7  # relative slack when a stage's optimum is fixed (CBC reports
    # about 8 significant digits; tighter turns feasible infeasible)
    warm_start: bool = True  # HiGHS: each stage from the previous optimum (False: the
    # basis is cleared, to check that only the time changes)
    wafer_gap: float = 1e-3  # with lots: accepted relative MIP gap of the wafers stage
    # (the wafer count has many equivalent optima; proving
    # the last lot optimal costs minutes, not value)
    ramp_wafers: float | None = None  # max change of a product's starts week to week; None/0: none
    smooth: bool = False  # fourth stage: least total week-to-week change
    frozen_weeks: int = 0  # first weeks fixed to the previous plan (``optimize(frozen=)``)


@dataclass
class PlanResult:
    """The plan and the figures needed to check and explain it (all [P, T] in base units)."""

    wafers: np.ndarray
    supply: np.ndarray  # bytes arriving in week t
    stock: np.ndarray
    backlog: np.ndarray
    sst_shortfall: np.ndarray  # [P, Q] bytes below target at quarter end
    status: str  # "optimal", or the solver's word
    solver: str
    objectives: dict[str, float]  # per stage, base units (bytes, bytes, wafers)
    timings: dict[str, float] = field(default_factory=dict)
    ramp_wafers: float | None = None  # the ramp limit planned with (explain says when it binds)
    lot_size_wafers: float = 0.0  # the lot size planned with (0: continuous; explain, as the ramp)

    @property
    def total_shortage(self) -> np.ndarray:
        """Demand still unserved at the end of the horizon, per product (bytes)."""
        return self.backlog[:, -1]


def byte_unit(demand: np.ndarray) -> float:
    """A power of ten that brings the median positive weekly demand near 100."""
    positive = demand[demand > 0]
    if positive.size == 0:
        return 1.0
    return float(10 ** math.floor(math.log10(float(np.median(positive)) / 100.0)))


def solver_available(name: str) -> bool:
    if name == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError:
            return False
    return True


def enforce_capacity(wafers: np.ndarray, capacity: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Remove the solver's round-off (about 1e-5 wafers) so the plan never exceeds capacity.

    Solvers meet constraints within a feasibility tolerance; a plan a planner checks against the
    capacity row must meet them exactly.
    """
    out = np.clip(wafers, 0.0, capacity)
    week_sum = out.sum(axis=0)
    over = np.isfinite(total) & (week_sum > total)
    if over.any():
        out[:, over] *= total[over] / week_sum[over]
    return out


def _frozen_error(message: str) -> InputError:
    return InputError([Issue("error", "Settings", "", f"setting 'frozen_weeks': {message}", "frozen_weeks")])


def _frozen_starts(
    data: PlanningData, frozen: np.ndarray | None, weeks: int, lot: float, ramp: float | None
) -> np.ndarray | None:
    """The previous plan's starts of the frozen weeks, checked: a frozen week the data cannot
    hold (above capacity, negative, not whole lots) must stop the run, not be planned around:
    an InputError on the ``frozen_weeks`` setting, saying which product and week."""
    if weeks <= 0 and frozen is None:
        return None
    if frozen is None:
        raise _frozen_error(f"{weeks} weeks to freeze but no previous plan's wafer starts were given")
    frozen = np.asarray(frozen, dtype=float)
    F = weeks if weeks > 0 else frozen.shape[1]
    P, T = data.capacity.shape
    if frozen.ndim != 2 or frozen.shape[0] != P or frozen.shape[1] < F or F > T:
        raise _frozen_error(
            f"the frozen wafer starts must be [{P} products, {F} weeks], found {frozen.shape}"
        )
    f = frozen[:, :F]
    if not np.isfinite(f).all() or (f < 0).any():
        raise _frozen_error("the frozen wafer starts must be finite and >= 0")
    over = f > data.capacity[:, :F] + 1e-6
    if over.any():
        p, t = np.argwhere(over)[0]
        raise _frozen_error(
            f"frozen starts of {data.products[p]} in week {t + 1} ({f[p, t]:,.1f}) exceed its "
            f"capacity ({data.capacity[p, t]:,.1f})"
        )
    tot = data.total_capacity[:F]
    if (np.isfinite(tot) & (f.sum(axis=0) > tot + 1e-6)).any():
        raise _frozen_error("frozen starts exceed the total capacity of a frozen week")
    if lot > 0 and not np.allclose(f / lot, np.round(f / lot), atol=1e-6):
        raise _frozen_error(f"frozen starts must be whole lots of {lot:g} wafers")
    if ramp is not None and F < T:
        # The lowest starts a ramp allows after the frozen weeks: down by the limit every week.
        # Where they still exceed a capacity, no plan exists; say where rather than "infeasible".
        low = np.maximum(f[:, -1:] - ramp * np.arange(1, T - F + 1), 0.0)
        over = low > data.capacity[:, F:] + 1e-6
        if over.any():
            p, k = np.argwhere(over)[0]
            raise _frozen_error(
                f"with the ramp limit of {ramp:g} wafers, {data.products[p]} cannot come down from its "
                f"frozen {f[p, -1]:,.1f} wafers to its capacity of week {F + k + 1} "
                f"({data.capacity[p, F + k]:,.1f}); freeze fewer weeks or raise the limit"
            )
        tot = data.total_capacity[F:]
        over_t = np.isfinite(tot) & (low.sum(axis=0) > tot + 1e-6)
        if over_t.any():
            raise _frozen_error(
                f"with the ramp limit of {ramp:g} wafers, the frozen starts cannot come down to the "
                f"total capacity of week {F + int(np.argmax(over_t)) + 1}"
            )
    return f


def optimize(
    data: PlanningData,
    demand: np.ndarray | None = None,
    options: PlanOptions = PlanOptions(),
    frozen: np.ndarray | None = None,
) -> PlanResult:
    """Best plan for ``demand`` ([P, T] bytes; the data's weekly demand by default).

    ``frozen`` ([P, F] wafers, the previous plan's starts) fixes the first ``options.frozen_weeks``
    weeks (all F when that is 0); raises InputError when a frozen week is out of the data's bounds.
    """
    t0 = time.perf_counter()
    D = data.demand if demand is None else np.asarray(demand, dtype=float)
    P, T = D.shape
    Q = len(data.quarters)
    L = int(options.cycle_time_weeks)
    if L < 0:
        raise ValueError("cycle time must be >= 0 weeks")
    unit = byte_unit(D)
    a = data.yielded_bytes_per_wafer() / unit
    d = D / unit
    i0 = data.initial_stock / unit
    target = data.safety_stock.copy()
    if options.band_low_bytes is not None:
        target = np.maximum(target, options.band_low_bytes)
    target /= unit
    ends = data.quarter_end_weeks()
    name = options.solver
    if name == "auto":
        name = "highs" if solver_available("highs") else "cbc"

    lot = options.lot_size_wafers
    scale_w = lot if lot > 0 else 1.0  # wafers = lot * n when lots are set; n is the decision variable then
    cap = data.capacity / scale_w
    if lot > 0:
        cap = np.floor(cap + 1e-9)
    total = data.total_capacity / scale_w
    binding = np.isfinite(total) & (total < cap.sum(axis=0) - 1e-9)
    band_high = None if options.band_high_bytes is None else float(options.band_high_bytes / unit)
    ramp = float(options.ramp_wafers) / scale_w if options.ramp_wafers else None
    if ramp is not None and ramp < 0:
        raise ValueError("the ramp limit must be >= 0 wafers")
    fixed = _frozen_starts(
        data, frozen, int(options.frozen_weeks), lot, float(options.ramp_wafers or 0) or None
    )
    lp = LPData(
        a=a * scale_w,
        d=d,
        i0=i0,
        cap=cap,
        target=target,
        ends=ends,
        band_high=band_high,
        total=total,
        binding=binding,
        cycle_time=L,
        ramp=ramp,
        smooth=options.smooth,
        fixed=None if fixed is None else fixed / scale_w,
    )
    if name == "highs" and lot == 0:
        # the fast path: one model built from arrays, stages warm-started (staged_lp)
        prepared = time.perf_counter() - t0
        raw, objectives, status, timings = solve_staged(
            lp, options.tolerance, FIX_ABS, options.time_limit_s, warm=options.warm_start
        )
        timings["build"] += prepared
    else:
        from .pulp_lp import solve_pulp  # PuLP is imported by the runs that use it only

        raw, objectives, status, timings = solve_pulp(lp, name, options, t0)
    wafers = enforce_capacity(np.round(raw) * lot if lot > 0 else raw, data.capacity, data.total_capacity)
    supply = np.zeros((P, T))
    supply[:, L:] = data.yielded_bytes_per_wafer()[:, : T - L] * wafers[:, : T - L]
    # Stock and backlog follow from the wafers by the balance identity, not from the solver's
    # copies, so every figure written is consistent to float rounding.
    stock, backlog = project(data.initial_stock, supply, D)
    valid = ends >= 0
    shortfall = np.zeros((P, Q))
    shortfall[:, valid] = np.maximum(target[:, valid] * unit - stock[:, ends[valid]], 0.0)
    scaled = {
        "backlog": unit,
        "safety_stock": unit,
        "wafers": scale_w,
        SMOOTH_STAGE: scale_w,
        "variation_before": scale_w,
    }
    return PlanResult(
        wafers=wafers,
        supply=supply,
        stock=stock,
        backlog=backlog,
        sst_shortfall=shortfall,
        status=status,
        solver=name,
        objectives={k: v * scaled[k] for k, v in objectives.items()},
        timings=timings,
        ramp_wafers=float(options.ramp_wafers) if options.ramp_wafers else None,
        lot_size_wafers=float(options.lot_size_wafers),
    )
