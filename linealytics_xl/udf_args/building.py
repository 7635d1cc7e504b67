"""From checked arguments to what a worksheet function computes with, and back to a spill grid.

`planning_data` hands the arrays to `PlanningData.build` (the one constructor, shared with the
workbook reader and the what-if cases); `plan_request` is LL_PLAN's whole argument list; `spill`
and `block` turn results into the plain rectangular values Excel can hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.model import PlanningData, WeekAxis

if TYPE_CHECKING:  # the optimiser (and its solver imports) load when LL_PLAN first runs
    from ..core.optimize import PlanOptions
from .parsing import (
    opt_date,
    opt_integer,
    opt_number,
    opt_text,
    options,
)
from .shapes import (
    FRACTION,
    NONNEGATIVE,
    NONNEGATIVE_BLANK_ZERO,
    POSITIVE,
    ArgumentError,
    Table,
    as_grid,
    describe,
    has_label_column,
    is_number,
    per_product,
    per_product_week,
    product_table,
    trim,
)

# --------------------------------------------------------------------------------------------
# Planning data from worksheet-function arguments


def week_labels(
    n_weeks: int, start: date | None = None, *, offset: int = 0, future: bool = False
) -> list[str]:
    """Header labels of week columns: ``Week 1`` ... (``Week +1`` ... for forecasts), or the
    weeks' start dates as ``yyyy-mm-dd`` text when ``start`` (the first week's start) is given."""
    if start is not None:
        return [(start + timedelta(weeks=offset + k)).isoformat() for k in range(n_weeks)]
    sign = "+" if future else ""
    return [f"Week {sign}{offset + k + 1}" for k in range(n_weeks)]


def quarters_of(n_weeks: int, weeks_per_quarter: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Quarter labels and each week's quarter index for consecutive ``weeks_per_quarter``-week
    quarters (the last one may be shorter)."""
    week_quarter = np.arange(n_weeks) // weeks_per_quarter
    n_q = int(week_quarter[-1]) + 1 if n_weeks else 0
    return tuple(f"Quarter {q + 1}" for q in range(n_q)), week_quarter


def safety_stock_by_quarter(value: Any, name: str, P: int, T: int, week_quarter: np.ndarray) -> np.ndarray:
    """``[P, Q]`` targets at quarter ends: one value, one per product, one per product and
    quarter (``P x Q``) or one per product and week (``P x T``: each quarter's last week counts)."""
    Q = int(week_quarter[-1]) + 1
    ends = np.array([np.flatnonzero(week_quarter == q)[-1] for q in range(Q)])
    if value is None:
        return np.zeros((P, Q))
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if (
        ndim == 2
        and rows
        and len(rows) == P
        and len(rows[0]) == Q + (1 if has_label_column(rows, 2) else 0)
        and Q != T
    ):
        return per_product_week(value, name, P, Q, NONNEGATIVE_BLANK_ZERO)
    if ndim == 1 and P == 1 and rows and len(rows[0]) == Q and Q != T:
        return per_product_week(value, name, 1, Q, NONNEGATIVE_BLANK_ZERO)
    try:
        weekly = per_product_week(value, name, P, T, NONNEGATIVE_BLANK_ZERO)
    except ArgumentError as exc:
        if "must be one value" not in str(exc):
            raise
        raise ArgumentError(
            str(exc).replace(" or ", f", {P} row(s) x {Q} quarter column(s) or ", 1)
        ) from None
    return weekly[:, ends]


def planning_data(
    demand: Table,
    yields: np.ndarray,
    density: np.ndarray,
    capacity: np.ndarray,
    initial_stock: np.ndarray,
    safety_stock: np.ndarray,
    week_quarter: np.ndarray,
    quarters: Sequence[str],
    *,
    total_capacity: float | None = None,
    start: date | None = None,
) -> PlanningData:
    """A `PlanningData` for a plan asked for by a worksheet function (arrays already checked).

    Quarters are consecutive blocks of weeks; the quarterly demand is the weekly demand summed
    per quarter and the weekly ratios are those blocks' own shares, so the object is consistent
    with itself.  Safety stock targets are given, not derived from weeks of supply (``wos`` 0).
    """
    T = demand.values.shape[1]
    labels = tuple(f"Week {k + 1}" for k in range(T))
    starts = tuple(start + timedelta(weeks=k) for k in range(T)) if start is not None else tuple([None] * T)
    return PlanningData.build(
        products=demand.labels,
        weeks=WeekAxis(labels, tuple(quarters[q] for q in week_quarter), starts),
        quarters=quarters,
        week_quarter=week_quarter,
        demand=demand.values.copy(),
        yields=yields,
        density=density,
        capacity=capacity,
        total_capacity=total_capacity,
        initial_stock=initial_stock,
        safety_stock=safety_stock,
    )


