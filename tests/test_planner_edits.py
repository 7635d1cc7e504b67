"""A planner changes the planned workbook the way planners do, then plans it again.

The real workbook is planned once; each test changes a copy of the output on its XML, as Excel
stores the change (``planner_edits``), plans it again and checks: what the tool does not own is
byte-for-byte what the planner left; what it owns is rewritten, keeping the planner's dressing of
its tables (style, total row, calculated column, protection, print settings, links, charts);
what cannot be kept on new rows (a filter, typed values in a column of the planner's) is named in
one note; a renamed tool sheet or a locked structure that needs a new sheet is refused with a
sentence and exit code 2, the file untouched.  Every result opens in openpyxl (and, for the
LibreOffice tests, in LibreOffice).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from libreoffice import list_charts, make_pivot, recalculate, require_libreoffice
from lxml import etree
from openpyxl.chart import BarChart, LineChart, Reference
from planner_edits import (
    SHEET_PROTECTION,
    M,
    add_calculated_column,
    add_defined_name,
    add_total_row,
    add_typed_column,
    data_bars,
    edit_package,
    filter_and_sort,
    hide_sheet,
    hyperlink_to,
    lock_structure,
    move_sheet_first,
    page_setup,
    protect_sheet,
    read_parts,
    rels_of,
    rename_sheet,
    rename_table,
    set_table_style,
    sheet_index,
    sheet_parts,
    table_part,
)
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookError, WorkbookFile
from linealytics_xl.cli import app

FAST = {"forecast": False, "simulate": False}
PLAN_ROWS = 1329  # 3 products x 443 weeks
WAFERS_K = "tblLL_Plan[[#This Row],[Wafers]]/1000"


@pytest.fixture(scope="module")
def planned(real_path: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edits") / "planned.xlsx"
    jobs.plan(real_path, output=out, overrides=FAST)
    return out


def run_parts(parts: dict[str, bytes]) -> set[str]:
    """The parts every run rewrites with new content: the run log, the alerts' last-seen times,
    the Dashboard's run line (and the run log's table, whose range grows by a row)."""
    sheets = sheet_parts(parts)
    return {sheets["LL_Runs"], sheets["LL_Alerts"], sheets["Dashboard"], table_part(parts, "LL_Runs")}


def replan(planned: Path, tmp_path: Path, *edits) -> tuple[dict[str, bytes], dict[str, bytes], jobs.PlanJob]:
    """Edit a copy of the planned workbook, plan it in place; the parts before and after, the job."""
    work = tmp_path / "edited.xlsx"
    before = edit_package(planned, work, *edits)
    job = jobs.plan(work, overrides=FAST)
    after = read_parts(work)
    openpyxl.load_workbook(work)  # never a file a spreadsheet cannot open
    return before, after, job


def assert_kept(before: dict[str, bytes], after: dict[str, bytes], rewritten: set[str] = frozenset()) -> None:
    """Every part is still there and byte-for-byte the same, except the run's and ``rewritten``."""
    assert list(before) == list(after)
    differ = {n for n in before if before[n] != after[n]}
    assert differ <= run_parts(after) | set(rewritten), sorted(differ - run_parts(after) - set(rewritten))


def _table(parts: dict[str, bytes], sheet: str) -> etree._Element:
    return etree.fromstring(parts[table_part(parts, sheet)])


# --------------------------------------------------------------------------- the table
def test_a_table_style_of_the_planners_is_kept(planned, tmp_path):
    before, after, job = replan(planned, tmp_path, set_table_style("LL_Plan", "TableStyleLight9"))
    assert_kept(before, after)  # LL_Plan's sheet and table part included: same bytes
    assert _table(after, "LL_Plan").find(f"{{{M}}}tableStyleInfo").get("name") == "TableStyleLight9"
    assert job.lost_parts == []


