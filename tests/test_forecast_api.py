"""The forecasters' scikit-learn-style API without scikit-learn, and native XGBoost training (issue 13).

The forecasters keep sklearn's estimator conventions (``core.forecasting.params``) and XGBoost is
trained through ``xgb.train`` instead of ``XGBRegressor``, so that a fitting run never imports
scikit-learn.  What must not change: the parameters, cloning, the error before ``fit``, and the
forecast's bits (checked against an ``XGBRegressor`` fit on the same rows, in a fresh process
that imports scikit-learn first, as the old code did).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linealytics_xl.core.forecasting import (
    Forecaster,
    MovingAverage,
    NotFittedError,
    SeasonalNaive,
    XGBForecaster,
    make_forecaster,
)
from linealytics_xl.core.forecasting.params import clone

ROOT = Path(__file__).resolve().parents[1]


def _demand() -> np.ndarray:
    """Four products of very different sizes with a trend and a 13-week season, plus noise."""
    t = np.arange(160)
    shape = (1 + 0.004 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 13))
    y = shape * np.array([[1e12], [5e12], [2e15], [3e13]])
    return y * (1 + 0.05 * np.random.default_rng(1).standard_normal(y.shape))


CASES = [
    (SeasonalNaive(52), {"season": 52}, {"season": 26}),
    (MovingAverage(4), {"window": 4}, {"window": 8}),
    (
        XGBForecaster(lags=[1, 13], n_estimators=7, seed=3),
        {"lags": [1, 13], "n_estimators": 7, "seed": 3, "max_depth": 4, "early_stopping_rounds": None},
        {"max_depth": 2, "learning_rate": 0.3},
    ),
]


@pytest.mark.parametrize(("model", "expected", "change"), CASES, ids=lambda c: type(c).__name__)
def test_get_params_set_params_and_clone_round_trip(model: Forecaster, expected: dict, change: dict) -> None:
    params = model.get_params()
    assert list(params) == sorted(params)  # sklearn's order, which the run record keeps
    assert {k: params[k] for k in expected} == expected
    assert model.get_params(deep=False) == params  # no nested estimators

    twin = clone(model)
    assert type(twin) is type(model) and twin is not model and twin.get_params() == params
    assert make_forecaster(model).get_params() == params
    if isinstance(model, XGBForecaster):  # parameters are copied, not shared
        model.lags.append(52)
        assert twin.lags == [1, 13] and make_forecaster(model).lags == [1, 13, 52]
        model.lags.pop()

    assert twin.set_params(**change) is twin
    assert {k: twin.get_params()[k] for k in change} == change
    assert model.get_params() == params  # the template is untouched
    assert clone(twin).get_params() == twin.get_params()
    with pytest.raises(ValueError, match=r"invalid parameter 'sesaon'.*valid parameters"):
        twin.set_params(sesaon=13)


def test_a_clone_of_a_fitted_model_is_unfitted_and_predicts_after_its_own_fit() -> None:
    y = _demand()
    fitted = XGBForecaster(n_estimators=20).fit(y)
    fresh = clone(fitted)
    assert not hasattr(fresh, "model_") and not hasattr(fresh, "scale_")
    with pytest.raises(NotFittedError):
        fresh.predict(4)
    np.testing.assert_array_equal(fresh.fit(y).predict(4), fitted.predict(4))


def test_repr_names_the_parameters_that_differ_from_the_defaults() -> None:
    assert repr(SeasonalNaive()) == "SeasonalNaive()"
    assert repr(SeasonalNaive(52)) == "SeasonalNaive(season=52)"
    assert repr(XGBForecaster(seed=3, lags=(1, 2))) == "XGBForecaster(lags=(1, 2), seed=3)"


@pytest.mark.parametrize("model", [SeasonalNaive(13), MovingAverage(13), XGBForecaster()])
def test_predict_before_fit_is_a_not_fitted_error(model: Forecaster) -> None:
    with pytest.raises(NotFittedError, match=f"This {type(model).__name__} instance is not fitted yet"):
        model.predict(13)
    # a ValueError and an AttributeError, as sklearn's: callers catching either still do
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert not hasattr(model, "last_") and not hasattr(model, "model_")


def test_sklearn_clone_works_on_our_forecasters() -> None:
    sk_base = pytest.importorskip("sklearn.base")
    for model in (SeasonalNaive(52), MovingAverage(4), XGBForecaster(n_estimators=9, seed=4)):
        model.fit(_demand())
        twin = sk_base.clone(model)
        assert type(twin) is type(model) and twin.get_params() == model.get_params()
        assert not hasattr(twin, "model_") and not hasattr(twin, "last_") and not hasattr(twin, "level_")


FRESH_FIT = r"""
import json, sys
import numpy as np
{first}
from linealytics_xl.core.forecasting import XGBForecaster
y = np.abs(np.sin(np.arange(120) / 5.0))[None, :] + 1.0
XGBForecaster(n_estimators=5).fit(y).predict(3)
after_fit = "sklearn" in sys.modules
import xgboost
wrapped = any(c.__module__.split(".")[0] == "sklearn" for c in xgboost.XGBRegressor.__mro__)
import sklearn.base  # importable afterwards: the import guard leaves nothing behind
same = sklearn.base.clone(XGBForecaster(seed=5)).get_params() == XGBForecaster(seed=5).get_params()
print(json.dumps([after_fit, wrapped, same]))
"""


@pytest.mark.parametrize("sklearn_first", [False, True])
def test_a_fit_in_a_fresh_process_imports_xgboost_without_sklearn(sklearn_first: bool) -> None:
    pytest.importorskip("sklearn")
    code = FRESH_FIT.format(first="import sklearn" if sklearn_first else "")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, check=True
    )
    after_fit, wrapped, same = json.loads(done.stdout.strip().splitlines()[-1])
    assert after_fit is sklearn_first  # the fit itself never brings sklearn in
    assert wrapped is sklearn_first  # with sklearn loaded first, xgboost is imported as usual
    assert same


NATIVE_VS_REGRESSOR = r"""
import json, sys
import numpy as np
import sklearn  # as the old code did: XGBRegressor on scikit-learn's base classes
import xgboost as xgb
sys.path.insert(0, {tests!r})
from test_forecast_api import _demand
from linealytics_xl.core.forecasting import XGBForecaster

