"""The synthetic, seeded numbers of a demo workbook (no file writing here).

Data are sized like a fab: densities 5e4-1e5 bytes per wafer, yields 0.85-0.95, capacities of a few
thousand wafers per week; quarterly demand has a trend (the capacity ramp), a seasonal pattern and
noise.  Most products need 60-90 % of their capacity; the products named in ``capacity_bound`` have
1.5-2x more demand than their full capacity can supply, so a correct plan must report shortages.

Values depend only on the arguments: each product draws from its own random stream
``(seed, product index)``, so ``P1`` has the same data whether 3 or 500 products are written.
:mod:`.demo_workbook` writes them in the real workbook's layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["WEEKS_PER_QUARTER", "DemoData", "generate_demo_data", "quarter_label"]

WEEKS_PER_QUARTER = 13


def quarter_label(year: int, quarter: int) -> str:
    """``quarter_label(2025, 1) == 'Q1 25'`` -- the ``Qn yy`` labels of the real workbook."""
    return f"Q{quarter} {year % 100:02d}"


@dataclass(frozen=True)
class DemoData:
    """The synthetic numbers written to a demo workbook (arrays ``[product, ...]``).

    ``quarters`` are the planning quarters; ``opening_quarter`` is the column before them that
    holds the opening stock.  ``week_quarter[t]`` indexes ``quarters``.
    """

    products: tuple[str, ...]
    opening_quarter: str
    quarters: tuple[str, ...]
    week_labels: tuple[str, ...]
    week_starts: tuple[dt.date, ...]
    week_quarter: np.ndarray  # [T] int
    density: np.ndarray  # [P] bytes per wafer (int)
    yields: np.ndarray  # [P, T] fraction
    capacity: np.ndarray  # [P, T] wafers per week (int)
    demand: np.ndarray  # [P, Q] bytes per quarter (whole bytes)
    wos: np.ndarray  # [P] safety stock target in weeks of supply
    initial_stock: np.ndarray  # [P] bytes
    week_ratios: np.ndarray  # [13] back-loaded, sums to 1
    yielded_supply: np.ndarray | None  # [P, Q] bytes when a baseline supply is written
    capacity_bound: tuple[str, ...]

    @property
    def full_capacity_supply(self) -> np.ndarray:
        """[P, Q] bytes the product yields per quarter when every week runs at full capacity."""
        weekly = self.capacity * self.yields * self.density[:, None]
        out = np.zeros((len(self.products), len(self.quarters)))
        for q in range(len(self.quarters)):
            out[:, q] = weekly[:, self.week_quarter == q].sum(axis=1)
        return out


def _calendar(
    n_quarters: int, start_year: int, long_quarter: int | None
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[dt.date, ...], np.ndarray]:
    """Quarters, week labels, week starts and week->quarter of the planning horizon.

    The opening quarter is ``Q1 <start_year>``; planning starts with the next quarter.  Fiscal
    week 1 of ``start_year`` starts on the Monday of ISO week 1; weeks follow each other without
    gaps.  Week labels ``WW_nn`` count the weeks of the fiscal year (reset at every Q1), so a year
    with a 14-week quarter has a ``WW_53``.
    """
    if n_quarters < 1:
        raise ValueError("n_quarters must be at least 1")
    if long_quarter is not None and not 0 <= long_quarter < n_quarters:
        raise ValueError(f"long_quarter must index a planning quarter (0..{n_quarters - 1})")
    year, q = start_year, 1
    opening = quarter_label(year, q)
    monday = dt.date.fromisocalendar(start_year, 1, 1) + dt.timedelta(weeks=WEEKS_PER_QUARTER)
    week_in_year = WEEKS_PER_QUARTER  # the opening Q1 took weeks 1..13
    quarters: list[str] = []
    labels: list[str] = []
    starts: list[dt.date] = []
    week_quarter: list[int] = []
    for qi in range(n_quarters):
        q += 1
        if q == 5:
            year, q = year + 1, 1
            week_in_year = 0
        quarters.append(quarter_label(year, q))
        n_weeks = WEEKS_PER_QUARTER + (1 if qi == long_quarter else 0)
        for _ in range(n_weeks):
            week_in_year += 1
            labels.append(f"WW_{week_in_year:02d}")
            starts.append(monday)
            week_quarter.append(qi)
            monday += dt.timedelta(weeks=1)
    return opening, tuple(quarters), tuple(labels), tuple(starts), np.asarray(week_quarter)


def _week_ratios(seed: int) -> np.ndarray:
    """Back-loaded shares of a quarter's demand per week (3 decimals, summing to 1)."""
    rng = np.random.default_rng([seed, 0x5EED])
    base = np.linspace(1.0, 2.6, WEEKS_PER_QUARTER) ** 1.6
    base *= rng.uniform(0.9, 1.1, WEEKS_PER_QUARTER)
    base = np.sort(base)  # demand piles up towards quarter end
    milli = np.floor(base / base.sum() * 1000).astype(int)
    milli[-1] += 1000 - milli.sum()  # exact: integer thousandths sum to 1000
    return milli / 1000.0