def test_a_filter_and_sort_are_dropped_and_said_in_one_note(planned, tmp_path):
    before, after, job = replan(planned, tmp_path, filter_and_sort("LL_Plan", 0, "21A"))
    plan = sheet_parts(after)["LL_Plan"]
    assert_kept(before, after, {plan, table_part(after, "LL_Plan")})
    table = _table(after, "LL_Plan")
    assert len(table.find(f"{{{M}}}autoFilter")) == 0 and table.find(f".//{{{M}}}sortState") is None
    assert b'hidden="1"' not in after[plan]  # every product's rows shown again
    assert len(job.lost_parts) == 1 and job.lost_parts[0].startswith("LL_Plan: its filter or sort")
    assert "hidden rows" in job.lost_parts[0]
    # the rows are the plan's, in the plan's order: the sort on the old rows is not applied
    assert (
        WorkbookFile(tmp_path / "edited.xlsx").table("LL_Plan").equals(WorkbookFile(planned).table("LL_Plan"))
    )


def test_a_calculated_column_of_the_planners_is_kept_at_the_right_end(planned, tmp_path):
    require_libreoffice()
    before, after, job = replan(planned, tmp_path, add_calculated_column("LL_Plan", "WafersK", WAFERS_K))
    assert job.lost_parts == []
    plan = sheet_parts(after)["LL_Plan"]
    assert_kept(before, after, {plan})  # the table part is the planner's, byte for byte
    columns = _table(after, "LL_Plan").findall(f".//{{{M}}}tableColumn")
    assert columns[-1].get("name") == "WafersK" and len(columns) == 14
    assert columns[-1].findtext(f"{{{M}}}calculatedColumnFormula") == WAFERS_K
    assert (
        len(re.findall(rb'<c r="N\d+"><f>' + re.escape(WAFERS_K.encode()) + b"</f></c>", after[plan]))
        == PLAN_ROWS
    )
    # the tool reads its table back without the planner's column
    work = tmp_path / "edited.xlsx"
    assert "WafersK" not in WorkbookFile(work).table("LL_Plan").columns
    shown = openpyxl.load_workbook(recalculate(work, tmp_path / "lo.xlsx"), data_only=True)["LL_Plan"]
    assert shown["N1"].value == "WafersK"
    for r in (2, 500, PLAN_ROWS + 1):
        assert shown[f"N{r}"].value == pytest.approx(shown[f"G{r}"].value / 1000)


def test_typed_values_in_a_column_of_the_planners_are_dropped_with_a_note(planned, tmp_path):
    _, after, job = replan(planned, tmp_path, add_typed_column("LL_Plan", "Comment", "check"))
    assert job.lost_parts == [
        "LL_Plan: its own column(s) of typed values 'Comment' (its rows are rewritten every run)"
    ]
    names = [c.get("name") for c in _table(after, "LL_Plan").iter(f"{{{M}}}tableColumn")]
    assert "Comment" not in names and len(names) == 13
    assert b">check<" not in after[sheet_parts(after)["LL_Plan"]]


def test_a_total_row_is_kept_and_sums_the_new_plan(planned, tmp_path):
    require_libreoffice()
    before, after, job = replan(planned, tmp_path, add_total_row("LL_Plan", "Product", "Wafers"))
    assert job.lost_parts == []
    plan = sheet_parts(after)["LL_Plan"]
    assert_kept(before, after, {plan})
    table = _table(after, "LL_Plan")
    last = PLAN_ROWS + 2
    assert table.get("totalsRowCount") == "1" and table.get("ref") == f"A1:M{last}"
    assert table.find(f"{{{M}}}autoFilter").get("ref") == f"A1:M{last - 1}"
    assert f'<c r="G{last}"><f>SUBTOTAL(109,tblLL_Plan[Wafers])</f></c>'.encode() in after[plan]
    work = tmp_path / "edited.xlsx"
    frame = WorkbookFile(work).table("LL_Plan")
    assert len(frame) == PLAN_ROWS and "Total" not in set(frame["Product"])  # not read as a row
    shown = openpyxl.load_workbook(recalculate(work, tmp_path / "lo.xlsx"), data_only=True)["LL_Plan"]
    assert shown[f"A{last}"].value == "Total"
    assert shown[f"G{last}"].value == pytest.approx(float(frame["Wafers"].sum()), rel=1e-12)


