"""Alerts: the conditions in a plan that need someone's attention, tracked from run to run.

Two steps, both pure:

* :func:`find_conditions` reads the plan, the risk, the forecast and the import warnings and
  returns one :class:`Condition` per episode worth an alert (thresholds from `Settings`);
* :func:`reconcile` merges them with the ``LL_Alerts`` table of the previous run: a condition seen
  again keeps its ``FirstSeen`` and becomes ``open``; a new one is ``new``; one that is gone is
  ``resolved`` (rows are kept, so the table is the alerts' history).

Identity.  ``AlertId`` is a hash of the alert's type, product and *anchor* (where the episode
starts: a week as quarter + week label, a quarter, a sheet), never of its values, so an episode
that grows, shrinks or changes its numbers keeps its id.  Week labels repeat every year, so a week
is named with its quarter (``Q3 25 WW_21``).

Aggregation.  One alert per product and *episode*, not per week:

* ``stockout`` (critical): a contiguous run of weeks with backlog in the plan;
* ``stockout_risk`` (warning): weeks the plan serves but whose stock-out probability across the
  demand scenarios exceeds ``stockout_probability_alert``; runs less than a quarter (13 weeks)
  apart are one episode, since probabilities hover around the threshold;
* ``safety_stock`` (warning): contiguous quarters ending below the stock target (the safety stock
  target, raised to ``band_low_bytes`` when set, as the optimiser does);
* ``overproduction`` (warning): contiguous quarters ending above ``overstock_factor`` x the safety
  stock target, or above ``band_high_bytes`` when set (the lower of the two);
* ``capacity`` (warning): a product (or the total capacity) planned at capacity for at least
  ``capacity_alert_weeks`` weeks in a row;
* ``forecast_drift`` (warning): recent actuals fall outside the P10-P90 band more often than the
  band's 20 % promises, beyond chance (one-sided binomial test at 5 %);
* ``data_quality`` (info): the import's warnings, one alert per sheet (details in
  ``LL_DataQuality``).

``Week`` shows the period an alert covers: a week (``Q3 25 WW_21``), a range of weeks or quarters
(``Q3 25 WW_21 to Q1 27 WW_13``, ``Q2 25 to Q4 26``); empty for data quality.  A run that does not
check a type (no scenarios: no stock-out risk; no forecast: no drift) leaves that type's alerts as
they were instead of resolving them.

Notification.  ``Notified`` holds when an alert was mailed (empty until then); the mailer sends
only the active alerts not yet notified and marks them after a successful send, so a failed send
is retried by the next run.  An alert that resolves and later comes back is ``new`` again, with a
fresh ``FirstSeen`` and an empty ``Notified``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .alert_conditions import (
    SEVERITIES,
    TYPES,
    Condition,
    alert_id,
    capacity_conditions,
    data_quality_conditions,
    overproduction_conditions,
    runs,
    safety_stock_conditions,
    stockout_conditions,
    stockout_risk_conditions,
)
from .alert_drift import (
    BAND_PROMISE,
    backtest_drift_conditions,
    band_drift,
    binomial_tail,
    forecast_drift_conditions,
)
from .contract import Col
from .explain import ProductSummary
from .model import Issue, PlanningData
from .optimize import PlanResult
from .risk import RiskResult
from .settings import Settings
from .tables import ALERTS, ALERTS_COLUMNS

if TYPE_CHECKING:
    from .demand import DemandView

__all__ = [
    "ALERTS",
    "ALERT_COLUMNS",
    "BAND_PROMISE",
    "Condition",
    "alert_id",
    "backtest_drift_conditions",
    "band_drift",
    "binomial_tail",
    "evaluated_types",
    "find_conditions",
    "for_mail",
    "forecast_drift_conditions",
    "mark_notified",
    "normalize",
    "reconcile",
    "runs",
]

#: The table's columns (``Notified``: when the alert was mailed, empty until then).
ALERT_COLUMNS = list(ALERTS_COLUMNS)
NEW, OPEN, RESOLVED = "new", "open", "resolved"
ACTIVE = (NEW, OPEN)


def evaluated_types(*, risk: bool, forecast: bool) -> set[str]:
    """The alert types a run checks: without scenarios there is no stock-out risk, without a
    forecast no drift, and alerts of a type not checked must not count as resolved."""
    out = set(TYPES)
    if not risk:
        out.discard("stockout_risk")
    if not forecast:
        out.discard("forecast_drift")
    return out


def find_conditions(
    data: PlanningData,
    result: PlanResult,
    settings: Settings,
    *,
    summaries: Sequence[ProductSummary] | None = None,
    risk: RiskResult | None = None,
    demand: DemandView | None = None,
    warnings: Iterable[Issue] = (),
) -> list[Condition]:
    """Every alert condition of a run, in the order of :data:`TYPES`, from the run's typed stage
    results: the plan, its summaries, the risk and the demand the plan was made on (with its
    forecast, when there is one: drift is checked only then)."""
    found = stockout_conditions(data, result, summaries)
    if risk is not None:
        found += stockout_risk_conditions(data, result, risk, settings.stockout_probability_alert)
    found += safety_stock_conditions(data, result, settings.band_low_bytes)
    found += overproduction_conditions(data, result, settings.overstock_factor, settings.band_high_bytes)
    found += capacity_conditions(data, result, settings.capacity_alert_weeks)
    if demand is not None and demand.forecast is not None:
        found += backtest_drift_conditions(data, demand.forecast)
        found += forecast_drift_conditions(data, demand)
    found += data_quality_conditions(warnings)
    return found


# --------------------------------------------------------------------------------------------
# The table across runs
# --------------------------------------------------------------------------------------------

_SEVERITY_RANK = {s: k for k, s in enumerate(SEVERITIES)}
_TYPE_RANK = {t: k for k, t in enumerate(TYPES)}
_STATUS_RANK = {NEW: 0, OPEN: 1, RESOLVED: 2}


def empty_table() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=ALERT_COLUMNS))


def _text(series: pd.Series) -> pd.Series:
    return series.map(
        lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
    ).astype(object)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=ALERT_COLUMNS).copy()
    for c in (Col.ALERT_ID, Col.SEVERITY, Col.TYPE, Col.PRODUCT, Col.WEEK, Col.MESSAGE, Col.STATUS):
        out[c] = _text(out[c]) if len(out) else out[c].astype(object)
    for c in (Col.PRODUCT, Col.WEEK):  # nullable: empty cells, not empty strings
        out[c] = out[c].map(lambda v: v if v else None).astype(object)
    for c in (Col.VALUE, Col.THRESHOLD):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in (Col.FIRST_SEEN, Col.LAST_SEEN, Col.NOTIFIED):
        out[c] = pd.to_datetime(
            out[c].map(lambda v: None if isinstance(v, str) and not v.strip() else v), errors="coerce"
        ).astype("datetime64[ns]")
    return out.reset_index(drop=True)


def normalize(previous: pd.DataFrame | None) -> pd.DataFrame:
    """An ``LL_Alerts`` table as read back from a workbook (any cell types, possibly from an older
    version without ``Notified``) in the table's columns and types; unusable input gives an
    empty table."""
    if previous is None or not {Col.ALERT_ID, Col.STATUS} <= set(map(str, previous.columns)):
        return empty_table()
    frame = previous.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame = _typed(frame)
    frame = frame[frame[Col.ALERT_ID] != ""]
    frame[Col.STATUS] = frame[Col.STATUS].str.lower()
    frame[Col.SEVERITY] = frame[Col.SEVERITY].str.lower()
    return frame.drop_duplicates(Col.ALERT_ID, keep="last").reset_index(drop=True)


def reconcile(
    previous: pd.DataFrame | None,
    current: Sequence[Condition],
    now: datetime,
    evaluated: Iterable[str] | None = None,
    keep_resolved_days: int = 0,
) -> pd.DataFrame:
    """The new ``LL_Alerts`` table from the previous one and this run's conditions.

    A condition whose id is active (new or open) in ``previous`` is ``open``, keeping its
    ``FirstSeen`` and ``Notified``; any other condition is ``new`` (``FirstSeen`` = ``now``);
    previous active alerts not among the conditions are ``resolved`` (``LastSeen`` stays the last
    run that saw them) -- unless their type is not in ``evaluated`` (default: all types), e.g. a
    risk alert in a run without scenarios: those stay as they were.  Resolved alerts stay as they
    are, until ``keep_resolved_days`` (> 0) after their ``LastSeen``: an alert resolved before this
    run and last seen longer ago is dropped, so the table of a workbook planned every day does not
    grow for ever; one resolved by this run is always shown once, however long ago it was seen.
    Rows: this run's alerts by severity, type and the conditions' order, then the active alerts
    carried over unchecked, then the resolved ones, most recently seen first.
    """
    now = pd.Timestamp(now).floor("s")
    prev = normalize(previous)
    prev_by_id = {r[Col.ALERT_ID]: r for r in prev.to_dict("records")}
    rows, seen = [], set()
    for order, c in enumerate(current):
        aid = c.alert_id
        if aid in seen:  # the same episode twice: keep the first (rules give unique anchors)
            continue
        seen.add(aid)
        old = prev_by_id.get(aid)
        kept = old if old is not None and old[Col.STATUS] in ACTIVE else None  # active before
        rows.append(
            {
                Col.ALERT_ID: aid,
                Col.SEVERITY: c.severity,
                Col.TYPE: c.type,
                Col.PRODUCT: c.product,
                Col.WEEK: c.week,
                Col.VALUE: float(c.value),
                Col.THRESHOLD: float(c.threshold),
                Col.MESSAGE: c.message,
                Col.FIRST_SEEN: kept[Col.FIRST_SEEN]
                if kept is not None and pd.notna(kept[Col.FIRST_SEEN])
                else now,
                Col.LAST_SEEN: now,
                Col.STATUS: OPEN if kept is not None else NEW,
                Col.NOTIFIED: kept[Col.NOTIFIED] if kept is not None else pd.NaT,
                "_order": order,
            }
        )
    active = pd.DataFrame(rows, columns=ALERT_COLUMNS + ["_order"])
    if len(active):
        active["_sev"] = active[Col.SEVERITY].map(_SEVERITY_RANK).fillna(9)
        active["_type"] = active[Col.TYPE].map(_TYPE_RANK).fillna(99)
        active = active.sort_values(["_sev", "_type", "_order"], kind="stable")
    checked = set(TYPES if evaluated is None else evaluated)
    gone = prev[~prev[Col.ALERT_ID].isin(seen)].copy()
    unchecked = gone[Col.STATUS].isin(ACTIVE) & ~gone[Col.TYPE].isin(checked)
    carried, gone = gone[unchecked], gone[~unchecked]
    if keep_resolved_days > 0:
        stale = gone[Col.LAST_SEEN] < now - pd.Timedelta(days=keep_resolved_days)
        gone = gone[~(stale & (gone[Col.STATUS] == RESOLVED))]
    gone.loc[gone[Col.STATUS].isin(ACTIVE), Col.STATUS] = RESOLVED
    gone = gone.sort_values(Col.LAST_SEEN, ascending=False, kind="stable", na_position="last")
    parts = [f[ALERT_COLUMNS] for f in (active, carried, gone) if len(f)]
    return _typed(pd.concat(parts, ignore_index=True)) if parts else empty_table()


# --------------------------------------------------------------------------------------------
# Notification bookkeeping (used by the mailer)
# --------------------------------------------------------------------------------------------


def for_mail(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The active alerts as the mail shows them: ``new`` = not mailed before (whatever the runs
    in between), ``open`` = mailed before and still there."""
    a = normalize(alerts)
    a = a[a[Col.STATUS].isin(ACTIVE)].copy()
    a[Col.STATUS] = np.where(a[Col.NOTIFIED].isna(), NEW, OPEN)
    return a.reset_index(drop=True)


def mark_notified(alerts: pd.DataFrame, ids: Iterable[str], now: datetime) -> pd.DataFrame:
    """A copy of the table with ``Notified`` = ``now`` for the given ids not yet notified."""
    a = normalize(alerts)
    hit = a[Col.ALERT_ID].isin(set(ids)) & a[Col.NOTIFIED].isna()
    a.loc[hit, Col.NOTIFIED] = pd.Timestamp(now).floor("s")
    return a
