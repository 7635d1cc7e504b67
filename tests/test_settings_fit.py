"""Settings that suit the data: what a forecast needs is checked against the weeks the workbook has.

A horizon the history cannot backtest or a history_end_week past the data used to fail the run as
an internal error (exit 1, "run again with --debug"); it is the planner's setting, so it is now a
problem naming its `Settings` cell, found before anything runs (the CLI cases are in
test_bad_input.py).
"""

from __future__ import annotations

import pytest

from linealytics_xl.core.demand import _backtest_design, history_needed, settings_issues
from linealytics_xl.core.settings import read_settings


def sheet(**values):
    return read_settings([["Setting", "Value"], *([k, v] for k, v in values.items())])


@pytest.mark.parametrize("horizon", [1, 2, 13, 26, 52, 100, 156])
def test_history_needed_is_the_backtests_own_bound(horizon):
    s = sheet(horizon_weeks=horizon).settings
    need = history_needed(horizon)
    assert _backtest_design(need, s) is not None
    assert _backtest_design(need - 1, s) is None


def test_a_horizon_the_history_cannot_backtest_names_its_cell_and_the_longest_that_fits():
    s = sheet(seed=1, horizon_weeks=52)
    (issue,) = settings_issues(s, s.settings, n_weeks=80)
    assert (issue.severity, str(issue).split(":")[0]) == ("error", "Settings!B3")
    assert "a 52-week forecast needs at least 104 weeks" in issue.message and "80 are given" in issue.message
    longest = int(issue.message.split("at most ")[1].split(",")[0])
    assert history_needed(longest) <= 80 < history_needed(longest + 1)
    fits = sheet(seed=1, horizon_weeks=longest)
    assert settings_issues(fits, fits.settings, n_weeks=80) == []


def test_a_default_horizon_is_named_as_the_default_on_the_sheet():
    s = sheet()
    (issue,) = settings_issues(s, s.settings, n_weeks=30)
    assert issue.where == "Settings" and "(13 by default: the sheet does not set it)" in issue.message


def test_no_forecast_means_no_history_is_needed():
    s = sheet(forecast=False, horizon_weeks=52)
    assert settings_issues(s, s.settings, n_weeks=30) == []


def test_history_end_week_without_forecast_demand_is_a_warning_not_ignored_silently():
    s = sheet(history_end_week=300)
    (issue,) = settings_issues(s, s.settings, n_weeks=443)
    assert issue.severity == "warning" and str(issue) == (
        "Settings!B2: setting 'history_end_week': used only with demand_source forecast; ignored"
    )


def test_the_warning_reaches_the_data_quality_table_and_the_plan_is_made(real_copy):
    import openpyxl

    from linealytics_xl import jobs

    wb = openpyxl.load_workbook(real_copy)
    ws = wb.create_sheet("Settings")
    for row in (("Setting", "Value"), ("history_end_week", 300), ("forecast", False), ("simulate", False)):
        ws.append(row)
    wb.save(real_copy)
    warnings = [str(w) for w in jobs.validate(real_copy)]
    assert (
        "Settings!B2: setting 'history_end_week': used only with demand_source forecast; ignored" in warnings
    )


def test_a_mail_to_that_cannot_be_mailed_is_a_warning_at_its_cell():
    """Found when the workbook is planned, not when a scheduled notify fails at night."""
    (issue,) = sheet(seed=1, mail_to="ops@fab.example; notanemail").issues
    assert (issue.severity, str(issue)) == (
        "warning",
        "Settings!B3: setting 'mail_to': 'notanemail' is not an e-mail address; mail to it would fail",
    )
    assert sheet(mail_to="ops@fab.example;Plan Team <plan@fab.example>").issues == []


def test_numbers_typed_into_text_cells_read_as_the_datas_numbers_do():
    """'1,000', "'25" or '95%' in a Text-formatted Settings cell is the number, as in the data sheets;
    a text that could be two numbers ('1,5') is still an error at its cell."""
    s = sheet(scenarios="1,000", lot_size_wafers="'25", band_low_bytes="1,000,000,000", service_level="95%")
    assert s.issues == []
    assert (s.settings.scenarios, s.settings.lot_size_wafers, s.settings.band_low_bytes) == (1000, 25.0, 1e9)
    assert s.settings.service_level == 0.95
    (issue,) = sheet(seed="1,5").issues
    assert str(issue).startswith("Settings!B2: setting 'seed'") and "found '1,5'" in str(issue)


def test_a_settings_sheet_saved_by_libreoffice_keeps_its_booleans(real_copy, tmp_path):
    """LibreOffice saves a TRUE/FALSE cell as the formula =TRUE(); the file reader gives formulas
    as their text, so the sheet was refused ("forecast: found '=FALSE()'")."""
    import openpyxl
    from libreoffice import recalculate, require_libreoffice

    from linealytics_xl.adapters.workbook_file import WorkbookFile

    require_libreoffice()
    wb = openpyxl.load_workbook(real_copy)
    ws = wb.create_sheet("Settings")
    for row in (("Setting", "Value"), ("forecast", False), ("simulate", True), ("seed", 3)):
        ws.append(row)
    wb.save(real_copy)
    saved = recalculate(real_copy, tmp_path / "saved.xlsx")
    raw = WorkbookFile(saved).sheets()["Settings"]
    assert str(raw.get(1, 1)).upper().startswith("=FALSE")  # what LibreOffice stores
    read = WorkbookFile(saved).settings()
    assert read.issues == []
    assert (read.settings.forecast, read.settings.simulate, read.settings.seed) == (False, True, 3)
