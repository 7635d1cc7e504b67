"""Shortage explanations name the lot size when whole lots, not capacity, stop more starts.

Before, a lot of 1,000,000 wafers (above every weekly capacity) gave a plan of zero wafers
explained as "product capacity binds (0 weeks at capacity); +4,130 wafers per week of capacity
would close it" -- the wrong cause and the wrong fix.
"""

from __future__ import annotations

import pytest

from linealytics_xl.core.explain import summarize
from linealytics_xl.core.optimize import PlanOptions, optimize


@pytest.fixture(scope="module")
def lot_plans(real_data):
    return {
        lot: summarize(real_data, optimize(real_data, None, options=PlanOptions(lot_size_wafers=lot)))
        for lot in (1e6, 3000.0, 25.0)
    }


def test_a_lot_above_every_weekly_capacity_is_the_cause_named(real_data, lot_plans):
    for p, s in enumerate(lot_plans[1e6]):
        top = real_data.capacity[p].max()
        assert s.wafers == 0 and s.binding == "lot size"
        assert f"more than its largest weekly capacity ({top:,.0f} wafers): no lot can start" in s.message
        assert "would close it" not in s.message


def test_lots_that_leave_capacity_unused_are_named_with_the_weeks(lot_plans):
    for s in lot_plans[3000.0]:
        assert s.weeks_with_backlog and s.binding == "lot size", s.message
        assert "the spare capacity cannot hold one more lot of 3,000 wafers" in s.message


def test_small_lots_leave_the_capacity_as_the_cause(lot_plans):
    short = {s.product: s for s in lot_plans[25.0]}["23C"]
    assert short.binding == "product capacity" and "would close it" in short.message
