"""What-if cases keep the weeks already released to the line (setting ``frozen_weeks``).

Before, a workbook with ``frozen_weeks`` set could not run its what-if at all: the cases were
planned without the previous plan's starts, the optimiser refused, and its InputError did not
survive the process pool (an internal "BrokenProcessPool" error).  Now the base and every case
keep the released starts of ``LL_Plan``, as the plan itself does.
"""

from __future__ import annotations

import pickle

import numpy as np
import openpyxl
from typer.testing import CliRunner
from whatif_book import add_whatif_sheet

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core.model import InputError, Issue

runner = CliRunner()


def set_settings(path, **values):
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"] if "Settings" in wb.sheetnames else wb.create_sheet("Settings")
    if ws.max_row <= 1 and ws["A1"].value is None:
        ws.append(("Setting", "Value"))
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for name, value in values.items():
        if name in rows:
            ws.cell(rows[name], 2).value = value
        else:
            ws.append((name, value))
    wb.save(path)


def test_input_error_crosses_a_process_boundary_with_its_issues():
    exc = InputError([Issue("error", "Settings", "B4", "setting 'frozen_weeks': bad", "frozen_weeks")])
    back = pickle.loads(pickle.dumps(exc))
    assert back.issues == exc.issues and str(back) == str(exc)


def test_every_case_keeps_the_released_starts_of_the_plan(real_copy):
    set_settings(real_copy, forecast=False, simulate=False)
    assert runner.invoke(app, ["plan", str(real_copy)]).exit_code == 0
    plan = WorkbookFile(real_copy).table("LL_Plan")
    set_settings(real_copy, frozen_weeks=4)
    # raise capacity from the first week: unfrozen, the case would start more at once
    add_whatif_sheet(real_copy, [("More 23C", "capacity", "23C", "", "", "times", 2)])
    run = jobs.whatif_cases(WorkbookFile(real_copy), n_jobs=2)
    released = np.array(
        [
            plan[(plan["Product"] == p) & (plan["WeekIndex"] <= 4)].sort_values("WeekIndex")["Wafers"]
            for p in ("21A", "22B", "23C")
        ],
        dtype=float,
    )
    assert [p.name for p in run.plans] == ["Base", "More 23C"]
    for case in run.plans:
        np.testing.assert_allclose(case.result.wafers[:, :4], released, atol=1e-6)
    # the freeze bites: after the frozen weeks the case does start more 23C than before
    assert run.plans[1].result.wafers[2, 4:].sum() > run.plans[0].result.wafers[2, 4:].sum()


def test_a_case_that_cannot_hold_the_released_starts_is_named(real_copy):
    set_settings(real_copy, forecast=False, simulate=False)
    assert runner.invoke(app, ["plan", str(real_copy)]).exit_code == 0
    set_settings(real_copy, frozen_weeks=4)
    add_whatif_sheet(real_copy, [("Line down", "capacity", "23C", "", "", "times", 0)])
    before = real_copy.read_bytes()
    result = runner.invoke(app, ["whatif", str(real_copy)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "setting 'frozen_weeks': frozen starts of 23C in week 1" in text
    assert "(what-if case 'Line down')" in text and "Settings!B" in text
    assert real_copy.read_bytes() == before


def test_frozen_weeks_without_a_previous_plan_names_the_cell(real_copy):
    set_settings(real_copy, forecast=False, simulate=False, frozen_weeks=4)
    ws = openpyxl.load_workbook(real_copy)["Settings"]
    (row,) = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "frozen_weeks"]
    for command in ("plan", "whatif"):
        result = runner.invoke(app, [command, str(real_copy)])
        text = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert f"Settings!B{row}: setting 'frozen_weeks': 4 weeks to freeze but no previous plan" in text
