"""The plan LP (core.lp_model) solved in three stages (four when smoothing) by HiGHS, warm.

The PuLP path (``optimize``) writes the model to a file and solves every priority stage from
scratch in a new solver process; at 500 products that is minutes.  Here the model's compressed
columns are handed to one HiGHS instance, and the stages only change what they change: the
objective (``changeColsCost``), one stage-fixing row (``addRow``) and the pinned backlog of served
products (``changeColsBounds``).  HiGHS keeps the optimal basis between ``run`` calls, so stages 2
and 3 start from the previous stage's optimum.

The stage logic is exactly that of ``optimize`` (see its docstring): fix tolerance
``tolerance * |optimum| + FIX_ABS``, and products served in full at stage 1 pinned to (about)
zero backlog.

Block structure: products are coupled only by the total-capacity rows that bind.  Products with
no capacity in any binding week are independent LPs and are solved one by one (a product's
priorities are then fixed on its own optimum, which is stricter than fixing the sum, never
looser); the products sharing binding weeks form one coupled LP.  Small LPs solve in
milliseconds; one LP of all products costs superlinearly more.

Continuous wafers only: plans in lots (integer) stay on the PuLP path.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .lp_model import SMOOTH_STAGE, STAGE_NAMES, LPData, PlanModel, blocks_of, build_model, total_variation

__all__ = ["SMOOTH_STAGE", "STAGE_NAMES", "LPData", "new_highs", "solve_staged", "total_variation"]

DUAL, PRIMAL = 1, 4  # HiGHS option simplex_strategy


def new_highs(highspy: Any) -> Any:
    """A HiGHS instance that prints nothing: ``highspy.Highs()`` writes its banner from C++ to
    file descriptor 1 as it is constructed (it enables callbacks), before any option can be set;
    the bare solver class it extends, ``highspy._Highs`` (exported by highspy, no callbacks),
    logs only once ``run`` is called, and ``output_flag`` is off by then.

    Every instance runs on one thread.  HiGHS sizes its process-wide scheduler at the first
    ``run`` and then refuses (model status "not set") any instance asking for another number of
    threads: a plan in lots (PuLP's HiGHS, default threads) followed by a continuous one in the
    same process -- the add-in's server -- had no plan at all."""
    h = highspy._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def _pass(h: Any, m: PlanModel, highspy: Any) -> None:
    """Hand model ``m`` to ``h`` (replacing the previous block's)."""
    status = h.passModel(
        m.n_cols,
        m.n_rows,
        len(m.value),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.zeros(m.n_cols),
        m.col_lo,
        m.col_hi,
        m.row_lo,
        m.row_hi,
        m.start,
        m.index,
        m.value,
        np.zeros(m.n_cols, dtype=np.int32),
    )  # all continuous (an empty array is read as garbage)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS rejected the plan model ({status})")


def _set_objective(h: Any, m: PlanModel, stage: str) -> None:
    cost = np.zeros(m.n_cols)
    cost[m.stage_cols[stage]] = 1.0
    h.changeColsCost(m.n_cols, np.arange(m.n_cols, dtype=np.int32), cost)


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
    h = new_highs(highspy)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    ok = highspy.HighsModelStatus.kOptimal
    solved = len(stages)  # stages solved to optimality in every block
    for rows in blocks_of(lp):
        t = time.perf_counter()
        block = build_model(lp, rows)
        _pass(h, block, highspy)
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
