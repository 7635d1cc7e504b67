"""Forecasters, backtest and gate on generated demand with known structure."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from linealytics_xl.core.forecasting import (
    ALL,
    Calendar,
    MovingAverage,
    NotFittedError,
    SeasonalNaive,
    XGBForecaster,
    backtest,
    choose_models,
    default_models,
    forecast,
    mark_chosen,
)
from linealytics_xl.core.model import PlanningData, WeekAxis

FAST = {"n_estimators": 120}  # keeps each fit well under a second

WOQ_SHAPE = np.array([0.6, 0.7, 0.8, 0.8, 0.9, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 1.8])
SIZES = np.array([1e12, 5e13, 3e15])  # products of very different size


def seasonal_trend(T=300, noise=0.02, seed=1):
    """Quarter hockey stick x quarter-of-year x linear growth, small multiplicative noise."""
    rng = np.random.default_rng(seed)
    cal = Calendar.regular(T)
    shape = (
        (1 + 0.004 * np.arange(T))
        * (WOQ_SHAPE / WOQ_SHAPE.mean())[cal.week_of_quarter]
        * np.array([0.8, 1.0, 1.1, 1.3])[cal.quarter_of_year - 1]
    )
    return SIZES[:, None] * shape * (1 + noise * rng.standard_normal((3, T))), cal


def white_noise(T=300, seed=3):
    rng = np.random.default_rng(seed)
    return SIZES[:, None] * (1 + 0.2 * rng.standard_normal((3, T)))


# --- Calendar -------------------------------------------------------------------------------


def _planning(quarters, weeks_per_quarter):
    wq = np.repeat(np.arange(len(quarters)), weeks_per_quarter)
    T = len(wq)
    return PlanningData(
        products=("A",),
        weeks=WeekAxis(tuple(f"WW_{i:02d}" for i in range(T)), tuple(quarters[q] for q in wq), (None,) * T),
        quarters=tuple(quarters),
        week_quarter=wq,
        quarterly_demand=np.ones((1, len(quarters))),
        week_ratios=np.full(13, 1 / 13),
        demand=np.ones((1, T)),
        yields=np.ones((1, T)),
        density=np.ones(1),
        capacity=np.ones((1, T)),
        total_capacity=np.full(T, np.inf),
        initial_stock=np.zeros(1),
        wos=np.ones((1, len(quarters))),
        safety_stock=np.zeros((1, len(quarters))),
    )


def test_calendar_from_planning_handles_14_week_quarter_and_year_wrap():
    data = _planning(["Q3 95", "Q4 95", "Q1 96"], [13, 14, 13])
    cal = Calendar.from_planning(data)
    assert len(cal) == 40
    assert cal.week_of_quarter[:13].tolist() == list(range(13))
    assert cal.week_of_quarter[13:27].tolist() == list(range(14))
    assert cal.quarter_of_year.tolist() == [3] * 13 + [4] * 14 + [1] * 13
    ext = cal.extend(45)
    assert ext.week_of_quarter[38:].tolist() == [11, 12, 0, 1, 2, 3, 4]
    assert ext.quarter_of_year[38:].tolist() == [1, 1, 2, 2, 2, 2, 2]


def test_calendar_rejects_bad_labels_and_order():
    with pytest.raises(ValueError, match="Q3 95"):
        Calendar.from_planning(_planning(["Q5 95", "Q1 96"], [13, 13]))
    data = _planning(["Q1 95", "Q2 95"], [13, 13])
    data = dataclasses.replace(data, week_quarter=data.week_quarter[::-1].copy())  # PlanningData is frozen
    with pytest.raises(ValueError, match="quarter order"):
        Calendar.from_planning(data)


def test_calendar_regular():
    cal = Calendar.regular(30, start_quarter=4)
    assert cal.quarter_of_year[[0, 12, 13, 26]].tolist() == [4, 4, 1, 2]
    assert cal.week_of_quarter[[0, 12, 13]].tolist() == [0, 12, 0]
    assert cal.extend(10) is cal


# --- Baselines ------------------------------------------------------------------------------


def test_baselines():
    y = np.arange(60, dtype=float)[None, :].repeat(2, axis=0)
    np.testing.assert_array_equal(SeasonalNaive(13).fit(y).predict(15)[0], np.r_[np.arange(47, 60), 47, 48])
    np.testing.assert_array_equal(SeasonalNaive(52).fit(y).predict(2)[1], [8, 9])
    np.testing.assert_array_equal(MovingAverage(4).fit(y).predict(3), np.full((2, 3), 57.5))


# --- XGBoost --------------------------------------------------------------------------------


def test_xgb_is_deterministic_and_seed_matters_when_subsampling():
    y, cal = seasonal_trend(T=200)
    a = XGBForecaster(seed=7, **FAST).fit(y, cal).predict(20)
    b = XGBForecaster(seed=7, **FAST).fit(y, cal).predict(20)
    assert a.shape == (3, 20)
    np.testing.assert_array_equal(a, b)  # bit for bit
    c = XGBForecaster(seed=1, subsample=0.7, **FAST).fit(y, cal).predict(20)
    d = XGBForecaster(seed=2, subsample=0.7, **FAST).fit(y, cal).predict(20)
    assert not np.array_equal(c, d)


def test_xgb_is_recursive():
    """Step 2 of a forecast is the one-step forecast from history + the step-1 forecast."""
    y, cal = seasonal_trend(T=200)
    model = XGBForecaster(**FAST).fit(y, cal)
    path = model.predict(10)
    np.testing.assert_array_equal(model.predict(4), path[:, :4])
    for k in (1, 5):
        extended = np.concatenate([y, path[:, :k]], axis=1)
        np.testing.assert_array_equal(model.predict(1, history=extended)[:, 0], path[:, k])


def test_xgb_forecast_scales_with_product_size():
    y, cal = seasonal_trend(T=200)
    base = XGBForecaster(**FAST).fit(y, cal).predict(13)
    scaled = XGBForecaster(**FAST).fit(y * np.array([[1e-3], [1.0], [1e3]]), cal).predict(13)
    np.testing.assert_allclose(scaled, base * np.array([[1e-3], [1.0], [1e3]]), rtol=1e-5)


def test_xgb_follows_trend_beyond_training_range():
    y, _cal = seasonal_trend(T=260, noise=0.0)
    truth, cal_long = seasonal_trend(T=260 + 26, noise=0.0)
    pred = XGBForecaster(**FAST).fit(y, cal_long).predict(26)
    assert pred[:, -13:].sum() > y[:, -52:-39].sum()  # above last year's same quarter
    wape = np.abs(pred - truth[:, 260:]).sum() / truth[:, 260:].sum()
    assert wape < 0.05


# --- Backtest and gate ----------------------------------------------------------------------


def test_backtest_shapes_and_metrics_by_hand():
    y, cal = seasonal_trend(T=150)
    bt = backtest(
        {"SN13": SeasonalNaive(13), "MA": MovingAverage},
        y,
        cal,
        horizon=26,
        origins=3,
        step=13,
        products=["A", "B", "C"],
    )
    assert bt.origins.tolist() == [98, 111, 124]
    assert bt.errors["SN13"].shape == (3, 3, 26)
    np.testing.assert_array_equal(bt.actuals[2], y[:, 124:150])
    np.testing.assert_array_equal(bt.errors["MA"], bt.actuals - bt.forecasts["MA"])
    m = bt.metrics
    assert list(m.columns) == ["Product", "Model", "HorizonWeeks", "WAPE", "Bias", "MASE", "MAE", "Baseline"]
    assert set(m["HorizonWeeks"]) == {"1-13", "14-26", ALL}
    row = m[(m.Product == "B") & (m.Model == "SN13") & (m.HorizonWeeks == "14-26")].iloc[0]
    e, a = bt.errors["SN13"][:, 1, 13:], bt.actuals[:, 1, 13:]
    assert pytest.approx(np.abs(e).sum() / a.sum()) == row.WAPE
    assert row.Bias == pytest.approx(-e.sum() / a.sum())
    scale = [np.abs(y[1, 13:o] - y[1, : o - 13]).mean() for o in bt.origins]
    assert pytest.approx((np.abs(e) / np.array(scale)[:, None]).mean()) == row.MASE
    rel = bt.relative_errors("SN13")
    np.testing.assert_allclose(rel * bt.forecasts["SN13"].mean(axis=2, keepdims=True), bt.errors["SN13"])


def test_choose_models_requires_challenger_to_earn_it():
    m = pd.DataFrame(
        {
            "Product": ["a"] * 3 + ["b"] * 3,
            "Model": ["SN", "MA", "XGB"] * 2,
            "HorizonWeeks": [ALL] * 6,
            "WAPE": [0.2, 0.1, 0.097, 0.2, 0.1, 0.05],
            "MAE": [2.0, 1.0, 0.97, 4.0, 2.0, 1.0],
            "Baseline": [True, True, False] * 2,
        }
    )
    assert choose_models(m) == {"a": "MA", "b": "XGB"}
    assert choose_models(m, margin=0.0) == {"a": "XGB", "b": "XGB"}
    marked = mark_chosen(m, {"a": "MA", "b": "XGB"})
    assert marked["Chosen"].tolist() == [False, True, False, False, False, True]


def test_xgboost_wins_on_seasonal_trend():
    y, cal = seasonal_trend(T=300)
    res = forecast(y, cal, horizon=26, seed=0, models=default_models(0, **FAST), products=["A", "B", "C"])
    assert res.choices == {"A": "XGBoost", "B": "XGBoost", "C": "XGBoost"}
    whole = res.metrics[res.metrics.HorizonWeeks == ALL].set_index(["Product", "Model"])
    for p in "ABC":
        best_base = whole.loc[p].query("Baseline")["WAPE"].min()
        assert whole.loc[(p, "XGBoost"), "WAPE"] < 0.5 * best_base
    assert res.metrics.groupby("Product")["Chosen"].sum().tolist() == [3, 3, 3]  # 3 bands each
    assert res.forecast.shape == (3, 26)
    np.testing.assert_array_equal(res.forecast, res.models["XGBoost"].predict(26))


def test_gate_picks_a_baseline_on_white_noise():
    res = forecast(white_noise(), None, horizon=26, seed=0, models=default_models(0, **FAST))
    assert set(res.choices.values()) <= {"SeasonalNaive13", "SeasonalNaive52", "MovingAverage13"}
    assert "XGBoost" not in res.models


def test_forecast_is_deterministic():
    y, cal = seasonal_trend(T=200)
    kw = dict(horizon=13, seed=5, models=default_models(5, subsample=0.8, **FAST))
    a, b = forecast(y, cal, **kw), forecast(y, cal, **kw)
    np.testing.assert_array_equal(a.forecast, b.forecast)
    np.testing.assert_array_equal(a.errors(), b.errors())
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


# --- Edge cases -----------------------------------------------------------------------------


def test_zero_demand_product_and_one_product():
    y, cal = seasonal_trend(T=200)
    y[1] = 0.0
    res = forecast(y, cal, horizon=13, models=default_models(0, **FAST))
    np.testing.assert_array_equal(res.forecast[1], 0.0)
    whole = res.metrics[(res.metrics.Product == 1) & (res.metrics.HorizonWeeks == ALL)]
    assert whole["WAPE"].isna().all() and (whole["MAE"] == 0).all()
    assert np.all(np.isfinite(res.errors()))
    assert XGBForecaster(**FAST).fit(np.zeros((2, 60))).predict(5).tolist() == [[0.0] * 5] * 2

    one = forecast(y[2:], cal, horizon=13, models=default_models(0, **FAST))
    assert one.forecast.shape == (1, 13) and list(one.choices) == [0]


def test_clear_errors():
    y, cal = seasonal_trend(T=60)
    with pytest.raises(ValueError, match="not shorter than the 60 weeks"):
        forecast(y, cal, horizon=80)
    with pytest.raises(ValueError, match="backtest needs 52 weeks"):
        forecast(y, cal, horizon=13)
    with pytest.raises(ValueError, match="2-D"):
        SeasonalNaive().fit(y[0])
    with pytest.raises(ValueError, match="at least 52 weeks"):
        SeasonalNaive(52).fit(y[:, :40])
    with pytest.raises(ValueError, match="negative"):
        MovingAverage().fit(-y)
    with pytest.raises(ValueError, match="NaN"):
        MovingAverage().fit(np.where(y > y.mean(), np.nan, y))
    with pytest.raises(ValueError, match="horizon"):
        MovingAverage().fit(y).predict(0)
    with pytest.raises(ValueError, match="calendar covers 30 weeks"):
        XGBForecaster().fit(y, Calendar.regular(30))
    with pytest.raises(NotFittedError):
        XGBForecaster().predict(3)
    with pytest.raises(ValueError, match="fitted on 3"):
        XGBForecaster(**FAST).fit(y, cal).predict(3, history=y[:2])


def test_long_horizon_prediction_is_allowed_once_fitted():
    """Predicting past the history length is the forecaster's business; only backtests refuse."""
    y, cal = seasonal_trend(T=60)
    assert XGBForecaster(**FAST).fit(y, cal).predict(100).shape == (3, 100)
    assert SeasonalNaive(13).fit(y).predict(100).shape == (3, 100)


