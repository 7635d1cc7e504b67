"""The e-mail adapter against a real SMTP server (aiosmtpd) on 127.0.0.1.

Each test that sends starts its own server on a free port; a handler keeps what it received, and
the tests parse those bytes back with the standard library.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import inspect
import logging
import re
import socket
import ssl
import struct
import traceback
import zlib
from email.message import EmailMessage

import pandas as pd
import pytest

from linealytics_xl.adapters.mail import (
    ALERT_COLUMNS,
    MailConfigError,
    MailError,
    RecipientsRefused,
    SmtpSettings,
    alert_message,
    new_critical_alerts,
    report_message,
    send,
)

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")
trustme = pytest.importorskip("trustme")

PASSWORD = "Zebra#4711-very-secret"
USER = "planner@fab.example"
SENDER = "Linealytics <linealytics@fab.example>"
EVIL = "<b>&23C</b>"


# --------------------------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------------------------


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG made by hand, so these tests need no matplotlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def alerts_frame() -> pd.DataFrame:
    rows = [
        ("A1", "Critical", "Shortage", "23C", "WW_09", 1.5e15, 1.0e15, "Backlog of 1.5 PB", "new"),
        (
            "A2",
            "critical",
            "Shortage",
            EVIL,
            "WW_10",
            2.0e15,
            1.0e15,
            "Stock <script>alert(1)</script> & below safety",
            "New",
        ),
        ("A3", "Warning", "Utilization", "45D", "WW_11", 0.97, 0.95, "Fab loaded at 97 %", "open"),
        ("A4", "Critical", "Shortage", "67E", "WW_12", 3.0e15, 1.0e15, "Closed one", "closed"),
        ("A5", "Critical", "Shortage", "45D", "WW_13", 1.2e15, 1.0e15, "Still short", "open"),
    ]
    frame = pd.DataFrame(
        [(*r[:8], pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-11"), r[8]) for r in rows],
        columns=[
            "AlertId",
            "Severity",
            "Type",
            "Product",
            "Week",
            "Value",
            "Threshold",
            "Message",
            "FirstSeen",
            "LastSeen",
            "Status",
        ],
    )
    assert tuple(frame.columns) == ALERT_COLUMNS
    return frame


class Recorder:
    """aiosmtpd handler: refuses *@refused.example, keeps every accepted message."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": bytes(envelope.original_content or envelope.content),
                "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
            }
        )
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, aiosmtpd_smtp.LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return aiosmtpd_smtp.AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(**smtp_kwargs):
    handler = Recorder()
    controller = aiosmtpd_controller.Controller(
        handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5, **smtp_kwargs
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _quiet_aiosmtpd(caplog):
    # aiosmtpd warns (rightly) about AUTH without TLS in one test; keep the output clean.
    caplog.set_level(logging.ERROR, logger="mail.log")


@pytest.fixture(scope="module")
def tls():
    """A test CA, a server context with a cert for 127.0.0.1, a client context trusting the CA."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


def settings_for(controller, **kw) -> SmtpSettings:
    values = dict(host="127.0.0.1", port=controller.port, starttls=False, sender=SENDER)
    values.update(kw)
    return SmtpSettings(**values)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def a_report(**kw) -> EmailMessage:
    values = dict(
        sender=SENDER,
        recipients=["ops@fab.example", "lead@fab.example"],
        workbook_name=r"C:\Plans\planning.xlsx",
        kpis={"Fill rate": "98.5 %", "Backlog (PB)": 1.25, "Wafers": 123456, EVIL: 3.0},
        insights=[f"Insight {i}: {EVIL} short in WW_{i:02d}" for i in range(1, 8)],
        alerts=alerts_frame(),
        chart_png=tiny_png(),
    )
    values.update(kw)
    return report_message(**values)


def assert_no_password(err: BaseException) -> None:
    texts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    seen: BaseException | None = err
    while seen is not None:  # every linked exception, shown in the traceback or not
        texts += [repr(seen.args), repr(getattr(seen, "object", ""))]
        seen = seen.__cause__ or seen.__context__
    for text in texts:
        assert PASSWORD not in text


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


def test_settings_from_env_full():
    s = SmtpSettings.from_env(
        {
            "LINEALYTICS_SMTP_HOST": " smtp.fab.example ",
            "LINEALYTICS_SMTP_PORT": "2525",
            "LINEALYTICS_SMTP_USER": USER,
            "LINEALYTICS_SMTP_PASSWORD": PASSWORD,
            "LINEALYTICS_SMTP_STARTTLS": "1",
            "LINEALYTICS_MAIL_FROM": SENDER,
        }
    )
    assert (s.host, s.port, s.user, s.password, s.starttls, s.sender) == (
        "smtp.fab.example",
        2525,
        USER,
        PASSWORD,
        True,
        SENDER,
    )
    assert s.configured


def test_settings_defaults():
    s = SmtpSettings.from_env({"LINEALYTICS_SMTP_HOST": "mx"})
    assert (s.port, s.starttls, s.user, s.password, s.sender) == (587, True, None, None, None)
    plain = SmtpSettings.from_env({"LINEALYTICS_SMTP_HOST": "mx", "LINEALYTICS_SMTP_STARTTLS": "0"})
    assert (plain.port, plain.starttls) == (25, False)
    empty = SmtpSettings.from_env({})
    assert empty.host is None and not empty.configured
    # The login name doubles as the sender when it is an address and MAIL_FROM is unset.
    s = SmtpSettings.from_env(
        {"LINEALYTICS_SMTP_HOST": "mx", "LINEALYTICS_SMTP_USER": USER, "LINEALYTICS_SMTP_PASSWORD": PASSWORD}
    )
    assert s.sender == USER


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"LINEALYTICS_SMTP_PORT": "smtp"}, "LINEALYTICS_SMTP_PORT"),
        ({"LINEALYTICS_SMTP_PORT": "70000"}, "LINEALYTICS_SMTP_PORT"),
        ({"LINEALYTICS_SMTP_STARTTLS": "maybe"}, "LINEALYTICS_SMTP_STARTTLS"),
        ({"LINEALYTICS_SMTP_USER": USER}, "LINEALYTICS_SMTP_PASSWORD"),
        ({"LINEALYTICS_SMTP_PASSWORD": PASSWORD}, "LINEALYTICS_SMTP_USER"),
        ({"LINEALYTICS_MAIL_FROM": "nobody"}, "LINEALYTICS_MAIL_FROM"),
        ({"LINEALYTICS_SMTP_HOST": "smtp example"}, "LINEALYTICS_SMTP_HOST"),
        (
            {"LINEALYTICS_SMTP_USER": USER, "LINEALYTICS_SMTP_PASSWORD": PASSWORD + "\nx"},
            "LINEALYTICS_SMTP_PASSWORD",
        ),
    ],
)
def test_settings_invalid_values_name_the_variable(env, variable):
    with pytest.raises(MailConfigError) as info:
        SmtpSettings.from_env({"LINEALYTICS_SMTP_HOST": "mx", **env})
    assert variable in str(info.value)
    assert_no_password(info.value)


def test_settings_default_environment(monkeypatch):
    monkeypatch.setenv("LINEALYTICS_SMTP_HOST", "mx.fab.example")
    monkeypatch.setenv("LINEALYTICS_SMTP_STARTTLS", "0")
    monkeypatch.setenv("LINEALYTICS_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("LINEALYTICS_SMTP_USER", USER)
    s = SmtpSettings.from_env()
    assert (s.host, s.port, s.starttls, s.password) == ("mx.fab.example", 25, False, PASSWORD)
    assert PASSWORD not in str(inspect.signature(SmtpSettings.from_env))


def test_settings_repr_hides_password():
    s = SmtpSettings(host="mx", port=587, user=USER, password=PASSWORD)
    for text in (repr(s), str(s), f"{s}", f"{s!r}"):
        assert PASSWORD not in text
        assert "***" in text and "mx" in text


def test_send_without_host_names_the_variable():
    with pytest.raises(MailConfigError, match="LINEALYTICS_SMTP_HOST"):
        send(a_report(), SmtpSettings.from_env({}))


# --------------------------------------------------------------------------------------------
# Report message, sent and received
# --------------------------------------------------------------------------------------------


def test_report_roundtrip_structure_and_content():
    with smtp_server() as (controller, handler):
        send(a_report(), settings_for(controller), timeout=5)
    (got,) = handler.received
    assert got["rcpt_tos"] == ["ops@fab.example", "lead@fab.example"]
    assert got["mail_from"] == "linealytics@fab.example"
    assert not got["tls"]

    msg = parse(got["data"])
    assert msg["Subject"] == "Linealytics report for planning.xlsx: 2 new alerts (2 critical), 2 open"
    assert msg["To"] == "ops@fab.example, lead@fab.example"
    assert msg["Date"] and msg["Message-ID"]
    assert msg.get_content_type() == "multipart/alternative"
    # 7-bit safe, and body lines within RFC 2045's limits (headers are not needlessly folded).
    raw = got["data"]
    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 998
    assert max(len(line) for line in raw.splitlines() if line.endswith(b"=")) <= 76
    assert b"Subject: Linealytics report" in raw

    text = msg.get_body(preferencelist=("plain",)).get_content()
    html_part = msg.get_body(preferencelist=("html",))
    html = html_part.get_content()
    related = msg.get_payload()[1]
    assert related.get_content_type() == "multipart/related"

    # KPIs as a table, formatted.
    assert "<table" in html and "98.5 %" in html and "123,456" in html and "1.25" in html
    assert "Wafers" in text and "123,456" in text
    # Top five insights only.
    assert "Insight 5" in html and "Insight 6" not in html
    assert "Insight 5" in text and "Insight 6" not in text
    # New and open alerts, new first; closed ones left out.
    for alert_id in ("A1", "A2", "A3", "A5"):
        assert alert_id in html
    assert "A4" not in html and "Closed one" not in html and "Closed one" not in text
    assert html.index("Backlog of 1.5 PB") < html.index("Still short") < html.index("Fab loaded")
    assert "[NEW] CRITICAL 23C WW_09: Backlog of 1.5 PB" in text


def test_report_inline_png_is_referenced_by_cid():
    png = tiny_png(5, 4)
    with smtp_server() as (controller, handler):
        send(a_report(chart_png=png), settings_for(controller), timeout=5)
    msg = parse(handler.received[0]["data"])
    html = msg.get_body(preferencelist=("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    image = images[0]
    data = image.get_content()
    assert data == png and data.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.get_content_disposition() == "inline"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    # The image sits in the same multipart/related as the HTML.
    related = msg.get_payload()[1]
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]


def test_report_without_chart_or_alerts():
    msg = a_report(chart_png=None, alerts=pd.DataFrame(), kpis={}, insights=[])
    assert msg["Subject"] == "Linealytics report for planning.xlsx: no open alerts"
    assert not [p for p in msg.walk() if p.get_content_maintype() == "image"]
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "cid:" not in html and "No new or open alerts" in html


def test_report_escapes_everything_from_data():
    with smtp_server() as (controller, handler):
        send(a_report(), settings_for(controller), timeout=5)
    msg = parse(handler.received[0]["data"])
    html = msg.get_body(preferencelist=("html",)).get_content()
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert EVIL not in html and "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;&amp;23C&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; below safety" in html
    assert EVIL in text  # the plain-text part shows names as they are


def test_recipients_separated_by_semicolons():
    msg = a_report(recipients="ops@fab.example; lead@fab.example;")
    assert msg["To"] == "ops@fab.example, lead@fab.example"
    msg = a_report(recipients=["ops@fab.example;lead@fab.example", "Plant Lead <pl@fab.example>"])
    assert msg["To"] == "ops@fab.example, lead@fab.example, Plant Lead <pl@fab.example>"


def test_report_rejects_bad_input():
    with pytest.raises(ValueError, match="recipients"):
        a_report(recipients=[])
    with pytest.raises(ValueError, match="line break"):
        a_report(recipients=["a@fab.example\r\nBcc: evil@x.example"])
    with pytest.raises(ValueError, match="PNG"):
        a_report(chart_png=b"GIF89a")
    with pytest.raises(ValueError, match="Status"):
        a_report(alerts=alerts_frame().drop(columns=["Status"]))


# --------------------------------------------------------------------------------------------
# Alert message
# --------------------------------------------------------------------------------------------


def test_alert_message_subject_counts_and_products():
    frame = alerts_frame()
    only_23c = frame[frame["AlertId"] != "A2"].copy()
    only_23c.loc[len(only_23c)] = [
        "A9",
        "CRITICAL",
        "Shortage",
        "23C",
        "WW_14",
        1.0,
        0.5,
        "Again",
        pd.Timestamp("2024-03-11"),
        pd.Timestamp("2024-03-11"),
        "NEW",
    ]
    msg = alert_message(
        sender=SENDER, recipients=["ops@fab.example"], workbook_name="planning.xlsx", alerts=only_23c
    )
    assert msg["Subject"] == "Linealytics: 2 new critical alerts in planning.xlsx (23C)"

    one = frame[frame["AlertId"] == "A1"]
    msg = alert_message(
        sender=SENDER, recipients=["ops@fab.example"], workbook_name="/data/planning.xlsx", alerts=one
    )
    assert msg["Subject"] == "Linealytics: 1 new critical alert in planning.xlsx (23C)"


def test_alert_message_roundtrip_lists_only_new_critical_and_escapes():
    msg = alert_message(
        sender=SENDER,
        recipients=["ops@fab.example"],
        workbook_name="planning.xlsx",
        alerts=alerts_frame(),
        chart_png=tiny_png(),
    )
    with smtp_server() as (controller, handler):
        send(msg, settings_for(controller), timeout=5)
    got = parse(handler.received[0]["data"])
    assert got["Subject"] == f"Linealytics: 2 new critical alerts in planning.xlsx (23C, {EVIL})"
    html = got.get_body(preferencelist=("html",)).get_content()
    text = got.get_body(preferencelist=("plain",)).get_content()
    assert "A1" in html and "A2" in html
    assert "A3" not in html and "A5" not in html and "Still short" not in text
    assert EVIL not in html and "&lt;b&gt;&amp;23C&lt;/b&gt;" in html
    assert "<script>" not in html
    image = next(p for p in got.walk() if p.get_content_type() == "image/png")
    assert f"cid:{image['Content-ID'].strip('<>')}" in html


def test_alert_message_subject_is_one_short_line():
    frame = alerts_frame().iloc[[0]].copy()
    names = ["23C\r\nBcc: evil@x.example", "45D", "67E", "89F", "X" * 80]
    frame = pd.concat([frame.assign(Product=n, AlertId=f"A{i}") for i, n in enumerate(names)])
    msg = alert_message(
        sender=SENDER, recipients=["ops@fab.example"], workbook_name="planning.xlsx", alerts=frame
    )
    subject = msg["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject == (
        "Linealytics: 5 new critical alerts in planning.xlsx (23C Bcc: evil@x.exa…, 45D, 67E +2 more)"
    )
    assert "Bcc" not in {k for k in msg}


def test_no_new_critical_alerts():
    frame = alerts_frame()
    assert list(new_critical_alerts(frame)["AlertId"]) == ["A1", "A2"]
    quiet = frame[frame["Status"].str.lower() != "new"]
    assert new_critical_alerts(quiet).empty
    with pytest.raises(ValueError, match="no new critical alerts"):
        alert_message(
            sender=SENDER, recipients=["ops@fab.example"], workbook_name="planning.xlsx", alerts=quiet
        )


# --------------------------------------------------------------------------------------------
# Sending: TLS, authentication, failures
# --------------------------------------------------------------------------------------------


def test_starttls_with_trusted_ca(tls):
    server_ctx, client_ctx = tls
    with smtp_server(tls_context=server_ctx, require_starttls=True) as (controller, handler):
        send(a_report(), settings_for(controller, starttls=True), timeout=5, ssl_context=client_ctx)
    assert handler.received[0]["tls"]


def test_starttls_untrusted_certificate_is_a_tls_failure(tls):
    server_ctx, _ = tls
    untrusting = ssl.create_default_context()  # system CAs only: the test CA is unknown
    with smtp_server(tls_context=server_ctx) as (controller, handler), pytest.raises(MailError) as info:
        send(a_report(), settings_for(controller, starttls=True), timeout=5, ssl_context=untrusting)
    text = str(info.value)
    assert "TLS failure" in text and "certificate" in text and f":{controller.port}" in text
    assert not handler.received


def test_starttls_required_but_not_offered():
    with smtp_server() as (controller, handler):
        with pytest.raises(MailError, match="does not offer STARTTLS") as info:
            send(a_report(), settings_for(controller, starttls=True), timeout=5)
    assert "LINEALYTICS_SMTP_STARTTLS" in str(info.value)
    assert not handler.received


def test_login_over_starttls_succeeds(tls):
    server_ctx, client_ctx = tls
    with smtp_server(tls_context=server_ctx, authenticator=authenticator, auth_require_tls=True) as (
        controller,
        handler,
    ):
        settings = settings_for(controller, starttls=True, user=USER, password=PASSWORD)
        send(a_report(), settings, timeout=5, ssl_context=client_ctx)
    got = handler.received[0]
    assert got["tls"] and got["authenticated"]


def test_login_refused_is_plain_and_hides_password(tls):
    server_ctx, client_ctx = tls

    def echoing_authenticator(*args):
        # A careless server that quotes the password back: the error text must not show it.
        return aiosmtpd_smtp.AuthResult(
            success=False, handled=False, message=f"535 5.7.8 Credentials {PASSWORD} invalid"
        )

    with smtp_server(tls_context=server_ctx, authenticator=echoing_authenticator) as (controller, handler):
        settings = settings_for(controller, starttls=True, user=USER, password=PASSWORD)
        with pytest.raises(MailError) as info:
            send(a_report(), settings, timeout=5, ssl_context=client_ctx)
    text = str(info.value)
    assert "refused the login" in text and USER in text and "535" in text
    assert "***" in text  # the server echoed the password: scrubbed
    assert_no_password(info.value)
    assert not handler.received


def test_login_with_wrong_password_plain_connection():
    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (controller, handler):
        ok = settings_for(controller, user=USER, password=PASSWORD)
        send(a_report(), ok, timeout=5)
        bad = settings_for(controller, user=USER, password=PASSWORD[::-1] + PASSWORD)
        with pytest.raises(MailError, match="refused the login") as info:
            send(a_report(), bad, timeout=5)
    assert handler.received[0]["authenticated"] and len(handler.received) == 1
    assert_no_password(info.value)
    assert PASSWORD[::-1] not in "".join(traceback.format_exception(info.value))


def test_login_without_auth_offered():
    # aiosmtpd offers AUTH only over TLS by default, as many real servers do.
    with smtp_server(authenticator=authenticator) as (controller, _):
        with pytest.raises(MailError, match=r"does not offer authentication \(AUTH\)") as info:
            send(a_report(), settings_for(controller, user=USER, password=PASSWORD), timeout=5)
    assert "LINEALYTICS_SMTP_STARTTLS=1" in str(info.value)
    assert_no_password(info.value)


def test_non_ascii_password_is_reported_without_it():
    secret = "pässwört-" + PASSWORD
    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (controller, _):
        with pytest.raises(MailError, match="non-ASCII") as info:
            send(a_report(), settings_for(controller, user=USER, password=secret), timeout=5)
    assert secret not in "".join(traceback.format_exception(info.value))
    assert_no_password(info.value)


def test_server_down_gives_readable_error():
    port = free_port()  # bound and released: nothing listens there
    settings = SmtpSettings(host="127.0.0.1", port=port, user=USER, password=PASSWORD, starttls=True)
    with pytest.raises(MailError) as info:
        send(a_report(), settings, timeout=5)
    text = str(info.value)
    assert text.startswith(f"Could not connect to the mail server 127.0.0.1:{port}: connection refused")
    assert "LINEALYTICS_SMTP_HOST" in text and "LINEALYTICS_SMTP_PORT" in text
    assert_no_password(info.value)


def test_silent_server_times_out():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection but never greets
        port = listener.getsockname()[1]
        with pytest.raises(MailError, match=rf"127.0.0.1:{port} did not answer within 0.3 s"):
            send(a_report(), SmtpSettings(host="127.0.0.1", port=port, starttls=False), timeout=0.3)


def test_all_recipients_refused():
    msg = a_report(recipients=["x@refused.example", "y@refused.example"])
    with smtp_server() as (controller, handler), pytest.raises(RecipientsRefused) as info:
        send(msg, settings_for(controller), timeout=5)
    err = info.value
    assert not err.delivered and set(err.refused) == {"x@refused.example", "y@refused.example"}
    assert err.refused["x@refused.example"][0] == 550
    assert "refused every recipient" in str(err) and "No such user here" in str(err)
    assert not handler.received


def test_some_recipients_refused_still_delivers_to_the_others():
    msg = a_report(recipients=["ops@fab.example", "x@refused.example"])
    with smtp_server() as (controller, handler), pytest.raises(RecipientsRefused) as info:
        send(msg, settings_for(controller), timeout=5)
    assert info.value.delivered and list(info.value.refused) == ["x@refused.example"]
    assert re.search(r"sent to 1 of 2 recipients", str(info.value))
    assert handler.received[0]["rcpt_tos"] == ["ops@fab.example"]


def test_message_without_from_uses_settings_sender():
    msg = a_report()
    del msg["From"]
    with smtp_server() as (controller, handler):
        send(msg, settings_for(controller, sender="robot@fab.example"), timeout=5)
        with pytest.raises(MailConfigError, match="LINEALYTICS_MAIL_FROM"):
            send(msg, settings_for(controller, sender=None), timeout=5)
    assert handler.received[0]["mail_from"] == "robot@fab.example"
