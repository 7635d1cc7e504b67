"""The plan LP built from arrays (core.lp_model), checked row by row against a plan computed
independently by the balance identity."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.sparse import csc_matrix
from synth import make_data

from linealytics_xl.core.balance import project
from linealytics_xl.core.lp_model import LPData, blocks_of, build_model

L = 2  # cycle time, so the supply shift is exercised


def _lp(data, ramp=None, smooth=False):
    total = data.total_capacity
    return LPData(
        a=data.yielded_bytes_per_wafer(),
        d=data.demand,
        i0=data.initial_stock,
        cap=data.capacity,
        target=data.safety_stock,
        ends=data.quarter_end_weeks(),
        band_high=None,
        total=total,
        binding=np.isfinite(total) & (total < data.capacity.sum(axis=0)),
        cycle_time=L,
        ramp=ramp,
        smooth=smooth,
    )


def _point(data, lp, m, wafers):
    """The model's column vector for a plan: stock and backlog by the balance identity."""
    supply = np.zeros_like(wafers)
    supply[:, L:] = lp.a[:, :-L] * wafers[:, :-L]
    stock, backlog = project(data.initial_stock, supply, data.demand)
    x = np.zeros(m.n_cols)
    P, T = wafers.shape
    x[m.w.ravel()] = wafers.ravel()
    x[m.w.ravel() + P * T] = stock.ravel()
    x[m.b.ravel()] = backlog.ravel()
    for (p, q), col in m.shortfall.items():
        x[col] = max(lp.target[p, q] - stock[p, lp.ends[q]], 0.0)
    return x, stock


def _activity(m, x):
    return csc_matrix((m.value, m.index, m.start), shape=(m.n_rows, m.n_cols)) @ x


def test_a_plan_from_the_balance_identity_meets_every_row_and_a_wrong_stock_does_not():
    data = make_data(n_products=3, n_quarters=4, seed=5, short=(1,), total_factor=0.9)
    lp = _lp(data, ramp=1e9, smooth=False)
    P = data.n_products
    m = build_model(lp, np.arange(P))
    wafers = 0.5 * data.capacity
    x, _ = _point(data, lp, m, wafers)
    act = _activity(m, x)
    scale = np.maximum(1.0, np.abs(m.row_lo[np.isfinite(m.row_lo)]).max())
    assert (act >= m.row_lo - 1e-9 * scale).all() and (act <= m.row_hi + 1e-9 * scale).all()
    assert (x >= m.col_lo).all() and (x <= m.col_hi).all()
    x[m.w.ravel()[5] + P * data.n_weeks] += 1e6  # one week's stock off by a megabyte
    act = _activity(m, x)
    assert ((act < m.row_lo - 1.0) | (act > m.row_hi + 1.0)).sum() == 2  # that week's row and the next


def test_shortfall_columns_are_keyed_by_product_and_quarter_where_a_target_exists():
    data = make_data(n_products=3, n_quarters=4, seed=6)
    target = data.safety_stock.copy()
    target[0, 1] = 0.0  # no target: no shortfall column
    data = dataclasses.replace(data, safety_stock=target)  # PlanningData is frozen: a changed copy
    lp = _lp(data)
    m = build_model(lp, np.arange(3))
    expected = {(p, q) for p in range(3) for q in range(4) if data.safety_stock[p, q] > 0}
    assert set(m.shortfall) == expected and (0, 1) not in m.shortfall
    assert sorted(m.shortfall.values()) == sorted(m.stage_cols["safety_stock"].tolist())
    one = build_model(lp, np.array([2]))  # a block keys its columns by the data's product index
    assert set(one.shortfall) == {k for k in expected if k[0] == 2} != set()


def test_smoothing_columns_bound_the_week_to_week_change():
    data = make_data(n_products=2, n_quarters=2, seed=7)
    lp = _lp(data, smooth=True)
    m = build_model(lp, np.arange(2))
    wafers = data.capacity * np.where(np.arange(data.n_weeks) % 2, 0.2, 0.8)  # zig-zag
    x, _ = _point(data, lp, m, wafers)
    v = m.stage_cols["variation"].reshape(2, -1)
    x[v] = np.abs(np.diff(wafers, axis=1))
    act = _activity(m, x)
    assert (act >= m.row_lo - 1e-3).all()
    x[v[0, 3]] *= 0.5  # below the change it must cover
    assert (_activity(m, x) < m.row_lo - 1e-3).sum() == 1


def test_products_outside_the_binding_weeks_are_their_own_blocks():
    data = make_data(n_products=3, n_quarters=2, seed=8, total_factor=0.8)
    lp = _lp(data)
    assert lp.binding.any()
    cap = data.capacity.copy()
    cap[2, lp.binding] = 0.0
    lp = LPData(**{**lp.__dict__, "cap": cap})
    assert [b.tolist() for b in blocks_of(lp)] == [[0, 1], [2]]
