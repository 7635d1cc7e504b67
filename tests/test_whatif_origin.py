"""LL_WhatIf says which plan its cases belong to (contract 2.1): the what-if run's time and the
fingerprint of its inputs, as a plan writes it to LL_Runs; the Dashboard's what-if block (file and
live) and the plan's own message say when the cases were planned on other inputs than the plan
shown, instead of showing the old cases beside a new plan as if they were comparable."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from test_ribbon import json_book, payload  # noqa: F401  (json_book is a fixture)
from typer.testing import CliRunner
from whatif_book import add_whatif_sheet

from linealytics_xl import jobs, live_jobs
from linealytics_xl.adapters.dashboard import DASHBOARD
from linealytics_xl.adapters.dashboard_cells import C_BACKLOG, WHATIF_TOP
from linealytics_xl.adapters.live_book import LiveBook
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core import tables
from linealytics_xl.core.case_origin import Match, case_origin, stale_note
from linealytics_xl.core.contract import Col
from linealytics_xl.core.pipeline import fingerprint
from linealytics_xl.core.settings import Settings

PLAN_ONLY = {"forecast": False, "simulate": False}
CASES = (("Capacity up", "capacity", "all", "", "", "x", 1.2),)
CURRENT = "planned on this plan's inputs"
STALE = "were planned on other inputs than this plan"
AGAIN = "What-if again"


def _edit_demand(path) -> None:
    """The planner raises one demand cell (Supply_Demand!E5, a number in the real workbook)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Supply_Demand"]
    assert isinstance(ws["E5"].value, (int, float))
    ws["E5"] = float(ws["E5"].value) * 1.5 + 1e9
    wb.save(path)


def _headline(path) -> openpyxl.cell.cell.Cell:
    return openpyxl.load_workbook(path)[DASHBOARD].cell(row=WHATIF_TOP, column=1)


def _case_names(path) -> list[str]:
    ws = openpyxl.load_workbook(path)[DASHBOARD]
    names, r = [], WHATIF_TOP + 2
    while ws.cell(row=r, column=1).value:
        names.append(ws.cell(row=r, column=1).value)
        r += 1
    return names


@pytest.fixture(scope="module")
def current(real_path, tmp_path_factory):
    """A what-if run, then a plan on the same inputs."""
    path = tmp_path_factory.mktemp("origin") / "current.xlsx"
    shutil.copyfile(real_path, path)
    add_whatif_sheet(path, CASES)
    whatif = jobs.whatif(path, overrides=PLAN_ONLY, n_jobs=1)
    planned = jobs.plan(path, overrides=PLAN_ONLY)
    return path, whatif, planned


@pytest.fixture(scope="module")
def stale(current, tmp_path_factory):
    """The planner edits a demand cell after the what-if run and plans again."""
    path = tmp_path_factory.mktemp("origin") / "stale.xlsx"
    shutil.copyfile(current[0], path)
    _edit_demand(path)
    return path, jobs.plan(path, overrides=PLAN_ONLY)


def test_whatif_fingerprint_equals_the_plans_for_the_same_inputs(current):
    path, whatif, planned = current
    book = WorkbookFile(path)
    stored = book.table(tables.WHATIF)
    runs = book.table(tables.RUNS)
    assert list(stored.columns[-3:]) == [Col.TIME, Col.INPUT_FINGERPRINT, Col.SETTINGS]
    assert stored[Col.INPUT_FINGERPRINT].nunique() == 1 and stored[Col.TIME].nunique() == 1
    assert stored[Col.INPUT_FINGERPRINT].iloc[0] == runs[Col.INPUT_FINGERPRINT].iloc[-1]
    assert stored[Col.INPUT_FINGERPRINT].iloc[0] == planned.outcome.fingerprint
    assert whatif.table[Col.INPUT_FINGERPRINT].iloc[0] == fingerprint(whatif.plans[0].data)
    # read back as the time of the run (a datetime, not text), no later than the plan after it
    when = pd.Timestamp(stored[Col.TIME].iloc[0]).to_pydatetime()
    assert isinstance(stored[Col.TIME].iloc[0], datetime)
    assert when <= pd.Timestamp(runs[Col.TIME].iloc[-1]).to_pydatetime()


