"""Sending a message through the SMTP server of the settings, with errors in plain words.

The SMTP password is never shown in any ``MailError`` text (server replies are scrubbed of it
too), and the low-level exception that could carry it is not chained.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

from .mail_content import one_line
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

__all__ = ["send"]


def _scrubber(settings: SmtpSettings) -> Callable[[str], str]:
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
    return one_line(resp, 300)


@dataclass
class _Session:
    """Where a send is, so that an error can say what was going on: 'while logging in to ...'."""

    where: str
    stage: str = "connecting to"


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
    host, from_addr, to_addrs = _envelope(message, settings)
    session = _Session(f"{host}:{settings.port}")
    error: MailError | None = None
    cause: BaseException | None = None
    smtp: smtplib.SMTP | None = None
    try:
        smtp = smtplib.SMTP(host, settings.port, timeout=timeout)
        error = _deliver(smtp, message, settings, from_addr, to_addrs, ssl_context, session)
    except MailError as exc:
        error = exc
    except OSError as exc:  # smtplib, ssl and socket errors are all OSErrors
        error, cause = _explain(exc, settings, session, timeout)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    if error is not None:
        scrub = _scrubber(settings)
        error.args = tuple(scrub(str(a)) for a in error.args)
        # An implicit context could be an exception that holds the password (the AUTH string of
        # a UnicodeEncodeError) or a server reply quoting it: drop it; keep only chosen causes.
        error.__context__ = None
        if cause is not None:
            raise error from cause
        raise error from None


def _envelope(message: EmailMessage, settings: SmtpSettings) -> tuple[str, str | None, list[str]]:
    """The server host, the envelope sender (None: the message's From) and the recipients, or a
    MailError saying why there are none."""
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
    return settings.host, from_addr, to_addrs


def _deliver(
    smtp: smtplib.SMTP,
    message: EmailMessage,
    settings: SmtpSettings,
    from_addr: str | None,
    to_addrs: list[str],
    ssl_context: ssl.SSLContext | None,
    session: _Session,
) -> RecipientsRefused | None:
    """STARTTLS, login and the transaction on an open connection; returns the refusal of some
    recipients (the message went to the others), raises everything else."""
    where = session.where
    if settings.starttls:
        session.stage = "starting TLS with"
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise MailError(
                f"The mail server {where} does not offer STARTTLS, so the connection cannot be "
                f"encrypted. Set {ENV_STARTTLS}=0 only for a trusted relay inside your network."
            )
        smtp.starttls(context=ssl_context or ssl.create_default_context())
        smtp.ehlo()
    if settings.user:
        session.stage = "logging in to"
        _login(smtp, settings, where)
    session.stage = "sending the message through"
    refused = smtp.send_message(message, from_addr=from_addr, to_addrs=to_addrs)
    if not refused:
        return None
    detail = {a: (int(c), _reply(r)) for a, (c, r) in refused.items()}
    return RecipientsRefused(
        f"The message was sent to {len(to_addrs) - len(refused)} of {len(to_addrs)} "
        f"recipients; {where} refused " + "; ".join(f"{a} ({c} {r})" for a, (c, r) in detail.items()),
        detail,
        delivered=True,
    )


def _login(smtp: smtplib.SMTP, settings: SmtpSettings, where: str) -> None:
    """AUTH with the settings' user and password; the errors never chain the AUTH string."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        hint = "" if settings.starttls else f" (many servers offer it only with STARTTLS: {ENV_STARTTLS}=1)"
        raise MailError(
            f"The mail server {where} does not offer authentication (AUTH){hint}; "
            f"unset {ENV_USER} if it accepts mail without login."
        )
    try:
        smtp.login(settings.user or "", settings.password or "")
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


def _explain(
    exc: OSError, settings: SmtpSettings, session: _Session, timeout: float
) -> tuple[MailError, BaseException | None]:
    """A low-level failure in plain words, and the exception worth chaining (None: not chained)."""
    if isinstance(exc, smtplib.SMTPException):
        return _explain_smtp(exc, settings, session, timeout)
    where, stage = session.where, session.stage
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailError(
            f"TLS failure with the mail server {where}: its certificate could not be verified "
            f"({exc.verify_message or exc.reason}). Is the host name right, and is the server's "
            "certificate authority trusted on this machine?"
        ), exc
    if isinstance(exc, ssl.SSLError):
        return MailError(f"TLS failure with the mail server {where}: {_reply(exc.reason or exc)}."), exc
    if isinstance(exc, socket.gaierror):
        return MailError(
            f"The mail server host name {settings.host!r} was not found. Check {ENV_HOST}."
        ), None
    if isinstance(exc, ConnectionRefusedError):
        return MailError(
            f"Could not connect to the mail server {where}: connection refused. Is the server "
            f"running, and are {ENV_HOST} and {ENV_PORT} right?"
        ), exc
    if isinstance(exc, TimeoutError):
        return MailError(
            f"The mail server {where} did not answer within {timeout:g} s while {stage} it."
        ), exc
    return MailError(f"Network error while {stage} the mail server {where}: {exc.strerror or exc}."), exc


def _explain_smtp(
    exc: smtplib.SMTPException, settings: SmtpSettings, session: _Session, timeout: float
) -> tuple[MailError, BaseException | None]:
    """An SMTP protocol failure in plain words (most specific exception class first)."""
    where, stage = session.where, session.stage
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = {a: (int(c), _reply(r)) for a, (c, r) in exc.recipients.items()}
        return RecipientsRefused(
            f"The mail server {where} refused every recipient: "
            + "; ".join(f"{a} ({c} {r})" for a, (c, r) in detail.items()),
            detail,
            delivered=False,
        ), None
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError(
            f"The mail server {where} refused the sender {_reply(exc.sender)}: "
            f"{exc.smtp_code} {_reply(exc.smtp_error)}. Check {ENV_FROM}."
        ), None
    if isinstance(exc, smtplib.SMTPDataError):
        return MailError(
            f"The mail server {where} rejected the message: {exc.smtp_code} {_reply(exc.smtp_error)}."
        ), None
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(
            f"The mail server {where} does not support a needed feature ({exc}) while {stage} it."
        ), None
    if isinstance(exc, smtplib.SMTPConnectError):
        return MailError(
            f"The mail server {where} refused the connection: {exc.smtp_code} {_reply(exc.smtp_error)}."
        ), None
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):  # smtplib wraps read timeouts this way
            return MailError(
                f"The mail server {where} did not answer within {timeout:g} s while {stage} it."
            ), exc
        hint = (
            " Port 465 expects implicit TLS, which is not supported: use port 587."
            if settings.port == 465
            else ""
        )
        return MailError(
            f"The mail server {where} closed the connection unexpectedly while {stage} it.{hint}"
        ), exc
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(
            f"The mail server {where} answered {exc.smtp_code} {_reply(exc.smtp_error)} while {stage} it."
        ), None
    return MailError(f"Mail error while {stage} {where}: {_reply(exc)}."), None
