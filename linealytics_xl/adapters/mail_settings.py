"""SMTP settings from the ``LINEALYTICS_*`` environment variables, and the mail errors.

The password is never shown: not by ``repr(settings)``, and (see :mod:`.mail_transport`) not in
any error text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.settings import not_addresses

__all__ = [
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
]

ENV_HOST = "LINEALYTICS_SMTP_HOST"
ENV_PORT = "LINEALYTICS_SMTP_PORT"
ENV_USER = "LINEALYTICS_SMTP_USER"
ENV_PASSWORD = "LINEALYTICS_SMTP_PASSWORD"
ENV_STARTTLS = "LINEALYTICS_SMTP_STARTTLS"
ENV_FROM = "LINEALYTICS_MAIL_FROM"

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
            if not_addresses([sender]):
                raise MailConfigError(
                    f"{ENV_FROM} must be an e-mail address such as planning@example.com "
                    f"or 'Linealytics <planning@example.com>', got {sender!r}."
                )
        elif user is not None and "@" in user:
            sender = user

        return cls(host=host, port=port, user=user, password=password, starttls=starttls, sender=sender)
