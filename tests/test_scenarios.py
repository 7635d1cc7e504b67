"""Block-bootstrap demand scenarios: determinism, structure and calibration."""

import numpy as np
import pytest

from linealytics_xl.core.forecasting import Calendar, SeasonalNaive, backtest
from linealytics_xl.core.scenarios import bootstrap_scenarios, coverage, quantiles

WOQ_SHAPE = np.array([0.6, 0.7, 0.8, 0.8, 0.9, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 1.8])


def _errors(K=8, P=3, H=26, seed=0):
    return 0.1 * np.random.default_rng(seed).standard_normal((K, P, H))


def test_same_seed_identical_different_seed_different():
    base = np.full((3, 26), 100.0)
    a = bootstrap_scenarios(base, _errors(), n=200, seed=4)
    b = bootstrap_scenarios(base, _errors(), n=200, seed=4)
    c = bootstrap_scenarios(base, _errors(), n=200, seed=5)
    assert a.shape == (200, 3, 26)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_zero_errors_give_the_base_and_demand_is_clipped():
    base = np.array([[0.0, 5.0, 10.0]])
    np.testing.assert_array_equal(
        bootstrap_scenarios(base, np.zeros((4, 1, 3)), n=5), np.broadcast_to(base, (5, 1, 3))
    )
    wild = bootstrap_scenarios(base, np.full((4, 1, 3), -30.0), n=5, relative=False)
    assert wild.min() == 0.0


def test_blocks_keep_weeks_and_products_together():
    """Each origin's path is a constant: within a block every draw stays constant over the
    weeks; products with identical errors get identical scenarios (one draw for all)."""
    K, H = 6, 26
    levels = np.linspace(-0.3, 0.3, K)
    e = np.broadcast_to(levels[:, None, None], (K, 2, H)).copy()
    scen = bootstrap_scenarios(np.full((2, H), 50.0), e, n=300, block=13, seed=1)
    np.testing.assert_array_equal(scen[:, 0], scen[:, 1])
    assert np.all(np.ptp(scen[:, 0, :13], axis=1) < 1e-9)
    assert np.all(np.ptp(scen[:, 0, 13:], axis=1) < 1e-9)
    assert np.ptp(scen[:, 0, 0]) > 0  # different blocks do come from different origins


def test_spread_follows_the_horizon_profile():
    H = 26
    e = _errors(K=30, P=1, H=H) * np.linspace(0.2, 2.0, H)  # errors grow with the horizon
    scen = bootstrap_scenarios(np.full((1, H), 100.0), e, n=4000, seed=0)
    sd = scen[:, 0].std(axis=0)
    assert sd[-3:].mean() > 3 * sd[:3].mean()


def test_relative_errors_scale_with_the_base():
    e = _errors(P=2)
    small = bootstrap_scenarios(np.full((2, 26), 10.0), e, n=100, seed=3)
    big = bootstrap_scenarios(np.full((2, 26), 1e15), e, n=100, seed=3)
    np.testing.assert_allclose(big / 1e14, small, rtol=1e-9)


def test_quantiles_and_coverage():
    scen = np.arange(101, dtype=float)[:, None, None] * np.ones((1, 2, 3))
    q = quantiles(scen)
    assert q.shape == (3, 2, 3)
    assert q[:, 0, 0].tolist() == [10.0, 50.0, 90.0]
    actual = np.array([[5.0, 50.0, 95.0], [10.0, 90.0, 91.0]])
    assert coverage(actual, scen) == pytest.approx(3 / 6)


def test_p10_p90_coverage_on_held_out_windows():
    """Known noise (10 % Gaussian on a seasonal shape): errors from a backtest on the first half,
    scenarios for every later origin, coverage measured on the held-out actuals."""
    rng = np.random.default_rng(0)
    T, T0, H = 520, 260, 26
    cal = Calendar.regular(T)
    y = np.array([[1e12], [4e14]]) * WOQ_SHAPE[cal.week_of_quarter] * (1 + 0.1 * rng.standard_normal((2, T)))
    bt = backtest({"SN13": SeasonalNaive(13)}, y[:, :T0], cal, horizon=H, origins=40, step=4)
    errors = bt.relative_errors("SN13")
    actual, scen = [], []
    for o in range(T0, T - H + 1, 13):
        base = SeasonalNaive(13).fit(y[:, :o]).predict(H)
        scen.append(bootstrap_scenarios(base, errors, n=400, seed=o))
        actual.append(y[:, o : o + H])
    cov = coverage(np.stack(actual), np.stack(scen, axis=1))
    assert 0.73 <= cov <= 0.87, cov


def test_rejects_bad_inputs():
    base = np.ones((2, 26))
    with pytest.raises(ValueError, match="errors cover 13 steps"):
        bootstrap_scenarios(base, np.zeros((3, 2, 13)))
    with pytest.raises(ValueError, match=r"errors must be \[origins, 2"):
        bootstrap_scenarios(base, np.zeros((3, 1, 26)))
    with pytest.raises(ValueError, match="negative"):
        bootstrap_scenarios(-base, np.zeros((3, 2, 26)))
    with pytest.raises(ValueError, match="positive integers"):
        bootstrap_scenarios(base, np.zeros((3, 2, 26)), n=0)
    with pytest.raises(ValueError, match="must be"):
        coverage(np.ones((2, 3)), np.ones((10, 3, 2)))


def test_chunked_scenarios_and_quantiles_are_bit_identical_to_one_pass(monkeypatch):
    """The memory budget changes how many scenarios are made (and quantiles taken) at a time,
    never a value: a budget of one scenario row and one of everything give the same bits."""
    import linealytics_xl.core.scenarios as sc

    base = np.abs(np.random.default_rng(3).normal(100.0, 20.0, (5, 40)))
    e = _errors(K=6, P=5, H=40, seed=2)
    whole = sc.bootstrap_scenarios(base, e, n=50, seed=7, dtype=np.float32)
    q_whole = sc.quantiles(whole, (0.1, 0.5, 0.9))
    np.testing.assert_array_equal(q_whole, np.quantile(whole.astype(float), (0.1, 0.5, 0.9), axis=0))
    monkeypatch.setattr(sc, "CHUNK_BYTES", 1)
    tiny = sc.bootstrap_scenarios(base, e, n=50, seed=7, dtype=np.float32)
    assert tiny.dtype == np.float32
    assert tiny.tobytes() == whole.tobytes()
    assert sc.quantiles(tiny, (0.1, 0.5, 0.9)).tobytes() == q_whole.tobytes()


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_fast_quantiles_are_numpys_bit_for_bit(n):
    from linealytics_xl.core.scenarios import quantile_last

    rng = np.random.default_rng(n)
    values = rng.normal(0.0, 1e9, (4, 9, n))
    values[0, 0] = 3.0  # ties
    values[1, :, : n // 2] = np.round(values[1, :, : n // 2], -9)
    signed = values.astype(np.float32)
    signed[2, :, : n // 3] = np.where(np.arange(n // 3) % 2, -0.0, 0.0)  # equal, other bits
    for v in (values, values.astype(np.float32), signed):
        for q in (0.0, 0.1, 1 / 3, 0.5, 0.9, 0.95, 1.0, (0.1, 0.5, 0.9)):
            ours = quantile_last(v, q)
            ref = np.quantile(v.astype(np.float64), q, axis=-1)
            assert ours.shape == ref.shape
            assert ours.tobytes() == ref.tobytes(), (v.dtype, q)
