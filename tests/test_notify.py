"""Alerts (core rules and their life across runs) and the notify job against a real SMTP server.

The template workbook is planned once per module (forecast and simulation off in its Settings
sheet, so a plan takes about a second; the capacity-bound product P3 gives the critical stock-out
alert); each test works on its own copy.  Mail goes to aiosmtpd on 127.0.0.1, as in test_mail.
"""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

# The SMTP server, its recorder and helpers are test_mail's.
from test_mail import PASSWORD, USER, Recorder, _quiet_aiosmtpd, authenticator, free_port, parse, smtp_server  # noqa: F401
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core import alerts
from linealytics_xl.core.alerts import Condition, reconcile
from linealytics_xl.notify import notify, send_alerts_for_book

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
SENDER = "planning-robot@fab.example"
MAIL_TO = ["ops@fab.example", "lead@fab.example"]
runner = CliRunner()


def invoke(*args: str):
    """Run the command line; returns (exit code, output with rich's line wrapping undone)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def add_settings(path: Path, **values) -> None:
    """Give the workbook a Settings sheet with these values (the rest keep their defaults)."""
    book = openpyxl.load_workbook(path)
    ws = book["Settings"] if "Settings" in book.sheetnames else book.create_sheet("Settings")
    if ws.max_row <= 1:
        ws.append(["Name", "Value", "Description"])
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for name, value in values.items():
        if name in rows:
            ws.cell(rows[name], 2).value = value
        else:
            ws.append([name, value, ""])
    book.save(path)


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notify")
    path = folder / "planning.xlsx"
    shutil.copyfile(TEMPLATE, path)
    add_settings(path, forecast=False, simulate=False, mail_to="; ".join(MAIL_TO))
    jobs.plan(path)
    return path


@pytest.fixture()
def book(planned: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "planning.xlsx"
    shutil.copyfile(planned, dst)
    return dst


@pytest.fixture()
def mail_env(monkeypatch):
    """Point the mail settings at a server; returns a function that sets the port."""
    for name in ("LINEALYTICS_SMTP_USER", "LINEALYTICS_SMTP_PASSWORD", "LINEALYTICS_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LINEALYTICS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LINEALYTICS_SMTP_STARTTLS", "0")
    monkeypatch.setenv("LINEALYTICS_MAIL_FROM", SENDER)

    def port(p: int) -> None:
        monkeypatch.setenv("LINEALYTICS_SMTP_PORT", str(p))

    return port


def alerts_table(path: Path) -> pd.DataFrame:
    return alerts.normalize(WorkbookFile(path).table("LL_Alerts"))


def parts(msg) -> tuple[str, str, list[bytes]]:
    html = msg.get_body(preferencelist=("html",)).get_content()
    text = msg.get_body(preferencelist=("plain",)).get_content()
    pngs = [p.get_content() for p in msg.walk() if p.get_content_type() == "image/png"]
    return html, text, pngs


# --------------------------------------------------------------------------------------------
# Alerts: rules and identity (core, pure)
# --------------------------------------------------------------------------------------------


def test_runs_and_gap_merging():
    mask = [0, 1, 1, 0, 0, 1, 0, 1, 1, 1]
    assert alerts.runs(mask) == [(1, 2), (5, 5), (7, 9)]
    assert alerts.runs(mask, max_gap=1) == [(1, 2), (5, 9)]
    assert alerts.runs(mask, max_gap=2) == [(1, 9)]
    assert alerts.runs([0, 0]) == []


def test_alert_id_depends_on_the_condition_not_its_values():
    a = Condition("stockout", "critical", "P3", "Q2 25 WW_21", "Q2 25 WW_21 to Q1 27 WW_13", 1e9, 0, "a")
    b = Condition("stockout", "critical", "P3", "Q2 25 WW_21", "Q2 25 WW_21 to Q4 26 WW_52", 5e9, 0, "b")
    assert a.alert_id == b.alert_id == alerts.alert_id("stockout", "P3", "Q2 25 WW_21")
    assert a.alert_id != alerts.alert_id("stockout", "P3", "Q2 26 WW_21")  # another year's WW_21
    assert a.alert_id != alerts.alert_id("stockout", "P4", "Q2 25 WW_21")
    assert a.alert_id != alerts.alert_id("capacity", "P3", "Q2 25 WW_21")


def test_reconcile_new_open_resolved_and_back():
    t1, t2, t3, t4 = (datetime(2026, 1, d, 6, 0) for d in (5, 12, 19, 26))
    short = Condition("stockout", "critical", "P3", "Q1", "Q1", 5.0, 0.0, "short")
    cap = Condition("capacity", "warning", "P3", "Q1 WW_01", "Q1 WW_01 to Q1 WW_13", 13, 8, "full")
    first = reconcile(None, [cap, short], t1)
    assert list(first.columns) == alerts.ALERT_COLUMNS
    assert list(first["Type"]) == ["stockout", "capacity"]  # critical first
    assert set(first["Status"]) == {"new"} and first["Notified"].isna().all()
    assert (first["FirstSeen"] == t1).all() and (first["LastSeen"] == t1).all()

    notified = alerts.mark_notified(first, [short.alert_id], t1)
    # seen again with other values: open, FirstSeen and Notified kept, values updated
    bigger = Condition("stockout", "critical", "P3", "Q1", "Q1", 7.0, 0.0, "shorter")
    second = reconcile(notified, [bigger, cap], t2).set_index("AlertId")
    row = second.loc[short.alert_id]
    assert (row["Status"], row["FirstSeen"], row["LastSeen"], row["Value"], row["Message"]) == (
        "open",
        t1,
        t2,
        7.0,
        "shorter",
    )
    assert row["Notified"] == t1
    assert second.loc[cap.alert_id, "Status"] == "open" and pd.isna(second.loc[cap.alert_id, "Notified"])

    # the stock-out is gone: resolved, its last sighting kept; resolved stays resolved
    third = reconcile(second.reset_index(), [cap], t3).set_index("AlertId")
    assert (third.loc[short.alert_id, "Status"], third.loc[short.alert_id, "LastSeen"]) == ("resolved", t2)
    fourth = reconcile(third.reset_index(), [cap], t4).set_index("AlertId")
    assert fourth.loc[short.alert_id, "Status"] == "resolved"
    assert fourth.loc[cap.alert_id, "FirstSeen"] == t1

    # it comes back: a new alert again, to be mailed again
    back = reconcile(fourth.reset_index(), [short, cap], t4).set_index("AlertId")
    assert back.loc[short.alert_id, "Status"] == "new"
    assert back.loc[short.alert_id, "FirstSeen"] == t4 and pd.isna(back.loc[short.alert_id, "Notified"])


def test_alerts_of_a_type_the_run_did_not_check_are_not_resolved():
    t1, t2 = datetime(2026, 1, 5), datetime(2026, 1, 12)
    risk = Condition("stockout_risk", "warning", "P1", "w", "w", 0.4, 0.2, "risky")
    short = Condition("stockout", "critical", "P3", "x", "x", 1, 0, "short")
    first = reconcile(None, [short, risk], t1)
    # a plan without scenarios (ribbon's Optimize) cannot see the risk: it stays as it was
    second = reconcile(first, [], t2, alerts.evaluated_types(risk=False, forecast=True)).set_index("AlertId")
    assert second.loc[risk.alert_id, "Status"] == "new" and second.loc[risk.alert_id, "LastSeen"] == t1
    assert second.loc[short.alert_id, "Status"] == "resolved"


def test_resolved_alerts_are_dropped_once_past_the_kept_days_but_always_shown_once():
    seen, later = datetime(2026, 1, 5), datetime(2026, 6, 1)  # 147 days apart
    short = Condition("stockout", "critical", "P3", "x", "x", 1, 0, "short")
    cap = Condition("capacity", "warning", "P1", "y", "y", 9, 8, "full")
    first = reconcile(None, [short, cap], seen)
    # resolved by this run, though last seen long ago: shown once as resolved
    gone = reconcile(first, [cap], later, keep_resolved_days=90).set_index("AlertId")
    assert gone.loc[short.alert_id, "Status"] == "resolved"
    # a run after that drops it: resolved before, last seen more than 90 days ago
    pruned = reconcile(gone.reset_index(), [cap], later, keep_resolved_days=90)
    assert list(pruned["AlertId"]) == [cap.alert_id]
    # within the days, or with 0 (keep all), it stays
    recent = reconcile(gone.reset_index(), [cap], datetime(2026, 3, 1), keep_resolved_days=90)
    assert short.alert_id in set(recent["AlertId"])
    kept = reconcile(gone.reset_index(), [cap], later, keep_resolved_days=0)
    assert short.alert_id in set(kept["AlertId"])


def test_the_plan_drops_resolved_alerts_after_the_setting_s_days(real_data):
    from linealytics_xl.core import pipeline
    from linealytics_xl.core.settings import Settings

    assert Settings().resolved_alert_days == 90
    old = Condition("stockout", "critical", "21A", "Q9 99", "Q9 99", 1, 0, "long gone")
    then, now = datetime(2026, 1, 5), datetime(2026, 6, 1)
    resolved = reconcile(reconcile(None, [old], then), [], then)  # resolved in January
    assert list(resolved["Status"]) == ["resolved"]
    for days, kept in ((90, False), (200, True), (0, True)):
        settings = Settings(forecast=False, simulate=False, resolved_alert_days=days)
        table = pipeline.run(real_data, settings, previous_alerts=resolved, now=now).tables["LL_Alerts"]
        assert (old.alert_id in set(table["AlertId"])) is kept, days
        assert len(table) > 0  # the plan's own alerts are there either way


def test_for_mail_calls_new_what_was_never_mailed():
    t = datetime(2026, 1, 5)
    a = Condition("stockout", "critical", "P3", "x", "x", 1, 0, "a")
    b = Condition("capacity", "warning", "P1", "y", "y", 9, 8, "b")
    table = reconcile(reconcile(None, [a, b], t), [a, b], t)  # seen twice, never mailed: "open"
    assert set(table["Status"]) == {"open"}
    shown = alerts.for_mail(alerts.mark_notified(table, [b.alert_id], t)).set_index("AlertId")
    assert shown.loc[a.alert_id, "Status"] == "new" and shown.loc[b.alert_id, "Status"] == "open"


def test_band_drift_needs_more_misses_than_chance():
    actual = np.arange(13.0)
    lo, hi = actual - 1, actual + 1
    assert alerts.band_drift(actual, lo, hi) == (0, 13, False)
    shifted = actual.copy()
    shifted[:3] += 5  # 3 of 13 outside: within what a P10-P90 band allows by chance
    assert alerts.band_drift(shifted, lo, hi)[2] is False
    shifted[:8] += 5  # 8 of 13 outside
    assert alerts.band_drift(shifted, lo, hi) == (8, 13, True)
    assert alerts.binomial_tail(0, 13, 0.2) == 1.0
    assert alerts.binomial_tail(13, 13, 0.2) == pytest.approx(0.2**13)


def test_forecast_drift_uses_the_forecast_weeks_with_actuals():
    """From the demand the plan was made on (a DemandView, as the pipeline passes it), not from
    the LL_Forecast frame: weeks 9-26 were forecast, 1-8 are history; P1's actuals run 50 %
    above its band in every forecast week, P2's stay inside."""
    from synth import make_data

    from linealytics_xl.core.demand import DemandView

    data = make_data(n_products=2, n_quarters=2, seed=1)
    actual = np.full((2, data.n_weeks), 101.0)
    actual[0, 8:] = 150.0
    data = dataclasses.replace(data, demand=actual)  # PlanningData is frozen: a changed copy
    base = np.full((2, data.n_weeks), 100.0)
    band = np.stack([base * 0.9, base, base * 1.1] * 4)  # scenarios: P10 90, P90 110
    view = DemandView(
        plan_demand=base,
        base=base,
        scenarios=band,
        forecast=None,
        beyond=None,
        beyond_band=None,
        history_end=8,
        model_by_product={"P1": "XGBoost", "P2": "XGBoost"},
    )
    found = alerts.forecast_drift_conditions(data, view)
    last = data.n_weeks
    assert [(c.type, c.product, c.value) for c in found] == [("forecast_drift", "P1", 1.0)]
    assert found[0].week == f"WW_09 to WW_{last:02d}" and f"{last - 8} of {last - 8}" in found[0].message
    assert found[0].alert_id == alerts.alert_id("forecast_drift", "P1", "forecast weeks: week 9")
    no_model = DemandView(**{**view.__dict__, "model_by_product": {}})
    assert alerts.forecast_drift_conditions(data, no_model) == []  # the workbook's own demand


