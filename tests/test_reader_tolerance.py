"""The tolerant reader (issue 9): other teams' layouts plan exactly as the canonical one.

Workbooks are built here (tests/layout_builder.py), never copied; each variant is read and
planned and compared with the canonical layout number for number.  Also: the label parsers,
sheet-name matching, output sheets that do not fit (a warning, never a refusal), the warnings of
"no silent wrong data", and a stray cell at XFD1048576.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time

import numpy as np
import openpyxl
import pytest
from layout_builder import PRODUCTS, WEEKS, Variant, build
from planner_mutations import FIELDS  # the planning data fields two reads must agree on
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core import tables
from linealytics_xl.core.cells import shown
from linealytics_xl.core.labels import Quarter, match_sheets, number_from_text, parse_quarter, parse_week
from linealytics_xl.core.layout import output_blocks, read_planning_data
from linealytics_xl.core.model import Issue
from linealytics_xl.core.optimize import optimize


def read(path):
    return read_planning_data(WorkbookFile(path).sheets())


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("canonical") / "canonical.xlsx")
    data = read(path)
    return data, optimize(data)


VARIANTS = {
    "title-rows": Variant(title_rows=3),
    "extra-header-row": Variant(extra_header_rows=1),
    "two-extra-header-rows": Variant(extra_header_rows=2),
    "title-and-extra-header-rows": Variant(title_rows=2, extra_header_rows=1),
    "WW1995_09": Variant(week_style="WW1995_09"),
    "1995-WW09": Variant(week_style="1995-WW09"),
    "WW09": Variant(week_style="WW09"),
    "WW 9": Variant(week_style="WW 9"),
    "week-dates": Variant(week_style="date"),
    "week-date-text": Variant(week_style="text-date"),
    "Q2'95": Variant(quarter_style="Q2'95"),
    "Q2 1995": Variant(quarter_style="Q2 1995"),
    "1995 Q2": Variant(quarter_style="1995 Q2"),
    "FQ2-95": Variant(quarter_style="FQ2-95"),
    "quarters-on-own-row": Variant(quarters_on_own_row=True),
    # the workbook of the issue: WW1995_09 weeks, quarters on another row than Product ID, two extra header rows
    "other-team": Variant(
        title_rows=1, extra_header_rows=2, week_style="WW1995_09", quarters_on_own_row=True
    ),
    "numbers-as-text": Variant(numbers_as_text=True),
    "product-x-quarter-wafer-plan": Variant(wafer_plan="quarterly"),
    "merged-wafer-plan": Variant(wafer_plan="merged"),
    "no-wafer-plan": Variant(wafer_plan="none"),
    "sheet-names-case-and-spaces": Variant(
        names={
            "Wafer Plan": "wafer plan",
            "Yield": "Yield ",
            "Supply_Demand": "SUPPLY_DEMAND",
            "Boundary Conditions": " boundary conditions",
        }
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_variant_reads_and_plans_as_the_canonical_layout(canonical, tmp_path, variant):
    base, base_plan = canonical
    data = read(build(tmp_path / "variant.xlsx", variant))
    assert data.products == base.products == PRODUCTS
    assert data.weeks.labels == base.weeks.labels and len(data.weeks.labels) == WEEKS
    assert data.weeks.quarters == base.weeks.quarters and data.quarters == base.quarters == (
        "Q3 95",
        "Q4 95",
        "Q1 96",
    )
    assert data.opening_quarter == base.opening_quarter == "Q2 95"
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(data, name), getattr(base, name), err_msg=name)
    np.testing.assert_array_equal(optimize(data).wafers, base_plan.wafers)
    assert base_plan.wafers.sum() > 0


def test_canonical_layout_has_no_warnings_beyond_the_horizon_one(canonical):
    data, _ = canonical
    assert [i.cell for i in data.warnings] == ["F4"]  # the last quarter's SST needs demand beyond the horizon
    assert "0 bytes (the final stock target) used" in data.warnings[0].message


def test_numbers_stored_as_text_are_read_with_one_warning_per_sheet(tmp_path):
    data = read(build(tmp_path / "text.xlsx", Variant(numbers_as_text=True)))
    text = [i for i in data.warnings if "stored as text" in i.message]
    assert sorted(i.sheet for i in text) == ["Boundary Conditions", "Density per Wafer", "Supply_Demand"]
    sd = next(i for i in text if i.sheet == "Supply_Demand")
    assert sd.cell == "D5" and "6 number(s)" in sd.message and "D5 ('600,000')" in sd.message


def test_renamed_sheets_get_the_plan_under_their_own_names(tmp_path):
    names = {"Wafer Plan": "wafer plan", "Boundary Conditions": "Boundary Conditions "}
    path = build(tmp_path / "names.xlsx", Variant(names=names))
    job = jobs.plan(path)
    wb = openpyxl.load_workbook(job.path)
    assert "Wafer Plan" not in wb.sheetnames and "wafer plan" in wb.sheetnames
    plan = WorkbookFile(job.path).table(tables.PLAN)
    p1 = plan[plan["Product"] == "P1"]["Wafers"].to_numpy()
    written = [wb["wafer plan"].cell(3, 2 + t).value for t in range(WEEKS)]
    np.testing.assert_allclose(written, p1)
    scheduled = [
        wb["Boundary Conditions "].cell(4, 3 + t).value for t in range(WEEKS)
    ]  # Total Scheduled Capacity
    np.testing.assert_allclose(scheduled, plan.groupby("WeekIndex")["Wafers"].sum().to_numpy())


@pytest.mark.parametrize(
    "layout,expected",
    [("quarterly", "no row of week labels"), ("merged", "E3 is part of the merged range E3:H3")],
)
def test_output_sheet_that_does_not_fit_is_left_untouched_with_one_warning(tmp_path, layout, expected):
    path = build(tmp_path / "wp.xlsx", Variant(wafer_plan=layout))
    before = {
        (c.row, c.column): c.value
        for row in openpyxl.load_workbook(path)["Wafer Plan"].iter_rows()
        for c in row
    }
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and expected in " ".join(result.output.split())
    job = jobs.plan(path)
    wb = openpyxl.load_workbook(job.path)
    after = {(c.row, c.column): c.value for row in wb["Wafer Plan"].iter_rows() for c in row}
    assert after == before
    quality = WorkbookFile(job.path).table(tables.DATA_QUALITY)
    rows = quality[quality["Sheet"] == "Wafer Plan"]
    assert len(rows) == 1 and "the weekly wafer starts not written" in rows["Message"].iloc[0]
    assert len(WorkbookFile(job.path).table(tables.PLAN)) == len(PRODUCTS) * WEEKS


def _edit(path, sheet, cell, value):
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def test_warnings_of_no_silent_wrong_data_reach_ll_data_quality(tmp_path):
    path = build(tmp_path / "warn.xlsx")
    _edit(path, "Supply_Demand", "E5", None)  # a blank demand cell
    _edit(path, "Boundary Conditions", "D6", None)  # a blank capacity cell
    _edit(path, "Yield", "E3", None)  # a blank yield cell
    wb = openpyxl.load_workbook(path)
    wb["Supply_Demand"]["G1"] = "Q2 96"  # demand after the last capacity week
    wb["Supply_Demand"]["G5"] = 123_456
    wb.save(path)
    job = jobs.plan(path)
    quality = WorkbookFile(job.path).table(tables.DATA_QUALITY)
    found = {(s, c): m for s, c, m in zip(quality["Sheet"], quality["Cell"], quality["Message"])}
    assert "0 bytes of demand used" in found[("Supply_Demand", "E5")]
    assert "0 wafers used" in found[("Boundary Conditions", "D6")]
    assert "nearest earlier week" in found[("Yield", "E3")]
    assert "is not planned: G5" in found[("Supply_Demand", "G5")]
    assert "final stock target" in found[("Supply_Demand", "F4")]
    data = read(path)
    assert data.capacity[0, 1] == 0 and data.quarterly_demand[0, 1] == 0
    assert data.yields[0, 2] == data.yields[0, 1]


def test_a_stray_cell_at_xfd1048576_is_one_warning(real_copy):
    wb = openpyxl.load_workbook(real_copy)
    wb["Boundary Conditions"]["XFD1048576"] = "stray"
    wb["Boundary Conditions"]["QC1048576"] = 1
    wb.save(real_copy)
    before = hashlib.sha256(real_copy.read_bytes()).hexdigest()
    result = CliRunner().invoke(app, ["validate", str(real_copy)])
    assert result.exit_code == 0, result.output
    assert (
        "'Boundary Conditions'!QC1048576: 2 cell(s) outside the labelled area A1:QC14 were not read"
        in " ".join(result.output.split())
    )
    assert hashlib.sha256(real_copy.read_bytes()).hexdigest() == before
    cells = WorkbookFile(real_copy).sheets()["Boundary Conditions"]
    assert cells.n_rows == 1048576 and cells.n_cols == 16384 and len(cells) < 7000


def test_validate_passes_means_plan_writes_output_blocks_for_the_real_workbook(real_path, real_data):
    """validate and plan run the same placement: every output warning is already in the data."""
    sheets = WorkbookFile(real_path).sheets()
    zeros = np.zeros((real_data.n_products, real_data.n_weeks))
    blocks = output_blocks(sheets, real_data, zeros, zeros)
    assert {b.sheet for b in blocks} == {"Wafer Plan", "Boundary Conditions", "Supply_Demand"}
    assert sum(len(b.values) for b in blocks if b.sheet == "Wafer Plan") == 3 * 443


# --- the label parsers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label,number,year",
    [
        ("WW_09", 9, None),
        ("WW09", 9, None),
        ("WW 9", 9, None),
        ("ww_9", 9, None),
        ("WW1995_09", 9, 1995),
        ("1995-WW09", 9, 1995),
        ("WW 1995 09", 9, 1995),
        (datetime(1995, 2, 28), 9, 1995),
        ("02-28-95", 9, 1995),
        ("1995-02-28", 9, 1995),
    ],
)
def test_week_labels_in_every_common_form(label, number, year):
    week = parse_week(label)
    assert (week.number, week.year, week.label) == (number, year, f"WW_{number:02d}")


@pytest.mark.parametrize("label", ["Wk3", "WW_60", "Q3 95", "abc", 9, None, "WW_"])
def test_not_week_labels(label):
    assert parse_week(label) is None


@pytest.mark.parametrize(
    "label", ["Q2 95", "Q2'95", "Q2 1995", "1995 Q2", "FQ2-95", "q2 95", "FY95 Q2", "Q2-95"]
)
def test_quarter_labels_in_every_common_form(label):
    assert parse_quarter(label) == Quarter(1995, 2) and parse_quarter(label).label == "Q2 95"


@pytest.mark.parametrize("label", ["Q5 95", "Q2", "95", "abc", "Q2 995"])
def test_not_quarter_labels(label):
    assert parse_quarter(label) is None


@pytest.mark.parametrize(
    "text,value",
    [
        ("1,234,567", 1234567.0),
        ("'42", 42.0),
        (" 0.9 ", 0.9),
        ("-5", -5.0),
        ("1e3", 1000.0),
        ("1,234.5", 1234.5),
    ],
)
def test_unambiguous_numbers_stored_as_text(text, value):
    assert number_from_text(text) == value


@pytest.mark.parametrize("text", ["1,5", "1.234.567", "12,34", "abc", "1 234", ""])
def test_ambiguous_text_is_not_a_number(text):
    assert number_from_text(text) is None


def test_sheet_names_match_as_excel_matches_them():
    m = match_sheets(["supply_demand", "Yield ", "Yeild", "Boundary  Conditions", "Wafer Plan", "wafer plan"])
    assert m.found["Supply_Demand"] == "supply_demand" and m.found["Yield"] == "Yield "
    assert m.found["Wafer Plan"] == "Wafer Plan"  # the exact name wins
    assert m.found["Boundary Conditions"] == "Boundary  Conditions"
    assert m.missing["Density per Wafer"] == []
    m = match_sheets(["Yeild"])
    assert m.missing["Yield"] == ["Yeild"]


@pytest.mark.parametrize(
    "value,text",
    [
        (None, "blank"),
        (True, "TRUE"),
        (False, "FALSE"),
        (time(1, 19, 12), "01:19:12"),
        (date(1995, 7, 3), "1995-07-03"),
        (datetime(1995, 7, 3), "1995-07-03"),
        ("#VALUE!", "#VALUE!"),
        ("abc", "'abc'"),
        (1.5, "1.5"),
        (-5, "-5"),
        (3.0, "3"),
        (1e300, "1e+300"),
        (float("nan"), "#NUM!"),
    ],
)
def test_values_are_shown_as_excel_shows_them(value, text):
    assert shown(value) == text


def test_cell_references_quote_sheet_names_with_spaces():
    assert str(Issue("error", "Weekly Demand Ratio", "H2", "x")) == "'Weekly Demand Ratio'!H2: x"
    assert str(Issue("error", "Supply_Demand", "E5", "x")) == "Supply_Demand!E5: x"
    assert str(Issue("error", "Yield", "", "x")) == "Yield: x"


def test_a_week_label_whose_year_does_not_fit_its_quarter_is_a_warning(tmp_path):
    path = build(tmp_path / "years.xlsx", Variant(week_style="WW1995_09"))
    _edit(path, "Boundary Conditions", "E2", "WW1990_11")
    data = read(path)
    warning = next(i for i in data.warnings if "year in" in i.message)
    assert (warning.sheet, warning.cell) == ("Boundary Conditions", "E2")
    assert data.weeks.labels[2] == "WW_11"  # the quarter row decides; the label only names the week
