"""The plan summary in a few plain lines: what the ribbon's closing message box says and what the
command line prints under its per-product table (one definition for both entry points).

Every figure comes from the tables the run writes (``LL_Plan`` through `core.kpis.plan_kpis`,
``LL_Alerts``), so what a planner reads in the message equals what the workbook holds.
"""

from __future__ import annotations

import pandas as pd

from .core import tables
from .core.kpis import format_bytes, format_kpi, plan_kpis
from .core.pipeline import Outcome

TOP_ALERTS = 3  # a message box has room for a few; LL_Alerts holds them all


def active_alerts(outcome: Outcome) -> pd.DataFrame:
    """The run's new and open alerts, critical first, then in the table's order."""
    alerts = outcome.tables.get(tables.ALERTS)
    if alerts is None or not len(alerts):
        return pd.DataFrame(columns=tables.ALERTS_COLUMNS)
    active = alerts[alerts["Status"].isin(["new", "open"])]
    order = (active["Severity"] != "critical").astype(int)
    return active.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order")


def clip(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` characters (None: whole), ending in "..." when cut."""
    return text if width is None or len(text) <= width else text[: width - 3].rstrip() + "..."


def plan_summary_lines(
    outcome: Outcome, run_id: str, top_alerts: int = TOP_ALERTS, width: int | None = None
) -> list[str]:
    """Products, wafers, shortage and service level of the whole plan first; one line per product
    that cannot be served; the top alerts; the run id last.  Plain text (no markup), one line
    each; ``width`` clips the product and alert lines (a message box is small; the tables hold
    every word)."""
    plan = outcome.tables[tables.PLAN]
    k = plan_kpis(plan)
    lines = [
        (
            f"{outcome.data.n_products} products, {outcome.data.n_weeks} weeks: "
            f"{k['wafers']:,.0f} wafers, shortage {format_bytes(k['shortage_bytes'])}, "
            f"service level {format_kpi('service_level', k['service_level'])} "
            f"(solver {outcome.result.solver}, {outcome.result.status})."
        )
    ]
    short = [s for s in outcome.summaries if s.weeks_with_backlog]
    if short:
        lines.append("SHORTAGE - demand that this plan cannot meet:")
        lines += [clip(f"- {s.message}", width) for s in short]
    else:
        lines.append("All demand is served on time.")
    active = active_alerts(outcome)
    if len(active):
        new = active[active["Status"] == "new"]
        critical = int((new["Severity"] == "critical").sum())
        lines.append(
            f"Alerts: {len(new)} new ({critical} critical), {len(active) - len(new)} open "
            f"(all in {tables.ALERTS}):"
        )
        lines += [clip(f"- [{a.Severity}] {a.Message}", width) for a in active.head(top_alerts).itertuples()]
    if outcome.warnings:
        lines.append(f"{len(outcome.warnings)} data-quality warning(s): see the LL_DataQuality table.")
    lines.append(f"Run {run_id}.")
    return lines
