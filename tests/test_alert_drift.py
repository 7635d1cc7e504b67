"""Forecast drift from the typed demand view agrees with the LL_Forecast table the same run writes
(the rule once read that frame; now it reads the stage result, and must say the same)."""

from __future__ import annotations

import numpy as np

from linealytics_xl.core import alerts, tables
from linealytics_xl.core.alert_drift import forecast_drift_conditions
from linealytics_xl.core.pipeline import run
from linealytics_xl.core.settings import Settings


def _from_table(frame):
    """(product, weeks outside the band, weeks compared) from LL_Forecast's forecast weeks with an
    actual, recomputed from the table as written."""
    rows = frame[~frame["Model"].astype(str).isin(["workbook", ""])]
    rows = rows[rows[["Actual", "P10", "P90"]].notna().all(axis=1)]
    out = {}
    for name, g in rows.groupby("Product", sort=False):
        g = g.sort_values("WeekIndex")
        out[str(name)] = alerts.band_drift(g["Actual"].to_numpy(), g["P10"].to_numpy(), g["P90"].to_numpy())
    return out


def test_typed_forecast_drift_matches_the_forecast_table_on_the_real_workbook(real_data):
    out = run(real_data, Settings(scenarios=100, demand_source="forecast", history_end_week=390))
    assert out.demand is not None and out.demand.forecast is not None
    by_table = _from_table(out.tables[tables.FORECAST])
    assert set(by_table) == set(real_data.products)  # every product has forecast weeks with actuals
    assert all(n == real_data.n_weeks - 390 for _, n, _ in by_table.values())
    found = {c.product: c for c in forecast_drift_conditions(real_data, out.demand)}
    assert set(found) == {p for p, (_, _, drifting) in by_table.items() if drifting}
    for product, c in found.items():
        k, n, _ = by_table[product]
        assert c.value == k / n and f"{k} of {n}" in c.message
    # the run's alerts hold exactly these drift conditions of the forecast weeks
    ids = set(out.tables[tables.ALERTS]["AlertId"])
    assert {c.alert_id for c in found.values()} <= ids
    assert np.isfinite(out.tables[tables.FORECAST]["P10"]).any()
