"""What a mail says: values formatted for people, the alert list as HTML and plain text.

Pure functions, no e-mail objects: :mod:`.mail_messages` puts the pieces into messages.
Everything that comes from data (product names, alert messages, KPI names, insights, the workbook
name) is HTML-escaped in HTML and stripped of line breaks where it goes into a header.
"""

from __future__ import annotations

import hashlib
import html
import numbers
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import PureWindowsPath

import pandas as pd

from ..core import contract
from ..core.contract import Col

__all__ = [
    "ALERT_COLUMNS",
    "TABLE_STYLE",
    "TD_NUM_STYLE",
    "TH_STYLE",
    "alerts_html",
    "alerts_text",
    "chart_cid",
    "chart_html",
    "escape_value",
    "format_value",
    "html_page",
    "new_critical_alerts",
    "normalized",
    "one_line",
    "plural",
    "prepare_alerts",
    "product_list",
    "workbook_label",
]

#: Columns of the alerts table (``LL_Alerts``).
#: The ``LL_Alerts`` columns a mail needs: the contract's, less ``Notified`` (the mail sets it).
ALERT_COLUMNS = tuple(c for c in contract.ALERTS.names if c != Col.NOTIFIED)

_SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
_STATUS_RANK = {"new": 0, "open": 1}
_SHOWN_ALERT_COLUMNS = (
    Col.STATUS,
    Col.SEVERITY,
    Col.PRODUCT,
    Col.WEEK,
    Col.TYPE,
    Col.VALUE,
    Col.THRESHOLD,
    Col.MESSAGE,
    Col.FIRST_SEEN,
    Col.ALERT_ID,
)
_MAX_ALERT_ROWS = 50

_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328"
TABLE_STYLE = "border-collapse:collapse;margin:4px 0 16px 0;font-size:13px"
TH_STYLE = "text-align:left;padding:4px 8px;border-bottom:2px solid #8c959f;background:#f6f8fa"
_TD = "padding:4px 8px;border-bottom:1px solid #d0d7de;vertical-align:top"
TD_NUM_STYLE = _TD + ";text-align:right;white-space:nowrap"
_SEVERITY_STYLE = {
    "critical": "color:#ffffff;background:#cf222e;font-weight:bold",
    "error": "color:#ffffff;background:#cf222e",
    "warning": "color:#1f2328;background:#f2cc60",
}


def one_line(text: object, limit: int | None = None) -> str:
    """Collapse whitespace (including line breaks) so the text is safe in a header."""
    out = " ".join(str(text).split())
    if limit is not None and len(out) > limit:
        out = out[: max(1, limit - 1)].rstrip() + "…"
    return out


def workbook_label(name: str) -> str:
    # PureWindowsPath splits on both "/" and "\\": a full path from Excel becomes its file name.
    base = PureWindowsPath(str(name)).name or str(name)
    return one_line(base, 60) or "workbook"


def format_value(value: object) -> str:
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
        # pandas-stubs type isna for scalars and arrays only; it takes any object at run time
        if pd.isna(value):  # type: ignore[call-overload]  # pd.NA, NaT
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def escape_value(value: object) -> str:
    return html.escape(format_value(value), quote=True)