def test_whatif_then_plan_on_the_same_inputs_the_block_says_current(current):
    path, whatif, planned = current
    cell = _headline(path)
    when = pd.Timestamp(whatif.table[Col.TIME].iloc[0]).strftime("%Y-%m-%d %H:%M")
    assert cell.value.startswith(f"What-if cases of {when} (LL_WhatIf)")
    assert CURRENT in cell.value and "other inputs" not in cell.value
    assert cell.font.color is None or C_BACKLOG not in str(cell.font.color.rgb)
    assert planned.notes == []  # no stale line for cases of this plan's own inputs


def test_edited_input_then_plan_the_block_says_stale_and_still_shows_the_cases(current, stale):
    path, planned = stale
    cell = _headline(path)
    assert STALE in cell.value and AGAIN in cell.value and CURRENT not in cell.value
    assert str(cell.font.color.rgb).endswith(C_BACKLOG)  # headed in red
    assert _case_names(path) == ["Base", "Capacity up"]
    runs = WorkbookFile(path).table(tables.RUNS)
    assert runs[Col.INPUT_FINGERPRINT].iloc[-1] != runs[Col.INPUT_FINGERPRINT].iloc[-2]
    assert planned.notes == [
        "The what-if cases in LL_WhatIf were planned on other inputs than this plan: their Base is not "
        "this plan. Run What-if again to compare cases with this plan."
    ]
    # the Dashboard's headline gives the same reason and advice as the note
    assert cell.value.endswith(planned.notes[0].split(" in LL_WhatIf ", 1)[1].replace("Base", "Base row", 1))