def test_backtest_drift_flags_the_product_whose_demand_shifted():
    from synth import make_data

    from linealytics_xl.core.forecasting import Calendar, SeasonalNaive, forecast

    data = make_data(n_products=3, n_quarters=8, seed=3)
    rng = np.random.default_rng(7)
    level = data.demand.mean(axis=1, keepdims=True)
    demand = level * (1 + rng.normal(0, 0.05, data.demand.shape))  # stationary demand
    demand[0, -13:] *= 1.5  # P1 jumps in the last quarter
    data = dataclasses.replace(data, demand=demand)  # PlanningData is frozen
    result = forecast(
        data.demand,
        Calendar.from_planning(data),
        horizon=13,
        origins=8,
        step=6,
        models={"SeasonalNaive13": SeasonalNaive(13)},
        products=list(data.products),
    )
    found = alerts.backtest_drift_conditions(data, result)
    assert [c.product for c in found] == ["P1"]
    c = found[0]
    assert c.type == "forecast_drift" and c.severity == "warning" and c.threshold == 0.2
    assert (
        c.value == 1.0
        and c.week
        == f"{data.weeks.quarters[-13]} {data.weeks.labels[-13]} to "
        f"{data.weeks.quarters[-1]} {data.weeks.labels[-1]}"
    )


