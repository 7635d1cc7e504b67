"""Generated planning data for optimiser tests (core objects, no workbook involved)."""

from __future__ import annotations

import numpy as np

from linealytics_xl.core.model import PlanningData, WeekAxis

RATIOS = np.array([0.055] * 8 + [0.06, 0.1, 0.1, 0.15, 0.15])


def make_data(
    n_products: int = 3,
    n_quarters: int = 8,
    seed: int = 0,
    load: float = 0.8,
    short: tuple[int, ...] = (),
    total_factor: float | None = None,
    wos: float = 1.5,
    long_quarter: int | None = None,
) -> PlanningData:
    """Products loaded to ``load`` of capacity on average; those in ``short`` to 1.7x."""
    rng = np.random.default_rng(seed)
    weeks_per_q = [14 if q == long_quarter else 13 for q in range(n_quarters)]
    week_quarter = np.repeat(np.arange(n_quarters), weeks_per_q)
    T = week_quarter.size
    density = rng.uniform(5e4, 1e5, n_products)
    yields = np.clip(
        rng.uniform(0.85, 0.95, (n_products, 1)) + rng.normal(0, 0.005, (n_products, T)), 0.5, 1.0
    )
    capacity = np.round(rng.uniform(1000, 5000, (n_products, 1)) * rng.uniform(0.9, 1.1, (n_products, T)))
    weekly_cap_bytes = (density[:, None] * yields * capacity).mean(axis=1)
    factor = np.full(n_products, load)
    factor[list(short)] = 1.7
    season = 1 + 0.2 * np.sin(np.arange(n_quarters) * np.pi / 2)
    qdemand = (
        (weekly_cap_bytes * factor)[:, None]
        * 13
        * season[None, :]
        * rng.uniform(0.9, 1.1, (n_products, n_quarters))
    )
    wosarr = np.full((n_products, n_quarters), wos)
    total = np.full(T, np.inf) if total_factor is None else capacity.sum(axis=0) * total_factor
    labels = tuple(f"WW_{(t % 52) + 1:02d}" for t in range(T))
    quarters = tuple(f"Q{q % 4 + 1} {25 + q // 4:02d}" for q in range(n_quarters))
    return PlanningData.build(
        products=tuple(f"P{i + 1}" for i in range(n_products)),
        weeks=WeekAxis(labels, tuple(quarters[q] for q in week_quarter), tuple([None] * T)),
        quarters=quarters,
        week_quarter=week_quarter,
        quarterly_demand=qdemand,
        week_ratios=RATIOS,
        yields=yields,
        density=density,
        capacity=capacity,
        total_capacity=total,
        initial_stock=weekly_cap_bytes * 0.5,
        wos=wosarr,
    )
