"""The planning pipeline every entry point runs: data + settings in, results and tables out.

No I/O here: the command line, the ribbon and the worksheet functions read the workbook with an
adapter, call `run`, and hand the outcome to an adapter that writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import tables
from .explain import ProductSummary, summarize
from .model import Issue, PlanningData
from .optimize import PlanOptions, PlanResult, optimize
from .settings import Settings

Progress = Callable[[str], None]


@dataclass
class Outcome:
    data: PlanningData
    settings: Settings
    result: PlanResult
    summaries: list[ProductSummary]
    tables: dict[str, pd.DataFrame]
    fingerprint: str
    warnings: list[Issue] = field(default_factory=list)

    @property
    def shortage_bytes(self) -> float:
        return float(self.result.total_shortage.sum())


def fingerprint(data: PlanningData) -> str:
    """SHA-256 of every input the plan depends on (not of the file, which outputs change)."""
    h = hashlib.sha256()
    h.update(json.dumps([data.products, data.weeks.labels, data.weeks.quarters, data.quarters]).encode())
    for arr in (data.quarterly_demand, data.week_ratios, data.yields, data.density, data.capacity,
                data.total_capacity, data.initial_stock, data.wos):
        h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def plan_options(settings: Settings) -> PlanOptions:
    return PlanOptions(
        solver=settings.solver, cycle_time_weeks=settings.cycle_time_weeks,
        lot_size_wafers=settings.lot_size_wafers, band_low_bytes=settings.band_low_bytes,
        band_high_bytes=settings.band_high_bytes, time_limit_s=settings.solver_time_limit_s,
    )


def run(data: PlanningData, settings: Settings, progress: Progress | None = None) -> Outcome:
    """Optimise the plan and build every output table."""
    say = progress or (lambda _msg: None)
    say("Optimising the wafer plan")
    result = optimize(data, options=plan_options(settings))
    say("Building output tables")
    summaries = summarize(data, result, settings.cycle_time_weeks)
    out = {
        tables.PLAN: tables.plan_table(data, result),
        tables.DATA_QUALITY: tables.data_quality_table(data.warnings),
    }
    return Outcome(data=data, settings=settings, result=result, summaries=summaries, tables=out,
                   fingerprint=fingerprint(data), warnings=list(data.warnings))
