"""Plans a fab can run: ramp limits, smoothed starts and frozen weeks, on both solver paths."""

import dataclasses

import numpy as np
import pytest
from synth import make_data
from test_optimize import assert_feasible

from linealytics_xl.core.explain import summarize
from linealytics_xl.core.lp_model import total_variation
from linealytics_xl.core.model import InputError
from linealytics_xl.core.optimize import FIX_ABS, PlanOptions, byte_unit, optimize
from linealytics_xl.core.settings import Settings, settings_from_rows


def _parsed(rows):
    """The settings and their issues, as `settings_from_rows` reads them."""
    sheet = settings_from_rows(rows)
    return sheet.settings, sheet.issues


STAGES = ("backlog", "safety_stock", "wafers")
SOLVERS = [
    "cbc",
    pytest.param(
        "highs",
        marks=pytest.mark.skipif(
            not __import__("importlib").util.find_spec("highspy"), reason="highspy not installed"
        ),
    ),
]


def steps(wafers: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(wafers, axis=-1))


def within_stage_tolerance(value: float, reference: float, scale: float, tol: float = 1e-7) -> bool:
    """A fixed stage may end up to ``tol * |optimum| + FIX_ABS`` (scaled units) above its optimum."""
    return abs(value - reference) <= 2 * (tol * abs(reference) + FIX_ABS * scale)


# ---- ramp limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_ramp_limit_bounds_every_weekly_change_and_the_plan_stays_feasible(solver):
    data = make_data(n_products=3, short=(0,), seed=1, load=0.5)
    free = optimize(data, options=PlanOptions(solver=solver))
    assert steps(free.wafers).max() > 500  # without a limit the plan jumps
    r = optimize(data, options=PlanOptions(solver=solver, ramp_wafers=100))
    assert r.status == "optimal"
    assert steps(r.wafers).max() <= 100 + 1e-6
    assert_feasible(data, r)
    # a limit costs service, never buys it
    assert r.objectives["backlog"] >= free.objectives["backlog"] * (1 - 1e-7)


@pytest.mark.parametrize("seed,total", [(1, None), (2, 1.0), (3, 0.95)])
def test_cbc_and_highs_agree_with_a_ramp_limit(seed, total):
    pytest.importorskip("highspy")
    data = make_data(n_products=3, short=(0,), seed=seed, total_factor=total, load=0.5)
    a = optimize(data, options=PlanOptions(solver="cbc", ramp_wafers=150))
    b = optimize(data, options=PlanOptions(solver="highs", ramp_wafers=150))
    assert a.status == b.status == "optimal"
    for stage in STAGES:
        assert a.objectives[stage] == pytest.approx(b.objectives[stage], rel=1e-6, abs=1e-3)
    assert steps(b.wafers).max() <= 150 + 1e-6
    assert_feasible(data, b)


def test_zero_ramp_is_no_limit():
    data = make_data(n_products=2, seed=4, load=0.7)
    a = optimize(data)
    b = optimize(data, options=PlanOptions(ramp_wafers=0))
    assert a.wafers.tobytes() == b.wafers.tobytes()
    assert b.ramp_wafers is None


def test_ramp_limit_in_whole_lots():
    data = make_data(n_products=2, n_quarters=3, seed=2, load=0.7)
    r = optimize(data, options=PlanOptions(solver="cbc", lot_size_wafers=25, ramp_wafers=60))
    assert_feasible(data, r, lot=25)
    assert steps(r.wafers).max() <= 50 + 1e-6  # two lots: a third would step 75 > 60


def test_summary_says_the_ramp_limit_binds_when_it_causes_the_backlog():
    data = make_data(n_products=3, seed=1, load=0.9, wos=0.5)
    free = summarize(data, optimize(data))
    r = optimize(data, options=PlanOptions(ramp_wafers=5))
    ramped = summarize(data, r)
    newly_short = [
        i for i, (f, s) in enumerate(zip(free, ramped)) if not f.weeks_with_backlog and s.weeks_with_backlog
    ]
    assert newly_short, "the case must have a product the ramp makes short"
    for i in newly_short:
        s = ramped[i]
        assert s.binding == "ramp limit"
        assert "ramp limit binds" in s.message and "larger ramp limit" in s.message
        assert s.weeks_at_capacity < (steps(r.wafers[i]) >= 5 - 1e-6).sum()
    # without a limit the cause stays capacity
    assert all(f.binding in ("", "product capacity", "total capacity") for f in free)