def test_a_total_row_on_the_run_log_is_never_read_as_a_run(planned, tmp_path):
    replan(planned, tmp_path, add_total_row("LL_Runs", "RunId", "WallTimeS"))
    work = tmp_path / "edited.xlsx"
    jobs.plan(work, overrides=FAST)
    runs = WorkbookFile(work).table("LL_Runs")
    assert len(runs) == 3 and all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", r) for r in runs["RunId"])
    table = _table(read_parts(work), "LL_Runs")
    assert table.get("totalsRowCount") == "1" and table.get("ref").endswith("5")  # header, 3 runs, total


# --------------------------------------------------------------------------- the sheets
def test_a_renamed_tool_sheet_is_refused_and_the_file_left_untouched(planned, tmp_path):
    work = tmp_path / "renamed.xlsx"
    edit_package(planned, work, rename_sheet("LL_Plan", "Plan"))
    digest = hashlib.sha256(work.read_bytes()).hexdigest()
    with pytest.raises(
        WorkbookError, match=r"the sheet 'Plan' holds the table tblLL_Plan.*rename the sheet back to LL_Plan"
    ):
        jobs.plan(work, overrides=FAST)
    result = CliRunner().invoke(app, ["plan", str(work)])
    assert result.exit_code == 2 and "rename the sheet back to LL_Plan" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert hashlib.sha256(work.read_bytes()).hexdigest() == digest


def test_moved_and_hidden_tool_sheets_stay_where_and_how_the_planner_left_them(planned, tmp_path):
    before, after, job = replan(planned, tmp_path, move_sheet_first("LL_Plan"), hide_sheet("LL_Runs"))
    assert_kept(before, after)  # workbook.xml included: order, hidden state, local names' positions
    wb = openpyxl.load_workbook(tmp_path / "edited.xlsx")
    assert wb.sheetnames[0] == "LL_Plan" and wb["LL_Runs"].sheet_state == "hidden"
    assert job.lost_parts == []


def test_a_protected_tool_sheet_stays_protected(planned, tmp_path):
    before, after, _ = replan(planned, tmp_path, protect_sheet("LL_Plan"))
    assert_kept(before, after)
    assert SHEET_PROTECTION.encode() in after[sheet_parts(after)["LL_Plan"]]
    assert openpyxl.load_workbook(tmp_path / "edited.xlsx")["LL_Plan"].protection.sheet


def test_a_locked_structure_lets_a_run_rewrite_its_sheets(planned, tmp_path):
    before, after, _ = replan(planned, tmp_path, lock_structure)
    assert_kept(before, after)
    assert b'<workbookProtection lockStructure="1"/>' in after["xl/workbook.xml"]


def test_a_locked_structure_refuses_a_run_that_must_add_sheets(real_path, tmp_path):
    work = tmp_path / "locked.xlsx"
    edit_package(real_path, work, lock_structure)
    digest = hashlib.sha256(work.read_bytes()).hexdigest()
    with pytest.raises(WorkbookError) as caught:
        jobs.plan(work, overrides=FAST)
    message = str(caught.value)
    assert "structure is protected (Review > Protect Workbook)" in message
    assert "LL_Plan" in message and "Dashboard" in message and "Nothing was written" in message
    assert hashlib.sha256(work.read_bytes()).hexdigest() == digest


def test_names_print_titles_page_setup_and_links_survive(planned, tmp_path):
    def print_titles(parts):
        add_defined_name("_xlnm.Print_Titles", "LL_Plan!$1:$1", sheet_index(parts, "LL_Plan"))(parts)

    before, after, job = replan(
        planned,
        tmp_path,
        add_defined_name("MyWafers", "LL_Plan!$G$2:$G$1330"),
        print_titles,
        page_setup("LL_Plan"),
        hyperlink_to("Definitions", "A1", "LL_Plan!A1"),
        hyperlink_to("LL_Plan", "O1", "Dashboard!A1"),
    )
    assert_kept(before, after)  # LL_Plan's sheet too: its page setup and link are in it
    plan = after[sheet_parts(after)["LL_Plan"]]
    assert b'<pageSetup orientation="landscape"/>' in plan and b'location="Dashboard!A1"' in plan
    wb = openpyxl.load_workbook(tmp_path / "edited.xlsx")
    assert wb.defined_names["MyWafers"].attr_text == "LL_Plan!$G$2:$G$1330"
    assert wb["LL_Plan"].print_title_rows == "$1:$1"
    assert wb["Definitions"]["A1"].hyperlink.location == "LL_Plan!A1"
    assert job.lost_parts == []


