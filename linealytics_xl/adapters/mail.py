"""E-mail adapter: SMTP settings from the environment, report and alert messages, sending.

Three parts, used in this order by the headless run::

    settings = SmtpSettings.from_env()                       # reads LINEALYTICS_* variables
    msg = report_message(sender=settings.sender, recipients=[...], workbook_name=...,
                         kpis=..., insights=..., alerts=..., chart_png=...)
    send(msg, settings)                                      # raises MailError in plain words

The parts live in their own modules: :mod:`.mail_settings` (environment, errors),
:mod:`.mail_content` (formatting and the alert list), :mod:`.mail_messages` (MIME messages) and
:mod:`.mail_transport` (SMTP).  Composition (``report_message``, ``alert_message``,
``new_critical_alerts``) is pure: no network, no clock beyond the ``Date`` header, no DNS.  Everything that comes from data (product names,
alert messages, KPI names, insights, the workbook name) is HTML-escaped in the HTML part and
stripped of line breaks in headers.

The SMTP password is never shown: not by ``repr(settings)``, not in any ``MailError`` text (server
replies are scrubbed of it too), and the low-level exception that could carry it is not chained.
"""

from __future__ import annotations

from .mail_content import ALERT_COLUMNS, new_critical_alerts
from .mail_messages import alert_message, report_message
from .mail_settings import (
    ENV_FROM,
    ENV_HOST,
    ENV_PASSWORD,
    ENV_PORT,
    ENV_STARTTLS,
    ENV_USER,
    MailConfigError,
    MailError,
    RecipientsRefused,
    SmtpSettings,
)
from .mail_transport import send

__all__ = [
    "ALERT_COLUMNS",
    "ENV_FROM",
    "ENV_HOST",
    "ENV_PASSWORD",
    "ENV_PORT",
    "ENV_STARTTLS",
    "ENV_USER",
    "MailConfigError",
    "MailError",
    "RecipientsRefused",
    "SmtpSettings",
    "alert_message",
    "new_critical_alerts",
    "report_message",
    "send",
]
