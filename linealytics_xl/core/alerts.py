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

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from .explain import ProductSummary, at_capacity, backlog_tolerance
from .model import Issue, PlanningData
from .optimize import PlanResult
from .risk import RiskResult
from .settings import Settings
from .tables import ALERTS, ALERTS_COLUMNS  # noqa: F401 - ALERTS re-exported: the table name

#: The table's columns (``Notified``: when the alert was mailed, empty until then).
ALERT_COLUMNS = list(ALERTS_COLUMNS)
SEVERITIES = ("critical", "warning", "info")
TYPES = (
    "stockout",
    "stockout_risk",
    "safety_stock",
    "overproduction",
    "capacity",
    "forecast_drift",
    "data_quality",
)
NEW, OPEN, RESOLVED = "new", "open", "resolved"
ACTIVE = (NEW, OPEN)

TOTAL = "Total"  # product name of alerts about the total capacity
RISK_GAP_WEEKS = 13  # stock-out risk runs closer than this are one episode
BAND_PROMISE = 0.2  # share of actuals a P10-P90 band lets fall outside it
DRIFT_ALPHA = 0.05  # significance of the drift test
_REL_TOL, _ABS_TOL = 1e-6, 64.0  # solver round-off when comparing stock with a target


@dataclass(frozen=True)
class Condition:
    """One alert-worthy episode of the current run.

    ``anchor`` identifies the episode together with ``type`` and ``product`` (it goes into the
    ``AlertId``); ``week`` is what the table shows (a week, a range of weeks or quarters, ...).
    """

    type: str
    severity: str
    product: str
    anchor: str
    week: str
    value: float
    threshold: float
    message: str

    @property
    def alert_id(self) -> str:
        return alert_id(self.type, self.product, self.anchor)


