"""The planning data model: one typed object that every stage reads.

Arrays are indexed ``[product, week]`` or ``[product, quarter]``; a *week* is one column of the
`Boundary Conditions` sheet, a *quarter* one fiscal quarter of the plan.  Units: demand and stock
in bytes, capacity and plans in wafers, yield as a fraction, density in bytes per wafer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from .weekly import first_quarter_shares, safety_stock_targets, weekly_demand

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int_]

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
    #: The setting the issue is about, when it is one (its cell is known to the Settings sheet's
    #: reader, not to the core stage that found the problem: ``SettingsSheet.located`` fills it in)
    setting: str = ""

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

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Issue]]]:
        # pickled by its issues, so that it crosses a process pool (what-if cases, sites) intact;
        # the default would rebuild it from the message text
        return (InputError, (self.issues,))


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


def _check_week_quarter(week_quarter: IntArray, n_quarters: int) -> None:
    """Every week must belong to one of the quarters (an index into them)."""
    if week_quarter.size and (week_quarter.min() < 0 or week_quarter.max() >= n_quarters):
        raise ValueError("PlanningData.week_quarter must index into quarters")


@dataclass(frozen=True)
class PlanningData:
    """Everything the planning stages need, already checked and in base units.

    Frozen, and its arrays read-only, because every stage (optimiser, risk, alerts, what-if
    cases) reads the same object: a stage that changed it would change the others' inputs.  Build
    it with `PlanningData.build`, which derives the weekly demand and the safety stock from the
    raw inputs, so the workbook reader, the worksheet functions and the what-if cases follow one
    rule; add warnings with `with_warnings` (a new object).
    """

    products: tuple[str, ...]
    weeks: WeekAxis
    quarters: tuple[str, ...]  # planning quarters, in order (opening quarter excluded)
    week_quarter: IntArray  # [T] int: index into ``quarters`` of each week
    quarterly_demand: FloatArray  # [P, Q] bytes (EffectiveDemand)
    week_ratios: FloatArray  # [W] share of a quarter's demand in each week (13 in the workbook)
    demand: FloatArray  # [P, T] bytes per week
    yields: FloatArray  # [P, T] fraction in (0, 1]
    density: FloatArray  # [P] bytes per wafer
    capacity: FloatArray  # [P, T] wafers per week
    total_capacity: FloatArray  # [T] wafers per week, inf where unconstrained
    initial_stock: FloatArray  # [P] bytes at the start of the first week
    wos: FloatArray  # [P, Q] safety stock target in weeks of supply
    safety_stock: FloatArray  # [P, Q] bytes required at the end of each quarter
    opening_quarter: str = ""  # label of the opening-position quarter column
    warnings: tuple[Issue, ...] = ()

    def __post_init__(self) -> None:
        """Check every array's shape against the axes and make it read-only (no copy).

        Runs for `build` and for `dataclasses.replace` alike, so no object with arrays that
        disagree with its products, weeks or quarters can exist.
        """
        P, T, Q = len(self.products), len(self.weeks), len(self.quarters)
        shapes = {
            "week_quarter": (T,),
            "quarterly_demand": (P, Q),
            "demand": (P, T),
            "yields": (P, T),
            "density": (P,),
            "capacity": (P, T),
            "total_capacity": (T,),
            "initial_stock": (P,),
            "wos": (P, Q),
            "safety_stock": (P, Q),
        }
        for name, shape in shapes.items():
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.shape != shape:
                found = value.shape if isinstance(value, np.ndarray) else type(value).__name__
                raise ValueError(f"PlanningData.{name} must have shape {shape}, found {found}")
        if self.week_ratios.ndim != 1:
            raise ValueError("PlanningData.week_ratios must be one row of weekly shares")
        _check_week_quarter(self.week_quarter, Q)
        if len(self.weeks.quarters) != T:
            raise ValueError("PlanningData.weeks must have one quarter label per week")
        for name in (*shapes, "week_ratios"):
            getattr(self, name).flags.writeable = False
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @classmethod
    def build(
        cls,
        *,
        products: Sequence[str],
        weeks: WeekAxis,
        quarters: Sequence[str],
        week_quarter: ArrayLike,
        yields: ArrayLike,
        density: ArrayLike,
        capacity: ArrayLike,
        initial_stock: ArrayLike,
        quarterly_demand: ArrayLike | None = None,
        week_ratios: ArrayLike | None = None,
        demand: ArrayLike | None = None,
        wos: ArrayLike | None = None,
        safety_stock: ArrayLike | None = None,
        total_capacity: ArrayLike | float | None = None,
        opening_quarter: str = "",
        warnings: Iterable[Issue] = (),
    ) -> PlanningData:
        """The one way to make `PlanningData`: derives what the inputs leave out, checks shapes.

        Demand comes either quarterly with the weekly ratio profile (the workbook: weekly demand
        is `weekly.weekly_demand` of them) or weekly (a worksheet function: quarterly demand is
        each quarter's sum, the ratios the first quarter's own shares).  Safety stock is the
        workbook's rule on weeks of supply (`weekly.safety_stock_targets`) unless given.  Total
        capacity ``None`` means unconstrained (inf); one number applies to every week.
        """
        wq = np.asarray(week_quarter, dtype=int)
        Q = len(quarters)
        _check_week_quarter(wq, Q)  # before deriving from it
        if demand is None:
            if quarterly_demand is None or week_ratios is None:
                raise ValueError("PlanningData.build needs weekly demand or quarterly demand and ratios")
            qdemand = np.asarray(quarterly_demand, dtype=float)
            ratios = np.asarray(week_ratios, dtype=float)
            weekly = weekly_demand(qdemand, wq, ratios)
        else:
            weekly = np.asarray(demand, dtype=float)
            if quarterly_demand is None:
                qdemand = np.zeros((weekly.shape[0], Q))
                np.add.at(qdemand.T, wq, weekly.T)
            else:
                qdemand = np.asarray(quarterly_demand, dtype=float)
            ratios = (
                first_quarter_shares(weekly, wq)
                if week_ratios is None
                else np.asarray(week_ratios, dtype=float)
            )
        wos_pq = np.zeros_like(qdemand) if wos is None else np.asarray(wos, dtype=float)
        sst = (
            safety_stock_targets(wos_pq, qdemand)
            if safety_stock is None
            else np.asarray(safety_stock, dtype=float)
        )
        T = len(weeks)
        if total_capacity is None:
            total = np.full(T, np.inf)
        elif np.ndim(total_capacity) == 0:
            total = np.full(T, float(np.asarray(total_capacity)))
        else:
            total = np.asarray(total_capacity, dtype=float)
        return cls(
            products=tuple(products),
            weeks=weeks,
            quarters=tuple(quarters),
            week_quarter=wq,
            quarterly_demand=qdemand,
            week_ratios=ratios,
            demand=weekly,
            yields=np.asarray(yields, dtype=float),
            density=np.asarray(density, dtype=float),
            capacity=np.asarray(capacity, dtype=float),
            total_capacity=total,
            initial_stock=np.asarray(initial_stock, dtype=float),
            wos=wos_pq,
            safety_stock=sst,
            opening_quarter=opening_quarter,
            warnings=tuple(warnings),
        )

    def with_inputs(self, **changes: ArrayLike) -> PlanningData:
        """This data with some raw inputs replaced and the derived arrays derived again.

        For a what-if case: a change of quarterly demand or weeks of supply changes the weekly
        demand and the safety stock by the same rule as the workbook's.
        """
        raw = {
            k: getattr(self, k)
            for k in (
                "week_quarter",
                "yields",
                "density",
                "capacity",
                "initial_stock",
                "quarterly_demand",
                "week_ratios",
                "wos",
                "total_capacity",
            )
        }
        raw.update(changes)
        return PlanningData.build(
            products=self.products,
            weeks=self.weeks,
            quarters=self.quarters,
            opening_quarter=self.opening_quarter,
            warnings=self.warnings,
            **raw,
        )

    def with_warnings(self, more: Iterable[Issue]) -> PlanningData:
        """A copy with ``more`` warnings appended (the arrays are shared: they are read-only)."""
        return replace(self, warnings=(*self.warnings, *more))

    @property
    def n_products(self) -> int:
        return len(self.products)

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    def quarter_end_weeks(self) -> IntArray:
        """Index of the last week of each quarter ([Q] int; -1 for a quarter with no weeks)."""
        ends = np.full(len(self.quarters), -1, dtype=int)
        for t, q in enumerate(self.week_quarter):
            ends[q] = t
        return ends

    def yielded_bytes_per_wafer(self) -> FloatArray:
        """Bytes one wafer started in week t delivers ([P, T]): density x yield."""
        return self.density[:, None] * self.yields
