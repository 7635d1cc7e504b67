"""The mails of a notify call: recipients, key figures, the report and alert messages, sending.

Shared by the file job (:mod:`.notify`) and the ribbon's "Send alerts" on an open workbook
(:mod:`.notify_book`); no workbook I/O here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from .adapters.mail import (
    ENV_FROM,
    ENV_HOST,
    MailConfigError,
    MailError,
    RecipientsRefused,
    SmtpSettings,
    alert_message,
    new_critical_alerts,
    report_message,
    send,
)
from .core import alerts as alerts_core
from .core import tables
from .core.contract import Col
from .core.kpis import KPIS, format_bytes, format_kpi, plan_kpis, products_kpis
from .core.settings import SETTINGS_SHEET, Settings, addresses, not_addresses

__all__ = [
    "DRY_RUN_SENDER",
    "PLACEHOLDER_RECIPIENT",
    "Mailing",
    "NotifyError",
    "NotifyFailed",
    "NotifyResult",
    "build_mailing",
    "failure_message",
    "named_recipients",
    "recipients",
    "report_kpis",
    "send_all",
    "smtp_for",
]

DRY_RUN_SENDER = "Linealytics <linealytics@localhost>"


class NotifyError(Exception):
    """The workbook or the settings do not allow a mail (no plan, no recipients); plain words."""


class NotifyFailed(MailError):
    """Sending failed (all or part); ``result`` says what was sent and marked before it failed."""

    def __init__(self, message: str, result: NotifyResult):
        super().__init__(message)
        self.result = result


@dataclass
class Mailing:
    """The mails of one notify call, built but not sent."""

    recipients: list[str]
    report: EmailMessage
    alert: EmailMessage | None
    new_ids: list[str]  # active alerts not mailed before (all severities): in the report
    critical_ids: list[str]  # the critical ones among them: in the alert mail too
    alerts: pd.DataFrame  # the LL_Alerts table as read (normalised)


@dataclass
class NotifyResult:
    mailing: Mailing
    dry_run: bool
    sent: list[str] = field(default_factory=list)  # subjects of the messages sent
    marked: list[str] = field(default_factory=list)  # alert ids marked as notified
    files: list[Path] = field(default_factory=list)  # .eml files of a dry run
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        m = self.mailing
        verb = "Would send" if self.dry_run else "Sent"
        parts = [
            f"{verb} the report"
            + (" and an alert mail" if m.alert is not None else "")
            + f" to {', '.join(m.recipients)}."
        ]
        if self.dry_run:
            parts.append(
                f"{len(m.new_ids)} alert(s) not mailed before "
                f"({len(m.critical_ids)} critical); nothing was sent or marked."
            )
        else:
            parts.append(f"{len(self.marked)} alert(s) marked as notified.")
        return " ".join(parts)


#: Where a dry run addresses its mails when neither --to nor mail_to names anybody (RFC 2606:
#: ``.invalid`` can never be delivered, so a copied .eml cannot reach a stranger).
PLACEHOLDER_RECIPIENT = "planner@example.invalid"


def named_recipients(to: Sequence[str] | str | None, settings: Settings) -> list[str]:
    given = [to] if isinstance(to, str) else list(to or [])
    if not any(str(t).strip() for t in given):
        given = [settings.mail_to]
    return addresses(given)


def recipients(to: Sequence[str] | str | None, settings: Settings) -> list[str]:
    """``to`` when given, else the ``mail_to`` setting; ``;`` separates addresses (as in mail_to)."""
    out = named_recipients(to, settings)
    if not out:
        raise NotifyError(f"no recipients: pass --to ADDRESS or set mail_to in the {SETTINGS_SHEET} sheet")
    bad = not_addresses(out)
    if bad:
        raise NotifyError(
            f"not an e-mail address: {', '.join(map(repr, bad))} (from --to or the mail_to setting)"
        )
    return list(dict.fromkeys(out))


def report_kpis(plan: pd.DataFrame, runs: pd.DataFrame | None = None) -> dict[str, str | float]:
    """Key figures of a plan (``LL_Plan`` rows), under the KPI names and formats of `core.kpis`."""
    total = plan_kpis(plan)
    each = products_kpis(plan)
    products = list(each)
    short = [p for p, k in each.items() if k["shortage_bytes"] > 0]
    demand = float(pd.to_numeric(plan[Col.DEMAND_BYTES], errors="coerce").fillna(0.0).sum())
    kpis: dict[str, str | float] = {}
    if runs is not None and len(runs):
        last_run = runs.iloc[-1]
        kpis["Run"] = f"{last_run.get('RunId', '')} ({last_run.get('Time', '')})"
        kpis["Solver status"] = str(last_run.get(Col.STATUS, ""))
    kpis["Products"] = len(products)
    kpis["Weeks"] = int(pd.to_numeric(plan[Col.WEEK_INDEX], errors="coerce").nunique())
    kpis["Demand"] = format_bytes(demand)
    kpis[KPIS["wafers"].name] = format_kpi("wafers", total["wafers"])
    kpis[KPIS["service_level"].name] = format_kpi("service_level", total["service_level"])
    unserved = total["shortage_bytes"]
    kpis[KPIS["shortage_bytes"].name] = (
        f"{format_bytes(unserved)} ({unserved / demand:.1%} of demand)"
        if demand > 0
        else format_bytes(unserved)
    )
    kpis["Products short"] = ", ".join(short) if short else "none"
    across = {
        "weeks_with_backlog": " (product-weeks)",
        "quarter_ends_below_ss": " (product-quarters)",
        "weeks_below_ss": " (product-weeks)",
        "capacity_use": "",
    }  # all products' counts add up
    for key, suffix in across.items():
        kpis[KPIS[key].name + suffix] = format_kpi(key, total[key])
    return kpis


def _insights(table: pd.DataFrame | None) -> list[str]:
    if table is None or table.empty or Col.MESSAGE not in table.columns:
        return []
    if Col.RANK in table.columns:
        table = table.assign(_r=pd.to_numeric(table[Col.RANK], errors="coerce")).sort_values(
            "_r", kind="stable"
        )
    return [str(m) for m in table[Col.MESSAGE] if m is not None and str(m).strip()]


_last_chart: dict[str, bytes] = {}


def _chart(plan: pd.DataFrame) -> bytes:
    """The plan chart; the last one is kept, since drawing takes a second or two and the same plan
    is often mailed more than once in a session (the chart is deterministic: same plan, same bytes)."""
    from .adapters.charts import plan_chart_png

    key = hashlib.sha256(pd.util.hash_pandas_object(plan, index=False).to_numpy().tobytes()).hexdigest()
    if key not in _last_chart:
        png = plan_chart_png(plan)
        _last_chart.clear()
        _last_chart[key] = png
    return _last_chart[key]


def build_mailing(
    tabs: Mapping[str, pd.DataFrame | None],
    settings: Settings,
    workbook_name: str,
    to: Sequence[str] | str | None,
    sender: str,
    chart: bool = True,
) -> Mailing:
    """The report and (when there are critical alerts not mailed before) the alert mail."""
    plan = tabs.get(tables.PLAN)
    if plan is None or plan.empty:
        raise NotifyError(
            f"{workbook_name} has no {tables.PLAN} table: plan it first (linealytics plan {workbook_name})"
        )
    rcpt = recipients(to, settings)
    table = alerts_core.normalize(tabs.get(tables.ALERTS))
    shown = alerts_core.for_mail(table)
    crit = new_critical_alerts(shown)
    png = _chart(plan) if chart else None
    report = report_message(
        sender=sender,
        recipients=rcpt,
        workbook_name=workbook_name,
        kpis=report_kpis(plan, tabs.get(tables.RUNS)),
        insights=_insights(tabs.get(tables.INSIGHTS)),
        alerts=shown,
        chart_png=png,
    )
    alert = None
    if not crit.empty:
        alert = alert_message(
            sender=sender, recipients=rcpt, workbook_name=workbook_name, alerts=shown, chart_png=png
        )
    new_ids = list(shown.loc[shown[Col.STATUS] == alerts_core.NEW, Col.ALERT_ID])
    return Mailing(rcpt, report, alert, new_ids, list(crit[Col.ALERT_ID]), table)


def send_all(mailing: Mailing, smtp: SmtpSettings, timeout: float, result: NotifyResult) -> MailError | None:
    """Send the alert mail, then the report; stop at the first failure.  Fills ``result.sent``
    and ``result.marked``; returns the error, if any."""
    plan = []
    if mailing.alert is not None:
        plan.append((mailing.alert, mailing.critical_ids))
    plan.append((mailing.report, mailing.new_ids))
    for message, ids in plan:
        try:
            send(message, smtp, timeout=timeout)
        except RecipientsRefused as exc:
            if not exc.delivered:
                return exc
            # delivered to the others: they have it, do not send it again
            result.sent.append(str(message["Subject"]))
            result.marked = list(dict.fromkeys(result.marked + ids))
            return exc
        except MailError as exc:
            return exc
        result.sent.append(str(message["Subject"]))
        result.marked = list(dict.fromkeys(result.marked + ids))
    return None


def smtp_for(dry_run: bool, smtp: SmtpSettings | None, notes: list[str]) -> tuple[SmtpSettings, str]:
    if smtp is None:
        try:
            smtp = SmtpSettings.from_env()
        except MailConfigError as exc:
            if not dry_run:
                raise
            notes.append(f"Mail is not configured correctly: {exc}")
            smtp = SmtpSettings(host=None)
    if dry_run:
        return smtp, smtp.sender or DRY_RUN_SENDER
    if not smtp.configured:
        raise MailConfigError(f"cannot send mail: {ENV_HOST} is not set (try --dry-run to see the mails).")
    if not smtp.sender:
        raise MailConfigError(f"cannot send mail: set {ENV_FROM} to the sender address.")
    return smtp, smtp.sender


def failure_message(error: MailError, result: NotifyResult, retry: str) -> str:
    text = str(error).strip()
    if not text.endswith((".", "?", "!")):
        text += "."
    total = 1 + (result.mailing.alert is not None)
    if result.sent:
        text += f" {len(result.sent)} of {total} mails went out."
    return f"{text} The alerts not mailed stay unsent; {retry}."