def alert_id(type_: str, product: str, anchor: str) -> str:
    """Stable id of a condition: the same type, product and anchor give the same id in every run."""
    key = "\x1f".join((str(type_).strip(), str(product).strip(), str(anchor).strip()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12].upper()


# --------------------------------------------------------------------------------------------
# Finding conditions
# --------------------------------------------------------------------------------------------


def _size(x: float) -> str:
    x = float(x)
    for scale, unit in ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB")):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit}"
    return f"{x:,.0f} bytes"


def runs(mask: Sequence[bool] | np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """``(first, last)`` index of each run of True; runs separated by at most ``max_gap`` False
    values are merged."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


class _Axis:
    """Week and quarter names of a plan."""

    def __init__(self, data: PlanningData):
        self.labels = data.weeks.labels
        self.quarters = data.weeks.quarters

    def week(self, t: int) -> str:
        return f"{self.quarters[t]} {self.labels[t]}"

    def weeks(self, a: int, b: int) -> str:
        return self.week(a) if a == b else f"{self.week(a)} to {self.week(b)}"


def _quarter_span(names: Sequence[str], a: int, b: int) -> str:
    return names[a] if a == b else f"{names[a]} to {names[b]}"


def stockout_conditions(
    data: PlanningData, result: PlanResult, summaries: Sequence[ProductSummary] | None = None
) -> list[Condition]:
    ax = _Axis(data)
    found = []
    by_product = {s.product: s for s in summaries or ()}
    for p, name in enumerate(data.products):
        backlog = result.backlog[p]
        tol = backlog_tolerance(float(data.demand[p].sum()))
        for a, b in runs(backlog > tol):
            peak_t = a + int(np.argmax(backlog[a : b + 1]))
            peak = float(backlog[peak_t])
            n = b - a + 1
            msg = (
                f"{name} cannot meet demand in {n} week{'s' if n != 1 else ''} "
                f"({ax.weeks(a, b)}): backlog peaks at {_size(peak)} in {ax.week(peak_t)}"
            )
            if b == data.n_weeks - 1:
                msg += f", and {_size(backlog[-1])} is still unserved at the end of the plan"
            s = by_product.get(name)
            if s is not None and s.binding:
                msg += f". {s.binding[0].upper()}{s.binding[1:]} binds"
                if math.isfinite(s.extra_wafers_per_week) and s.extra_wafers_per_week > 0:
                    msg += f"; {s.extra_wafers_per_week:,.0f} more wafers per week would close the gap"
            found.append(
                Condition("stockout", "critical", name, ax.week(a), ax.weeks(a, b), peak, 0.0, msg + ".")
            )
    return found


def stockout_risk_conditions(
    data: PlanningData, result: PlanResult, risk: RiskResult, threshold: float
) -> list[Condition]:
    ax = _Axis(data)
    found = []
    for p, name in enumerate(data.products):
        tol = backlog_tolerance(float(data.demand[p].sum()))
        prob = np.asarray(risk.stockout_probability[p], dtype=float)
        risky = (result.backlog[p] <= tol) & (prob > threshold)
        for a, b in runs(risky, max_gap=RISK_GAP_WEEKS - 1):
            weeks = int(risky[a : b + 1].sum())
            peak_t = a + int(np.argmax(np.where(risky[a : b + 1], prob[a : b + 1], -1.0)))
            peak = float(prob[peak_t])
            where = (
                f"in {ax.week(a)}"
                if a == b
                else f"in {weeks} week{'s' if weeks != 1 else ''} between {ax.week(a)} and {ax.week(b)}"
            )
            msg = (
                f"{name}: the plan covers demand, but the chance of running out exceeds "
                f"{threshold:.0%} {where}; highest {peak:.0%}"
                + (f" in {ax.week(peak_t)}." if a != b else ".")
            )
            found.append(
                Condition(
                    "stockout_risk", "warning", name, ax.week(a), ax.weeks(a, b), peak, float(threshold), msg
                )
            )
    return found


def _quarter_ends(data: PlanningData, result: PlanResult):
    ends = data.quarter_end_weeks()
    valid = np.flatnonzero(ends >= 0)
    names = [data.quarters[q] for q in valid]
    return valid, ends[valid], names, result.stock[:, ends[valid]]


def safety_stock_conditions(
    data: PlanningData, result: PlanResult, band_low_bytes: float | None = None
) -> list[Condition]:
    valid, _, names, stock = _quarter_ends(data, result)
    target = data.safety_stock[:, valid].astype(float)
    if band_low_bytes is not None:
        target = np.maximum(target, band_low_bytes)
    found = []
    for p, name in enumerate(data.products):
        below = (target[p] > 0) & (stock[p] < target[p] * (1 - _REL_TOL) - _ABS_TOL)
        for a, b in runs(below):
            gap = target[p, a : b + 1] - stock[p, a : b + 1]
            worst = a + int(np.argmax(gap))
            n = b - a + 1
            what = "stock target" if band_low_bytes is not None else "safety stock target"
            msg = (
                f"{name} ends {n} quarter{'s' if n != 1 else ''} ({_quarter_span(names, a, b)}) "
                f"below its {what}; worst {names[worst]}: {_size(stock[p, worst])} against "
                f"{_size(target[p, worst])} ({_size(gap.max())} short)."
            )
            found.append(
                Condition(
                    "safety_stock",
                    "warning",
                    name,
                    names[a],
                    _quarter_span(names, a, b),
                    float(stock[p, worst]),
                    float(target[p, worst]),
                    msg,
                )
            )
    return found


def overproduction_conditions(
    data: PlanningData, result: PlanResult, overstock_factor: float, band_high_bytes: float | None = None
) -> list[Condition]:
    valid, _, names, stock = _quarter_ends(data, result)
    sst = data.safety_stock[:, valid].astype(float)
    limit = np.where(sst > 0, overstock_factor * sst, np.inf)
    if band_high_bytes is not None:
        limit = np.minimum(limit, band_high_bytes)
    found = []
    for p, name in enumerate(data.products):
        over = np.isfinite(limit[p]) & (stock[p] > limit[p] * (1 + _REL_TOL) + _ABS_TOL)
        for a, b in runs(over):
            excess = stock[p, a : b + 1] - limit[p, a : b + 1]
            worst = a + int(np.argmax(excess))
            n = b - a + 1
            if band_high_bytes is not None and limit[p, worst] == band_high_bytes:
                rule = f"the stock band's upper end ({_size(band_high_bytes)})"
            else:
                rule = f"{overstock_factor:g}x its safety stock target"
            msg = (
                f"{name} ends {n} quarter{'s' if n != 1 else ''} ({_quarter_span(names, a, b)}) "
                f"above {rule}; worst {names[worst]}: {_size(stock[p, worst])}, "
                f"{_size(excess.max())} above the limit."
            )
            found.append(
                Condition(
                    "overproduction",
                    "warning",
                    name,
                    names[a],
                    _quarter_span(names, a, b),
                    float(stock[p, worst]),
                    float(limit[p, worst]),
                    msg,
                )
            )
    return found


def capacity_conditions(data: PlanningData, result: PlanResult, min_weeks: int) -> list[Condition]:
    ax = _Axis(data)
    prod_full, total_full = at_capacity(data, result)
    found = []
    masks = [(name, prod_full[p], data.capacity[p]) for p, name in enumerate(data.products)]
    if np.isfinite(data.total_capacity).any():
        masks.append((TOTAL, total_full, data.total_capacity))
    for name, mask, cap in masks:
        for a, b in runs(mask):
            n = b - a + 1
            if n < min_weeks:
                continue
            whose = "the fab's total capacity" if name == TOTAL else f"{name}'s capacity"
            msg = (
                f"The plan uses all of {whose} for {n} weeks in a row ({ax.weeks(a, b)}, "
                f"{float(np.mean(cap[a : b + 1])):,.0f} wafers a week on average): no headroom "
                f"for demand above plan or a lost week."
            )
            found.append(
                Condition(
                    "capacity", "warning", name, ax.week(a), ax.weeks(a, b), float(n), float(min_weeks), msg
                )
            )
    return found


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def band_drift(
    actual: np.ndarray,
    p10: np.ndarray,
    p90: np.ndarray,
    promise: float = BAND_PROMISE,
    alpha: float = DRIFT_ALPHA,
) -> tuple[int, int, bool]:
    """(weeks outside the band, weeks compared, drifting?) over the weeks where all are known.

    Drifting means more weeks outside than the band promises (``promise`` = 20 % for P10-P90)
    and so many that chance explains it with probability below ``alpha``.
    """
    actual, p10, p90 = (np.asarray(x, dtype=float) for x in (actual, p10, p90))
    known = np.isfinite(actual) & np.isfinite(p10) & np.isfinite(p90)
    n = int(known.sum())
    if n == 0:
        return 0, 0, False
    k = int(((actual[known] < p10[known]) | (actual[known] > p90[known])).sum())
    return k, n, k > promise * n and binomial_tail(k, n, promise) < alpha


def _drift_condition(name: str, source: str, anchor: str, week: str, k: int, n: int) -> Condition:
    msg = (
        f"{name}: actual demand fell outside the forecast's P10-P90 band in {k} of {n} recent "
        f"weeks ({week}, {source}), where the band promises about {BAND_PROMISE:.0%}: the "
        f"demand pattern has likely changed; check the forecast before trusting its risk figures."
    )
    return Condition("forecast_drift", "warning", name, f"{source}: {anchor}", week, k / n, BAND_PROMISE, msg)


def backtest_drift_conditions(data: PlanningData, forecast_result) -> list[Condition]:
    """Drift in the latest backtest window, where actuals are known.

    The band of the latest window is the window's forecast plus the 10th and 90th percentiles of
    the errors of the earlier windows that end before it starts (relative to each window's
    forecast level, as the scenarios use them), so the recent actuals are judged against a band
    built without them.  At least two such windows are needed.
    """
    bt = getattr(forecast_result, "backtest", None)
    if bt is None or bt.actuals.shape[0] < 3:
        return []
    ax = _Axis(data)
    found = []
    start = int(bt.origins[-1])
    h = bt.actuals.shape[2]
    earlier = np.flatnonzero(np.asarray(bt.origins) + h <= start)
    if start + h > data.n_weeks or earlier.size < 2:
        return []
    for p, label in enumerate(bt.products):
        model = forecast_result.choices.get(label)
        if model is None or model not in bt.forecasts:
            continue
        rel = bt.relative_errors(model)[:, p, :]
        fc = bt.forecasts[model][-1, p]
        level = float(fc.mean())
        if level <= 0:
            continue
        lo, hi = np.quantile(rel[earlier].ravel(), [0.1, 0.9])
        k, n, drifting = band_drift(bt.actuals[-1, p], fc + lo * level, fc + hi * level)
        if drifting:
            week = ax.weeks(start, start + h - 1)
            found.append(_drift_condition(str(label), "latest backtest window", ax.week(start), week, k, n))
    return found


def forecast_table_drift_conditions(forecast: pd.DataFrame | None) -> list[Condition]:
    """Drift in the ``LL_Forecast`` rows that were forecast (not history) and have an actual."""
    if forecast is None or forecast.empty:
        return []
    rows = forecast[~forecast["Model"].astype(str).isin(["workbook", ""])]
    rows = rows[rows[["Actual", "P10", "P90"]].notna().all(axis=1)]
    found = []
    for name, g in rows.groupby("Product", sort=False):
        g = g.sort_values("WeekIndex")
        k, n, drifting = band_drift(g["Actual"], g["P10"], g["P90"])
        if drifting:
            first, last = g.iloc[0], g.iloc[-1]
            week = f"{first['Week']} to {last['Week']}" if len(g) > 1 else str(first["Week"])
            found.append(
                _drift_condition(str(name), "forecast weeks", f"week {int(first['WeekIndex'])}", week, k, n)
            )
    return found


def data_quality_conditions(issues: Iterable[Issue]) -> list[Condition]:
    by_sheet: dict[str, list[Issue]] = {}
    for i in issues:
        if i.severity != "error":
            by_sheet.setdefault(i.sheet, []).append(i)
    found = []
    for sheet, items in by_sheet.items():
        cells = [i.cell for i in items if i.cell]
        shown = ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
        first = items[0]
        msg = (
            f"{len(items)} data-quality warning{'s' if len(items) != 1 else ''} on sheet "
            f"{sheet}" + (f" ({shown})" if shown else "") + f", e.g. {first}. The plan used the "
            f"corrected values; details in LL_DataQuality."
        )
        found.append(Condition("data_quality", "info", "", sheet, "", float(len(items)), float("nan"), msg))
    return found


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
    forecast_result=None,
    forecast: pd.DataFrame | None = None,
    warnings: Iterable[Issue] = (),
) -> list[Condition]:
    """Every alert condition of a run, in the order of :data:`TYPES`."""
    found = stockout_conditions(data, result, summaries)
    if risk is not None:
        found += stockout_risk_conditions(data, result, risk, settings.stockout_probability_alert)
    found += safety_stock_conditions(data, result, settings.band_low_bytes)
    found += overproduction_conditions(data, result, settings.overstock_factor, settings.band_high_bytes)
    found += capacity_conditions(data, result, settings.capacity_alert_weeks)
    if forecast_result is not None:
        found += backtest_drift_conditions(data, forecast_result)
    found += forecast_table_drift_conditions(forecast)
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
    for c in ("AlertId", "Severity", "Type", "Product", "Week", "Message", "Status"):
        out[c] = _text(out[c]) if len(out) else out[c].astype(object)
    for c in ("Product", "Week"):  # nullable: empty cells, not empty strings
        out[c] = out[c].map(lambda v: v if v else None).astype(object)
    for c in ("Value", "Threshold"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in ("FirstSeen", "LastSeen", "Notified"):
        out[c] = pd.to_datetime(
            out[c].map(lambda v: None if isinstance(v, str) and not v.strip() else v), errors="coerce"
        ).astype("datetime64[ns]")
    return out.reset_index(drop=True)


def normalize(previous: pd.DataFrame | None) -> pd.DataFrame:
    """An ``LL_Alerts`` table as read back from a workbook (any cell types, possibly from an older
    version without ``Notified``) in the table's columns and types; unusable input gives an
    empty table."""
    if previous is None or not {"AlertId", "Status"} <= set(map(str, previous.columns)):
        return empty_table()
    frame = previous.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame = _typed(frame)
    frame = frame[frame["AlertId"] != ""]
    frame["Status"] = frame["Status"].str.lower()
    frame["Severity"] = frame["Severity"].str.lower()
    return frame.drop_duplicates("AlertId", keep="last").reset_index(drop=True)


def reconcile(
    previous: pd.DataFrame | None,
    current: Sequence[Condition],
    now: datetime,
    evaluated: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The new ``LL_Alerts`` table from the previous one and this run's conditions.

    A condition whose id is active (new or open) in ``previous`` is ``open``, keeping its
    ``FirstSeen`` and ``Notified``; any other condition is ``new`` (``FirstSeen`` = ``now``);
    previous active alerts not among the conditions are ``resolved`` (``LastSeen`` stays the last
    run that saw them) -- unless their type is not in ``evaluated`` (default: all types), e.g. a
    risk alert in a run without scenarios: those stay as they were.  Resolved alerts stay as they
    are.  Rows: this run's alerts by severity, type and the conditions' order, then the active
    alerts carried over unchecked, then the resolved ones, most recently seen first.
    """
    now = pd.Timestamp(now).floor("s")
    prev = normalize(previous)
    prev_by_id = {r["AlertId"]: r for r in prev.to_dict("records")}
    rows, seen = [], set()
    for order, c in enumerate(current):
        aid = c.alert_id
        if aid in seen:  # the same episode twice: keep the first (rules give unique anchors)
            continue
        seen.add(aid)
        old = prev_by_id.get(aid)
        active_before = old is not None and old["Status"] in ACTIVE
        rows.append(
            {
                "AlertId": aid,
                "Severity": c.severity,
                "Type": c.type,
                "Product": c.product,
                "Week": c.week,
                "Value": float(c.value),
                "Threshold": float(c.threshold),
                "Message": c.message,
                "FirstSeen": old["FirstSeen"] if active_before and pd.notna(old["FirstSeen"]) else now,
                "LastSeen": now,
                "Status": OPEN if active_before else NEW,
                "Notified": old["Notified"] if active_before else pd.NaT,
                "_order": order,
            }
        )
    active = pd.DataFrame(rows, columns=ALERT_COLUMNS + ["_order"])
    if len(active):
        active["_sev"] = active["Severity"].map(_SEVERITY_RANK).fillna(9)
        active["_type"] = active["Type"].map(_TYPE_RANK).fillna(99)
        active = active.sort_values(["_sev", "_type", "_order"], kind="stable")
    checked = set(TYPES if evaluated is None else evaluated)
    gone = prev[~prev["AlertId"].isin(seen)].copy()
    unchecked = gone["Status"].isin(ACTIVE) & ~gone["Type"].isin(checked)
    carried, gone = gone[unchecked], gone[~unchecked]
    gone.loc[gone["Status"].isin(ACTIVE), "Status"] = RESOLVED
    gone = gone.sort_values("LastSeen", ascending=False, kind="stable", na_position="last")
    parts = [f[ALERT_COLUMNS] for f in (active, carried, gone) if len(f)]
    return _typed(pd.concat(parts, ignore_index=True)) if parts else empty_table()


# --------------------------------------------------------------------------------------------
# Notification bookkeeping (used by the mailer)
# --------------------------------------------------------------------------------------------


def unnotified(alerts: pd.DataFrame) -> pd.Series:
    """Mask of the active alerts that have not been mailed yet."""
    a = normalize(alerts)
    return a["Status"].isin(ACTIVE) & a["Notified"].isna()


def for_mail(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The active alerts as the mail shows them: ``new`` = not mailed before (whatever the runs
    in between), ``open`` = mailed before and still there."""
    a = normalize(alerts)
    a = a[a["Status"].isin(ACTIVE)].copy()
    a["Status"] = np.where(a["Notified"].isna(), NEW, OPEN)
    return a.reset_index(drop=True)


def mark_notified(alerts: pd.DataFrame, ids: Iterable[str], now: datetime) -> pd.DataFrame:
    """A copy of the table with ``Notified`` = ``now`` for the given ids not yet notified."""
    a = normalize(alerts)
    hit = a["AlertId"].isin(set(ids)) & a["Notified"].isna()
    a.loc[hit, "Notified"] = pd.Timestamp(now).floor("s")
    return a
