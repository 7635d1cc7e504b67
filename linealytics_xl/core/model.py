"""The planning data model: one typed object that every stage reads.

Arrays are indexed ``[product, week]`` or ``[product, quarter]``; a *week* is one column of the
`Boundary Conditions` sheet, a *quarter* one fiscal quarter of the plan.  Units: demand and stock
in bytes, capacity and plans in wafers, yield as a fraction, density in bytes per wafer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """A data problem tied to a workbook cell, worded for a planner.

    ``str(issue)`` gives ``Sheet!A1: expected ..., found ...`` so that every message names where to
    look and what was expected.
    """

    severity: Severity
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @property
    def where(self) -> str:
        """``'Weekly Demand Ratio'!H2`` as Excel writes a reference (sheet quoted when needed)."""
        if not self.cell:
            return self.sheet
        return f"{quote_sheet(self.sheet)}!{self.cell}"


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in an Excel reference: quoted unless it is a plain word."""
    if name.replace("_", "a").replace(".", "a").isalnum() and not name[:1].isdigit():
        return name
    return "'" + name.replace("'", "''") + "'"


class InputError(Exception):
    """Raised when the input has errors; carries every issue found, not only the first."""

    def __init__(self, issues: list[Issue]):
        self.issues = [i for i in issues if i.severity == "error"] or list(issues)
        lines = "\n".join(f"- {i}" for i in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the input:\n{lines}")


@dataclass(frozen=True)
class WeekAxis:
    """The planning weeks in order.

    ``labels`` are the workbook's week labels (``WW_09``); they repeat every year, so a week is
    identified by its position (``index``, 1-based in tables) or by ``quarter`` + ``label``.
    """

    labels: tuple[str, ...]
    quarters: tuple[str, ...]  # fiscal quarter label of each week
    starts: tuple[date | None, ...]  # week start date where the workbook gives one

    def __post_init__(self) -> None:
        if not (len(self.labels) == len(self.quarters) == len(self.starts)):
            raise ValueError("week labels, quarters and starts differ in length")

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class PlanningData:
    """Everything the planning stages need, already checked and in base units."""

    products: tuple[str, ...]
    weeks: WeekAxis
    quarters: tuple[str, ...]  # planning quarters, in order (opening quarter excluded)
    week_quarter: np.ndarray  # [T] int: index into ``quarters`` of each week
    quarterly_demand: np.ndarray  # [P, Q] bytes (EffectiveDemand)
    week_ratios: np.ndarray  # [13] share of a quarter's demand in each week
    demand: np.ndarray  # [P, T] bytes per week
    yields: np.ndarray  # [P, T] fraction in (0, 1]
    density: np.ndarray  # [P] bytes per wafer
    capacity: np.ndarray  # [P, T] wafers per week
    total_capacity: np.ndarray  # [T] wafers per week, inf where unconstrained
    initial_stock: np.ndarray  # [P] bytes at the start of the first week
    wos: np.ndarray  # [P, Q] safety stock target in weeks of supply
    safety_stock: np.ndarray  # [P, Q] bytes required at the end of each quarter
    opening_quarter: str = ""  # label of the opening-position quarter column
    warnings: list[Issue] = field(default_factory=list)

    @property
    def n_products(self) -> int:
        return len(self.products)

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    def quarter_end_weeks(self) -> np.ndarray:
        """Index of the last week of each quarter ([Q] int; -1 for a quarter with no weeks)."""
        ends = np.full(len(self.quarters), -1, dtype=int)
        for t, q in enumerate(self.week_quarter):
            ends[q] = t
        return ends

    def yielded_bytes_per_wafer(self) -> np.ndarray:
        """Bytes one wafer started in week t delivers ([P, T]): density x yield."""
        return self.density[:, None] * self.yields