def test_cli_plan_prints_the_stale_line(stale, tmp_path):
    src, _ = stale
    out = tmp_path / "again.xlsx"
    # the Settings sheet the plan-only runs wrote says forecast FALSE
    result = CliRunner().invoke(app, ["plan", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "LL_WhatIf were planned on other inputs than this plan" in " ".join(result.output.split())


def test_whatif_again_after_the_edit_makes_the_block_current(stale, tmp_path):
    src, _ = stale
    path = tmp_path / "fresh.xlsx"
    shutil.copyfile(src, path)
    jobs.whatif(path, overrides=PLAN_ONLY, n_jobs=1)
    assert CURRENT in _headline(path).value  # the plan shown is of the edited inputs already


def test_whatif_on_edited_inputs_before_a_plan_says_plan_again(current, tmp_path):
    path = tmp_path / "edited.xlsx"
    shutil.copyfile(current[0], path)
    _edit_demand(path)
    jobs.whatif(path, overrides=PLAN_ONLY, n_jobs=1)  # the file what-if rebuilds the Dashboard
    text = _headline(path).value
    assert STALE in text and "inputs changed after it" in text and "Plan again" in text


def _drop_origin_columns(path) -> None:
    """An LL_WhatIf as a run before contract 2.1 wrote it: without Time, InputFingerprint, Settings."""
    wb = openpyxl.load_workbook(path)
    ws = wb["LL_WhatIf"]
    heads = [c.value for c in ws[1]]
    first = heads.index(Col.TIME) + 1
    assert heads[first - 1 :] == [Col.TIME, Col.INPUT_FINGERPRINT, Col.SETTINGS]
    ws.delete_cols(first, 3)
    [table] = ws.tables.values()
    table.ref = f"A1:{openpyxl.utils.get_column_letter(first - 1)}{ws.max_row}"
    table.tableColumns = table.tableColumns[: first - 1]
    table.autoFilter.ref = table.ref
    wb.save(path)


def test_an_old_whatif_table_without_the_columns_is_called_unknown_not_current(current, tmp_path):
    path = tmp_path / "old.xlsx"
    shutil.copyfile(current[0], path)
    _drop_origin_columns(path)
    assert Col.INPUT_FINGERPRINT not in WorkbookFile(path).table(tables.WHATIF).columns
    job = jobs.plan(path, overrides=PLAN_ONLY)
    text = _headline(path).value
    assert "did not record its inputs" in text and AGAIN in text and CURRENT not in text
    assert _case_names(path) == ["Base", "Capacity up"]
    assert len(job.notes) == 1 and "did not record its inputs" in job.notes[0]


@pytest.mark.parametrize("which", ["current", "stale"])
def test_live_dashboard_gives_the_file_dashboards_headline(which, current, stale, json_book, tmp_path):  # noqa: F811
    src = current[0] if which == "current" else stale[0]
    before = tmp_path / "before.xlsx"  # the book as the planner opens it, before the ribbon's plan
    shutil.copyfile(src, before)
    live = LiveBook(json_book(payload(before)))
    job = live_jobs.plan_live(live, overrides=PLAN_ONLY)
    acts = live.book.json()["actions"]
    start = max(i for i, a in enumerate(acts) if a["func"] == "addSheet" and a["args"][1] == DASHBOARD)
    [values] = [a for a in acts[start:] if a["func"] == "setValues"][:1]
    live_text = values["values"][WHATIF_TOP - 1][0]
    jobs.plan(before, overrides=PLAN_ONLY)  # the command line on the same book
    assert live_text == _headline(before).value
    assert (CURRENT in live_text) == (which == "current")
    assert bool(job.notes) == (which == "stale")


def test_ribbon_whatif_stamps_the_fingerprint_a_plan_writes(json_book, current):  # noqa: F811
    live = LiveBook(json_book(payload(current[0])))
    run = live_jobs.whatif_live(live, PLAN_ONLY, n_jobs=1)
    assert set(run.table[Col.INPUT_FINGERPRINT]) == {current[2].outcome.fingerprint}
    assert run.table[Col.TIME].nunique() == 1


def test_a_plan_with_other_plan_shaping_settings_says_so(current, tmp_path):
    """Same inputs, another cycle time: the cases' Base is not this plan, and the block says why."""
    path = tmp_path / "settings.xlsx"
    shutil.copyfile(current[0], path)
    job = jobs.plan(path, overrides={**PLAN_ONLY, "cycle_time_weeks": 2})
    text = _headline(path).value
    assert "other settings than this plan (cycle_time_weeks)" in text and AGAIN in text
    assert CURRENT not in text
    assert len(job.notes) == 1 and "other settings than this plan (cycle_time_weeks)" in job.notes[0]
    # a setting that does not shape the plan (the alert threshold) leaves the cases current
    again = jobs.plan(path, overrides={**PLAN_ONLY, "capacity_alert_weeks": 20})
    assert CURRENT in _headline(path).value and again.notes == []


def test_cases_record_the_settings_their_base_was_planned_with(current):
    stored = WorkbookFile(current[0]).table(tables.WHATIF)
    [text] = stored[Col.SETTINGS].unique()
    settings = json.loads(text)
    assert settings["cycle_time_weeks"] == 0 and settings["smooth"] is False
    assert (settings["demand_source"], settings["plan_for"]) == ("workbook", "P50")
    assert "mail_to" not in settings  # only what shapes the base: the text is on every row


def test_a_plan_on_other_demand_than_the_cases_base_is_told_apart():
    base = Settings(forecast=False).whatif_basis()
    whatif = _frame(Time=pd.Timestamp("2026-12-01 13:20"), InputFingerprint="abc", Settings=base)
    for plan, changed in (
        (Settings(plan_for="0.95"), ("plan_for",)),
        (Settings(demand_source="forecast", history_end_week=300), ("demand_source",)),
    ):
        runs = pd.DataFrame(
            {Col.INPUT_FINGERPRINT: ["abc"], Col.TIME: [pd.NaT], Col.SETTINGS: [plan.to_json()]}
        )
        origin = case_origin(whatif, runs)
        assert (origin.match, origin.changed) == (Match.DEMAND, changed)
        assert "other demand" in (stale_note(origin) or "")
    same = pd.DataFrame({Col.INPUT_FINGERPRINT: ["abc"], Col.TIME: [pd.NaT], Col.SETTINGS: [base]})
    assert case_origin(whatif, same).match is Match.SAME


def _live_dashboard_headline(live: LiveBook) -> str | None:
    """The what-if headline of the last Dashboard the live book wrote (None: none written)."""
    acts = live.book.json()["actions"]
    starts = [i for i, a in enumerate(acts) if a["func"] == "addSheet" and a["args"][1] == DASHBOARD]
    if not starts:
        return None
    [values] = [a for a in acts[starts[-1] :] if a["func"] == "setValues"][:1]
    return values["values"][WHATIF_TOP - 1][0]


def test_ribbon_whatif_shows_the_comparison_on_the_dashboard_at_once(stale, json_book, tmp_path):  # noqa: F811
    """After an edit and a plan, the block is stale; the What-if button makes it current without
    another plan, as `linealytics whatif` does in the file."""
    book = tmp_path / "book.xlsx"
    shutil.copyfile(stale[0], book)
    live = LiveBook(json_book(payload(book)))
    run = live_jobs.whatif_live(live, PLAN_ONLY, n_jobs=1)
    text = _live_dashboard_headline(live)
    assert text is not None and CURRENT in text and run.notes == []
    jobs.whatif(book, overrides=PLAN_ONLY, n_jobs=1)  # the command line on the same book
    minute = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # the two runs may fall in two minutes
    assert minute.sub("T", text) == minute.sub("T", _headline(book).value)


def test_ribbon_whatif_on_a_book_without_a_plan_writes_no_dashboard(real_path, json_book, tmp_path):  # noqa: F811
    book = tmp_path / "unplanned.xlsx"
    shutil.copyfile(real_path, book)
    live = LiveBook(json_book(payload(book)))
    run = live_jobs.whatif_live(live, PLAN_ONLY, n_jobs=1)
    assert run.n_cases >= 1 and _live_dashboard_headline(live) is None


def _frame(**cols) -> pd.DataFrame:
    return pd.DataFrame({Col.CASE: ["Base", "Up"], **{k: [v, v] for k, v in cols.items()}})


@pytest.mark.parametrize(
    "whatif, runs_fp, match",
    [
        (_frame(Time=pd.Timestamp("2026-12-01 13:20"), InputFingerprint="abc"), "abc", Match.SAME),
        (_frame(Time=pd.Timestamp("2026-12-01 13:20"), InputFingerprint="abc"), "abd", Match.OTHER),
        (_frame(), "abc", Match.UNKNOWN),  # a table from before contract 2.1
        (_frame(Time=None, InputFingerprint=None), "abc", Match.UNKNOWN),  # blank cells
        (_frame(InputFingerprint="abc"), None, Match.UNKNOWN),  # no plan to compare with
        (
            pd.DataFrame({Col.CASE: ["Base", "Up"], Col.INPUT_FINGERPRINT: ["abc", "xyz"]}),
            "abc",
            Match.UNKNOWN,
        ),  # rows of two runs: not one plan's
    ],
)
def test_case_origin_compares_with_the_latest_run_only(whatif, runs_fp, match):
    runs = pd.DataFrame(
        {Col.INPUT_FINGERPRINT: ["old", runs_fp], Col.TIME: [pd.Timestamp("2026-11-30"), pd.NaT]}
    )
    assert case_origin(whatif, runs if runs_fp else runs.iloc[:0]).match is match


def test_case_origin_reads_the_time_as_excel_clients_hand_it_over():
    runs = pd.DataFrame({Col.INPUT_FINGERPRINT: ["abc"], Col.TIME: ["2026-12-01T13:00:00.000Z"]})
    origin = case_origin(_frame(Time="2026-12-01T13:20:05.000Z", InputFingerprint="abc"), runs)
    assert origin.time == datetime(2026, 12, 1, 13, 20, 5)
    assert origin.after_plan and origin.current