# --------------------------------------------------------------------------- charts and a pivot
@pytest.fixture()
def charted(planned: Path, tmp_path: Path) -> Path:
    """The planned workbook with a chart of LL_Plan on a sheet of the planner's, a chart placed
    on LL_Plan itself (saved by openpyxl, as another tool would), then a LibreOffice pivot table
    over LL_Plan on a third sheet."""
    require_libreoffice()
    wb = openpyxl.load_workbook(planned)
    plan = wb["LL_Plan"]
    own = wb.create_sheet("MyCharts")
    bar = BarChart()
    bar.add_data(Reference(plan, min_col=7, min_row=1, max_row=40), titles_from_data=True)
    own.add_chart(bar, "B2")
    line = LineChart()
    line.add_data(Reference(plan, min_col=9, min_row=1, max_row=444), titles_from_data=True)
    plan.add_chart(line, "O2")
    wb.create_sheet("MyPivot")
    wb.save(tmp_path / "charted.xlsx")
    pivoted = make_pivot(
        tmp_path / "charted.xlsx", tmp_path / "pivoted.xlsx", "LL_Plan", "A1:G1330", "MyPivot"
    )
    # LibreOffice stores a TRUE/FALSE cell as the formula TRUE(), which the Settings reader
    # refuses (a finding for the reader, not the writer): put Settings' flags back as Excel has them
    out = tmp_path / "planner.xlsx"

    def flags(parts):
        part = sheet_parts(parts)["Settings"]
        parts[part] = re.sub(rb"<f[^>]*>(?:TRUE|FALSE)\(\)</f>", b"", parts[part])

    edit_package(pivoted, out, flags)
    return out


def test_charts_and_a_pivot_table_on_ll_plan_survive_a_run(charted, tmp_path):
    before = read_parts(charted)
    charts_before = list_charts(charted)
    assert charts_before["MyCharts"] == 1 and charts_before["LL_Plan"] == 1
    job = jobs.plan(charted, overrides=FAST)
    after = read_parts(charted)
    assert list_charts(charted) == charts_before  # LibreOffice opens it and finds every chart
    pivots = [n for n in before if n.startswith("xl/pivot")]
    assert any(n.startswith("xl/pivotCache") for n in pivots)
    for n in pivots:  # the pivot table and its records: theirs; its cache refreshes on opening
        if "pivotCacheDefinition" in n and not n.endswith(".rels"):
            assert after[n] != before[n] and after[n].replace(b' refreshOnLoad="1"', b"", 1) == before[n]
        else:
            assert after.get(n) == before[n], n
    # the planner's drawings and charts, on their own sheet and on LL_Plan: byte-for-byte theirs
    sheets = sheet_parts(after)
    for sheet in ("MyCharts", "LL_Plan"):
        rels = etree.fromstring(after[rels_of(sheets[sheet])])
        drawing = next(e.get("Target") for e in rels if e.get("Type").endswith("/drawing"))
        part = "xl/drawings/" + drawing.rsplit("/", 1)[-1]
        assert after[part] == before[part], sheet
        for chart in etree.fromstring(after[rels_of(part)]):
            name = "xl/charts/" + chart.get("Target").rsplit("/", 1)[-1]
            assert after[name] == before[name], (sheet, name)
    assert all(not note.startswith("LL_Plan") for note in job.lost_parts), job.lost_parts