# --------------------------------------------------------------------------------------------
# Alerts in a planned workbook
# --------------------------------------------------------------------------------------------


def test_planned_template_has_one_critical_stockout_alert_per_episode(planned):
    wb = WorkbookFile(planned)
    table = alerts.normalize(wb.table("LL_Alerts"))
    plan = wb.table("LL_Plan")
    assert list(wb.table("LL_Alerts").columns) == alerts.ALERT_COLUMNS
    assert table["AlertId"].is_unique and set(table["Status"]) == {"new"}
    crit = table[table["Severity"] == "critical"]
    assert list(crit["Type"]) == ["stockout"] and list(crit["Product"]) == ["P3"]  # one row, not 98
    # recomputed from LL_Plan: the episode spans P3's weeks with backlog, Value is its peak
    p3 = plan[plan["Product"] == "P3"].sort_values("WeekIndex")
    short = p3[p3["BacklogBytes"] > 64]
    first, last = short.iloc[0], short.iloc[-1]
    assert len(short) == last["WeekIndex"] - first["WeekIndex"] + 1  # contiguous
    assert crit.iloc[0]["Week"] == f"{first['Quarter']} {first['Week']} to {last['Quarter']} {last['Week']}"
    assert crit.iloc[0]["Value"] == pytest.approx(short["BacklogBytes"].max(), rel=1e-9)
    assert f"{len(short)} weeks" in crit.iloc[0]["Message"]
    # P3 runs at capacity every week, and ends quarters below its safety stock target
    cap = table[(table["Type"] == "capacity") & (table["Product"] == "P3")]
    assert list(cap["Value"]) == [float(len(p3))] and list(cap["Threshold"]) == [8.0]
    assert ((table["Type"] == "safety_stock") & (table["Product"] == "P3")).sum() >= 1
    # forecast and simulation are off here: no risk or drift alerts
    assert not table["Type"].isin(["stockout_risk", "forecast_drift"]).any()


