"""P10/P90 for every week of LL_Forecast, the weeks beyond the workbook's data included.

Those weeks are a forecast made at the last week of data; their band comes from the chosen
model's backtest errors at the same horizon step (core.demand.horizon_band), so it must exist,
hold the P50 and widen (or stay) the further ahead the week is.
"""

from __future__ import annotations

import numpy as np
from synth import make_data

from linealytics_xl.core.demand import demand_view, forecast_table, horizon_band
from linealytics_xl.core.settings import Settings


def _table(seed: int = 0, simulate: bool = True):
    data = make_data(n_products=3, n_quarters=8, seed=seed)
    settings = Settings(forecast=True, simulate=simulate, demand_source="workbook", scenarios=300, seed=seed)
    view = demand_view(data, settings)
    return data, settings, forecast_table(data, view)


def test_every_forecast_week_has_a_band_holding_the_p50():
    data, settings, table = _table()
    beyond = table[table["WeekIndex"] > data.n_weeks]
    assert len(beyond) == data.n_products * settings.horizon_weeks
    assert not table[["P10", "P50", "P90"]].isna().any().any()
    assert (table["P10"] <= table["P50"]).all() and (table["P50"] <= table["P90"]).all()
    # a real band beyond the data, not P10 = P50 = P90
    assert ((beyond["P90"] - beyond["P10"]) > 0).mean() > 0.9


def test_bands_widen_or_stay_with_the_horizon():
    for seed in (0, 1, 2):
        data, _, table = _table(seed)
        beyond = table[table["WeekIndex"] > data.n_weeks].sort_values(["Product", "WeekIndex"])
        for product, rows in beyond.groupby("Product"):
            below = (rows["P50"] - rows["P10"]).to_numpy()
            above = (rows["P90"] - rows["P50"]).to_numpy()
            clipped = rows["P10"].to_numpy() <= 0  # P10 held at zero demand cannot widen down
            assert np.all(np.diff(above) >= -1e-6 * rows["P50"].max()), (seed, product)
            assert np.all((np.diff(below) >= -1e-6 * rows["P50"].max()) | clipped[1:]), (seed, product)


def test_beyond_band_without_simulation_and_deterministic():
    _, _, a = _table(simulate=False)
    _, _, b = _table(simulate=False)
    assert not a[["P10", "P90"]].isna().any().any()
    assert a.equals(b)


def test_horizon_band_follows_the_error_spread_by_step():
    rng = np.random.default_rng(5)
    # errors whose spread grows with the step: the band must grow with them
    errors = rng.normal(size=(8, 2, 13)) * np.linspace(0.05, 0.4, 13)
    path = np.full((2, 13), 100.0)
    lo, hi = horizon_band(path, errors, n=2000, seed=0)
    assert hi[:, -1].min() - lo[:, -1].max() > 2 * (hi[:, 0].max() - lo[:, 0].min())
    assert np.all(lo <= path) and np.all(path <= hi)