# ---- smooth plans -------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_smoothing_keeps_every_priority_and_lowers_the_total_variation(solver):
    data = make_data(n_products=3, short=(0,), seed=1, load=0.5)
    base = optimize(data, options=PlanOptions(solver=solver))
    r = optimize(data, options=PlanOptions(solver=solver, smooth=True))
    assert r.status == "optimal"
    unit = byte_unit(data.demand)
    for stage, scale in zip(STAGES, (unit, unit, 1.0)):
        assert within_stage_tolerance(r.objectives[stage], base.objectives[stage], scale), stage
    # the plan itself (not only the solver's figures): wafers and backlog no worse than the optimum
    assert within_stage_tolerance(r.wafers.sum(), base.objectives["wafers"], 1.0)
    assert r.backlog.sum() <= base.backlog.sum() * (1 + 2e-7) + 2 * FIX_ABS * unit * data.n_weeks
    assert_feasible(data, r)
    assert r.objectives["variation"] == pytest.approx(total_variation(r.wafers), rel=1e-6)
    assert r.objectives["variation"] < r.objectives["variation_before"] - 1000
    assert total_variation(r.wafers) < total_variation(base.wafers) - 1000
    assert "solve_variation" in r.timings


def test_smoothing_with_a_ramp_limit_keeps_the_limit():
    data = make_data(n_products=3, short=(0,), seed=2, load=0.5, total_factor=1.0)
    r = optimize(data, options=PlanOptions(ramp_wafers=150, smooth=True))
    assert steps(r.wafers).max() <= 150 + 1e-6
    assert r.objectives["variation"] <= r.objectives["variation_before"] + 1e-6
    assert_feasible(data, r)


def test_defaults_leave_the_plan_as_it_was():
    data = make_data(n_products=3, short=(0,), seed=1, load=0.5)
    r = optimize(data)
    assert set(r.objectives) == set(STAGES)
    assert "solve_variation" not in r.timings


@pytest.mark.parametrize("solver", SOLVERS)
def test_all_options_on_give_the_same_plan_bit_for_bit(solver):
    data = make_data(n_products=3, short=(0,), seed=3, load=0.5, total_factor=0.95)
    first = optimize(data, options=PlanOptions(solver=solver))
    opts = PlanOptions(solver=solver, ramp_wafers=300, smooth=True, frozen_weeks=3)
    frozen = np.floor(first.wafers[:, :3] * 0.5)  # whole wafers, within every capacity
    a = optimize(data, options=opts, frozen=frozen)
    b = optimize(data, options=opts, frozen=frozen)
    assert a.wafers.tobytes() == b.wafers.tobytes()
    assert a.objectives == b.objectives


# ---- frozen weeks -------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_frozen_weeks_keep_the_previous_starts_and_the_rest_is_replanned(solver):
    data = make_data(n_products=3, short=(0,), seed=1, load=0.5)
    base = optimize(data, options=PlanOptions(solver=solver))
    F = 6
    previous = np.round(base.wafers[:, :F] * 0.5)  # last plan started half as much
    r = optimize(data, options=PlanOptions(solver=solver, frozen_weeks=F), frozen=previous)
    assert r.status == "optimal"
    np.testing.assert_allclose(r.wafers[:, :F], previous, atol=1e-6)
    assert_feasible(data, r)
    # the free weeks re-optimise: they differ from the unfrozen plan, and make up for the shortfall
    assert np.abs(r.wafers[:, F:] - base.wafers[:, F:]).max() > 100
    assert r.wafers[:, F:].sum() > base.wafers[:, F:].sum()
    assert r.objectives["backlog"] >= base.objectives["backlog"] * (1 - 1e-7)


def test_freezing_the_optimal_starts_keeps_the_optimum():
    data = make_data(n_products=3, short=(0,), seed=1, load=0.5)
    base = optimize(data, options=PlanOptions(solver="cbc"))
    r = optimize(data, options=PlanOptions(solver="cbc", frozen_weeks=5), frozen=base.wafers)
    np.testing.assert_allclose(r.wafers[:, :5], base.wafers[:, :5], atol=1e-6)
    for stage in STAGES:
        assert r.objectives[stage] == pytest.approx(base.objectives[stage], rel=1e-6, abs=1e-3)


def test_ramp_counts_from_the_last_frozen_week():
    data = make_data(n_products=2, seed=4, load=0.7)
    previous = np.array([[0.0, 500.0, 0.0, 0.0], [0.0] * 4])  # frozen weeks may step by more than the limit
    r = optimize(data, options=PlanOptions(frozen_weeks=4, ramp_wafers=50), frozen=previous)
    np.testing.assert_allclose(r.wafers[:, :4], previous, atol=1e-6)
    assert r.wafers[:, 4].max() <= 50 + 1e-6
    assert steps(r.wafers[:, 3:]).max() <= 50 + 1e-6


