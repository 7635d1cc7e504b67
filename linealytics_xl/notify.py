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

import os
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

from .adapters.mail import SmtpSettings
from .core import alerts as alerts_core
from .core import tables
from .notify_book import send_alerts_for_book
from .notify_mailing import (
    PLACEHOLDER_RECIPIENT,
    Mailing,
    NotifyError,
    NotifyFailed,
    NotifyResult,
    build_mailing,
    failure_message,
    named_recipients,
    recipients,
    report_kpis,
    send_all,
    smtp_for,
)

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
        settings = book.settings().settings
        notes: list[str] = []
        smtp, sender = smtp_for(dry_run, smtp, notes)
        if dry_run and not named_recipients(to, settings):
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
        error = send_all(mailing, smtp, timeout, result)
        if result.marked:
            marked = alerts_core.mark_notified(mailing.alerts, result.marked, now)
            book.write([], {tables.ALERTS: marked}, settings)
        if error is not None:
            raise NotifyFailed(failure_message(error, result, "the next run retries them"), result)
        return result