def test_replanning_keeps_ids_and_resolves_what_is_gone(book):
    before = alerts_table(book).set_index("AlertId")
    # a higher capacity threshold: the capacity alerts of short runs resolve, P3's stays open
    add_settings(book, capacity_alert_weeks=100)
    jobs.plan(book)
    again = alerts_table(book).set_index("AlertId")
    assert sorted(again.index) == sorted(before.index)  # same conditions, same ids
    for aid, row in before.iterrows():
        gone = row["Type"] == "capacity" and row["Value"] < 100
        now = again.loc[aid]
        assert now["Status"] == ("resolved" if gone else "open"), (row["Type"], row["Product"], row["Value"])
        assert now["FirstSeen"] == row["FirstSeen"]
        assert now["LastSeen"] == row["LastSeen"] if gone else now["LastSeen"] >= row["LastSeen"]
    assert (before["Type"] == "capacity").sum() > 1  # P3's and at least one short run


# --------------------------------------------------------------------------------------------
# notify against a real SMTP server
# --------------------------------------------------------------------------------------------


def test_notify_sends_report_and_alert_mail_and_marks_alerts(book, mail_env):
    plan_before = WorkbookFile(book).table("LL_Plan")
    with smtp_server() as (controller, handler):
        mail_env(controller.port)
        result = notify(book)
    assert len(handler.received) == 2
    alert_mail, report = (parse(m["data"]) for m in handler.received)  # the alert mail goes first
    for got in handler.received:
        assert got["rcpt_tos"] == MAIL_TO and got["mail_from"] == SENDER
    table = alerts_table(book)
    n_new = len(table)
    assert alert_mail["Subject"] == "Linealytics: 1 new critical alert in planning.xlsx (P3)"
    assert report["Subject"] == f"Linealytics report for planning.xlsx: {n_new} new alerts (1 critical)"
    html, text, pngs = parts(report)
    assert len(pngs) == 1 and pngs[0].startswith(b"\x89PNG")
    assert "Key figures" in text and "Products short" in text and "P3" in text
    assert "Top insights" in text and "P3 cannot be served in full" in text
    assert "[NEW] CRITICAL P3" in text and "cid:" in html and "<table" in html
    _a_html, a_text, a_pngs = parts(alert_mail)
    assert "P3 cannot meet demand" in a_text and "WARNING" not in a_text  # critical ones only
    assert len(a_pngs) == 1
    # every alert mailed is marked; nothing else in the workbook changed
    assert table["Notified"].notna().all() and sorted(result.marked) == sorted(table["AlertId"])
    assert WorkbookFile(book).table("LL_Plan").equals(plan_before)