def test_frozen_starts_the_data_cannot_hold_stop_the_run():
    data = make_data(n_products=2, seed=4, load=0.7)
    with pytest.raises(InputError, match="no previous plan") as err:
        optimize(data, options=PlanOptions(frozen_weeks=2))
    assert err.value.issues[0].sheet == "Settings" and "frozen_weeks" in err.value.issues[0].message
    too_many = data.capacity[:, :2].copy()
    too_many[1, 1] += 10
    with pytest.raises(InputError, match=r"P2 in week 2 .* exceed its capacity"):
        optimize(data, options=PlanOptions(frozen_weeks=2), frozen=too_many)
    with pytest.raises(InputError, match="must be"):
        optimize(data, options=PlanOptions(frozen_weeks=3), frozen=data.capacity[:, :2])
    high = np.floor(data.capacity[:, :2])
    high[1] = 0.0
    high[0, 1] = data.capacity[0, 2] + 200
    capacity = data.capacity.copy()  # PlanningData is frozen
    capacity[0, 1] = high[0, 1]
    data = dataclasses.replace(data, capacity=capacity)
    with pytest.raises(InputError, match=r"ramp limit of 50 wafers, P1 cannot come down .* week 3"):
        optimize(data, options=PlanOptions(frozen_weeks=2, ramp_wafers=50), frozen=high)
    optimize(
        data, options=PlanOptions(frozen_weeks=2, ramp_wafers=250), frozen=high
    )  # one step down is enough
    with pytest.raises(InputError, match="whole lots"):
        optimize(data, options=PlanOptions(frozen_weeks=1, lot_size_wafers=25), frozen=np.full((2, 1), 30.0))


# ---- settings -----------------------------------------------------------------------------------


def test_settings_map_to_plan_options_and_blank_means_off():
    s, issues = _parsed([(1, "ramp_wafers", 120), (2, "smooth", True), (3, "frozen_weeks", 4)])
    assert not issues
    o = s.plan_options()
    assert (o.ramp_wafers, o.smooth, o.frozen_weeks) == (120, True, 4)
    s, issues = _parsed([(1, "ramp_wafers", None), (2, "frozen_weeks", None)])
    assert not issues and s.plan_options().ramp_wafers is None and s.plan_options().frozen_weeks == 0
    assert Settings(ramp_wafers=0).plan_options().ramp_wafers is None
    assert not Settings().plan_options().smooth


def test_bad_ramp_setting_names_its_cell():
    _, issues = _parsed([(6, "ramp_wafers", -5)])
    assert [(i.sheet, i.cell) for i in issues] == [("Settings", "B7")]
    assert "ramp_wafers" in issues[0].message and "-5" in issues[0].message


def test_frozen_weeks_keep_the_previous_runs_starts_in_the_workbook(tmp_path):
    """A re-plan with frozen_weeks keeps the first weeks of the LL_Plan already in the workbook,
    even when the inputs changed meanwhile; the weeks after them are planned anew."""
    import shutil
    from pathlib import Path

    import openpyxl

    from linealytics_xl import jobs

    src = Path(__file__).resolve().parents[1] / "workbook" / "planning.xlsx"
    path = tmp_path / "plan.xlsx"
    shutil.copyfile(src, path)
    first = jobs.plan(path, overrides={"forecast": False, "simulate": False})
    wb = openpyxl.load_workbook(path)
    ws = wb["Boundary Conditions"]
    changed = 0
    for row in ws.iter_rows():
        if len(row) > 1 and row[1].value == "Available Capacity" and row[0].value not in (None, "Total"):
            for cell in row[2:]:
                if isinstance(cell.value, (int, float)):
                    cell.value = cell.value * 0.5
                    changed += 1
    assert changed > 0
    wb.save(path)
    from linealytics_xl.core.model import InputError

    with pytest.raises(InputError, match="frozen"):  # halved capacity cannot hold the released starts
        jobs.plan(path, overrides={"forecast": False, "simulate": False, "frozen_weeks": 3})
    shutil.copyfile(src, path)
    first = jobs.plan(path, overrides={"forecast": False, "simulate": False})
    again = jobs.plan(
        path, overrides={"forecast": False, "simulate": False, "frozen_weeks": 3, "ramp_wafers": 500}
    )
    np.testing.assert_array_equal(again.outcome.result.wafers[:, :3], first.outcome.result.wafers[:, :3])
    steps = np.abs(np.diff(again.outcome.result.wafers[:, 2:], axis=1))
    assert steps.max() <= 500 + 1e-6
