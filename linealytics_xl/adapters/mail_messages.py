"""The report and alert messages: MIME structure, headers and the inline chart.

Composition is pure: no network, no clock beyond the ``Date`` header, no DNS.
"""

from __future__ import annotations

import email.policy
import html
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import pandas as pd

from ..core.contract import Col
from ..core.settings import addresses, not_addresses
from .mail_content import (
    TABLE_STYLE,
    TD_NUM_STYLE,
    TH_STYLE,
    alerts_html,
    alerts_text,
    chart_cid,
    chart_html,
    format_value,
    html_page,
    new_critical_alerts,
    normalized,
    one_line,
    plural,
    prepare_alerts,
    product_list,
    workbook_label,
)

__all__ = ["alert_message", "report_message"]

# Bodies are made 7-bit safe (quoted-printable or base64 for non-ASCII text) with lines within
# RFC 2045's 76 characters, so relays without 8BITMIME take them unchanged.
_BUILD_POLICY = email.policy.default.clone(cte_type="7bit", max_line_length=76)
# The finished message folds headers only beyond SMTP's 998-character limit: Python folds a
# header whose value is just too long for the first line as "Subject:\n <value>", which its own
# parser reads back with a leading space.  Our subjects stay far below 998 characters.
_SEND_POLICY = email.policy.default.clone(cte_type="7bit", max_line_length=998)


def _check_addresses(sender: str, recipients: str | Sequence[str]) -> list[str]:
    """Recipients as a list; a string (or an item) may hold several addresses split by ';',
    as the workbook's ``mail_to`` setting does."""
    recips = addresses(recipients)
    if not recips:
        raise ValueError("no recipients given")
    for addr in [sender, *recips]:
        if "\r" in str(addr) or "\n" in str(addr):
            raise ValueError(f"e-mail address contains a line break: {addr!r}")
        if not_addresses([str(addr)]):
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


def _assemble(
    msg: EmailMessage, text: str, html_doc: str, chart_png: bytes | None, cid: str | None
) -> EmailMessage:
    """multipart/alternative(text/plain, multipart/related(text/html, image/png))."""
    msg.set_content(text)
    msg.add_alternative(html_doc, subtype="html")
    if chart_png is not None:
        if not chart_png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("chart_png is not a PNG image")
        html_part = list(msg.iter_parts())[1]  # [text/plain, text/html]
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
    wb = workbook_label(workbook_name)
    shown = prepare_alerts(alerts)
    status = normalized(shown[Col.STATUS]) if not shown.empty else pd.Series(dtype="string")
    severity = normalized(shown[Col.SEVERITY]) if not shown.empty else pd.Series(dtype="string")
    n_new = int((status == "new").sum())
    n_open = int((status == "open").sum())
    n_new_crit = int(((status == "new") & (severity == "critical")).sum())

    if n_new or n_open:
        parts = []
        if n_new:
            crit = f" ({n_new_crit} critical)" if n_new_crit else ""
            parts.append(f"{plural(n_new, 'new alert')}{crit}")
        if n_open:
            parts.append(f"{n_open} open")
        summary = ", ".join(parts)
    else:
        summary = "no open alerts"
    subject = f"Linealytics report for {wb}: {summary}"

    top = [one_line(i) for i in list(insights)[:max_insights] if one_line(i)]
    kpi_items = [(one_line(k), format_value(v)) for k, v in kpis.items()]

    # Plain text
    width = max((len(k) for k, _ in kpi_items), default=0)
    text_lines = [f"Linealytics report for {wb}", ""]
    if kpi_items:
        text_lines += ["Key figures"] + [f"  {k.ljust(width)}  {v}" for k, v in kpi_items] + [""]
    if top:
        text_lines += ["Top insights"] + [f"- {i}" for i in top] + [""]
    text_lines += [f"Alerts: {summary}", alerts_text(shown), ""]
    if chart_png is not None:
        text_lines += ["The plan chart is in the HTML version of this message.", ""]
    text_lines.append("Sent automatically by Linealytics.")
    text = "\n".join(text_lines) + "\n"

    # HTML
    body = [f'<h1 style="font-size:20px">Linealytics report for {html.escape(wb)}</h1>']
    if kpi_items:
        rows = "".join(
            f'<tr><th style="{TH_STYLE}">{html.escape(k)}</th><td style="{TD_NUM_STYLE}">{html.escape(v)}</td></tr>'
            for k, v in kpi_items
        )
        body.append(f'<h2 style="font-size:16px">Key figures</h2><table style="{TABLE_STYLE}">{rows}</table>')
    if top:
        items = "".join(f"<li>{html.escape(i)}</li>" for i in top)
        body.append(f'<h2 style="font-size:16px">Top insights</h2><ul>{items}</ul>')
    body.append(f'<h2 style="font-size:16px">Alerts: {html.escape(summary)}</h2>')
    body.append(alerts_html(shown))
    cid = chart_cid(chart_png) if chart_png is not None else None
    if cid is not None:
        body.append(chart_html(cid))
    html_doc = html_page(subject, "\n".join(body))

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
    wb = workbook_label(workbook_name)
    crit = new_critical_alerts(alerts)
    if crit.empty:
        raise ValueError("no new critical alerts: nothing to send")
    products = list(dict.fromkeys(format_value(p) for p in crit[Col.PRODUCT] if format_value(p).strip()))
    what = plural(len(crit), "new critical alert")
    subject = f"Linealytics: {what} in {wb}"
    if products:
        subject += f" ({product_list(products)})"

    text = (
        "\n".join(
            [
                f"{what[0].upper()}{what[1:]} in {wb}:",
                "",
                alerts_text(crit),
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
    body.append(alerts_html(crit))
    cid = chart_cid(chart_png) if chart_png is not None else None
    if cid is not None:
        body.append(chart_html(cid))
    html_doc = html_page(subject, "\n".join(body))

    msg = _new_message(sender, recips, subject)
    msg["Importance"] = "high"
    return _assemble(msg, text, html_doc, chart_png, cid)