def check_same_products(table: Table, other: Table, name: str) -> None:
    if other.n_products != table.n_products:
        raise ArgumentError(
            f"{name} has {other.n_products} product row(s) but the first argument has {table.n_products}"
        )
    if table.named and other.named and other.labels != table.labels:
        raise ArgumentError(
            f"{name} names products {', '.join(other.labels)}; expected "
            f"{', '.join(table.labels)} in that order"
        )


# --------------------------------------------------------------------------------------------
# Results

MAX_SPILL_ROWS = 1_048_575  # a sheet's rows minus the formula's own header row
MAX_SPILL_COLUMNS = 16_384


def cell(v: Any) -> Any:
    """A result value Excel can hold: numbers as float, NaN/None as an empty string."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if is_number(v):
        x = float(v)
        return x if math.isfinite(x) else ""
    if isinstance(v, (datetime, date, str)):
        return v
    return str(v)


def spill(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Header row + rows as a rectangular list of lists of plain values, within Excel's limits."""
    out = [[cell(v) for v in header]]
    width = len(out[0])
    for row in rows:
        r = [cell(v) for v in row]
        if len(r) != width:
            raise ValueError(f"result row of {len(r)} cells under a header of {width}")
        out.append(r)
    if len(out) - 1 > MAX_SPILL_ROWS or width > MAX_SPILL_COLUMNS:
        raise ArgumentError(f"the result ({len(out)} rows x {width} columns) is larger than a worksheet")
    return out


def block(labels: Sequence[Sequence[Any]], values: np.ndarray) -> list[list[Any]]:
    """Rows of label cells followed by the numbers of ``values`` (one row per label row)."""
    return [list(lab) + [float(x) for x in row] for lab, row in zip(labels, np.asarray(values, dtype=float))]


# --------------------------------------------------------------------------------------------
# LL_PLAN's request


PLAN_ROWS = ("supply", "stock", "backlog")  # extra output rows a planner can switch on
PLAN_OPTIONS: dict[str, Callable[[Any, str], Any]] = {
    # the same names and limits as the Settings sheet
    "solver": opt_text(("auto", "cbc", "highs")),
    "cycle_time_weeks": opt_integer(0, 52),
    "lot_size_wafers": opt_number(),
    "band_low_bytes": opt_number(),
    "band_high_bytes": opt_number(),
    "solver_time_limit_s": opt_number(POSITIVE),
    # worksheet-function only
    "weeks_per_quarter": opt_integer(1, 53),
    "total_capacity": opt_number(),
    "start": opt_date(),
}
SETTINGS_OPTIONS = (
    "solver",
    "cycle_time_weeks",
    "lot_size_wafers",
    "band_low_bytes",
    "band_high_bytes",
    "solver_time_limit_s",
)


@dataclass(frozen=True)
class PlanRequest:
    """LL_PLAN's arguments, checked: the data, the optimiser's options and the rows to show."""

    data: PlanningData
    options: PlanOptions
    rows: tuple[str, ...]  # extra output rows asked for, in PLAN_ROWS order
    start: date | None


def plan_request(
    demand: Any,
    yields: Any,
    density: Any,
    capacity: Any,
    initial_stock: Any = None,
    safety_stock: Any = None,
    options_value: Any = None,
) -> PlanRequest:
    """Everything LL_PLAN needs, from its arguments as Excel passes them."""
    from pydantic import ValidationError

    from ..core.settings import Settings

    table = product_table(demand, "demand")
    P, T = table.values.shape
    opts, rows = options(options_value, "options", PLAN_OPTIONS, PLAN_ROWS)
    quarters, week_quarter = quarters_of(T, opts.get("weeks_per_quarter", 13))
    y = per_product_week(yields, "yields", P, T, FRACTION)
    rho = per_product(density, "density", P, POSITIVE)
    cap = per_product_week(capacity, "capacity", P, T, NONNEGATIVE)
    init = per_product(initial_stock, "initial_stock", P, NONNEGATIVE, default=0.0)
    sst = safety_stock_by_quarter(safety_stock, "safety_stock", P, T, week_quarter)
    try:
        settings = Settings(**{k: v for k, v in opts.items() if k in SETTINGS_OPTIONS})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "options"
        message = str(err["msg"]).removeprefix("Value error, ").lower()
        raise ArgumentError(f"options: {key} {message} (found {describe(opts.get(key))})") from None
    plan_options = settings.plan_options()
    data = planning_data(
        table,
        y,
        rho,
        cap,
        init,
        sst,
        week_quarter,
        quarters,
        total_capacity=opts.get("total_capacity"),
        start=opts.get("start"),
    )
    ordered = tuple(r for r in PLAN_ROWS if r in rows)
    return PlanRequest(data, plan_options, ordered, opts.get("start"))
