"""Plan risk: the vectorised simulation against a plain week-by-week Monte Carlo loop."""

import numpy as np
import pytest

from linealytics_xl.core.risk import simulate_plan


def _case(S=300, P=3, T=20, seed=0):
    rng = np.random.default_rng(seed)
    mean = np.array([[100.0], [40.0], [7.0]])[:P] * (1 + 0.3 * np.sin(np.arange(T) / 3))
    scen = np.maximum(mean * (1 + 0.35 * rng.standard_normal((S, P, T))), 0)
    supply = mean * rng.uniform(0.8, 1.15, (P, T))
    supply[:, 5] = 0.0  # a week without deliveries
    init = np.array([60.0, 0.0, 20.0])[:P]
    target = np.full((P, T), 15.0)
    return supply, init, scen, target


def _quantile(values, q):
    """Linear interpolation between order statistics (numpy's default definition)."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def _plain_monte_carlo(supply, init, scen, target, service, lead):
    S, P, T = scen.shape
    stockouts = [[0] * T for _ in range(P)]
    shortage = [[0.0] * T for _ in range(P)]
    below = [[0] * T for _ in range(P)]
    fill = []
    for p in range(P):
        served_total = asked_total = 0.0
        for s in range(S):
            on_hand, backlog = float(init[p]), 0.0
            for t in range(T):
                available = on_hand + supply[p, t]
                cleared = min(backlog, available)  # old orders first
                backlog -= cleared
                available -= cleared
                demand = scen[s, p, t]
                served = min(demand, available)
                backlog += demand - served
                on_hand = available - served
                served_total += served
                asked_total += demand
                stockouts[p][t] += backlog > 1e-9
                shortage[p][t] += backlog / S
                below[p][t] += (on_hand - backlog) < target[p, t]
        fill.append(served_total / asked_total)
    safety = [[0.0] * T for _ in range(P)]
    for p in range(P):
        mean = [sum(scen[s, p, t] for s in range(S)) / S for t in range(T)]
        for t in range(T):
            window = range(max(0, t - lead + 1), t + 1)
            sums = [sum(scen[s, p, u] - mean[u] for u in window) for s in range(S)]
            safety[p][t] = max(_quantile(sums, service), 0.0)
    return (
        np.array(stockouts) / S,
        np.array(shortage),
        np.array(fill),
        np.array(safety),
        np.array(below) / S,
    )


@pytest.mark.parametrize("chunk_bytes", [1, 256 * 2**20])  # one product at a time, or all
def test_matches_plain_monte_carlo(chunk_bytes):
    supply, init, scen, target = _case()
    res = simulate_plan(supply, init, scen, target, service_level=0.9, lead_weeks=4, chunk_bytes=chunk_bytes)
    stockout, shortage, fill, safety, below = _plain_monte_carlo(supply, init, scen, target, 0.9, 4)
    np.testing.assert_allclose(res.stockout_probability, stockout, atol=1e-12)
    np.testing.assert_allclose(res.expected_shortage, shortage, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.fill_rate, fill, rtol=1e-12)
    np.testing.assert_allclose(res.safety_stock, safety, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.below_safety_probability, below, atol=1e-12)
    assert 0 < res.stockout_probability.mean() < 1  # the case does exercise stock-outs


def test_recommended_stock_reaches_the_service_level():
    """Start with the recommended stock, deliver the mean: each week (lead window = whole plan)
    is stock-out free in at least the service level of the scenarios."""
    _, _, scen, _ = _case(S=1000, P=2, T=15, seed=2)
    mean = scen.mean(axis=0)
    ss = simulate_plan(mean, np.zeros(2), scen, service_level=0.95, lead_weeks=15).safety_stock
    for t in (0, 7, 14):
        res = simulate_plan(mean, ss[:, t], scen, service_level=0.95, lead_weeks=15)
        assert np.all(res.stockout_probability[:, t] <= 0.05 + 1e-3)
    assert np.all(np.diff(ss, axis=1).mean(axis=1) > 0)  # surprise accumulates over the window


def test_zero_demand_and_one_product():
    scen = np.zeros((50, 1, 8))
    res = simulate_plan(np.zeros((1, 8)), np.zeros(1), scen)
    assert res.stockout_probability.max() == 0 and res.expected_shortage.max() == 0
    assert res.fill_rate.tolist() == [1.0] and res.safety_stock.max() == 0
    assert res.below_safety_probability is None
    table = res.to_frame(["A"])
    assert list(table.columns[:2]) == ["Product", "Week"] and len(table) == 8


def test_no_supply_means_certain_stockout_and_growing_backlog():
    scen = np.full((10, 1, 4), 5.0)
    res = simulate_plan(np.zeros((1, 4)), np.array([7.0]), scen)
    assert res.stockout_probability[0].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert res.expected_shortage[0].tolist() == [0.0, 3.0, 8.0, 13.0]
    assert res.fill_rate[0] == pytest.approx(7 / 20)


def test_deterministic_and_large_shapes_run_in_chunks():
    rng = np.random.default_rng(0)
    scen = rng.gamma(4.0, 25.0, (200, 40, 52)).astype(np.float32)
    supply = np.full((40, 52), 100.0)
    a = simulate_plan(supply, np.full(40, 50.0), scen, chunk_bytes=2**20)
    b = simulate_plan(supply, np.full(40, 50.0), scen, chunk_bytes=2**30)
    for field in ("stockout_probability", "expected_shortage", "fill_rate", "safety_stock"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_rejects_bad_inputs():
    supply, init, scen, _ = _case(S=5, T=6)
    with pytest.raises(ValueError, match=r"supply must be \[P, T\]"):
        simulate_plan(supply[:, :3], init, scen)
    with pytest.raises(ValueError, match="initial_stock"):
        simulate_plan(supply, -init - 1, scen)
    with pytest.raises(ValueError, match="scenarios must be finite"):
        simulate_plan(supply, init, -scen - 1)
    with pytest.raises(ValueError, match="service_level"):
        simulate_plan(supply, init, scen, service_level=1.0)
    with pytest.raises(ValueError, match="safety_stock_weekly"):
        simulate_plan(supply, init, scen, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\[S, P, T\]"):
        simulate_plan(supply, init, scen[0])


def test_replanned_risk_is_bit_identical_whatever_the_chunk_size():
    """With weekly re-planning (the pipeline's mode) and float32 scenarios, the memory budget
    only decides how many products are simulated at a time.  The fill rate is a sum over
    scenarios and weeks whose rounding depends on the chunk's shape: equal to the last bits."""
    rng = np.random.default_rng(1)
    scen = rng.gamma(4.0, 25.0, (300, 12, 60)).astype(np.float32)
    planned = scen.mean(axis=0) * 1.01
    supply = planned * rng.uniform(0.9, 1.1, planned.shape)
    target = np.full((12, 60), 80.0)
    runs = [
        simulate_plan(
            supply,
            np.full(12, 50.0),
            scen,
            target,
            0.9,
            lead_weeks=6,
            replan=True,
            planned_demand=planned,
            chunk_bytes=c,
        )
        for c in (1, 2**20, 2**30)
    ]
    for field in (
        "stockout_probability",
        "expected_shortage",
        "expected_stock",
        "fill_rate",
        "safety_stock",
        "below_safety_probability",
    ):
        first = getattr(runs[0], field)
        assert 0 < np.abs(first).max() < np.inf
        for other in runs[1:]:
            if field == "fill_rate":
                np.testing.assert_allclose(other.fill_rate, first, rtol=1e-14)
            else:
                assert getattr(other, field).tobytes() == first.tobytes(), field