@dataclass(frozen=True)
class _ProductDraw:
    """One product's numbers, drawn from its own random stream."""

    density: int
    yields: np.ndarray  # [T]
    capacity: np.ndarray  # [T] int
    demand: np.ndarray  # [Q]
    wos: float
    initial_stock: float
    full_supply: np.ndarray  # [Q] bytes at full capacity


def _draw_product(
    rng: np.random.Generator,
    capacity_bound: bool,
    week_quarter: np.ndarray,
    quarter_of_year: np.ndarray,
    weeks_per_q: np.ndarray,
) -> _ProductDraw:
    """A product's density, yield curve, capacity and demand; the draws keep one fixed order, so
    the same seed gives the same numbers."""
    n_weeks, n_quarters = len(week_quarter), len(quarter_of_year)
    t = np.arange(n_weeks)
    density = round(rng.uniform(5.0e4, 1.0e5) / 50.0) * 50
    # Yield: a learning curve towards a mature level, with a little week-to-week noise.
    y_start, y_mature = rng.uniform(0.855, 0.9), rng.uniform(0.905, 0.945)
    tau = rng.uniform(20, 120)
    y = y_mature - (y_mature - y_start) * np.exp(-t / tau) + rng.normal(0, 0.002, n_weeks)
    yields = np.round(np.clip(y, 0.85, 0.95), 4)
    # Capacity: a ramp of 0-2 % per quarter, weekly noise and a few maintenance weeks.
    c0 = rng.uniform(1500, 6000)
    growth = rng.uniform(0.0, 0.02) / WEEKS_PER_QUARTER
    cap = c0 * (1 + growth) ** t * rng.lognormal(0.0, 0.04, n_weeks)
    down = rng.random(n_weeks) < 0.03
    cap[down] *= rng.uniform(0.6, 0.85, int(down.sum()))
    capacity = np.maximum(np.round(cap), 100).astype(np.int64)
    # Quarterly demand = share x full-capacity supply x seasonality x noise.
    weekly_full = capacity * yields * density
    full = np.bincount(week_quarter, weights=weekly_full, minlength=n_quarters)
    amplitude = rng.uniform(0.03, 0.10)
    season = 1 + amplitude * np.cos(2 * np.pi * (quarter_of_year - 4) / 4)  # peaks in Q4
    noise = rng.lognormal(0.0, 0.04, n_quarters)
    if capacity_bound:
        share = np.clip(rng.uniform(1.55, 1.95) * season * noise, 1.5, 2.0)
    else:
        share = np.clip(rng.uniform(0.62, 0.84) * season * noise, 0.55, 0.92)
    demand = np.round(full * share)
    wos = round(rng.uniform(1.2, 2.0), 3)
    initial = round(rng.uniform(0.3, 1.0) * demand[0] / weeks_per_q[0])
    return _ProductDraw(int(density), yields, capacity, demand, float(wos), float(initial), full)


def generate_demo_data(
    *,
    n_products: int = 3,
    n_quarters: int = 8,
    seed: int = 0,
    start_year: int = 2025,
    capacity_bound: Sequence[str] = ("P3",),
    long_quarter: int | None = None,
    baseline_supply: bool = False,
) -> DemoData:
    """The synthetic numbers of :func:`write_demo_workbook` (see there for the arguments)."""
    if n_products < 1:
        raise ValueError("n_products must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if isinstance(capacity_bound, str):
        capacity_bound = (capacity_bound,)
    products = tuple(f"P{i + 1}" for i in range(n_products))
    unknown = sorted(set(capacity_bound) - set(products))
    if unknown:
        raise ValueError(f"capacity_bound names unknown products {unknown}; products are P1..P{n_products}")
    opening, quarters, labels, starts, week_quarter = _calendar(n_quarters, start_year, long_quarter)
    n_weeks = len(labels)
    quarter_of_year = np.array([int(q[1]) for q in quarters])
    weeks_per_q = np.bincount(week_quarter, minlength=n_quarters)

    drawn = [
        _draw_product(
            np.random.default_rng([seed, i]),
            name in capacity_bound,
            week_quarter,
            quarter_of_year,
            weeks_per_q,
        )
        for i, name in enumerate(products)
    ]
    density = np.array([d.density for d in drawn], dtype=np.int64)
    yields = np.array([d.yields for d in drawn]).reshape(n_products, n_weeks)
    capacity = np.array([d.capacity for d in drawn], dtype=np.int64).reshape(n_products, n_weeks)
    demand = np.array([d.demand for d in drawn]).reshape(n_products, n_quarters)
    wos = np.array([d.wos for d in drawn])
    initial = np.array([d.initial_stock for d in drawn])
    # A naive plan for demonstrations: supply the demand where capacity allows.
    supply = (
        np.array([np.round(np.minimum(d.full_supply, d.demand)) for d in drawn]).reshape(
            n_products, n_quarters
        )
        if baseline_supply
        else None
    )
    return DemoData(
        products=products,
        opening_quarter=opening,
        quarters=quarters,
        week_labels=labels,
        week_starts=starts,
        week_quarter=week_quarter,
        density=density,
        yields=yields,
        capacity=capacity,
        demand=demand,
        wos=wos,
        initial_stock=initial,
        week_ratios=_week_ratios(seed),
        yielded_supply=supply,
        capacity_bound=tuple(capacity_bound),
    )
