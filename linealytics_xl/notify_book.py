"""The ribbon's "Send alerts": the notify job on the workbook open in Excel (xlwings).

The tables come from the outcome the ribbon has just written (or the book's sheets); the mailed
alerts are marked in the ``Notified`` cells of the ``LL_Alerts`` sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from .adapters.mail import SmtpSettings
from .core import tables
from .core.contract import Col
from .core.settings import SETTINGS_SHEET, Settings, read_settings
from .notify_mailing import (
    NotifyError,
    NotifyFailed,
    NotifyResult,
    build_mailing,
    failure_message,
    send_all,
    smtp_for,
)

if TYPE_CHECKING:
    import xlwings as xw  # untyped: an xlwings.Book is Any to mypy, but the name says what is meant

    from .core.pipeline import Outcome

__all__ = ["send_alerts_for_book"]


def _sheet_rows(book: xw.Book, name: str) -> list[list[Any]] | None:
    if name not in [s.name for s in book.sheets]:
        return None
    value = book.sheets[name].used_range.options(ndim=2).value
    return [list(r) for r in value] if value else None


def _book_table(book: xw.Book, name: str) -> pd.DataFrame | None:
    rows = _sheet_rows(book, name)
    if not rows or all(v is None for v in rows[0]):
        return None
    body = [r for r in rows[1:] if any(v is not None and v != "" for v in r)]
    return pd.DataFrame(body, columns=[str(c) for c in rows[0]])


def _book_settings(book: xw.Book) -> Settings:
    sheet = read_settings(_sheet_rows(book, SETTINGS_SHEET))
    errors = [str(i) for i in sheet.issues if i.severity == "error"]
    if errors:
        raise NotifyError("The Settings sheet has problems: " + "; ".join(errors))
    return sheet.settings


def send_alerts_for_book(
    book: xw.Book,
    outcome: Outcome | None = None,
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
    smtp, sender = smtp_for(False, smtp, [])
    names = (tables.PLAN, tables.ALERTS, tables.INSIGHTS, tables.RUNS)
    given = outcome.tables if outcome is not None else {}
    tabs = {name: given[name] if name in given else _book_table(book, name) for name in names}
    mailing = build_mailing(tabs, settings, str(book.name), to, sender)
    result = NotifyResult(mailing, dry_run=False)
    error = send_all(mailing, smtp, timeout, result)
    if result.marked:
        _mark_in_book(book, result.marked, (now or datetime.now()).replace(microsecond=0))
    if error is not None:
        raise NotifyFailed(failure_message(error, result, "the next Send alerts retries them"), result)
    return result.summary()


def _mark_in_book(book: xw.Book, ids: Sequence[str], now: datetime) -> None:
    """Write ``now`` into the ``Notified`` cells of the given alerts (rows matched by AlertId)."""
    rows = _sheet_rows(book, tables.ALERTS) or [[]]  # no sheet: no Notified column either
    header = [str(c) for c in rows[0]]
    if Col.NOTIFIED not in header or Col.ALERT_ID not in header:
        raise NotifyError(
            f"the {tables.ALERTS} sheet has no Notified column; run the plan again (Run all) to update it"
        )
    id_col, col = header.index(Col.ALERT_ID), header.index(Col.NOTIFIED)
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
