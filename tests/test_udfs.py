"""Worksheet functions (linealytics_xl/udfs.py) called with the values Excel hands them: scalars,
flat lists (a single row or column), lists of rows, None for blanks, datetimes and serial numbers,
error text and bad input. Results are checked against the core called directly; the argument
parsing (linealytics_xl/udf_args/) is tested for every shape on its own.

The last tests run the functions through xlwings' own conversion and dispatch code (the
Office.js/Server path, in a subprocess with the noncommercial key set only there): the classic
Windows path (xlwings.udfs.call_udf through COM) needs Excel and cannot run here."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from synth import RATIOS, make_data

from linealytics_xl import __version__, udfs
from linealytics_xl import udf_args as X
from linealytics_xl.core.balance import project
from linealytics_xl.core.optimize import PlanOptions, optimize
from linealytics_xl.core.weekly import weekly_demand
from linealytics_xl.udf_args import ArgumentError

REPO = Path(__file__).resolve().parents[1]


def nums(spill, rows=slice(1, None), first_col=2) -> np.ndarray:
    """The numeric block of a spilled result (below the header, right of the label columns)."""
    return np.array([r[first_col:] for r in spill[rows]], dtype=float)


def message(result) -> str:
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    assert isinstance(result[0][0], str)
    return result[0][0]


# ---------------------------------------------------------------------------------------------
# Argument shapes (udf_args/)
# ---------------------------------------------------------------------------------------------


def test_as_grid_knows_every_shape_excel_hands_over():
    assert X.as_grid(5.0, "x") == ([[5.0]], 0)
    assert X.as_grid(None, "x") == ([[None]], 0)
    assert X.as_grid([1.0, 2.0], "x") == ([[1.0, 2.0]], 1)
    assert X.as_grid([[1.0, 2.0], [3.0, None]], "x") == ([[1.0, 2.0], [3.0, None]], 2)
    assert X.as_grid((1, 2), "x") == ([[1, 2]], 1)
    assert X.as_grid(np.array([[1.0], [2.0]]), "x") == ([[1.0], [2.0]], 2)
    with pytest.raises(ArgumentError, match="x must be a rectangular range"):
        X.as_grid([[1.0, 2.0], [3.0]], "x")
    with pytest.raises(ArgumentError, match="mix of cells and rows"):
        X.as_grid([1.0, [2.0]], "x")


def test_numbers_rule_and_where_the_bad_cell_is():
    assert X.numbers(3, "x").shape == ()
    np.testing.assert_array_equal(X.numbers([1, 2.5], "x"), [1.0, 2.5])
    np.testing.assert_array_equal(X.numbers([[1, 2], [3, 4]], "x"), [[1, 2], [3, 4]])
    cases = [
        ([1.0, "abc"], "capacity must be numbers >= 0 (found 'abc' at position 2)"),
        ([[1.0, 2.0], [3.0, -1.0]], "capacity must be numbers >= 0 (found -1 in row 2, column 2)"),
        ([[1.0, None]], "capacity must be numbers >= 0 (found an empty cell in row 1, column 2)"),
        ([1.0, "#N/A"], "capacity must be numbers >= 0 (found the error value #N/A at position 2)"),
        ([1.0, True], "capacity must be numbers >= 0 (found TRUE at position 2)"),
        (
            [datetime(2025, 3, 3), 1.0],
            "capacity must be numbers >= 0 (found the date 2025-03-03 at position 1)",
        ),
        ("abc", "capacity must be numbers >= 0 (found 'abc')"),
        (float("nan"), "capacity must be numbers >= 0 (found nan)"),
    ]
    for value, text in cases:
        with pytest.raises(ArgumentError) as info:
            X.numbers(value, "capacity")
        assert str(info.value) == text
    with pytest.raises(
        ArgumentError, match=r"yields must be numbers > 0 and <= 1 \(found 1.2 at position 1\)"
    ):
        X.numbers([1.2], "yields", X.FRACTION)
    np.testing.assert_array_equal(X.numbers([None, 2.0], "x", X.NONNEGATIVE_BLANK_ZERO), [0.0, 2.0])


def test_product_table_shapes_labels_and_trimming():
    t = X.product_table(7.0, "demand")
    assert t.values.shape == (1, 1) and t.labels == ("Product",)
    t = X.product_table([1.0, 2.0, 3.0], "demand")  # a single row or column: one product
    assert t.values.tolist() == [[1.0, 2.0, 3.0]] and not t.named
    t = X.product_table([[1.0, 2.0], [3.0, 4.0]], "demand")
    assert t.labels == ("Product 1", "Product 2") and t.values.tolist() == [[1, 2], [3, 4]]
    t = X.product_table([["21A", 1.0, None], ["22B", 3.0, 4.0]], "demand")  # names; a blank inside is 0
    assert t.named and t.labels == ("21A", "22B") and t.values.tolist() == [[1, 0], [3, 4]]
    t = X.product_table(["21A", 5.0, 6.0], "demand")  # a named single row
    assert t.labels == ("21A",) and t.values.tolist() == [[5.0, 6.0]]
    t = X.product_table([[1.0, 2.0, None], [3.0, 4.0, None], [None, None, None]], "demand")
    assert t.values.shape == (2, 2)  # a range selected generously
    with pytest.raises(ArgumentError, match="product '21A' is named twice"):
        X.product_table([["21A", 1.0], ["21A", 2.0]], "demand")
    with pytest.raises(ArgumentError, match=r"demand must be numbers >= 0 \(found 'x' in row 2, column 3\)"):
        X.product_table([["21A", 1.0, 2.0], ["22B", 3.0, "x"]], "demand")
    with pytest.raises(ArgumentError, match="demand is empty"):
        X.product_table([[None, None]], "demand")


def test_per_product_and_per_product_week_shapes():
    np.testing.assert_array_equal(X.per_product(2.0, "density", 3), [2, 2, 2])
    np.testing.assert_array_equal(X.per_product([1.0, 2.0, 3.0], "density", 3), [1, 2, 3])
    np.testing.assert_array_equal(X.per_product([[1.0], [2.0], [3.0]], "density", 3), [1, 2, 3])
    np.testing.assert_array_equal(X.per_product([["21A", 1.0], ["22B", 2.0]], "density", 2), [1, 2])
    np.testing.assert_array_equal(X.per_product(None, "initial_stock", 2, default=0.0), [0, 0])
    with pytest.raises(
        ArgumentError, match=r"density must be one value or one per product \(3\); found 2 values"
    ):
        X.per_product([1.0, 2.0], "density", 3)

    P, T = 2, 5
    full = [[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]]
    assert X.per_product_week(0.9, "y", P, T).tolist() == [[0.9] * 5] * 2
    assert X.per_product_week([0.8, 0.9], "y", P, T).tolist() == [[0.8] * 5, [0.9] * 5]  # one per product
    assert X.per_product_week(full[0], "y", P, T).tolist() == [full[0], full[0]]  # one per week
    assert X.per_product_week(full, "y", P, T).tolist() == full
    assert X.per_product_week([[0.8], [0.9]], "y", P, T).tolist() == [[0.8] * 5, [0.9] * 5]
    assert X.per_product_week([full[0]], "y", P, T).tolist() == [full[0], full[0]]  # a 1 x T range
    assert X.per_product_week([["a", *full[0]], ["b", *full[1]]], "y", P, T).tolist() == full
    assert X.per_product_week(full[0], "y", 1, T).tolist() == [full[0]]  # one product: weeks
    with pytest.raises(
        ArgumentError,
        match=r"y must be one value, one per product \(2\), one per week \(5\) "
        r"or 2 row\(s\) x 5 column\(s\); found 3 values",
    ):
        X.per_product_week([1.0, 2.0, 3.0], "y", P, T)
    with pytest.raises(ArgumentError, match=r"found 2 row\(s\) x 4 column\(s\)"):
        X.per_product_week([r[:4] for r in full], "y", P, T)


def test_integers_probabilities_and_text():
    assert X.integer(13, "h") == 13 and X.integer(13.0, "h") == 13 and X.integer([[13.0]], "h") == 13
    assert X.integer(None, "h", default=4) == 4
    with pytest.raises(ArgumentError, match=r"h must be a whole number >= 1 \(found 13.5\)"):
        X.integer(13.5, "h", minimum=1)
    with pytest.raises(ArgumentError, match=r"h must be a whole number >= 1 \(found 0\)"):
        X.integer(0, "h", minimum=1)
    with pytest.raises(ArgumentError, match="h must be a single whole number, found a range"):
        X.integer([1, 2], "h")
    assert X.probabilities([0.9, 0.1, 0.5, 0.1], "q") == (0.1, 0.5, 0.9)
    assert X.probabilities([[0.1], [None], [0.9]], "q") == (0.1, 0.9)
    assert X.probabilities(0.5, "q") == (0.5,)
    with pytest.raises(
        ArgumentError, match=r"q must be probabilities between 0 and 1 .*found 1 at position 2"
    ):
        X.probabilities([0.1, 1.0], "q")
    assert X.number([[3.0]], "n") == 3.0 and X.number(None, "n", default=2.5) == 2.5
    with pytest.raises(ArgumentError, match=r"n must be a number > 0 and < 1 \(found 'half'\)"):
        X.number("half", "n", X.Rule(minimum=0, minimum_exclusive=True, maximum=1, maximum_exclusive=True))
    with pytest.raises(ArgumentError, match="n must be a single number, found a range"):
        X.number([1.0, 2.0], "n")
    assert X.text(" HiGHS ", "solver", ("cbc", "highs")) == "highs"
    with pytest.raises(ArgumentError, match="solver must be one of cbc, highs; found 'gurobi'"):
        X.text("gurobi", "solver", ("cbc", "highs"))


def test_dates_from_cells_serials_and_text():
    assert X.excel_date(datetime(2025, 3, 3, 0, 0), "start") == date(2025, 3, 3)
    assert X.excel_date(date(2025, 3, 3), "start") == date(2025, 3, 3)
    assert X.excel_date(45719.0, "start") == date(2025, 3, 3)  # =DATE(2025,3,3) passed by value
    assert X.excel_date(45719, "start") == date(2025, 3, 3)  # ints on the Office.js path
    assert X.excel_date(61, "start") == date(1900, 3, 1)
    assert X.excel_date("2025-03-03", "start") == date(2025, 3, 3)
    assert X.excel_date("2025-03-03T00:00:00.000Z", "start") == date(2025, 3, 3)
    assert X.excel_date("03-03-25", "start") == date(2025, 3, 3)  # the workbook's mm-dd-yy text
    for bad in (60, -1.0, "next monday", True, [45719.0, 1.0]):
        with pytest.raises(ArgumentError, match="start must be a date"):
            X.excel_date(bad, "start")


def test_options_in_every_shape_excel_can_pass():
    known = X.PLAN_OPTIONS
    words = X.PLAN_ROWS
    assert X.options(None, "options", known, words) == ({}, ())
    assert X.options("Stock, backlog", "options", known, words) == ({}, ("stock", "backlog"))
    assert X.options("stock; cycle_time_weeks=2", "options", known, words) == (
        {"cycle_time_weeks": 2},
        ("stock",),
    )
    pairs = [["Cycle time weeks", 2.0], ["show", "backlog, stock"], [None, None], ["solver", "HiGHS"]]
    assert X.options(pairs, "options", known, words) == (
        {"cycle_time_weeks": 2, "solver": "highs"},
        ("backlog", "stock"),
    )
    assert X.options(["lot_size_wafers", 25.0], "options", known, words) == ({"lot_size_wafers": 25.0}, ())
    assert X.options(["stock", "backlog"], "options", known, words) == ({}, ("stock", "backlog"))
    got, _ = X.options([["start", datetime(2025, 3, 3)]], "options", known, words)
    assert got == {"start": date(2025, 3, 3)}
    got, _ = X.options("start=45719", "options", known, words)
    assert got == {"start": date(2025, 3, 3)}
    with pytest.raises(ArgumentError, match="options: unknown word 'stok'"):
        X.options("stok", "options", known, words)
    with pytest.raises(ArgumentError, match="options: unknown option 'cycle' in row 1"):
        X.options([["cycle", 2]], "options", known, words)
    with pytest.raises(
        ArgumentError, match=r"options: cycle_time_weeks must be a whole number >= 0 and <= 52 \(found 2.5\)"
    ):
        X.options("cycle_time_weeks=2.5", "options", known, words)
    with pytest.raises(ArgumentError, match="option 'solver' needs a value"):
        X.options("solver", "options", known, words)
    with pytest.raises(ArgumentError, match="option 'solver' given twice"):
        X.options([["solver", "cbc"], ["solver", "highs"]], "options", known, words)
    with pytest.raises(ArgumentError, match="two-column range"):
        X.options([[1, 2, 3], [4, 5, 6]], "options", known, words)


def test_spill_cleans_values_and_checks_the_shape():
    out = X.spill(["a", "b"], [[np.float64(1.5), np.nan], [None, np.int64(2)]])
    assert out == [["a", "b"], [1.5, ""], ["", 2.0]]
    assert all(type(v) in (str, float) for row in out for v in row)
    with pytest.raises(ValueError):
        X.spill(["a", "b"], [[1.0]])


# ---------------------------------------------------------------------------------------------
# LL_WEEKLY
# ---------------------------------------------------------------------------------------------


def test_ll_weekly_equals_the_core_split_and_keeps_each_quarter():
    q = [[1300.0, 2600.0, 1400.0], [13.0, 0.0, 26.0]]
    out = udfs.LL_WEEKLY(q, list(RATIOS), [13, 13, 14])
    week_quarter = np.repeat(np.arange(3), [13, 13, 14])
    expected = weekly_demand(np.array(q), week_quarter, RATIOS)
    assert out[0] == ["Product"] + [f"Week {k}" for k in range(1, 41)]
    assert [r[0] for r in out[1:]] == ["Product 1", "Product 2"]
    got = nums(out, first_col=1)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.add.reduceat(got, [0, 13, 26], axis=1), q)


def test_ll_weekly_shapes_dates_and_errors():
    ratios_column = [[r] for r in RATIOS]  # the ratios as a column (a 2-D range)
    one = udfs.LL_WEEKLY([130.0, 260.0], ratios_column)  # a single row of quarters: one product
    assert len(one) == 2 and len(one[0]) == 27
    np.testing.assert_allclose(
        nums(one, first_col=1)[0], weekly_demand(np.array([[130.0, 260.0]]), np.repeat([0, 1], 13), RATIOS)[0]
    )
    by_datetime = udfs.LL_WEEKLY(130.0, list(RATIOS), 13, datetime(2025, 3, 3))
    by_serial = udfs.LL_WEEKLY(130.0, list(RATIOS), 13, 45719.0)
    assert by_datetime[0] == by_serial[0]
    assert by_datetime[0][1:3] == ["2025-03-03", "2025-03-10"]
    named = udfs.LL_WEEKLY([["21A", 130.0], ["22B", 26.0]], list(RATIOS))
    assert [r[0] for r in named[1:]] == ["21A", "22B"]
    assert message(udfs.LL_WEEKLY(130.0, [0.5, 0.4])) == "LL_WEEKLY: ratios must add up to 1, found 0.9"
    assert (
        message(udfs.LL_WEEKLY([130.0, "n/a"], list(RATIOS)))
        == "LL_WEEKLY: quarterly_demand must be numbers >= 0 (found 'n/a' at position 2)"
    )
    assert (
        message(udfs.LL_WEEKLY([130.0, 1.0], list(RATIOS), [13, 13, 13]))
        == "LL_WEEKLY: weeks_per_quarter must be one number or one per quarter (2); found 3 values"
    )
    assert message(udfs.LL_WEEKLY(130.0, list(RATIOS), 13, "soon")).startswith(
        "LL_WEEKLY: start must be a date"
    )


# ---------------------------------------------------------------------------------------------
# LL_PLAN
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth():
    return make_data(n_products=3, n_quarters=4, seed=3, short=(2,))


def test_ll_plan_equals_the_core_optimiser_on_the_same_data(synth):
    d = synth
    weekly_sst = d.safety_stock[:, d.week_quarter]
    out = udfs.LL_PLAN(
        d.demand.tolist(),
        d.yields.tolist(),
        d.density.tolist(),
        d.capacity.tolist(),
        d.initial_stock.tolist(),
        weekly_sst.tolist(),
        "stock, backlog",
    )
    direct = optimize(d)
    P, T = d.demand.shape
    assert out[0] == ["Product", "Measure"] + [f"Week {k}" for k in range(1, T + 1)]
    assert [r[1] for r in out[1:]] == ["Wafers"] * P + ["Stock (bytes)"] * P + ["Backlog (bytes)"] * P
    got = nums(out)
    np.testing.assert_allclose(got[:P], direct.wafers, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[P : 2 * P], direct.stock, rtol=1e-9, atol=1.0)
    np.testing.assert_allclose(got[2 * P :], direct.backlog, rtol=1e-9, atol=1.0)
    # and it is a plan: within capacity, balanced, short where the data says it must be
    assert np.all(got[:P] <= d.capacity + 1e-9) and np.all(got[:P] >= 0)
    stock, _ = project(d.initial_stock, d.yielded_bytes_per_wafer() * got[:P], d.demand)
    np.testing.assert_allclose(got[P : 2 * P], stock, rtol=1e-9, atol=1.0)
    assert got[2 * P :][2, -1] > 0 and got[2 * P :][0, -1] < 1e3  # product 3 was built short


def test_ll_plan_safety_stock_per_quarter_or_per_week_is_the_same_request(synth):
    d = synth
    args = (
        d.demand.tolist(),
        d.yields.tolist(),
        d.density.tolist(),
        d.capacity.tolist(),
        d.initial_stock.tolist(),
    )
    by_week = udfs.LL_PLAN(*args, d.safety_stock[:, d.week_quarter].tolist())
    by_quarter = udfs.LL_PLAN(*args, d.safety_stock.tolist())
    assert by_week == by_quarter
    none = udfs.LL_PLAN(*args)
    assert nums(none).sum() <= nums(by_week).sum() + 1e-6  # targets never save wafers


def test_ll_plan_single_product_as_flat_lists_and_scalars(synth):
    d = synth
    one = replace(
        d,
        products=("P1",),
        quarterly_demand=d.quarterly_demand[:1],
        demand=d.demand[:1],
        yields=d.yields[:1],
        density=d.density[:1],
        capacity=np.full((1, d.n_weeks), 3000.0),
        initial_stock=d.initial_stock[:1],
        wos=d.wos[:1],
        safety_stock=np.zeros((1, len(d.quarters))),
    )
    direct = optimize(one, options=PlanOptions(cycle_time_weeks=2))
    out = udfs.LL_PLAN(
        list(d.demand[0]),
        list(d.yields[0]),
        float(d.density[0]),
        3000.0,
        float(d.initial_stock[0]),
        None,
        [["cycle_time_weeks", 2.0], ["show", "backlog"]],
    )
    assert [r[:2] for r in out[1:]] == [["Product", "Wafers"], ["Product", "Backlog (bytes)"]]
    np.testing.assert_allclose(nums(out)[0], direct.wafers[0], rtol=0, atol=1e-6)
    assert np.all(nums(out)[0][-2:] == 0)  # wafers whose output would land after the horizon: none
    # the same request as a column: orientation does not matter for one product
    column = udfs.LL_PLAN(
        [[v] for v in d.demand[0]],
        [[v] for v in d.yields[0]],
        [[float(d.density[0])]],
        [[3000.0]],
        float(d.initial_stock[0]),
        None,
        "backlog; cycle_time_weeks=2",
    )
    assert column == out


def test_ll_plan_on_the_real_workbook_size(real_data):
    """3 products x 443 weeks: the shape the benchmark measures. Without safety stock targets the
    LP is the core's on the workbook's data with its targets removed."""
    d = real_data
    out = udfs.LL_PLAN(
        [[p, *row] for p, row in zip(d.products, d.demand.tolist())],
        d.yields.tolist(),
        [[p, v] for p, v in zip(d.products, d.density.tolist())],
        d.capacity.tolist(),
        d.initial_stock.tolist(),
        None,
        "backlog",
    )
    assert len(out) == 1 + 2 * 3 and len(out[0]) == 2 + 443
    assert [r[0] for r in out[1:4]] == list(d.products)
    direct = optimize(replace(d, safety_stock=np.zeros_like(d.safety_stock)))
    np.testing.assert_allclose(nums(out)[:3], direct.wafers, rtol=0, atol=1e-6)
    short = dict(zip(d.products, nums(out)[3:, -1]))
    assert short["23C"] > 0.5 * d.demand[d.products.index("23C")].sum()  # 23C cannot be served: said loudly


def test_ll_plan_options_reach_the_optimiser(synth):
    d = synth
    base = (
        d.demand.tolist(),
        d.yields.tolist(),
        d.density.tolist(),
        d.capacity.tolist(),
        d.initial_stock.tolist(),
    )
    req = X.plan_request(
        *base,
        None,
        [
            ["lot_size_wafers", 250],
            ["solver", "HiGHS"],
            ["cycle_time_weeks", 3],
            ["band_low_bytes", 1e9],
            ["band_high_bytes", 5e9],
            ["solver_time_limit_s", 30],
        ],
    )
    assert req.options == PlanOptions(
        solver="highs",
        cycle_time_weeks=3,
        lot_size_wafers=250.0,
        band_low_bytes=1e9,
        band_high_bytes=5e9,
        time_limit_s=30.0,
    )
    cap_total = float(d.capacity.sum(axis=0).min() * 0.5)
    limited = nums(udfs.LL_PLAN(*base, None, [["total_capacity", cap_total]]))
    assert np.all(limited.sum(axis=0) <= cap_total + 1e-6)
    dated = udfs.LL_PLAN(*base, None, [["start", datetime(2025, 3, 3)]])
    assert dated[0][2:4] == ["2025-03-03", "2025-03-10"]
    assert udfs.LL_PLAN(*base, None, "start=45719")[0] == dated[0]


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            dict(capacity=[[3000.0, "abc"]] * 3),
            "LL_PLAN: capacity must be numbers >= 0 (found 'abc' in row 1, column 2)",
        ),
        (dict(density=[1e5, -1.0, 1e5]), "LL_PLAN: density must be numbers > 0 (found -1 at position 2)"),
        (
            dict(density=[1e5, 1e5]),
            "LL_PLAN: density must be one value or one per product (3); found 2 values",
        ),
        (dict(yields=1.5), "LL_PLAN: yields must be numbers > 0 and <= 1 (found 1.5)"),
        (
            dict(yields=[[0.9, "#N/A"]] * 3),
            "LL_PLAN: yields must be numbers > 0 and <= 1 (found the error value #N/A in row 1, column 2)",
        ),
        (dict(initial_stock="lots"), "LL_PLAN: initial_stock must be numbers >= 0 (found 'lots')"),
        (
            dict(options="solver=gurobi"),
            "LL_PLAN: options: solver must be one of auto, cbc, highs; found 'gurobi'",
        ),
        (
            dict(options="band_low_bytes=5; band_high_bytes=1"),
            "LL_PLAN: options: band_high_bytes expected at least band_low_bytes (5): the top of the band is below its bottom (found 1)",
        ),
        (dict(demand=[[None, None]]), "LL_PLAN: demand is empty"),
    ],
)
def test_ll_plan_bad_input_comes_back_as_one_readable_cell(synth, args, expected):
    d = synth
    call = dict(
        demand=d.demand.tolist(),
        yields=d.yields.tolist(),
        density=d.density.tolist(),
        capacity=d.capacity.tolist(),
        initial_stock=None,
        safety_stock=None,
        options=None,
    )
    call.update(args)
    assert message(udfs.LL_PLAN(**call)) == expected


def test_unexpected_errors_are_summarised_and_logged(caplog, monkeypatch):
    import linealytics_xl.core.optimize as opt

    def broken(*_a, **_k):
        raise KeyError("solver vanished")

    monkeypatch.setattr(opt, "optimize", broken)
    text = message(udfs.LL_PLAN([1.0, 2.0], 0.9, 1e5, 10.0))
    assert text == "LL_PLAN: internal error (KeyError: 'solver vanished')"
    assert "Traceback" in caplog.text and "LL_PLAN failed" in caplog.text


# ---------------------------------------------------------------------------------------------
# LL_FORECAST, LL_SCENARIOS, LL_RISK
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> np.ndarray:
    """Two products, 130 weeks: a seasonal quarter shape, a trend, noise."""
    rng = np.random.default_rng(11)
    t = np.arange(130)
    shape = np.tile(np.linspace(0.7, 1.5, 13), 10)
    base = np.vstack([1e9 * (1 + t / 300) * shape, 3e8 * shape[::-1]])
    return np.round(base * rng.uniform(0.9, 1.1, base.shape))


@pytest.fixture(scope="module")
def core_forecast(history):
    from linealytics_xl.core.forecasting import forecast

    return forecast(history, horizon=13, seed=0, products=["A", "B"])


def test_ll_forecast_equals_the_core_forecast_and_its_scenario_bands(history, core_forecast):
    from linealytics_xl.core.scenarios import bootstrap_scenarios, quantiles

    out = udfs.LL_FORECAST([["A", *history[0]], ["B", *history[1]]], 13.0, [0.9, 0.1])
    assert out[0] == ["Product", "Measure", "Model"] + [f"Week +{k}" for k in range(1, 14)]
    assert [r[:2] for r in out[1:]] == [
        ["A", "Forecast"],
        ["B", "Forecast"],
        ["A", "P10"],
        ["B", "P10"],
        ["A", "P90"],
        ["B", "P90"],
    ]
    assert [r[2] for r in out[1:3]] == [core_forecast.choices["A"], core_forecast.choices["B"]]
    got = nums(out, first_col=3)
    np.testing.assert_array_equal(got[:2], core_forecast.forecast)
    scen = bootstrap_scenarios(core_forecast.forecast, core_forecast.errors(), n=1000, block=13, seed=0)
    np.testing.assert_array_equal(got[2:], quantiles(scen, (0.1, 0.9)).reshape(4, 13))
    assert np.all(got[2:4] <= got[4:6])


def test_ll_forecast_single_product_dates_and_errors(history):
    from linealytics_xl.core.forecasting import forecast

    one = udfs.LL_FORECAST([[v] for v in history[0]], 4, None, datetime(2025, 1, 6))
    assert one[0][3:5] == ["2027-07-05", "2027-07-12"]  # 130 weeks after the first history week
    np.testing.assert_array_equal(nums(one, first_col=3)[0], forecast(history[:1], horizon=4).forecast[0])
    assert one[0] == udfs.LL_FORECAST(list(history[0]), 4, None, 45663.0)[0]
    assert message(udfs.LL_FORECAST(list(history[0][:60]), 13)).startswith(
        "LL_FORECAST: history: backtest needs"
    )
    assert (
        message(udfs.LL_FORECAST(list(history[0]), 0))
        == "LL_FORECAST: horizon must be a whole number >= 1 and <= 520 (found 0)"
    )
    assert (
        message(udfs.LL_FORECAST(list(history[0][:10]), 13))
        == "LL_FORECAST: horizon (13 weeks) must be shorter than the history (10 weeks)"
    )
    assert message(udfs.LL_FORECAST(list(history[0]), 13, [0.5, 2.0])).startswith(
        "LL_FORECAST: quantiles must be probabilities between 0 and 1"
    )


def test_ll_scenarios_are_the_core_bootstrap_and_reproducible(history, core_forecast):
    from linealytics_xl.core.scenarios import bootstrap_scenarios

    out = udfs.LL_SCENARIOS([["A", *history[0]], ["B", *history[1]]], 13, 20, 7)
    assert out[0] == ["Product", "Scenario"] + [f"Week +{k}" for k in range(1, 14)]
    assert [r[:2] for r in out[1:3]] == [["A", 1], ["A", 2]] and out[21][:2] == ["B", 1]
    from linealytics_xl.core.forecasting import forecast

    fc = forecast(history, horizon=13, seed=7, products=["A", "B"])
    scen = bootstrap_scenarios(fc.forecast, fc.errors(), n=20, block=13, seed=7)
    got = nums(out)
    np.testing.assert_array_equal(got[:20], scen[:, 0])
    np.testing.assert_array_equal(got[20:], scen[:, 1])
    assert (
        udfs.LL_SCENARIOS(history.tolist(), 13, 20, 7)[1:]
        != udfs.LL_SCENARIOS(history.tolist(), 13, 20, 8)[1:]
    )
    assert (
        message(udfs.LL_SCENARIOS(history.tolist(), 13, 0))
        == "LL_SCENARIOS: count must be a whole number >= 1 and <= 10000 (found 0)"
    )


def test_ll_risk_equals_simulate_plan_on_the_same_scenarios(history, core_forecast):
    from linealytics_xl.core.risk import simulate_plan
    from linealytics_xl.core.scenarios import bootstrap_scenarios

    supply = core_forecast.forecast * np.array([[1.0], [0.8]])  # product B under-supplied
    init = [2e9, 1e8]
    target = np.full((2, 13), 5e8)
    out = udfs.LL_RISK(
        [["A", *history[0]], ["B", *history[1]]],
        [["A", *supply[0]], ["B", *supply[1]]],
        init,
        [[5e8], [5e8]],
        [["scenarios", 500], ["service_level", 0.9], ["lead_weeks", 4]],
    )
    scen = bootstrap_scenarios(core_forecast.forecast, core_forecast.errors(), n=500, block=13, seed=0)
    risk = simulate_plan(supply, np.array(init), scen, target, 0.9, lead_weeks=4)
    measures = [r[1] for r in out[1::2]]
    assert measures == [
        "Stock-out probability",
        "Expected shortage (bytes)",
        "Expected stock (bytes)",
        "Recommended safety stock (bytes)",
        "Below safety stock probability",
        "Fill rate",
    ]
    got = nums(out[:-2])
    for k, expected in enumerate(
        [
            risk.stockout_probability,
            risk.expected_shortage,
            risk.expected_stock,
            risk.safety_stock,
            risk.below_safety_probability,
        ]
    ):
        np.testing.assert_array_equal(got[2 * k : 2 * k + 2], expected)
    assert [r[2] for r in out[-2:]] == list(risk.fill_rate)
    assert all(v == "" for r in out[-2:] for v in r[3:])
    assert risk.fill_rate[1] < risk.fill_rate[0]


def test_ll_risk_bad_input(history):
    supply = [[1e9] * 13, [1e8] * 13]
    assert (
        message(udfs.LL_RISK(history.tolist(), supply[:1]))
        == "LL_RISK: supply has 1 product row(s) but the first argument has 2"
    )
    assert (
        message(
            udfs.LL_RISK([["A", *history[0]], ["B", *history[1]]], [["B", *supply[0]], ["A", *supply[1]]])
        )
        == "LL_RISK: supply names products B, A; expected A, B in that order"
    )
    assert (
        message(udfs.LL_RISK(history.tolist(), supply, None, None, "service_level=1"))
        == "LL_RISK: options: service_level must be a number > 0 and < 1 (found 1)"
    )


# ---------------------------------------------------------------------------------------------
# The module as the add-in sees it
# ---------------------------------------------------------------------------------------------


def test_every_worksheet_function_is_wrapped_documented_and_keeps_its_signature():
    assert udfs.__all__ == ["LL_WEEKLY", "LL_PLAN", "LL_FORECAST", "LL_SCENARIOS", "LL_RISK", "LL_VERSION"]
    for name in udfs.__all__:
        func = getattr(udfs, name)
        assert func.__name__ == name and inspect.getdoc(func), name
        assert hasattr(func, "__wrapped__"), f"{name} is not wrapped by excel_errors"
        params = list(inspect.signature(func).parameters.values())
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params), name
    sig = inspect.signature(udfs.LL_PLAN)
    assert list(sig.parameters) == [
        "demand",
        "yields",
        "density",
        "capacity",
        "initial_stock",
        "safety_stock",
        "options",
    ]
    assert [p.default for p in sig.parameters.values()][4:] == [None, None, None]


def test_ll_version():
    out = udfs.LL_VERSION()
    assert out[0] == ["Component", "Version"]
    assert dict(map(tuple, out[1:]))["Linealytics XL"] == __version__


SERVER_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    import xlwings as xw
    from xlwings.server import custom_functions_call, custom_functions_meta
    from linealytics_xl import udfs

    meta = custom_functions_meta(udfs)
    calls = json.loads(sys.stdin.read())
    results = []
    for name, args in calls:
        data = {"func_name": name, "args": args, "version": xw.__version__, "client": "Office.js",
                "runtime": "1.4", "caller_address": "Sheet1!A1"}
        results.append(asyncio.run(custom_functions_call(data, udfs)))
    print(json.dumps({"meta": meta, "results": results}, default=str))
""")


