"""Monte Carlo risk of a supply plan: stock-outs, shortage, fill rate and the safety stock needed.

The inventory balance per scenario, product and week, with unmet demand carried as backlog
(``balance.project``, the planner's one balance identity)::

    net[t] = net[t-1] + supply[t] - demand[t],   net[-1] = initial stock
    stock = max(net, 0),  backlog = max(-net, 0)

Supply first clears old backlog, then serves the week's own demand; what that week's demand gets
is "served on time": ``min(demand[t], max(net[t-1] + supply[t], 0))``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .balance import project
from .contract import Col
from .scenarios import quantile_last


@dataclass(frozen=True, eq=False)  # eq on arrays would be ambiguous
class RiskResult:
    """Risk figures per product and week ([P, T]) and per product ([P])."""

    stockout_probability: np.ndarray  # [P, T] share of scenarios with backlog > 0 at week end
    expected_shortage: np.ndarray  # [P, T] mean backlog at week end, bytes
    expected_stock: np.ndarray  # [P, T] mean stock on hand at week end, bytes
    fill_rate: np.ndarray  # [P] demand served on time / demand, over all scenarios
    safety_stock: np.ndarray  # [P, T] recommended, bytes (see ``simulate_plan``)
    below_safety_probability: np.ndarray | None  # [P, T] share ending below the planned target
    service_level: float
    lead_weeks: int

    def to_frame(self, products: Sequence[Hashable] | None = None) -> pd.DataFrame:
        """Long table, one row per product and week (week 1-based, as in the workbook)."""
        P, T = self.stockout_probability.shape
        labels = list(range(P)) if products is None else list(products)
        if len(labels) != P:
            raise ValueError(f"{len(labels)} product labels for {P} products")
        cols = {
            Col.PRODUCT: np.repeat(np.asarray(labels, dtype=object), T),
            Col.WEEK: np.tile(np.arange(1, T + 1), P),
            Col.STOCKOUT_PROBABILITY: self.stockout_probability.ravel(),
            "ExpectedShortage": self.expected_shortage.ravel(),
            "ExpectedStock": self.expected_stock.ravel(),
            "RecommendedSafetyStock": self.safety_stock.ravel(),
        }
        if self.below_safety_probability is not None:
            cols["BelowSafetyProbability"] = self.below_safety_probability.ravel()
        return pd.DataFrame(cols)


def _check(supply, initial_stock, scenarios, safety_stock_weekly, service_level, lead_weeks):
    supply = np.asarray(supply, dtype=float)
    init = np.asarray(initial_stock, dtype=float)
    scen = np.asarray(scenarios)
    if scen.ndim != 3 or 0 in scen.shape:
        raise ValueError(f"scenarios must be a non-empty [S, P, T] array, got shape {scen.shape}")
    _, P, T = scen.shape
    if supply.shape != (P, T):
        raise ValueError(f"supply must be [P, T] = {(P, T)}, got {supply.shape}")
    if init.shape != (P,):
        raise ValueError(f"initial_stock must be [P] = {(P,)}, got {init.shape}")
    for name, a in (("supply", supply), ("initial_stock", init)):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite and >= 0")
    if safety_stock_weekly is not None:
        safety_stock_weekly = np.asarray(safety_stock_weekly, dtype=float)
        if safety_stock_weekly.shape != (P, T):
            raise ValueError(
                f"safety_stock_weekly must be [P, T] = {(P, T)}, got {safety_stock_weekly.shape}"
            )
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must be in (0, 1), got {service_level}")
    if isinstance(lead_weeks, bool) or int(lead_weeks) != lead_weeks or lead_weeks < 1:
        raise ValueError(f"lead_weeks must be a positive integer, got {lead_weeks}")
    return supply, init, scen, safety_stock_weekly


def simulate_plan(
    supply,
    initial_stock,
    scenarios,
    safety_stock_weekly=None,
    service_level: float = 0.95,
    *,
    lead_weeks: int = 13,
    replan: bool = False,
    planned_demand=None,
    chunk_bytes: int = 256 * 2**20,
) -> RiskResult:
    """Run the plan ``supply`` [P, T] (bytes arriving per week) against demand ``scenarios``.

    Recommended safety stock for week t: the ``service_level`` quantile over scenarios of the
    demand surprise accumulated over the ``lead_weeks`` weeks up to t (fewer at the start),
    ``sum(demand - mean demand)``, floored at 0.  The rule assumes supply is re-planned to the
    mean forecast, and a surprise can only be answered after a lead time (a wafer's cycle time,
    about a quarter): stock of that size at the end of week t keeps week t free of stock-out in
    ``service_level`` of the scenarios (a cycle service level).  It uses the scenarios' own
    spread and correlation over time, so no normality is assumed.

    ``planned_demand`` [P, T] is the demand the plan was made for (default: the scenarios'
    mean); surprises are measured against it.

    With ``replan`` the plan is taken to be re-optimised every week on the mean demand, as a
    planning department runs it: a scenario's net position then differs from the plan only by
    the demand surprise of the last ``lead_weeks`` weeks, which new starts could not yet answer.
    Without it the plan is run unchanged against a whole scenario path, whose surprises add up
    for years (a random walk) -- the right view for a short horizon, not for a multi-year plan.
    The recommended safety stock is the quantile of exactly that recent surprise, so with
    ``replan`` a week holding at least the recommended stock runs out in at most
    1 - ``service_level`` of the scenarios.

    With ``safety_stock_weekly`` [P, T], the planned target, the result also gives the share of
    scenarios ending each week below it.  Work is vectorised over scenarios and weeks and done a
    few products at a time, so temporaries stay near ``chunk_bytes`` (S=1000, P=500, T=443 runs
    without holding more than the scenarios themselves).
    """
    supply, init, scen, target = _check(
        supply, initial_stock, scenarios, safety_stock_weekly, service_level, lead_weeks
    )
    S, P, T = scen.shape
    L = int(lead_weeks)
    out = {k: np.empty((P, T)) for k in ("stockout", "shortage", "stock", "ss", "below")}
    fill = np.empty(P)
    # about 6 float64 [S, c, T] temporaries; sized as for 8, as before, so that the fill rate (a sum
    # whose rounding depends on how many products share a chunk) stays bit for bit what it was
    chunk = max(1, int(chunk_bytes // (8 * 8 * S * T)))
    for p0 in range(0, P, chunk):
        sl = slice(p0, min(p0 + chunk, P))
        d = scen[:, sl].astype(float)  # [S, c, T]
        if not np.all(np.isfinite(d)) or np.any(d < 0):
            raise ValueError("scenarios must be finite and >= 0")
        centre = d.mean(axis=0) if planned_demand is None else np.asarray(planned_demand, float)[sl]
        # demand surprise summed over the last L weeks: the recommended safety stock's quantity,
        # and with ``replan`` also what moves the net position off the plan
        surprise = np.cumsum(d - centre, axis=2)
        surprise[:, :, L:] -= surprise[:, :, :-L].copy()
        if replan:
            # Re-planned every week on the mean demand: only the surprise of the last L weeks
            # (what new wafer starts could not yet answer) moves the net position off the plan.
            planned_net = init[sl, None] + np.cumsum(supply[sl] - centre, axis=-1)
            net = planned_net - surprise
            backlog = np.maximum(-net, 0.0)
            out["stockout"][sl] = np.mean(backlog > 0, axis=0)
            out["shortage"][sl] = backlog.mean(axis=0)
            out["stock"][sl] = np.maximum(net, 0.0).mean(axis=0)
            if target is not None:
                out["below"][sl] = np.mean(net < target[sl], axis=0)
            del net
            # a week's own demand is short by what is missing at its end, at most that demand
            on_time = d - np.minimum(backlog, d)
            del backlog
        else:
            stock, backlog = project(init[sl], supply[sl], d)
            out["stockout"][sl] = np.mean(backlog > 0, axis=0)
            out["shortage"][sl] = backlog.mean(axis=0)
            out["stock"][sl] = stock.mean(axis=0)
            net = stock - backlog  # exact: one of the two is zero
            del stock, backlog
            if target is not None:
                out["below"][sl] = np.mean(net < target[sl], axis=0)
            net_before = np.concatenate(
                [np.broadcast_to(init[sl, None], (S, d.shape[1], 1)), net[:, :, :-1]], axis=2
            )
            on_time = np.clip(net_before + supply[sl], 0.0, d)
            del net, net_before
        served, asked = on_time.sum(axis=(0, 2)), d.sum(axis=(0, 2))
        fill[sl] = np.divide(served, asked, out=np.ones_like(asked), where=asked > 0)
        del on_time, d
        out["ss"][sl] = np.maximum(quantile_last(np.moveaxis(surprise, 0, -1), service_level), 0.0)
        del surprise

    return RiskResult(
        out["stockout"],
        out["shortage"],
        out["stock"],
        fill,
        out["ss"],
        out["below"] if target is not None else None,
        float(service_level),
        L,
    )
