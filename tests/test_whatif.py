"""What-if cases (issue 15): validated like every input, each case planned exactly as its edited
workbook would be, compared in LL_WhatIf."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.cli import app
from linealytics_xl.core.model import InputError
from linealytics_xl.core.whatif import HEADER, read_cases

PLAN_ONLY = {"forecast": False, "simulate": False}
runner = CliRunner()


def grid(*rows):
    return [list(HEADER), *map(list, rows)]


@pytest.mark.parametrize(
    "row, cell, words",
    [
        (("c", "capacty", "all", "", "", "times", 1.1), "B2", "expected an input"),
        (("c", "capacity", "99Z", "", "", "times", 1.1), "C2", "expected a product id"),
        (("c", "total_capacity", "21A", "", "", "times", 1.1), "C2", "not a product's"),
        (("c", "capacity", "all", "", "", "double", 1.1), "F2", "expected an operation"),
        (("c", "capacity", "all", "", "", "times", "lots"), "G2", "expected a number, found 'lots'"),
        (("c", "capacity", "all", "", "", "times", None), "G2", "expected a number, found blank"),
        (("c", "capacity", "all", "", "", "add", -5), "G2", ">= 0"),
        (
            ("c", "capacity", "all", "Q9 99", "", "times", 1.1),
            "D2",
            "a quarter (Q3 95) of the plan; found 'Q9 99'",
        ),
        (("c", "capacity", "all", "Q3 97", "Q1 96", "times", 1.1), "E2", "'To' at or after 'From'"),
        (("c", "density", "21A", "Q3 97", "", "times", 1.1), "D2", "one value per product"),
        (("c", "yield", "21A", "", "", "set", 1.5), "G2", "yield between 0 and 1"),
        ((None, "yield", "21A", "", "", "set", 0.5), "A2", "expected a case name"),
    ],
)
def test_bad_case_rows_name_the_cell(real_data, row, cell, words):
    with pytest.raises(InputError) as exc:
        read_cases(grid(row), real_data)
    [issue] = exc.value.issues
    assert (issue.sheet, issue.cell) == ("WhatIf", cell)
    assert words in issue.message


def test_cases_group_rows_and_accept_every_spelling(real_data):
    cases = read_cases(
        grid(
            ("up", "capacity", "all", "Q3'97", "1997 Q4", "x", 1.1),
            ("up", "demand", "22b", 100, "", "+", "1,000"),  # ids compare as Excel compares text
            ("flat", "total_capacity", "", "WW_10 Q3 95", "", "=", 5000),
        ),
        real_data,
    )
    assert [c.name for c in cases] == ["up", "flat"]
    cap, dem = cases[0].changes
    weeks = np.flatnonzero(
        np.isin(
            real_data.week_quarter, [real_data.quarters.index("Q3 97"), real_data.quarters.index("Q4 97")]
        )
    )
    assert (cap.start, cap.stop, cap.operation, cap.value) == (weeks[0], weeks[-1] + 1, "x", 1.1)
    assert dem.start == real_data.week_quarter[99] and dem.value == 1000.0  # week 100 selects its quarter
    assert dem.product == "22B"
    labels = list(zip(real_data.weeks.labels, real_data.weeks.quarters))
    assert cases[1].changes[0].start == labels.index(("WW_10", "Q3 95"))


CASES = (
    ("21A yield -5% in 1997", "yield", "21A", "Q1 97", "Q4 97", "times", 0.95),
    ("22B demand +10% from Q1 98", "demand", "22B", "Q1 98", "", "times", 1.1),
)


def _edit_real_workbook(src: Path, dst: Path, data, case: int) -> None:
    """One of CASES typed into the workbook's own input cells, as a planner would."""
    shutil.copyfile(src, dst)
    wb = openpyxl.load_workbook(dst)
    if case == 0:
        ys = wb["Yield"]
        row = next(r for r in range(1, ys.max_row + 1) if ys.cell(r, 1).value == "21A")
        q97 = [data.quarters.index(q) for q in ("Q1 97", "Q2 97", "Q3 97", "Q4 97")]
        for t in np.flatnonzero(np.isin(data.week_quarter, q97)):
            assert ys.cell(row, 3 + int(t)).value == data.yields[0, t]
            ys.cell(row, 3 + int(t)).value = float(data.yields[0, t]) * 0.95
    else:
        sd = wb["Supply_Demand"]
        header = {sd.cell(1, c).value: c for c in range(1, sd.max_column + 1)}
        row = next(
            r
            for r in range(1, sd.max_row + 1)
            if (sd.cell(r, 1).value, sd.cell(r, 2).value) == ("22B", "EffectiveDemand")
        )
        for q in data.quarters[data.quarters.index("Q1 98") :]:
            cell = sd.cell(row, header[q])
            cell.value = (cell.value or 0.0) * 1.1
    wb.save(dst)