def test_second_notify_sends_no_alert_mail_for_the_same_alerts(book, mail_env):
    with smtp_server() as (controller, handler):
        mail_env(controller.port)
        notify(book)
        marks = alerts_table(book).set_index("AlertId")["Notified"]
        result = notify(book, to="boss@fab.example")
    assert len(handler.received) == 3  # alert mail + report, then the report alone
    last = parse(handler.received[2]["data"])
    assert handler.received[2]["rcpt_tos"] == ["boss@fab.example"]
    assert (
        last["Subject"].startswith("Linealytics report for planning.xlsx:") and "new" not in last["Subject"]
    )
    assert "[OPEN] CRITICAL P3" in parts(last)[1]
    assert result.mailing.alert is None and result.marked == []
    assert alerts_table(book).set_index("AlertId")["Notified"].equals(marks)  # time stamps kept


def test_server_down_exits_nonzero_keeps_alerts_unsent_then_retry_succeeds(book, mail_env):
    mail_env(free_port())  # nothing listens there
    code, output = invoke("notify", str(book))
    assert code == 1, output
    assert "connection refused" in output and "the next run retries them" in output
    assert alerts_table(book)["Notified"].isna().all()

    with smtp_server() as (controller, handler):
        mail_env(controller.port)
        retry_code, retry = invoke("notify", str(book))
    assert retry_code == 0, retry
    assert [parse(m["data"])["Subject"].split(":")[0] for m in handler.received] == [
        "Linealytics",
        "Linealytics report for planning.xlsx",
    ]
    assert alerts_table(book)["Notified"].notna().all()