def test_through_xlwings_own_udf_dispatch(synth, tmp_path):
    """xlwings' decorators record our argument docs and options, and its dispatcher (which turns
    Excel's matrices into scalars and flat lists) calls the functions as Excel would. Office.js
    sends every argument as a list of rows and dates as serial numbers."""
    d = synth
    P = d.n_products

    def col(v):
        return [[x] for x in v]

    calls = [
        [
            "LL_PLAN",
            [
                d.demand.tolist(),
                d.yields.tolist(),
                col(d.density.tolist()),
                d.capacity.tolist(),
                [[None]],
                [[None]],
                [["stock"]],
            ],
        ],
        ["LL_WEEKLY", [[[130.0, 260.0]], col(RATIOS.tolist()), [[None]], [[45719]]]],
        [
            "LL_PLAN",
            [
                d.demand.tolist(),
                [["#N/A"]],
                col(d.density.tolist()),
                d.capacity.tolist(),
                [[None]],
                [[None]],
                [[None]],
            ],
        ],
        ["LL_VERSION", []],
    ]
    env = dict(
        os.environ,
        XLWINGS_ON_SERVER="true",
        XLWINGS_LICENSE_KEY="noncommercial",
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [sys.executable, "-c", SERVER_SCRIPT],
        check=False,
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    functions = {f["id"]: f for f in out["meta"]["functions"]}
    assert set(functions) == set(udfs.__all__)
    for f in functions.values():
        assert f["result"]["dimensionality"] == "matrix"
        for p in f["parameters"]:
            assert not p["description"].startswith("Positional argument"), (f["id"], p["name"])
            assert len(p["description"]) <= 255, (f["id"], p["name"])  # Excel's limit for argument help
    optional = [p["name"] for p in functions["LL_PLAN"]["parameters"] if p.get("optional")]
    assert optional == ["initial_stock", "safety_stock", "options"]

    plan, weekly, bad, version = out["results"]
    direct = udfs.LL_PLAN(
        d.demand.tolist(), d.yields.tolist(), d.density.tolist(), d.capacity.tolist(), None, None, "stock"
    )
    assert plan[0] == direct[0] and len(plan) == 1 + 2 * P
    np.testing.assert_allclose(nums(plan), nums(direct), rtol=1e-12, atol=1e-6)
    assert weekly[0][1:3] == ["2025-03-03", "2025-03-10"]
    np.testing.assert_allclose(
        nums(weekly, first_col=1), nums(udfs.LL_WEEKLY([130.0, 260.0], list(RATIOS)), first_col=1)
    )
    assert bad == [["LL_PLAN: yields must be numbers > 0 and <= 1 (found the error value #N/A)"]]
    assert version[0] == ["Component", "Version"]
