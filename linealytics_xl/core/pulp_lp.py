"""The reference path of the optimiser: the plan LP of ``lp_model`` written in PuLP.

Every priority stage is solved from scratch by CBC (bundled with PuLP) or HiGHS; it is also the
path of plans in whole lots (integer).  Kept apart from ``optimize`` so that a HiGHS run, the
default, never imports PuLP (about 0.02 s of every command).
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pulp

from .lp_model import SMOOTH_STAGE, FloatArray, IntArray, LPData, build_model, total_variation
from .optimize import FIX_ABS, MIP_TIME_LIMIT_S, STAGES, solver_available
from .staged_lp import new_highs

if TYPE_CHECKING:
    from .optimize import PlanOptions


class _QuietHiGHS(pulp.HiGHS):
    """PuLP's HiGHS with a solver instance that prints nothing.  ``highspy.Highs()``, which PuLP
    creates, writes its banner from C++ to file descriptor 1 as it is constructed, before
    ``msg=False`` can turn logging off; ``staged_lp.new_highs`` makes one that does not (the
    bare class offers every method PuLP calls).  Options as PuLP sets them for this plan."""

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        lp.solverModel = new_highs(highspy)
        if self.gapRel is not None:
            lp.solverModel.setOptionValue("mip_rel_gap", self.gapRel)
        if self.timeLimit is not None:
            lp.solverModel.setOptionValue("time_limit", float(self.timeLimit))


def _make_solver(name: str, time_limit: float | None, gap: float | None = None) -> pulp.LpSolver:
    if name == "highs":
        if not solver_available("highs"):
            raise RuntimeError(
                "HiGHS was asked for but highspy is not installed: pip install 'linealytics-xl[highs]'"
            )
        return _QuietHiGHS(msg=False, timeLimit=time_limit, gapRel=gap)
    with warnings.catch_warnings():
        # PuLP 3.3 flags its bundled CBC as moving to an extra in 4.0; 3.x still ships it.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap)


def solve_pulp(
    lp: LPData, name: str, options: PlanOptions, t0: float
) -> tuple[FloatArray, dict[str, float], str, dict[str, float]]:
    """The stages' optimal wafers, objectives, status and timings (``t0``: when the run began)."""
    P, T = lp.d.shape
    lot = options.lot_size_wafers
    m = build_model(lp, np.arange(P))
    prob = pulp.LpProblem("wafer_plan", pulp.LpMinimize)
    integer = np.zeros(m.n_cols, dtype=bool)
    integer[m.w.ravel()] = lot > 0
    # PuLP holds one object per variable and per row: these loops are over its API, the model
    # itself was built from arrays.  (A fixed column in no row would be dropped from CBC's model
    # file while its bounds are not, which CBC rejects: build_model makes shortfall columns only
    # where a target row exists.)
    x = [
        prob.add_variable(
            f"x{j}",
            float(m.col_lo[j]),
            float(m.col_hi[j]) if np.isfinite(m.col_hi[j]) else None,
            "Integer" if integer[j] else "Continuous",
        )
        for j in range(m.n_cols)
    ]
    from scipy.sparse import csc_matrix  # the CBC path only: HiGHS takes the CSC arrays as they are

    csr = csc_matrix((m.value, m.index, m.start), shape=(m.n_rows, m.n_cols)).tocsr()
    for r in range(m.n_rows):
        lo, hi = float(m.row_lo[r]), float(m.row_hi[r])
        if not (np.isfinite(lo) or np.isfinite(hi)):
            continue  # a free row (a ramp between frozen weeks)
        a, b = csr.indptr[r], csr.indptr[r + 1]
        expr = pulp.LpAffineExpression([(x[j], float(c)) for j, c in zip(csr.indices[a:b], csr.data[a:b])])
        if lo == hi:
            prob.addConstraint(expr == lo, f"r{r}")
            continue
        if np.isfinite(lo):
            prob.addConstraint(expr >= lo, f"r{r}_lo")
        if np.isfinite(hi):
            prob.addConstraint(expr <= hi, f"r{r}_hi")

    def total(stage: str) -> pulp.LpAffineExpression:
        return pulp.LpAffineExpression([(x[j], 1.0) for j in m.stage_cols[stage]])

    stages = STAGES + ((SMOOTH_STAGE,) if lp.smooth else ())
    stage_exprs = {stage: total(stage) for stage in stages}
    timings = {"build": time.perf_counter() - t0}
    objectives: dict[str, float] = {}
    status = "optimal"

    def values(cols: IntArray) -> FloatArray:
        return np.array([x[j].varValue or 0.0 for j in cols.ravel()]).reshape(cols.shape)

    for stage in stages:
        ts = time.perf_counter()
        prob.setObjective(stage_exprs[stage])
        gap = options.wafer_gap if (lot > 0 and stage == "wafers") else None
        limit = options.time_limit_s or (MIP_TIME_LIMIT_S if lot > 0 else None)
        prob.solve(_make_solver(name, limit, gap))
        st = pulp.LpStatus[prob.status]
        if prob.sol_status == pulp.LpSolutionIntegerFeasible:
            status = "feasible (time limit)"  # best lots found, not proven optimal
        timings[f"solve_{stage}"] = time.perf_counter() - ts
        if st != "Optimal":
            status = st.lower()
            if prob.status != pulp.LpStatusOptimal and stage == "backlog":
                raise RuntimeError(f"the solver ({name}) returned {st} at the first stage; no plan")
            break
        value = float(pulp.value(prob.objective) or 0.0)
        objectives[stage] = value
        if stage == "wafers" and lp.smooth:
            objectives["variation_before"] = total_variation(values(m.w))
        if stage != stages[-1]:
            slack = options.tolerance * abs(value) + FIX_ABS
            prob.addConstraint(stage_exprs[stage] <= value + slack, f"fix_{stage}")
        if stage == "backlog":
            # The slack above must not let a later stage move a sliver of backlog onto a product
            # that this stage served in full: such products stay fully served.
            served = values(m.b).sum(axis=1) <= FIX_ABS * T
            for j in m.b[served].ravel():
                x[j].upBound = FIX_ABS
    return values(m.w), objectives, status, timings