def test_dry_run_writes_eml_files_and_sends_nothing(book, monkeypatch, tmp_path):
    monkeypatch.delenv("LINEALYTICS_SMTP_HOST", raising=False)  # no server needed
    out = tmp_path / "mails"
    code, output = invoke("notify", str(book), "--dry-run", "--to", "x@fab.example", "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["alert.eml", "report.eml"]
    report = parse((out / "report.eml").read_bytes())
    assert report["To"] == "x@fab.example" and "Would send" in output
    assert len(parts(report)[2]) == 1
    assert alerts_table(book)["Notified"].isna().all()


def test_no_recipients_is_invalid_input(book, mail_env):
    add_settings(book, mail_to="")
    mail_env(free_port())
    code, output = invoke("notify", str(book))
    assert code == 2 and "mail_to" in output
    code, output = invoke("notify", str(book), "--to", "ops at fab")
    assert code == 2 and "not an e-mail address: 'ops at fab'" in output


def test_plan_notify_plans_and_mails_in_one_go(book, mail_env, tmp_path):
    log = tmp_path / "linealytics.log"
    runs_before = len(WorkbookFile(book).table("LL_Runs"))
    with smtp_server() as (controller, handler):
        mail_env(controller.port)
        code, output = invoke("--log-file", str(log), "plan", str(book), "--notify")
    assert code == 0, output
    assert len(WorkbookFile(book).table("LL_Runs")) == runs_before + 1
    # This second run sees the alerts again ("open"), but they were never mailed: the mail calls
    # them new, and the critical one gets its alert mail.
    subjects = [parse(m["data"])["Subject"] for m in handler.received]
    assert subjects[0] == "Linealytics: 1 new critical alert in planning.xlsx (P3)"
    assert subjects[1].startswith("Linealytics report for planning.xlsx: ") and "(1 critical)" in subjects[1]
    table = alerts_table(book)
    assert set(table["Status"]) == {"open"} and table["Notified"].notna().all()
    assert "Sent: Linealytics: 1 new critical alert" in output
    text = log.read_text(encoding="utf-8")
    assert " INFO start: linealytics plan " in text and " INFO planned " in text and " INFO mailed " in text


def test_plan_notify_server_down_exits_1_after_writing_the_plan(book, mail_env, tmp_path):
    runs_before = len(WorkbookFile(book).table("LL_Runs"))
    mail_env(free_port())
    log = tmp_path / "linealytics.log"
    code, output = invoke("--log-file", str(log), "plan", str(book), "--notify")
    assert code == 1, output
    assert "Written to" in output and "Mail failed" in output
    assert len(WorkbookFile(book).table("LL_Runs")) == runs_before + 1  # the plan was written
    assert alerts_table(book)["Notified"].isna().all()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any(" INFO planned " in ln for ln in lines)
    assert " ERROR failed (exit 1): mail failed: Could not connect" in lines[-1]


def test_credentials_never_reach_workbook_log_or_run_record(book, mail_env, monkeypatch, tmp_path):
    log = tmp_path / "linealytics.log"
    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (controller, handler):
        mail_env(controller.port)
        monkeypatch.setenv("LINEALYTICS_SMTP_USER", USER)
        monkeypatch.setenv("LINEALYTICS_SMTP_PASSWORD", PASSWORD)
        ok_code, ok = invoke("--log-file", str(log), "plan", str(book), "--notify")
        monkeypatch.setenv("LINEALYTICS_SMTP_PASSWORD", PASSWORD + "-wrong")
        bad_code, bad = invoke("--log-file", str(log), "notify", str(book))  # the report is refused
    assert ok_code == 0, ok
    assert handler.received and all(m["authenticated"] for m in handler.received)
    assert bad_code == 1 and "refused the login" in bad
    assert PASSWORD not in bad and PASSWORD not in ok
    texts = [log.read_text(encoding="utf-8")]
    with zipfile.ZipFile(book) as z:
        texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    runs = book.with_name(book.name + ".runs")
    texts += [
        p.read_bytes().decode("utf-8", "replace")
        for p in runs.rglob("*")
        if p.is_file() and p.suffix != ".gz"
    ]
    assert "refused the login" in texts[0]
    for text in texts:
        assert PASSWORD not in text


# --------------------------------------------------------------------------------------------
# The ribbon's Send alerts on an open workbook (an xlwings-like book over the planned file)
# --------------------------------------------------------------------------------------------


class _Range:
    def __init__(self, sheet, first, last=None):
        self.sheet, self.first, self.last = sheet, first, last
        self.transpose = False

    def options(self, ndim=None, transpose=False):
        self.transpose = transpose
        return self

    @property
    def value(self):
        return [list(r) for r in self.sheet.grid]

    @value.setter
    def value(self, values):
        assert self.transpose, "the job writes one column at a time"
        r0, c = self.first
        for k, v in enumerate(values):
            self.sheet.grid[r0 - 1 + k][c - 1] = v
            self.sheet.written.append((r0 + k, c))

    @property
    def number_format(self):
        return None

    @number_format.setter
    def number_format(self, fmt):
        self.sheet.formats.append((self.first, self.last, fmt))


class _Sheet:
    def __init__(self, name, grid):
        self.name, self.grid, self.written, self.formats = name, grid, [], []

    @property
    def used_range(self):
        return _Range(self, (1, 1))

    def range(self, first, last=None):
        return _Range(self, first, last)


class _Sheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)