def normalized(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip().str.lower()


def prepare_alerts(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The new and open alerts, new first, then by severity; empty frame when there are none."""
    if alerts is None or len(alerts) == 0:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    missing = [c for c in (Col.SEVERITY, Col.PRODUCT, Col.MESSAGE, Col.STATUS) if c not in alerts.columns]
    if missing:
        raise ValueError(
            f"alerts table lacks column(s) {', '.join(missing)}; expected {', '.join(ALERT_COLUMNS)}"
        )
    status = normalized(alerts[Col.STATUS])
    shown = alerts.loc[status.isin(list(_STATUS_RANK))].copy()
    shown["_status_rank"] = normalized(shown[Col.STATUS]).map(_STATUS_RANK).fillna(9)
    shown["_sev_rank"] = normalized(shown[Col.SEVERITY]).map(_SEVERITY_RANK).fillna(5)
    shown["_order"] = range(len(shown))
    shown = shown.sort_values(["_status_rank", "_sev_rank", "_order"], kind="stable")
    return shown.drop(columns=["_status_rank", "_sev_rank", "_order"]).reset_index(drop=True)


def new_critical_alerts(alerts: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``alerts`` with Status ``new`` and Severity ``critical`` (case-insensitive)."""
    prepared = prepare_alerts(alerts)
    if prepared.empty:
        return prepared
    keep = (normalized(prepared[Col.STATUS]) == "new") & (normalized(prepared[Col.SEVERITY]) == "critical")
    return prepared.loc[keep].reset_index(drop=True)


def _alert_columns(alerts: pd.DataFrame) -> list[str]:
    return [c for c in _SHOWN_ALERT_COLUMNS if c in alerts.columns]


def alerts_html(alerts: pd.DataFrame) -> str:
    if alerts.empty:
        return '<p style="color:#1a7f37">No new or open alerts.</p>'
    cols = _alert_columns(alerts)
    head = "".join(f'<th style="{TH_STYLE}">{html.escape(c)}</th>' for c in cols)
    rows = []
    for _, row in alerts.head(_MAX_ALERT_ROWS).iterrows():
        cells = []
        for c in cols:
            value = row[c]
            style = TD_NUM_STYLE if c in (Col.VALUE, Col.THRESHOLD) else _TD
            if c == Col.SEVERITY:
                style = _TD + ";" + _SEVERITY_STYLE.get(format_value(value).strip().lower(), "")
            elif c == Col.STATUS and format_value(value).strip().lower() == "new":
                style = _TD + ";font-weight:bold"
            cells.append(f'<td style="{style}">{escape_value(value)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(alerts) > _MAX_ALERT_ROWS:
        more = f"<p>… and {len(alerts) - _MAX_ALERT_ROWS} more; see the workbook.</p>"
    return f'<table style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def _alert_text_line(row: pd.Series) -> str:
    status = format_value(row.get(Col.STATUS, "")).upper()
    sev = format_value(row.get(Col.SEVERITY, "")).upper()
    where = " ".join(
        p for p in (format_value(row.get(Col.PRODUCT, "")), format_value(row.get(Col.WEEK, ""))) if p
    )
    line = f"- [{status}] {sev} {where}: {one_line(format_value(row.get('Message', '')))}"
    value, threshold = format_value(row.get(Col.VALUE)), format_value(row.get(Col.THRESHOLD))
    if value or threshold:
        line += f" (value {value or '-'}, threshold {threshold or '-'})"
    return line


def alerts_text(alerts: pd.DataFrame) -> str:
    if alerts.empty:
        return "No new or open alerts."
    lines = [_alert_text_line(row) for _, row in alerts.head(_MAX_ALERT_ROWS).iterrows()]
    if len(alerts) > _MAX_ALERT_ROWS:
        lines.append(f"... and {len(alerts) - _MAX_ALERT_ROWS} more; see the workbook.")
    return "\n".join(lines)


def html_page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="{_FONT}">\n{body}\n'
        '<p style="color:#656d76;font-size:12px">Sent automatically by Linealytics.</p>\n'
        "</body></html>\n"
    )


def chart_cid(chart_png: bytes) -> str:
    return f"plan-chart-{hashlib.sha256(chart_png).hexdigest()[:16]}@linealytics"


def chart_html(cid: str) -> str:
    return (
        '<h2 style="font-size:16px">Plan per product</h2>'
        f'<p><img src="cid:{cid}" alt="Plan chart: demand, supply, stock and safety stock '
        'per quarter" style="max-width:100%;height:auto"></p>'
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def product_list(products: Sequence[object], shown: int = 3) -> str:
    names = [one_line(p, 20) for p in products]
    out = ", ".join(names[:shown])
    if len(names) > shown:
        out += f" +{len(names) - shown} more"
    return out
