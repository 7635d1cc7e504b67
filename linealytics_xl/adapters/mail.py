"""E-mail adapter: SMTP settings from the environment, report and alert messages, sending.

Three parts, used in this order by the headless run::

    settings = SmtpSettings.from_env()                       # reads LINEALYTICS_* variables
    msg = report_message(sender=settings.sender, recipients=[...], workbook_name=...,
                         kpis=..., insights=..., alerts=..., chart_png=...)
    send(msg, settings)                                      # raises MailError in plain words

Composition (``report_message``, ``alert_message``, ``new_critical_alerts``) is pure: no network,
no clock beyond the ``Date`` header, no DNS.  Everything that comes from data (product names,
alert messages, KPI names, insights, the workbook name) is HTML-escaped in the HTML part and
stripped of line breaks in headers.

The SMTP password is never shown: not by ``repr(settings)``, not in any ``MailError`` text (server
replies are scrubbed of it too), and the low-level exception that could carry it is not chained.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import html
import numbers
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from pathlib import PureWindowsPath

import pandas as pd

from ..core import contract

__all__ = [
    "ALERT_COLUMNS",
    "MailConfigError",
    "MailError",
    "RecipientsRefused",
    "SmtpSettings",
    "alert_message",
    "new_critical_alerts",
    "report_message",
    "send",
]

ENV_HOST = "LINEALYTICS_SMTP_HOST"
ENV_PORT = "LINEALYTICS_SMTP_PORT"
ENV_USER = "LINEALYTICS_SMTP_USER"
ENV_PASSWORD = "LINEALYTICS_SMTP_PASSWORD"
ENV_STARTTLS = "LINEALYTICS_SMTP_STARTTLS"
ENV_FROM = "LINEALYTICS_MAIL_FROM"

#: Columns of the alerts table (``LL_Alerts``).
#: The ``LL_Alerts`` columns a mail needs: the contract's, less ``Notified`` (the mail sets it).
ALERT_COLUMNS = tuple(c for c in contract.ALERTS.names if c != "Notified")

# Bodies are made 7-bit safe (quoted-printable or base64 for non-ASCII text) with lines within
# RFC 2045's 76 characters, so relays without 8BITMIME take them unchanged.
_BUILD_POLICY = email.policy.default.clone(cte_type="7bit", max_line_length=76)
# The finished message folds headers only beyond SMTP's 998-character limit: Python folds a
# header whose value is just too long for the first line as "Subject:\n <value>", which its own
# parser reads back with a leading space.  Our subjects stay far below 998 characters.
_SEND_POLICY = email.policy.default.clone(cte_type="7bit", max_line_length=998)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class MailError(Exception):
    """Sending failed; ``str(error)`` says why in plain words and never contains the password."""


class MailConfigError(MailError, ValueError):
    """A ``LINEALYTICS_*`` mail variable is missing or invalid; the message names the variable."""


class RecipientsRefused(MailError):
    """The server refused some or all recipients.

    ``refused`` maps each refused address to ``(code, server reply)``; ``delivered`` is True when
    the message was nevertheless accepted for the other recipients (do not resend it to them).
    """

    def __init__(self, message: str, refused: dict[str, tuple[int, str]], delivered: bool):
        super().__init__(message)
        self.refused = refused
        self.delivered = delivered


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail.  Build it with :meth:`from_env`.

    ``host`` may be None: mail is then not configured (``configured`` is False) and :func:`send`
    raises a :class:`MailConfigError` naming ``LINEALYTICS_SMTP_HOST``.
    """

    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str | None = None

    def __repr__(self) -> str:
        pw = "'***'" if self.password else "None"
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port!r}, user={self.user!r}, "
            f"password={pw}, starttls={self.starttls!r}, sender={self.sender!r})"
        )

    __str__ = __repr__

    @property
    def configured(self) -> bool:
        """True when a host is set, i.e. mail can be sent."""
        return bool(self.host)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read the ``LINEALYTICS_SMTP_*`` / ``LINEALYTICS_MAIL_FROM`` variables.

        ``environ`` defaults to ``os.environ`` (looked up at call time: a default of
        ``os.environ`` itself would put the whole environment, password included, into
        ``help()`` and generated docs).

        Empty values count as unset.  Raises :class:`MailConfigError` naming the variable for an
        invalid port, a STARTTLS flag other than 1/0, a user without password (or the reverse),
        an invalid sender address, or a line break in any value.
        """

        if environ is None:
            environ = os.environ

        def get(name: str, strip: bool = True) -> str | None:
            raw = environ.get(name)
            if raw is None:
                return None
            value = raw.strip() if strip else raw
            if not value.strip():
                return None
            if "\r" in value or "\n" in value:
                what = "a line break" if name != ENV_PASSWORD else "a line break (value not shown)"
                raise MailConfigError(f"{name} contains {what}; give it on one line.")
            return value

        host = get(ENV_HOST)
        if host is not None and (any(c.isspace() for c in host) or "/" in host):
            raise MailConfigError(
                f"{ENV_HOST} must be a host name or IP address such as smtp.example.com, got {host!r}."
            )

        flag = get(ENV_STARTTLS)
        if flag is None or flag.lower() in _TRUE:
            starttls = True
        elif flag.lower() in _FALSE:
            starttls = False
        else:
            raise MailConfigError(f"{ENV_STARTTLS} must be 1 (use STARTTLS) or 0 (plain), got {flag!r}.")

        port_text = get(ENV_PORT)
        if port_text is None:
            port = 587 if starttls else 25
        else:
            try:
                port = int(port_text, 10)
            except ValueError:
                port = -1
            if not 1 <= port <= 65535:
                raise MailConfigError(f"{ENV_PORT} must be a port number from 1 to 65535, got {port_text!r}.")

        user = get(ENV_USER)
        password = get(ENV_PASSWORD, strip=False)
        if user is not None and password is None:
            raise MailConfigError(f"{ENV_USER} is set but {ENV_PASSWORD} is not; set both or neither.")
        if password is not None and user is None:
            raise MailConfigError(f"{ENV_PASSWORD} is set but {ENV_USER} is not; set both or neither.")

        sender = get(ENV_FROM)
        if sender is not None:
            _, addr = parseaddr(sender)
            if "@" not in addr:
                raise MailConfigError(
                    f"{ENV_FROM} must be an e-mail address such as planning@example.com "
                    f"or 'Linealytics <planning@example.com>', got {sender!r}."
                )
        elif user is not None and "@" in user:
            sender = user

        return cls(host=host, port=port, user=user, password=password, starttls=starttls, sender=sender)


# --------------------------------------------------------------------------------------------
# Composition helpers
# --------------------------------------------------------------------------------------------

_SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
_STATUS_RANK = {"new": 0, "open": 1}
_SHOWN_ALERT_COLUMNS = (
    "Status",
    "Severity",
    "Product",
    "Week",
    "Type",
    "Value",
    "Threshold",
    "Message",
    "FirstSeen",
    "AlertId",
)
_MAX_ALERT_ROWS = 50

_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328"
_TABLE = "border-collapse:collapse;margin:4px 0 16px 0;font-size:13px"
_TH = "text-align:left;padding:4px 8px;border-bottom:2px solid #8c959f;background:#f6f8fa"
_TD = "padding:4px 8px;border-bottom:1px solid #d0d7de;vertical-align:top"
_TD_NUM = _TD + ";text-align:right;white-space:nowrap"
_SEVERITY_STYLE = {
    "critical": "color:#ffffff;background:#cf222e;font-weight:bold",
    "error": "color:#ffffff;background:#cf222e",
    "warning": "color:#1f2328;background:#f2cc60",
}


def _one_line(text: object, limit: int | None = None) -> str:
    """Collapse whitespace (including line breaks) so the text is safe in a header."""
    out = " ".join(str(text).split())
    if limit is not None and len(out) > limit:
        out = out[: max(1, limit - 1)].rstrip() + "…"
    return out


def _workbook(name: str) -> str:
    # PureWindowsPath splits on both "/" and "\\": a full path from Excel becomes its file name.
    base = PureWindowsPath(str(name)).name or str(name)
    return _one_line(base, 60) or "workbook"


def _check_addresses(sender: str, recipients: str | Sequence[str]) -> list[str]:
    """Recipients as a list; a string (or an item) may hold several addresses split by ';',
    as the workbook's ``mail_to`` setting does."""
    if isinstance(recipients, str):
        recipients = [recipients]
    recips = [part.strip() for r in recipients for part in str(r).split(";") if part.strip()]
    if not recips:
        raise ValueError("no recipients given")
    for addr in [sender, *recips]:
        if "\r" in str(addr) or "\n" in str(addr):
            raise ValueError(f"e-mail address contains a line break: {addr!r}")
        if "@" not in parseaddr(str(addr))[1]:
            raise ValueError(f"not an e-mail address: {addr!r}")
    return recips