# --------------------------------------------------------------------------- run after run
def test_three_runs_on_a_dressed_workbook_differ_only_in_the_run_and_do_not_grow(planned, tmp_path):
    _, second, _ = replan(
        planned,
        tmp_path,
        set_table_style("LL_Plan", "TableStyleLight9"),
        add_calculated_column("LL_Plan", "WafersK", WAFERS_K),
        add_total_row("LL_Plan", "Product", "Wafers"),
        protect_sheet("LL_Plan"),
        page_setup("LL_Plan"),
        hyperlink_to("LL_Plan", "P1", "Dashboard!A1"),
    )
    work = tmp_path / "edited.xlsx"
    size2 = work.stat().st_size
    kept = tmp_path / "second.xlsx"
    shutil.copyfile(work, kept)
    jobs.plan(work, overrides=FAST)
    third = read_parts(work)
    assert_kept(second, third)  # LL_Plan, its table and every other part: the same bytes
    runs = sheet_parts(third)["LL_Runs"]
    growth = work.stat().st_size - size2
    assert 0 <= growth <= len(third[runs]) - len(second[runs]) + 200  # one run-log row, compressed
    assert len(WorkbookFile(work).table("LL_Runs")) == 3


def test_the_cells_of_an_old_tool_sheet_are_skipped_as_a_stream(monkeypatch):
    """What is outside ``sheetData`` and whether a row was hidden, whatever the chunk boundaries
    (a 500-product LL_Plan is 100 MB of cells: never held whole)."""
    import io

    from linealytics_xl.adapters.xlsx import table_sheet

    sheet = (
        b'<worksheet><sheetPr><tabColor rgb="FF00B050"/></sheetPr><dimension ref="A1:B3"/><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2" hidden="1"/><row r="3"/></sheetData>'
        b'<sheetProtection sheet="1"/><pageMargins left="1"/></worksheet>'
    )
    outside = b'<worksheet><sheetPr><tabColor rgb="FF00B050"/></sheetPr><dimension ref="A1:B3"/><sheetData/>'
    outside += b'<sheetProtection sheet="1"/><pageMargins left="1"/></worksheet>'
    for chunk in (3, 7, 16, 1 << 20):
        monkeypatch.setattr(table_sheet, "_CHUNK", chunk)
        assert table_sheet.outside_data(io.BytesIO(sheet)) == (outside, True), chunk
        shown = sheet.replace(b' hidden="1"', b"")
        assert table_sheet.outside_data(io.BytesIO(shown)) == (outside, False), chunk
    empty = b"<worksheet><sheetData/><pageMargins/></worksheet>"
    assert table_sheet.outside_data(io.BytesIO(empty)) == (empty, False)


def test_a_renamed_tool_table_gets_its_name_back_and_the_planners_formulas_follow(planned, tmp_path):
    own = "MyPlan[[#This Row],[Wafers]]*2"
    _, after, job = replan(
        planned,
        tmp_path,
        rename_table("LL_Plan", "MyPlan"),
        add_calculated_column("LL_Plan", "Twice", own),
        add_defined_name("PlanWafers", "MyPlan[Wafers]"),
    )
    table = _table(after, "LL_Plan")
    assert table.get("displayName") == "tblLL_Plan"  # Power BI reads it by this name
    assert table.findall(f".//{{{M}}}calculatedColumnFormula")[0].text == "tblLL_Plan[[#This Row],[Wafers]]*2"
    assert b"MyPlan" not in after[sheet_parts(after)["LL_Plan"]]
    names = etree.fromstring(after["xl/workbook.xml"]).iter(f"{{{M}}}definedName")
    assert {e.get("name"): e.text for e in names}["PlanWafers"] == "tblLL_Plan[Wafers]"
    assert len(job.lost_parts) == 1 and "MyPlan" in job.lost_parts[0] and "tblLL_Plan" in job.lost_parts[0]


def test_data_bars_are_kept_and_a_slicer_placed_on_the_sheet_is_named(planned, tmp_path):
    before, after, job = replan(planned, tmp_path, data_bars("LL_Plan"))
    assert_kept(before, after)  # both forms of the data bars: the same bytes
    assert job.lost_parts == []
    _, after, job = replan(planned, tmp_path, data_bars("LL_Plan", slicer=True))
    plan = after[sheet_parts(after)["LL_Plan"]]
    assert b"x14:dataBar" in plan and b"slicerList" not in plan
    assert job.lost_parts == ["LL_Plan: slicers placed on it (its rows are rewritten every run)"]