def test_backtest_in_parallel_threads_gives_the_serial_bits():
    """Origins are fitted side by side in threads: the result must not depend on how many."""
    y, cal = seasonal_trend(T=200)
    models = default_models(5, subsample=0.8, **FAST)
    serial = backtest(models, y, cal, horizon=13, origins=4, step=6, workers=1)
    parallel = backtest(models, y, cal, horizon=13, origins=4, step=6, workers=4)
    for name in models:
        assert serial.forecasts[name].tobytes() == parallel.forecasts[name].tobytes(), name
    pd.testing.assert_frame_equal(serial.metrics, parallel.metrics, check_exact=True)


# --------------------------------------------------------------------------------------------
# Public base and factory (issue 14), early stopping (issue 13)


def test_make_forecaster_clones_parameters_not_fitted_state():
    from linealytics_xl.core.forecasting import Forecaster, make_forecaster

    template = SeasonalNaive(52).fit(np.ones((2, 60)))
    fresh = make_forecaster(template)
    assert isinstance(fresh, Forecaster) and fresh is not template
    assert fresh.season == 52 and not hasattr(fresh, "last_")
    assert make_forecaster(lambda: MovingAverage(4)).window == 4
    with pytest.raises(TypeError, match="must return a Forecaster"):
        make_forecaster(lambda: "not a model")
    with pytest.raises(TypeError, match="Forecaster or a callable"):
        make_forecaster(42)


def test_early_stopping_stops_on_noise_deterministically_and_is_off_on_short_windows():
    rng = np.random.default_rng(3)
    noise = 1e12 * (1 + 0.3 * rng.standard_normal((4, 200))).clip(0.1)
    params = {"n_estimators": 200, "early_stopping_rounds": 5, "validation_weeks": 26}
    a = XGBForecaster(**params).fit(noise)
    b = XGBForecaster(**params).fit(noise)
    assert a.n_estimators_ < 200  # nothing to learn in noise: the held-out tail stops it early
    assert a.n_estimators_ == b.n_estimators_
    np.testing.assert_array_equal(a.predict(13), b.predict(13))
    short = XGBForecaster(**{**params, "validation_weeks": 120}).fit(noise)
    assert short.n_estimators_ == 200  # 187 target weeks < 2 x 120: too short to hold a tail out
    assert XGBForecaster(n_estimators=50).fit(noise).n_estimators_ == 50  # off by default
