"""PlanningData: frozen, read-only arrays, shapes checked, and built by one rule everywhere."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from synth import make_data

from linealytics_xl import udf_args as X
from linealytics_xl.core.model import Issue, PlanningData
from linealytics_xl.core.weekly import safety_stock_targets, weekly_demand


def test_planning_data_cannot_be_changed_in_place():
    data = make_data(n_products=2, n_quarters=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.demand = data.demand * 2
    for name in ("demand", "capacity", "yields", "safety_stock", "week_quarter", "week_ratios"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(data, name)[0, ...] = 0
    assert isinstance(data.warnings, tuple)


def test_real_workbook_data_is_frozen_and_its_derived_arrays_follow_the_rule(real_data):
    with pytest.raises(ValueError, match="read-only"):
        real_data.capacity[0, 0] = 1.0
    np.testing.assert_array_equal(
        real_data.demand,
        weekly_demand(real_data.quarterly_demand, real_data.week_quarter, real_data.week_ratios),
    )
    np.testing.assert_array_equal(
        real_data.safety_stock, safety_stock_targets(real_data.wos, real_data.quarterly_demand)
    )
    again = real_data.with_inputs()  # re-derived from its own raw inputs: the same object's values
    for name in ("demand", "safety_stock", "total_capacity", "capacity", "quarterly_demand"):
        np.testing.assert_array_equal(getattr(again, name), getattr(real_data, name))
    assert again.warnings == real_data.warnings


def test_a_shape_that_disagrees_with_the_axes_is_refused_by_build_and_replace():
    data = make_data(n_products=2, n_quarters=2)
    with pytest.raises(ValueError, match=r"capacity must have shape \(2, 26\), found \(2, 25\)"):
        dataclasses.replace(data, capacity=np.zeros((2, 25)))
    with pytest.raises(ValueError, match="density must have shape"):
        data.with_inputs(density=np.ones(3))
    with pytest.raises(ValueError, match="week_quarter must index into quarters"):
        data.with_inputs(week_quarter=np.full(data.n_weeks, 5))


def test_a_changed_input_changes_what_is_derived_from_it():
    data = make_data(n_products=2, n_quarters=3)
    wos = np.array(data.wos, copy=True)
    wos[0, 0] = 4.0
    changed = data.with_inputs(wos=wos, quarterly_demand=data.quarterly_demand * 2)
    np.testing.assert_allclose(changed.demand, data.demand * 2)
    assert changed.safety_stock[0, 0] == pytest.approx(4.0 * 2 * data.quarterly_demand[0, 1] / 13)
    assert data.safety_stock[0, 0] != changed.safety_stock[0, 0]  # the original is untouched


def test_warnings_are_added_on_a_new_object():
    data = make_data(n_products=1, n_quarters=2)
    issue = Issue("warning", "Settings", "B2", "expected a number")
    more = data.with_warnings([issue])
    assert more.warnings == (issue,) and data.warnings == ()
    assert more.demand is data.demand  # read-only arrays are shared, not copied


def test_worksheet_function_data_derives_quarters_from_weekly_demand():
    request = X.plan_request([[1.0, 2.0, 3.0, 4.0, 5.0]], 0.9, 1e9, 10.0, options_value="weeks_per_quarter=2")
    data = request.data
    assert data.quarters == ("Quarter 1", "Quarter 2", "Quarter 3")
    np.testing.assert_array_equal(data.quarterly_demand, [[3.0, 7.0, 5.0]])
    np.testing.assert_allclose(data.week_ratios, [1 / 3, 2 / 3])
    np.testing.assert_array_equal(data.safety_stock, np.zeros((1, 3)))
    assert np.all(np.isinf(data.total_capacity))
    with pytest.raises(ValueError, match="read-only"):
        data.demand[0, 0] = 0.0


def test_build_needs_weekly_or_quarterly_demand():
    data = make_data(n_products=1, n_quarters=1)
    with pytest.raises(ValueError, match="weekly demand or quarterly demand and ratios"):
        PlanningData.build(
            products=data.products,
            weeks=data.weeks,
            quarters=data.quarters,
            week_quarter=data.week_quarter,
            yields=data.yields,
            density=data.density,
            capacity=data.capacity,
            initial_stock=data.initial_stock,
            quarterly_demand=data.quarterly_demand,
        )
