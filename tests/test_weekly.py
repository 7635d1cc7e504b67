import numpy as np
import pytest

from linealytics_xl.core.weekly import week_shares, weekly_demand

RATIOS = [0.055] * 8 + [0.06, 0.1, 0.1, 0.15, 0.15]


@pytest.mark.parametrize("n", [1, 12, 13, 14, 26])
def test_shares_sum_to_one_and_stay_back_loaded(n):
    s = week_shares(RATIOS, n)
    assert s.size == n
    assert s.sum() == pytest.approx(1.0, abs=1e-15)
    assert np.all(s >= 0)
    if n >= 13:
        assert s[-1] > s[0]  # the back-loaded shape survives resampling


def test_thirteen_weeks_use_the_profile_itself():
    np.testing.assert_array_equal(week_shares(RATIOS, 13), np.array(RATIOS) / sum(RATIOS))


def test_quarterly_demand_is_conserved_exactly_with_a_14_week_quarter():
    rng = np.random.default_rng(1)
    q = rng.uniform(1e6, 1e11, (4, 3))
    wq = np.repeat([0, 1, 2], [13, 14, 13])
    w = weekly_demand(q, wq, RATIOS)
    for k in range(3):
        sums = w[:, wq == k].sum(axis=1)
        np.testing.assert_allclose(sums, q[:, k], rtol=1e-15)
    # the 14-week quarter spreads the same total over one more week
    assert (w[:, wq == 1] > 0).all()


def test_bad_ratios_and_non_contiguous_quarters_are_rejected():
    with pytest.raises(ValueError):
        week_shares([0, 0, 0], 13)
    with pytest.raises(ValueError):
        week_shares([0.5, -0.1], 13)
    with pytest.raises(ValueError, match="contiguous"):
        weekly_demand(np.ones((1, 2)), np.array([0, 1, 0]), RATIOS)
