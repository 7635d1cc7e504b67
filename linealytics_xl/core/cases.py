"""Plan the base and every what-if case, and compare them in one table (``LL_WhatIf``).

The cases share everything that does not depend on their changes: the data read once, the
settings, the forecast.  Each case is optimised on its own (in parallel where cores allow), so its
plan is the one the planner would get by editing the workbook's inputs and planning it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd

from . import contract
from .case_insights import whatif_insights
from .explain import ProductSummary, summarize
from .model import FloatArray, InputError, PlanningData
from .optimize import PlanOptions, PlanResult, optimize
from .whatif import Case, apply_case

BASE = "Base"


@dataclass(frozen=True)
class CasePlan:
    name: str
    data: PlanningData
    result: PlanResult
    summaries: tuple[ProductSummary, ...]


def _plan_one(
    name: str, data: PlanningData, options: PlanOptions, cycle_time: int, frozen: FloatArray | None
) -> CasePlan:
    try:
        result = optimize(data, None, options=options, frozen=frozen)
    except InputError as exc:  # e.g. released starts above a case's cut capacity: say which case
        if name == BASE:
            raise
        raise InputError(
            [replace(i, message=f"{i.message} (what-if case {name!r})") for i in exc.issues]
        ) from None
    return CasePlan(name, data, result, tuple(summarize(data, result, cycle_time)))


def plan_cases(
    data: PlanningData,
    cases: list[Case],
    options: PlanOptions,
    *,
    cycle_time: int = 0,
    n_jobs: int = 1,
    frozen: FloatArray | None = None,
) -> list[CasePlan]:
    """The base plan and one plan per case, in that order (``n_jobs`` > 1 plans them in parallel
    processes; the plans are the same either way).  ``frozen``: the released starts of the
    ``frozen_weeks`` (``optimize(frozen=)``), kept by the base and every case alike -- a case
    edits the inputs, not what the line has already started."""
    work = [(BASE, data)] + [(c.name, apply_case(data, c)) for c in cases]
    if n_jobs == 1 or len(work) == 1:
        return [_plan_one(n, d, options, cycle_time, frozen) for n, d in work]
    from joblib import Parallel, delayed

    return list(
        Parallel(n_jobs=n_jobs)(delayed(_plan_one)(n, d, options, cycle_time, frozen) for n, d in work)
    )


_FIGURES = (
    "wafers",
    "shortage_bytes",
    "service_level",
    "weeks_below_ss",
    "quarter_ends_below_ss",
    "capacity_use",
)


def whatif_table(
    plans: list[CasePlan], *, time: datetime, fingerprint: str, settings_json: str = ""
) -> pd.DataFrame:
    """``LL_WhatIf``: one row per case and product, the KPIs (core.kpis) and their change to the base.

    Every row also says when the cases were planned (``time``) and on which inputs
    (``fingerprint``: the base's `core.pipeline.fingerprint`, as a plan writes it to
    ``LL_Runs.InputFingerprint``) and with which settings (``settings_json``, as ``LL_Runs.Settings``
    holds them; the base plans the workbook's demand at P50), so that a later plan on other inputs
    or settings can tell that these cases are not its own (`core.case_origin`)."""
    base = {s.product: s for s in plans[0].summaries}
    rows = []
    for plan in plans:
        for s in plan.summaries:
            b = base[s.product]
            rows.append(
                [
                    plan.name,
                    s.product,
                    *(float(getattr(s, k)) for k in _FIGURES),
                    _change(s.wafers, b.wafers, 1e-3),
                    _change(s.shortage_bytes, b.shortage_bytes, 1.0),
                    _change(s.service_level, b.service_level, 1e-9),
                    time,
                    fingerprint,
                    settings_json,
                ]
            )
    return pd.DataFrame(rows, columns=contract.WHATIF.names)


def _change(value: float, base: float, tolerance: float) -> float:
    """A difference to the base, exact 0 within round-off: ``tolerance`` (a thousandth of a wafer,
    a byte) or the optimiser's relative slack on a stage optimum (1e-7), whichever is larger."""
    d = value - base
    return 0.0 if abs(d) <= max(tolerance, 1e-7 * abs(base)) else d


def case_findings(plans: list[CasePlan]) -> list[str]:
    """Which case closes which gap, and at what cost in wafers: the what-if findings
    (core.case_insights, as ``LL_Insights`` holds them) as the command's summary lines."""
    return [i.message for i in whatif_insights(plans)]