y = _demand()
out = []
for params in ({{}}, {{"subsample": 0.7, "colsample_bytree": 0.8, "seed": 5, "n_jobs": 2}},
               {{"early_stopping_rounds": 5, "n_estimators": 200, "max_depth": 3, "learning_rate": 0.2}}):
    f = XGBForecaster(**params).fit(y)
    # the training rows, as fit builds them
    z = y / f.scale_[:, None]
    ts = np.arange(f.level_window, y.shape[1])
    X, level = f._design(z, ts, f.calendar_)
    target = (z[:, ts] / level).ravel()
    kw = dict(max_depth=f.max_depth, learning_rate=f.learning_rate, subsample=f.subsample,
              colsample_bytree=f.colsample_bytree, min_child_weight=f.min_child_weight,
              tree_method="hist", objective="reg:squarederror", n_jobs=f.n_jobs, random_state=f.seed)
    rounds = f.n_estimators
    if f.early_stopping_rounds is not None:  # the old probe: XGBRegressor with an eval_set
        held = (np.arange(len(target)) % len(ts)) >= len(ts) - f.validation_weeks
        probe = xgb.XGBRegressor(n_estimators=rounds, early_stopping_rounds=f.early_stopping_rounds, **kw)
        probe.fit(X[~held], target[~held], eval_set=[(X[held], target[held])], verbose=False)
        rounds = int(probe.best_iteration) + 1
    reg = xgb.XGBRegressor(n_estimators=rounds, **kw).fit(X, target)
    out.append({{
        "rounds": [rounds, f.n_estimators_],
        "same_model": reg.get_booster().save_raw("json") == f.model_.save_raw("json"),
        "same_predictions": bool(np.array_equal(reg.predict(X), f.model_.inplace_predict(X))),
    }})
print(json.dumps(out))
"""


def test_native_training_gives_the_bits_of_an_xgbregressor_fit_with_the_same_parameters() -> None:
    pytest.importorskip("sklearn")
    code = NATIVE_VS_REGRESSOR.format(tests=str(ROOT / "tests"))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found) == 3
    for case in found:
        assert case["rounds"][0] == case["rounds"][1]
        assert case["same_model"] and case["same_predictions"], case
    assert found[2]["rounds"][0] < 200  # the early-stopping case did stop early