class FakeBook:
    """The few xlwings calls the job makes, over the cells of a workbook file."""

    def __init__(self, path: Path):
        wb = openpyxl.load_workbook(path)
        self.name = path.name
        self.sheets = _Sheets(
            _Sheet(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets
        )


def test_send_alerts_for_book_marks_the_cells_of_the_open_workbook(book, mail_env):
    fake = FakeBook(book)
    with smtp_server() as (controller, handler):
        mail_env(controller.port)
        message = send_alerts_for_book(fake)
        again = send_alerts_for_book(fake, None)  # as the ribbon calls it: (book, outcome)
    assert "Sent the report and an alert mail to ops@fab.example, lead@fab.example" in message
    assert "and an alert mail" not in again
    assert len(handler.received) == 3
    sheet = fake.sheets["LL_Alerts"]
    header = sheet.grid[0]
    col = header.index("Notified")
    assert all(isinstance(r[col], datetime) for r in sheet.grid[1:])
    assert {c for _, c in sheet.written} == {col + 1}  # only the Notified column was written
    assert sheet.formats and sheet.formats[0][2] == "yyyy-mm-dd hh:mm:ss"


def test_dry_run_without_recipients_uses_a_placeholder_and_says_so(book, monkeypatch, tmp_path):
    """The README shows `notify --dry-run` with no --to: it must work on a workbook without mail_to."""
    monkeypatch.delenv("LINEALYTICS_SMTP_HOST", raising=False)
    add_settings(book, mail_to="")
    out = tmp_path / "mails"
    code, output = invoke("notify", str(book), "--dry-run", "--out", str(out))
    assert code == 0, output
    report = parse((out / "report.eml").read_bytes())
    assert report["To"] == "planner@example.invalid"
    assert "placeholder" in output