def _new_message(sender: str, recipients: list[str], subject: str) -> EmailMessage:
    msg = EmailMessage(policy=_BUILD_POLICY)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    # An explicit domain: make_msgid() would otherwise call socket.getfqdn() (DNS, can be slow).
    domain = parseaddr(sender)[1].rpartition("@")[2] or "linealytics.invalid"
    msg["Message-ID"] = make_msgid("linealytics", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    return msg


def _fmt(value: object) -> str:
    """Format a table or KPI value for people: thousands separators, no 'nan', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, datetime)):
        if pd.isna(value):
            return ""
        ts = pd.Timestamp(value)
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if v != v:  # NaN
            return ""
        if v in (float("inf"), float("-inf")):
            return "∞" if v > 0 else "-∞"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:,.2f}".rstrip("0").rstrip(".")
        return f"{v:.3g}"
    try:
        if pd.isna(value):  # pd.NA, NaT
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _esc(value: object) -> str:
    return html.escape(_fmt(value), quote=True)


def _norm(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip().str.lower()


def _prepare_alerts(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The new and open alerts, new first, then by severity; empty frame when there are none."""
    if alerts is None or len(alerts) == 0:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    missing = [c for c in ("Severity", "Product", "Message", "Status") if c not in alerts.columns]
    if missing:
        raise ValueError(
            f"alerts table lacks column(s) {', '.join(missing)}; expected {', '.join(ALERT_COLUMNS)}"
        )
    status = _norm(alerts["Status"])
    shown = alerts.loc[status.isin(list(_STATUS_RANK))].copy()
    shown["_status_rank"] = _norm(shown["Status"]).map(_STATUS_RANK).fillna(9)
    shown["_sev_rank"] = _norm(shown["Severity"]).map(_SEVERITY_RANK).fillna(5)
    shown["_order"] = range(len(shown))
    shown = shown.sort_values(["_status_rank", "_sev_rank", "_order"], kind="stable")
    return shown.drop(columns=["_status_rank", "_sev_rank", "_order"]).reset_index(drop=True)


def new_critical_alerts(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``alerts`` with Status ``new`` and Severity ``critical`` (case-insensitive)."""
    prepared = _prepare_alerts(alerts)
    if prepared.empty:
        return prepared
    keep = (_norm(prepared["Status"]) == "new") & (_norm(prepared["Severity"]) == "critical")
    return prepared.loc[keep].reset_index(drop=True)


def _alert_columns(alerts: pd.DataFrame) -> list[str]:
    return [c for c in _SHOWN_ALERT_COLUMNS if c in alerts.columns]


def _alerts_html(alerts: pd.DataFrame) -> str:
    if alerts.empty:
        return '<p style="color:#1a7f37">No new or open alerts.</p>'
    cols = _alert_columns(alerts)
    head = "".join(f'<th style="{_TH}">{html.escape(c)}</th>' for c in cols)
    rows = []
    for _, row in alerts.head(_MAX_ALERT_ROWS).iterrows():
        cells = []
        for c in cols:
            value = row[c]
            style = _TD_NUM if c in ("Value", "Threshold") else _TD
            if c == "Severity":
                style = _TD + ";" + _SEVERITY_STYLE.get(_fmt(value).strip().lower(), "")
            elif c == "Status" and _fmt(value).strip().lower() == "new":
                style = _TD + ";font-weight:bold"
            cells.append(f'<td style="{style}">{_esc(value)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(alerts) > _MAX_ALERT_ROWS:
        more = f"<p>… and {len(alerts) - _MAX_ALERT_ROWS} more; see the workbook.</p>"
    return (
        f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'
    )


def _alert_text_line(row: pd.Series) -> str:
    status = _fmt(row.get("Status", "")).upper()
    sev = _fmt(row.get("Severity", "")).upper()
    where = " ".join(p for p in (_fmt(row.get("Product", "")), _fmt(row.get("Week", ""))) if p)
    line = f"- [{status}] {sev} {where}: {_one_line(_fmt(row.get('Message', '')))}"
    value, threshold = _fmt(row.get("Value")), _fmt(row.get("Threshold"))
    if value or threshold:
        line += f" (value {value or '-'}, threshold {threshold or '-'})"
    return line


def _alerts_text(alerts: pd.DataFrame) -> str:
    if alerts.empty:
        return "No new or open alerts."
    lines = [_alert_text_line(row) for _, row in alerts.head(_MAX_ALERT_ROWS).iterrows()]
    if len(alerts) > _MAX_ALERT_ROWS:
        lines.append(f"... and {len(alerts) - _MAX_ALERT_ROWS} more; see the workbook.")
    return "\n".join(lines)


def _html_page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="{_FONT}">\n{body}\n'
        '<p style="color:#656d76;font-size:12px">Sent automatically by Linealytics.</p>\n'
        "</body></html>\n"
    )


def _chart_cid(chart_png: bytes) -> str:
    return f"plan-chart-{hashlib.sha256(chart_png).hexdigest()[:16]}@linealytics"


def _chart_html(cid: str) -> str:
    return (
        '<h2 style="font-size:16px">Plan per product</h2>'
        f'<p><img src="cid:{cid}" alt="Plan chart: demand, supply, stock and safety stock '
        'per quarter" style="max-width:100%;height:auto"></p>'
    )


def _assemble(
    msg: EmailMessage, text: str, html_doc: str, chart_png: bytes | None, cid: str | None
) -> EmailMessage:
    """multipart/alternative(text/plain, multipart/related(text/html, image/png))."""
    msg.set_content(text)
    msg.add_alternative(html_doc, subtype="html")
    if chart_png is not None:
        if not chart_png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("chart_png is not a PNG image")
        html_part = msg.get_payload()[1]
        html_part.add_related(
            chart_png,
            maintype="image",
            subtype="png",
            cid=f"<{cid}>",
            disposition="inline",
            filename="plan.png",
        )
    msg.policy = _SEND_POLICY  # bodies are encoded by now; this only changes header folding
    return msg


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _product_list(products: Sequence[object], shown: int = 3) -> str:
    names = [_one_line(p, 20) for p in products]
    out = ", ".join(names[:shown])
    if len(names) > shown:
        out += f" +{len(names) - shown} more"
    return out


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def report_message(
    *,
    sender: str,
    recipients: str | Sequence[str],
    workbook_name: str,
    kpis: Mapping[str, str | float],
    insights: Sequence[str],
    alerts: pd.DataFrame | None,
    chart_png: bytes | None,
    max_insights: int = 5,
) -> EmailMessage:
    """The run report: KPIs, top insights, new and open alerts, and the plan chart inline.

    ``alerts`` is the alerts table (columns :data:`ALERT_COLUMNS`); only rows with Status
    ``new`` or ``open`` are listed, new first, then by severity.  ``chart_png`` (PNG bytes, e.g.
    from :func:`linealytics_xl.adapters.charts.plan_chart_png`) is embedded with a ``cid:``
    reference; pass None to leave it out.
    """
    recips = _check_addresses(sender, recipients)
    wb = _workbook(workbook_name)
    shown = _prepare_alerts(alerts)
    status = _norm(shown["Status"]) if not shown.empty else pd.Series(dtype="string")
    severity = _norm(shown["Severity"]) if not shown.empty else pd.Series(dtype="string")
    n_new = int((status == "new").sum())
    n_open = int((status == "open").sum())
    n_new_crit = int(((status == "new") & (severity == "critical")).sum())

    if n_new or n_open:
        parts = []
        if n_new:
            crit = f" ({n_new_crit} critical)" if n_new_crit else ""
            parts.append(f"{_plural(n_new, 'new alert')}{crit}")
        if n_open:
            parts.append(f"{n_open} open")
        summary = ", ".join(parts)
    else:
        summary = "no open alerts"
    subject = f"Linealytics report for {wb}: {summary}"

    top = [_one_line(i) for i in list(insights)[:max_insights] if _one_line(i)]
    kpi_items = [(_one_line(k), _fmt(v)) for k, v in kpis.items()]

    # Plain text
    width = max((len(k) for k, _ in kpi_items), default=0)
    text_lines = [f"Linealytics report for {wb}", ""]
    if kpi_items:
        text_lines += ["Key figures"] + [f"  {k.ljust(width)}  {v}" for k, v in kpi_items] + [""]
    if top:
        text_lines += ["Top insights"] + [f"- {i}" for i in top] + [""]
    text_lines += [f"Alerts: {summary}", _alerts_text(shown), ""]
    if chart_png is not None:
        text_lines += ["The plan chart is in the HTML version of this message.", ""]
    text_lines.append("Sent automatically by Linealytics.")
    text = "\n".join(text_lines) + "\n"

    # HTML
    body = [f'<h1 style="font-size:20px">Linealytics report for {html.escape(wb)}</h1>']
    if kpi_items:
        rows = "".join(
            f'<tr><th style="{_TH}">{html.escape(k)}</th><td style="{_TD_NUM}">{html.escape(v)}</td></tr>'
            for k, v in kpi_items
        )
        body.append(f'<h2 style="font-size:16px">Key figures</h2><table style="{_TABLE}">{rows}</table>')
    if top:
        items = "".join(f"<li>{html.escape(i)}</li>" for i in top)
        body.append(f'<h2 style="font-size:16px">Top insights</h2><ul>{items}</ul>')
    body.append(f'<h2 style="font-size:16px">Alerts: {html.escape(summary)}</h2>')
    body.append(_alerts_html(shown))
    cid = _chart_cid(chart_png) if chart_png is not None else None
    if cid is not None:
        body.append(_chart_html(cid))
    html_doc = _html_page(subject, "\n".join(body))

    return _assemble(_new_message(sender, recips, subject), text, html_doc, chart_png, cid)


def alert_message(
    *,
    sender: str,
    recipients: str | Sequence[str],
    workbook_name: str,
    alerts: pd.DataFrame,
    chart_png: bytes | None = None,
) -> EmailMessage:
    """An alert mail for the *new critical* alerts in ``alerts`` (other rows are ignored).

    The subject says how many and for which products, e.g.
    ``Linealytics: 2 new critical alerts in planning.xlsx (23C)``.  Raises ``ValueError`` when
    there is no new critical alert: check with :func:`new_critical_alerts` first.
    """
    recips = _check_addresses(sender, recipients)
    wb = _workbook(workbook_name)
    crit = new_critical_alerts(alerts)
    if crit.empty:
        raise ValueError("no new critical alerts: nothing to send")
    products = list(dict.fromkeys(_fmt(p) for p in crit["Product"] if _fmt(p).strip()))
    what = _plural(len(crit), "new critical alert")
    subject = f"Linealytics: {what} in {wb}"
    if products:
        subject += f" ({_product_list(products)})"

    text = (
        "\n".join(
            [
                f"{what[0].upper()}{what[1:]} in {wb}:",
                "",
                _alerts_text(crit),
                "",
                "Sent automatically by Linealytics.",
            ]
        )
        + "\n"
    )

    body = [
        f'<h1 style="font-size:20px;color:#cf222e">{html.escape(what[0].upper() + what[1:])} '
        f"in {html.escape(wb)}</h1>",
    ]
    if products:
        body.append(f"<p>Products: {html.escape(', '.join(products))}</p>")
    body.append(_alerts_html(crit))
    cid = _chart_cid(chart_png) if chart_png is not None else None
    if cid is not None:
        body.append(_chart_html(cid))
    html_doc = _html_page(subject, "\n".join(body))

    msg = _new_message(sender, recips, subject)
    msg["Importance"] = "high"
    return _assemble(msg, text, html_doc, chart_png, cid)


# --------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------


def _scrubber(settings: SmtpSettings):
    """A function that removes the password (plain and as it travels in AUTH) from a text."""
    secrets: list[str] = []
    pw = settings.password
    if pw:
        secrets.append(pw)
        user = settings.user or ""
        for raw in (pw, f"\0{user}\0{pw}"):
            try:
                secrets.append(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
            except UnicodeError:  # lone surrogates from undecodable environment bytes
                pass
        secrets.sort(key=len, reverse=True)

    def scrub(text: str) -> str:
        for s in secrets:
            text = text.replace(s, "***")
        return text

    return scrub


def _reply(resp: object) -> str:
    if isinstance(resp, bytes):
        resp = resp.decode("utf-8", "replace")
    return _one_line(resp, 300)


def send(
    message: EmailMessage,
    settings: SmtpSettings,
    timeout: float = 30,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send ``message`` through the server in ``settings``.

    Uses STARTTLS when ``settings.starttls`` (refusing to go on if the server does not offer it)
    with ``ssl_context`` or the system's default trust store, and logs in when ``settings.user``
    is set.  Recipients are the message's To/Cc/Bcc; the sender its From (or
    ``settings.sender``).  Implicit TLS (port 465, "SMTPS") is not supported: use 587.

    Raises :class:`MailError` in plain words (server down, authentication refused, TLS failure,
    ...), :class:`RecipientsRefused` when the server refused some or all recipients, and
    :class:`MailConfigError` when no host is configured.  No error text contains the password.
    """
    if not settings.host:
        raise MailConfigError(f"cannot send mail: {ENV_HOST} is not set.")
    from_addr = None
    if not message.get("From"):
        if not settings.sender:
            raise MailConfigError(f"cannot send mail: the message has no From and {ENV_FROM} is not set.")
        from_addr = settings.sender
    to_addrs = [
        a
        for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc") for v in (message.get_all(k) or [])])
        if a
    ]
    if not to_addrs:
        raise MailError("cannot send mail: the message has no recipients (To, Cc or Bcc).")

    scrub = _scrubber(settings)
    where = f"{settings.host}:{settings.port}"
    stage = "connecting to"
    error: MailError | None = None
    cause: BaseException | None = None
    smtp: smtplib.SMTP | None = None
    try:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        if settings.starttls:
            stage = "starting TLS with"
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise MailError(
                    f"The mail server {where} does not offer STARTTLS, so the connection cannot be "
                    f"encrypted. Set {ENV_STARTTLS}=0 only for a trusted relay inside your network."
                )
            smtp.starttls(context=ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            stage = "logging in to"
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("auth"):
                hint = (
                    ""
                    if settings.starttls
                    else f" (many servers offer it only with STARTTLS: {ENV_STARTTLS}=1)"
                )
                raise MailError(
                    f"The mail server {where} does not offer authentication (AUTH){hint}; "
                    f"unset {ENV_USER} if it accepts mail without login."
                )
            try:
                smtp.login(settings.user, settings.password or "")
            except UnicodeEncodeError:
                # The exception object holds the whole AUTH string, password included: not chained.
                raise MailError(
                    f"Cannot log in to {where}: {ENV_USER} or {ENV_PASSWORD} contains non-ASCII "
                    "characters, which SMTP login does not support."
                ) from None
            except smtplib.SMTPAuthenticationError as exc:
                raise MailError(
                    f"The mail server {where} refused the login for user {settings.user!r}: "
                    f"{exc.smtp_code} {_reply(exc.smtp_error)}. Check {ENV_USER} and {ENV_PASSWORD}."
                ) from None
        stage = "sending the message through"
        refused = smtp.send_message(message, from_addr=from_addr, to_addrs=to_addrs)
        if refused:
            detail = {a: (int(c), _reply(r)) for a, (c, r) in refused.items()}
            error = RecipientsRefused(
                f"The message was sent to {len(to_addrs) - len(refused)} of {len(to_addrs)} "
                f"recipients; {where} refused " + "; ".join(f"{a} ({c} {r})" for a, (c, r) in detail.items()),
                detail,
                delivered=True,
            )
    except MailError as exc:
        error = exc
    except smtplib.SMTPRecipientsRefused as exc:
        detail = {a: (int(c), _reply(r)) for a, (c, r) in exc.recipients.items()}
        error = RecipientsRefused(
            f"The mail server {where} refused every recipient: "
            + "; ".join(f"{a} ({c} {r})" for a, (c, r) in detail.items()),
            detail,
            delivered=False,
        )
    except smtplib.SMTPSenderRefused as exc:
        error = MailError(
            f"The mail server {where} refused the sender {_reply(exc.sender)}: "
            f"{exc.smtp_code} {_reply(exc.smtp_error)}. Check {ENV_FROM}."
        )
    except smtplib.SMTPDataError as exc:
        error = MailError(
            f"The mail server {where} rejected the message: {exc.smtp_code} {_reply(exc.smtp_error)}."
        )
    except smtplib.SMTPNotSupportedError as exc:
        error = MailError(
            f"The mail server {where} does not support a needed feature ({exc}) while {stage} it."
        )
    except smtplib.SMTPConnectError as exc:
        error = MailError(
            f"The mail server {where} refused the connection: {exc.smtp_code} {_reply(exc.smtp_error)}."
        )
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):  # smtplib wraps read timeouts this way
            error = MailError(
                f"The mail server {where} did not answer within {timeout:g} s while {stage} it."
            )
        else:
            hint = (
                " Port 465 expects implicit TLS, which is not supported: use port 587."
                if settings.port == 465
                else ""
            )
            error = MailError(
                f"The mail server {where} closed the connection unexpectedly while {stage} it.{hint}"
            )
        cause = exc
    except smtplib.SMTPResponseException as exc:
        error = MailError(
            f"The mail server {where} answered {exc.smtp_code} {_reply(exc.smtp_error)} while {stage} it."
        )
    except smtplib.SMTPException as exc:
        error = MailError(f"Mail error while {stage} {where}: {_reply(exc)}.")
    except ssl.SSLCertVerificationError as exc:
        error = MailError(
            f"TLS failure with the mail server {where}: its certificate could not be verified "
            f"({exc.verify_message or exc.reason}). Is the host name right, and is the server's "
            "certificate authority trusted on this machine?"
        )
        cause = exc
    except ssl.SSLError as exc:
        error = MailError(f"TLS failure with the mail server {where}: {_reply(exc.reason or exc)}.")
        cause = exc
    except socket.gaierror:
        error = MailError(f"The mail server host name {settings.host!r} was not found. Check {ENV_HOST}.")
    except ConnectionRefusedError as exc:
        error = MailError(
            f"Could not connect to the mail server {where}: connection refused. Is the server "
            f"running, and are {ENV_HOST} and {ENV_PORT} right?"
        )
        cause = exc
    except TimeoutError as exc:
        error = MailError(f"The mail server {where} did not answer within {timeout:g} s while {stage} it.")
        cause = exc
    except OSError as exc:
        error = MailError(f"Network error while {stage} the mail server {where}: {exc.strerror or exc}.")
        cause = exc
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    if error is not None:
        error.args = tuple(scrub(str(a)) for a in error.args)
        # An implicit context could be an exception that holds the password (the AUTH string of
        # a UnicodeEncodeError) or a server reply quoting it: drop it; keep only chosen causes.
        error.__context__ = None
        if cause is not None:
            raise error from cause
        raise error from None
