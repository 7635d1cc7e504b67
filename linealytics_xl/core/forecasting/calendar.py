"""The forecasters' calendar and the input checks every forecaster and the backtest share.

Kept apart from the models so that reading a calendar (the demand stage, the worksheet
functions) costs numpy only, not the XGBoost and scikit-learn imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..model import PlanningData

_QUARTER_LABEL = re.compile(r"^\s*Q\s*([1-4])(?!\d)", re.IGNORECASE)


@dataclass(frozen=True, eq=False)  # eq on arrays would be ambiguous
class Calendar:
    """Seasonal position of each week: the calendar features the forecasters see.

    ``week_of_quarter`` is 0-based (0..12, or 13 in a 14-week quarter); ``quarter_of_year`` is
    1..4.  Weeks are identified by position, as everywhere in the planner.  A calendar may be
    longer than the demand it is used with: the extra weeks are the known future calendar, which
    is how forecasts see a 14-week quarter coming.  Beyond its end ``extend`` continues it with
    ``weeks_per_quarter``-week quarters, since the future's long quarters are not known.
    """

    week_of_quarter: np.ndarray
    quarter_of_year: np.ndarray
    weeks_per_quarter: int = 13

    def __post_init__(self) -> None:
        woq = np.asarray(self.week_of_quarter)
        qoy = np.asarray(self.quarter_of_year)
        if woq.ndim != 1 or woq.shape != qoy.shape:
            raise ValueError("week_of_quarter and quarter_of_year must be 1-D and of equal length")
        for name, a in (("week_of_quarter", woq), ("quarter_of_year", qoy)):
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"{name} must hold integers, found dtype {a.dtype}")
        if np.any(woq < 0):
            raise ValueError("week_of_quarter must be >= 0")
        if np.any((qoy < 1) | (qoy > 4)):
            raise ValueError("quarter_of_year must be in 1..4")
        if self.weeks_per_quarter < 1:
            raise ValueError("weeks_per_quarter must be >= 1")
        for name, a in (("week_of_quarter", woq), ("quarter_of_year", qoy)):
            a = a.astype(np.int64)  # a copy, so the caller's array can't change under us
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    def __len__(self) -> int:
        return len(self.week_of_quarter)

    @classmethod
    def regular(cls, n_weeks: int, weeks_per_quarter: int = 13, start_quarter: int = 1) -> Calendar:
        """A calendar of equal quarters starting on week 0 of ``start_quarter`` (generated data)."""
        if n_weeks < 0 or weeks_per_quarter < 1 or not 1 <= start_quarter <= 4:
            raise ValueError("need n_weeks >= 0, weeks_per_quarter >= 1 and start_quarter in 1..4")
        t = np.arange(n_weeks)
        return cls(
            t % weeks_per_quarter, (start_quarter - 1 + t // weeks_per_quarter) % 4 + 1, weeks_per_quarter
        )

    @classmethod
    def from_planning(cls, data: PlanningData, weeks_per_quarter: int = 13) -> Calendar:
        """Read the calendar from ``data.week_quarter`` and quarter labels such as ``"Q3 95"``."""
        wq = np.asarray(data.week_quarter)
        if wq.ndim != 1 or not np.issubdtype(wq.dtype, np.integer):
            raise ValueError("week_quarter must be a 1-D integer array")
        if np.any((wq < 0) | (wq >= len(data.quarters))):
            raise ValueError(f"week_quarter must index the {len(data.quarters)} planning quarters")
        if np.any(np.diff(wq) < 0):
            raise ValueError("weeks must be in quarter order (week_quarter non-decreasing)")
        qoy = []
        for label in data.quarters:
            m = _QUARTER_LABEL.match(str(label))
            if m is None:
                raise ValueError(f"quarter label {label!r}: expected 'Q<1-4> <year>', e.g. 'Q3 95'")
            qoy.append(int(m.group(1)))
        first = np.searchsorted(wq, wq, side="left")  # first week of each week's quarter
        return cls(np.arange(len(wq)) - first, np.asarray(qoy, dtype=np.int64)[wq], weeks_per_quarter)

    def extend(self, n_weeks: int) -> Calendar:
        """This calendar continued to ``n_weeks`` weeks (returned unchanged if already as long)."""
        if n_weeks <= len(self):
            return self
        if len(self) == 0:
            return Calendar.regular(n_weeks, self.weeks_per_quarter)
        woq, qoy = [int(self.week_of_quarter[-1])], [int(self.quarter_of_year[-1])]
        for _ in range(n_weeks - len(self)):
            w, q = woq[-1] + 1, qoy[-1]
            if w >= self.weeks_per_quarter:
                w, q = 0, q % 4 + 1
            woq.append(w)
            qoy.append(q)
        return Calendar(
            np.concatenate([self.week_of_quarter, woq[1:]]),
            np.concatenate([self.quarter_of_year, qoy[1:]]),
            self.weeks_per_quarter,
        )


def check_demand(demand: npt.ArrayLike, name: str = "demand") -> np.ndarray:
    """``demand`` as a float [products, weeks] array, or a ValueError saying what is wrong."""
    y = np.asarray(demand, dtype=float)
    if y.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array [products, weeks], got shape {y.shape}; "
            "for one product pass demand[None, :]"
        )
    if y.shape[0] == 0 or y.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {y.shape})")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} has NaN or infinite values")
    if np.any(y < 0):
        raise ValueError(f"{name} has negative values")
    return y


def check_horizon(horizon: object) -> int:
    """A horizon is a positive whole number of weeks (``True`` is not one)."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of weeks, got {horizon!r}")
    return int(horizon)


def check_calendar(calendar: Calendar | None, n_weeks: int) -> Calendar:
    """The calendar to use for ``n_weeks`` of demand (regular quarters when none is given)."""
    if calendar is None:
        return Calendar.regular(n_weeks)
    if not isinstance(calendar, Calendar):
        raise TypeError(f"calendar must be a Calendar, got {type(calendar).__name__}")
    if len(calendar) < n_weeks:
        raise ValueError(f"calendar covers {len(calendar)} weeks but demand has {n_weeks}")
    return calendar


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