def test_each_case_plans_exactly_as_its_edited_workbook(real_path, real_data, tmp_path):
    src = tmp_path / "cases.xlsx"
    shutil.copyfile(real_path, src)
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("WhatIf")
    for row in grid(*CASES):
        ws.append(row)
    wb.save(src)
    job = jobs.whatif(src, output=tmp_path / "out.xlsx", overrides=PLAN_ONLY, n_jobs=2)
    assert [p.name for p in job.plans] == ["Base", CASES[0][0], CASES[1][0]]
    for k, plan in enumerate(job.plans[1:]):
        edited = tmp_path / f"edited{k}.xlsx"
        _edit_real_workbook(real_path, edited, real_data, k)
        alone = jobs.plan(edited, output=tmp_path / f"edited{k}_out.xlsx", overrides=PLAN_ONLY)
        for field in ("yields", "demand", "safety_stock", "capacity", "total_capacity"):
            np.testing.assert_array_equal(
                getattr(plan.data, field), getattr(alone.outcome.data, field), field
            )
        np.testing.assert_array_equal(plan.result.wafers, alone.outcome.result.wafers)
        assert plan.result.objectives == alone.outcome.result.objectives
    # the cases changed what they say: more 21A wafers for less yield, more 22B wafers for more demand
    table = job.table.set_index(["Case", "Product"])
    assert table.loc[(CASES[0][0], "21A"), "WafersChange"] > 0
    assert table.loc[(CASES[1][0], "22B"), "WafersChange"] > 0
    assert table.loc[(CASES[0][0], "22B"), "WafersChange"] == 0


def test_whatif_writes_the_table_and_the_example_sheet_once(real_copy, tmp_path, caplog):
    before = openpyxl.load_workbook(real_copy).sheetnames
    with caplog.at_level("WARNING"):
        result = runner.invoke(app, ["whatif", str(real_copy)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(real_copy)
    assert set(wb.sheetnames) - set(before) >= {"WhatIf", "LL_WhatIf"}
    # never planned: no Dashboard yet, and no warning that it "was not updated"
    assert "Dashboard" not in wb.sheetnames and "Dashboard" not in caplog.text
    rows = list(wb["LL_WhatIf"].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    base = [r for r in data if r[0] == "Base"]
    assert [r[1] for r in base] == ["21A", "22B", "23C"]
    assert all(r[header.index("WafersChange")] == 0 for r in base)
    short = {r[1]: r[header.index("ShortageBytes")] for r in base}
    assert short["23C"] > 1e11 and short["21A"] == 0.0
    # a second run reads the planner's WhatIf sheet (now present) and replaces LL_WhatIf
    (wb["WhatIf"]).append(["More 23C", "capacity", "23C", "", "", "times", 2])
    wb.save(real_copy)
    again = runner.invoke(app, ["whatif", str(real_copy)])
    assert again.exit_code == 0, again.output
    wb = openpyxl.load_workbook(real_copy)
    cases = [r[0] for r in list(wb["LL_WhatIf"].iter_rows(values_only=True))[1:]]
    assert cases.count("More 23C") == 3 and cases.count("Base") == 3
    assert "More 23C: closes" in " ".join(again.output.split())


def test_bad_whatif_sheet_exits_2_and_writes_nothing(real_copy):
    wb = openpyxl.load_workbook(real_copy)
    ws = wb.create_sheet("WhatIf")
    ws.append(list(HEADER))
    ws.append(["c", "capacity", "99Z", "", "", "times", 1.1])
    wb.save(real_copy)
    before = real_copy.read_bytes()
    result = runner.invoke(app, ["whatif", str(real_copy)])
    assert result.exit_code == 2
    assert "WhatIf!C2" in result.output and "Traceback" not in result.output
    assert real_copy.read_bytes() == before
