"""The notify job: mail a planned workbook's report and its new alerts.

Reads the tables a plan wrote (``LL_Plan``, ``LL_Alerts``, ``LL_Insights``, ``LL_Runs``), builds

* the **report** (key figures, the plan chart, top insights, new and open alerts), sent on every
  call, and
* an **alert mail** for the critical alerts not mailed before, sent only when there are some,

and sends them through the server in the ``LINEALYTICS_SMTP_*`` environment variables
(:class:`~linealytics_xl.adapters.mail.SmtpSettings`) to ``--to`` or the ``mail_to`` setting.

Bookkeeping is in the ``Notified`` column of ``LL_Alerts``: after a successful send the mailed
alerts get the time stamp, written back into the workbook (atomically, by the file adapter).
"New" in a mail means *not mailed before*, even if runs went by in between.  A failed send marks
nothing and raises :class:`NotifyFailed` (the command line exits 1), so the next call retries.
Delivery is at least once: the workbook is checked for writability before sending, but if
writing the marks still fails after a send, the next call mails the same alerts again.

Credentials are never written anywhere: they stay in the environment, and mail errors are
scrubbed of the password by the mail adapter.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

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
from .core.kpis import KPIS, format_bytes, format_kpi, plan_kpis, products_kpis
from .core.settings import SETTINGS_SHEET, Settings, settings_from_rows

__all__ = [
    "Mailing",
    "NotifyError",
    "NotifyFailed",
    "NotifyResult",
    "build_mailing",
    "notify",
    "recipients",
    "report_kpis",
    "send_alerts_for_book",
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


# --------------------------------------------------------------------------------------------
# Building the mails (no I/O but the chart rendering)
# --------------------------------------------------------------------------------------------


#: Where a dry run addresses its mails when neither --to nor mail_to names anybody (RFC 2606:
#: ``.invalid`` can never be delivered, so a copied .eml cannot reach a stranger).
PLACEHOLDER_RECIPIENT = "planner@example.invalid"


def _named(to: Sequence[str] | str | None, settings: Settings) -> list[str]:
    given = [to] if isinstance(to, str) else list(to or [])
    if not any(str(t).strip() for t in given):
        given = [settings.mail_to]
    return [p.strip() for t in given for p in str(t).split(";") if p.strip()]


def recipients(to: Sequence[str] | str | None, settings: Settings) -> list[str]:
    """``to`` when given, else the ``mail_to`` setting; ``;`` separates addresses (as in mail_to)."""
    out = _named(to, settings)
    if not out:
        raise NotifyError(f"no recipients: pass --to ADDRESS or set mail_to in the {SETTINGS_SHEET} sheet")
    bad = [a for a in out if "@" not in parseaddr(a)[1] or "\n" in a or "\r" in a]
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
    demand = float(pd.to_numeric(plan["DemandBytes"], errors="coerce").fillna(0.0).sum())
    kpis: dict[str, str | float] = {}
    if runs is not None and len(runs):
        last_run = runs.iloc[-1]
        kpis["Run"] = f"{last_run.get('RunId', '')} ({last_run.get('Time', '')})"
        kpis["Solver status"] = str(last_run.get("Status", ""))
    kpis["Products"] = len(products)
    kpis["Weeks"] = int(pd.to_numeric(plan["WeekIndex"], errors="coerce").nunique())
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
    if table is None or table.empty or "Message" not in table.columns:
        return []
    if "Rank" in table.columns:
        table = table.assign(_r=pd.to_numeric(table["Rank"], errors="coerce")).sort_values(
            "_r", kind="stable"
        )
    return [str(m) for m in table["Message"] if m is not None and str(m).strip()]


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
    new_ids = list(shown.loc[shown["Status"] == alerts_core.NEW, "AlertId"])
    return Mailing(rcpt, report, alert, new_ids, list(crit["AlertId"]), table)


def _send_all(mailing: Mailing, smtp: SmtpSettings, timeout: float, result: NotifyResult) -> MailError | None:
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


def _smtp_for(dry_run: bool, smtp: SmtpSettings | None, notes: list[str]) -> tuple[SmtpSettings, str]:
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


def _write_eml(mailing: Mailing, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, msg in (("report.eml", mailing.report), ("alert.eml", mailing.alert)):
        if msg is not None:
            path = folder / name
            path.write_bytes(msg.as_bytes())
            files.append(path)
    return files


# --------------------------------------------------------------------------------------------
# The job on a workbook file
# --------------------------------------------------------------------------------------------


def notify(
    path: str | os.PathLike[str],
    to: Sequence[str] | str | None = None,
    dry_run: bool = False,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    smtp: SmtpSettings | None = None,
    timeout: float = 30,
    now: datetime | None = None,
    wait_s: float | None = None,
) -> NotifyResult:
    """Mail the report (and the alert mail) of the planned workbook at ``path``.

    Raises `NotifyError` (no plan, no recipients), `WorkbookError` (unreadable, or open in Excel:
    checked before sending), `MailConfigError` (mail not configured) and `NotifyFailed` (a send
    failed; what was sent before it is marked).  ``dry_run`` writes ``report.eml`` (and
    ``alert.eml``) to ``out_dir`` (default ``<workbook>.runs/mail-<time>``) and sends nothing.
    A send marks alerts in the workbook: it holds the run lock (as a plan does; ``wait_s``).
    """
    from .adapters.run_lock import DEFAULT_WAIT_S, workbook_lock
    from .adapters.runlog import runs_dir
    from .adapters.workbook_file import WorkbookFile, check_writable

    with (
        nullcontext()
        if dry_run
        else workbook_lock([Path(path)], DEFAULT_WAIT_S if wait_s is None else wait_s)
    ):
        book = WorkbookFile(path)
        settings, _ = book.settings()
        notes: list[str] = []
        smtp, sender = _smtp_for(dry_run, smtp, notes)
        if dry_run and not _named(to, settings):
            to = [PLACEHOLDER_RECIPIENT]
            notes.append(
                f"no recipients given (--to or the mail_to setting): the mails are addressed to "
                f"{PLACEHOLDER_RECIPIENT} as a placeholder"
            )
        tabs = {name: book.table(name) for name in (tables.PLAN, tables.ALERTS, tables.INSIGHTS, tables.RUNS)}
        mailing = build_mailing(tabs, settings, book.path.name, to, sender)
        result = NotifyResult(mailing, dry_run, notes=notes)
        now = (now or datetime.now()).replace(microsecond=0)
        if dry_run:
            folder = Path(out_dir) if out_dir else runs_dir(book.path) / f"mail-{now:%Y%m%d-%H%M%S}"
            result.files = _write_eml(mailing, folder)
            return result
        check_writable(book.path)  # marks must be writable before anything is sent
        error = _send_all(mailing, smtp, timeout, result)
        if result.marked:
            marked = alerts_core.mark_notified(mailing.alerts, result.marked, now)
            book.write([], {tables.ALERTS: marked}, settings)
        if error is not None:
            raise NotifyFailed(_failure(error, result, "the next run retries them"), result)
        return result


def _failure(error: MailError, result: NotifyResult, retry: str) -> str:
    text = str(error).strip()
    if not text.endswith((".", "?", "!")):
        text += "."
    total = 1 + (result.mailing.alert is not None)
    if result.sent:
        text += f" {len(result.sent)} of {total} mails went out."
    return f"{text} The alerts not mailed stay unsent; {retry}."


# --------------------------------------------------------------------------------------------
# The ribbon's "Send alerts": the same job on the workbook open in Excel (xlwings)
# --------------------------------------------------------------------------------------------


def _sheet_rows(book: Any, name: str) -> list[list[Any]] | None:
    if name not in [s.name for s in book.sheets]:
        return None
    value = book.sheets[name].used_range.options(ndim=2).value
    return [list(r) for r in value] if value else None


def _book_table(book: Any, name: str) -> pd.DataFrame | None:
    rows = _sheet_rows(book, name)
    if not rows or all(v is None for v in rows[0]):
        return None
    body = [r for r in rows[1:] if any(v is not None and v != "" for v in r)]
    return pd.DataFrame(body, columns=[str(c) for c in rows[0]])


def _book_settings(book: Any) -> Settings:
    rows = _sheet_rows(book, SETTINGS_SHEET) or []
    parsed, issues = settings_from_rows(
        [
            (r, row[0], row[1] if len(row) > 1 else None)
            for r, row in enumerate(rows)
            if r > 0 and row and row[0] is not None
        ]
    )
    errors = [str(i) for i in issues if i.severity == "error"]
    if errors:
        raise NotifyError("The Settings sheet has problems: " + "; ".join(errors))
    return parsed


def send_alerts_for_book(
    book: Any,
    outcome: Any = None,
    *,
    to: Sequence[str] | str | None = None,
    smtp: SmtpSettings | None = None,
    timeout: float = 30,
    now: datetime | None = None,
) -> str:
    """Mail the report and new alerts of an open workbook (an ``xlwings.Book``); returns a
    sentence for the planner.

    ``outcome`` is the pipeline outcome the ribbon has just written into the book (its tables
    are used as they are); without it the tables are read from the book's sheets.  The mailed
    alerts are marked in the ``Notified`` column of the ``LL_Alerts`` sheet (rows matched by
    AlertId).  Raises `NotifyError` / `MailError` (incl. `NotifyFailed`) in plain words.
    """
    settings = _book_settings(book)
    smtp, sender = _smtp_for(False, smtp, [])
    names = (tables.PLAN, tables.ALERTS, tables.INSIGHTS, tables.RUNS)
    given = getattr(outcome, "tables", None) or {}
    tabs = {name: given[name] if name in given else _book_table(book, name) for name in names}
    mailing = build_mailing(tabs, settings, str(book.name), to, sender)
    result = NotifyResult(mailing, dry_run=False)
    error = _send_all(mailing, smtp, timeout, result)
    if result.marked:
        _mark_in_book(book, result.marked, (now or datetime.now()).replace(microsecond=0))
    if error is not None:
        raise NotifyFailed(_failure(error, result, "the next Send alerts retries them"), result)
    return result.summary()


def _mark_in_book(book: Any, ids: Sequence[str], now: datetime) -> None:
    """Write ``now`` into the ``Notified`` cells of the given alerts (rows matched by AlertId)."""
    rows = _sheet_rows(book, tables.ALERTS)
    header = [str(c) for c in rows[0]]
    if "Notified" not in header or "AlertId" not in header:
        raise NotifyError(
            f"the {tables.ALERTS} sheet has no Notified column; run the plan again (Run all) to update it"
        )
    id_col, col = header.index("AlertId"), header.index("Notified")
    wanted = set(ids)
    values = []
    for r in rows[1:]:
        old = r[col] if col < len(r) else None
        aid = str(r[id_col]).strip() if id_col < len(r) and r[id_col] is not None else ""
        values.append(now if aid in wanted and (old is None or old == "") else old)
    if not values:
        return
    sheet = book.sheets[tables.ALERTS]
    sheet.range((2, col + 1)).options(transpose=True).value = values
    sheet.range((2, col + 1), (len(values) + 1, col + 1)).number_format = "yyyy-mm-dd hh:mm:ss"
