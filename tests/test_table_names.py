"""Excel Table names never clash with the add-in's worksheet functions (contract 2.0).

Excel compares table names, defined names and function names case-insensitively: a table
``LL_Plan`` is the function ``LL_PLAN`` to Excel.  The names are read from the saved package
itself (``xl/workbook.xml``'s defined names, workbook- and sheet-scoped, and every table part's
``name`` and ``displayName``), not through a library that might normalise them.  A workbook that
1.x planned (tables named like their sheets) is made by renaming the tables of a planned copy
back to the 1.x names, and must come out of its next run with the 2.0 names, not with both.
"""

from __future__ import annotations

import inspect
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from libreoffice import recalculate, requires_libreoffice
from lxml import etree

from linealytics_xl import jobs, udfs
from linealytics_xl.core.contract import TABLES, table_name

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
FAST = {"forecast": False, "simulate": False}


def function_names() -> set[str]:
    """The worksheet functions of the add-in (``LL_*`` in ``linealytics_xl.udfs``), upper case."""
    return {n.upper() for n, f in vars(udfs).items() if n.startswith("LL_") and inspect.isfunction(f)}


def table_parts(path: Path) -> dict[str, dict[str, str]]:
    """Table part -> its ``name`` and ``displayName`` attributes, from the package."""
    with zipfile.ZipFile(path) as z:
        types = etree.fromstring(z.read("[Content_Types].xml"))
        parts = [o.get("PartName").lstrip("/") for o in types if o.get("ContentType") == CT_TABLE]
        return {p: {k: etree.fromstring(z.read(p)).get(k) for k in ("name", "displayName")} for p in parts}


def defined_names(path: Path) -> list[tuple[str, str | None]]:
    """(name, localSheetId or None) of every defined name in ``xl/workbook.xml``."""
    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
    return [(e.get("name"), e.get("localSheetId")) for e in book.iterfind("m:definedNames/m:definedName", NS)]


def clashes(path: Path) -> list[str]:
    functions = function_names()
    found = [
        f"table {v!r} ({part})"
        for part, attrs in table_parts(path).items()
        for v in attrs.values()
        if v and v.upper() in functions
    ]
    found += [
        f"defined name {n!r} (sheet {s})" if s is not None else f"defined name {n!r}"
        for n, s in defined_names(path)
        if n.upper() in functions
    ]
    return found


def as_planned_by_1x(path: Path) -> None:
    """Rename every tool table of ``path`` back to its sheet's name, as 1.x wrote them."""
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/tables/"):
                data = re.sub(rb'"tbl(LL_\w+)"', rb'"\1"', data)
            dst.writestr(item, data)
    tmp.replace(path)


@pytest.fixture(scope="module")
def template_everything(tmp_path_factory) -> Path:
    """The template planned with every stage, and its what-if cases: every table the tool writes."""
    path = tmp_path_factory.mktemp("names") / "template.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path)
    jobs.whatif(path, n_jobs=1)
    return path


def test_the_functions_are_found_and_no_table_of_the_contract_is_named_like_one():
    functions = function_names()
    assert {"LL_PLAN", "LL_FORECAST", "LL_RISK"} <= functions  # not vacuous
    for sheet, spec in TABLES.items():
        assert spec.table_name == table_name(sheet) != sheet
        assert spec.table_name.upper() not in functions and not spec.table_name.upper().startswith("LL_")


def test_no_table_or_defined_name_of_a_planned_workbook_equals_a_function(template_everything):
    names = {a["displayName"] for a in table_parts(template_everything).values()}
    assert {table_name(t) for t in TABLES} <= names, names  # every table of the contract is there
    assert clashes(template_everything) == []


def test_the_real_workbook_planned_has_no_clashing_name(real_planned):
    assert "tblLL_Plan" in {a["displayName"] for a in table_parts(real_planned.path).values()}
    assert clashes(real_planned.path) == []


def test_a_1x_workbook_gets_its_tables_renamed_not_duplicated(tmp_path):
    path = tmp_path / "old.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path, overrides=FAST)
    as_planned_by_1x(path)
    before = table_parts(path)
    assert clashes(path) and "LL_Plan" in {a["displayName"] for a in before.values()}  # the 1.x state

    jobs.plan(path, overrides=FAST)
    after = table_parts(path)
    assert clashes(path) == []
    assert len(after) == len(before)  # replaced, not added beside
    book = openpyxl.load_workbook(path)
    for sheet in (s for s in book.sheetnames if s.startswith("LL_")):
        assert set(book[sheet].tables) == {table_name(sheet)}, sheet


def test_a_run_that_rewrites_one_table_renames_the_others_too(tmp_path):
    """``whatif`` writes only LL_WhatIf; the 1.x LL_Plan it leaves gets its 2.0 name all the same,
    so that the Dashboard rebuilt by that run (tblLL_Plan[...]) refers to a table that exists."""
    path = tmp_path / "old.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path, overrides=FAST)
    as_planned_by_1x(path)

    jobs.whatif(path, n_jobs=1)
    assert clashes(path) == []
    book = openpyxl.load_workbook(path)
    assert set(book["LL_Plan"].tables) == {"tblLL_Plan"} and set(book["LL_WhatIf"].tables) == {"tblLL_WhatIf"}
    formulas = [
        c.value
        for row in book["Dashboard"].iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert any("tblLL_Plan[" in f for f in formulas)
    assert not [f for f in formulas if re.search(r"(?<!tbl)LL_\w+\[", f)]  # no formula names a 1.x table


def test_the_rename_never_gives_two_tables_one_name(tmp_path):
    """A table called LL_Plan on a planner's own sheet is not renamed onto the tool's tblLL_Plan."""
    from openpyxl.worksheet.table import Table

    path = tmp_path / "own.xlsx"
    book = openpyxl.load_workbook(TEMPLATE)
    ws = book.create_sheet("Notes")
    ws.append(["Item", "Amount"])
    ws.append(["a", 1])
    ws.add_table(Table(displayName="LL_Plan", ref="A1:B2"))
    ws["D1"] = "=SUM(LL_Plan[Amount])"  # the planner's formula over the planner's table
    book.save(path)

    jobs.plan(path, overrides=FAST)
    names = [a["displayName"].lower() for a in table_parts(path).values()]
    assert len(names) == len(set(names)), names
    book = openpyxl.load_workbook(path)
    assert set(book["Notes"].tables) == {"LL_Plan"} and set(book["LL_Plan"].tables) == {"tblLL_Plan"}
    assert book["Notes"]["D1"].value == "=SUM(LL_Plan[Amount])"  # no rename, so no rewrite


def test_rename_in_formula_changes_references_only():
    from linealytics_xl.adapters.xlsx.table_refs import rename_in_formula

    r = {"ll_plan": "tblLL_Plan"}
    assert rename_in_formula("SUM(LL_Plan[Wafers])", r) == "SUM(tblLL_Plan[Wafers])"
    assert rename_in_formula("ROWS(ll_plan)+1", r) == "ROWS(tblLL_Plan)+1"  # Excel ignores case
    assert rename_in_formula("LL_Plan[[#This Row],[Wafers]]", r) == "tblLL_Plan[[#This Row],[Wafers]]"
    for kept in (
        '"LL_Plan[Wafers]"&A1',  # text
        "LL_Plan!A1",  # a sheet called LL_Plan
        "'LL_Plan'!A1:B2",
        "LL_PLAN(A1:B9)",  # the add-in's function
        "tblLL_Plan[Wafers]",  # already the new name
        "MyLL_Plan[Wafers]",  # another table
        "LL_Plan2[Wafers]",
    ):
        assert rename_in_formula(kept, r) == kept, kept


def _with_planner_formulas(path: Path) -> None:
    """A planner's own sheet and defined name over the 1.x tables, as people build them."""
    from openpyxl.workbook.defined_name import DefinedName

    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("My report")
    ws["A1"] = "=SUM(LL_Plan[Wafers])"
    ws["A2"] = "=ROWS(LL_Plan)"
    ws["A3"] = '="see LL_Plan[Wafers]"'
    ws["A4"] = "=MyWafers"
    ws["A5"] = "=ROWS(LL_Plan[Wafers])"
    book.defined_names["MyWafers"] = DefinedName("MyWafers", attr_text="SUM(LL_Plan[Wafers])")
    book.save(path)


@pytest.fixture(scope="module")
def replanned_1x(tmp_path_factory) -> Path:
    """A 1.x workbook with the planner's own formulas over its tables, planned by this version."""
    path = tmp_path_factory.mktemp("refs") / "old.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path, overrides=FAST)
    as_planned_by_1x(path)
    _with_planner_formulas(path)
    jobs.plan(path, overrides=FAST)
    return path


def test_a_planners_formulas_over_1x_tables_follow_the_rename(replanned_1x):
    """Excel rewrites references when a table is renamed; the 2.0 rename must too, or the
    planner's report turns #REF! without a word."""
    book = openpyxl.load_workbook(replanned_1x)
    ws = book["My report"]
    assert [ws[c].value for c in ("A1", "A2", "A3", "A4", "A5")] == [
        "=SUM(tblLL_Plan[Wafers])",
        "=ROWS(tblLL_Plan)",
        '="see LL_Plan[Wafers]"',  # text stays text
        "=MyWafers",
        "=ROWS(tblLL_Plan[Wafers])",
    ]
    assert book.defined_names["MyWafers"].attr_text == "SUM(tblLL_Plan[Wafers])"


@requires_libreoffice
def test_the_renamed_references_recalculate_to_the_plan(replanned_1x, tmp_path):
    done = recalculate(replanned_1x, tmp_path / "recalc.xlsx")
    values = openpyxl.load_workbook(done, data_only=True)["My report"]
    plan = pd.read_excel(replanned_1x, sheet_name="LL_Plan")
    assert values["A1"].value == pytest.approx(plan["Wafers"].sum(), rel=1e-9)
    assert values["A5"].value == len(plan)  # (LibreOffice counts a bare table's header row: not A2)
    assert values["A4"].value == pytest.approx(plan["Wafers"].sum(), rel=1e-9)


def test_sheet_xml_rewrite_touches_formula_text_only():
    from linealytics_xl.adapters.xlsx.table_refs import _rename_in_xml

    xml = (
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>1</v></c>'
        '<c r="B2"><f>SUM(LL_Plan[Wafers])&amp;"LL_Plan[x]"</f><v>2</v></c>'
        '<c r="C2" t="s"><v>LL_Plan[Wafers]</v></c>'
        '<c r="D2"><f>LL_Plan[Wafers]&amp;"&#26230;"</f></c></row>'
        "<dataValidation><formula1>LL_Plan[Product]</formula1></dataValidation>"
    )
    out = _rename_in_xml(xml, {"ll_plan": "tblLL_Plan"})
    assert out == (
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>1</v></c>'
        '<c r="B2"><f>SUM(tblLL_Plan[Wafers])&amp;"LL_Plan[x]"</f><v>2</v></c>'
        '<c r="C2" t="s"><v>LL_Plan[Wafers]</v></c>'
        '<c r="D2"><f>tblLL_Plan[Wafers]&amp;"晶"</f></c></row>'  # a character reference: read as text
        "<dataValidation><formula1>tblLL_Plan[Product]</formula1></dataValidation>"
    )


def test_a_pivot_table_on_a_1x_table_reads_it_under_its_new_name():
    from linealytics_xl.adapters.xlsx.table_refs import _rename_sources

    xml = (
        '<cacheSource type="worksheet"><worksheetSource name="LL_Plan"/></cacheSource>'
        '<cacheSource type="worksheet"><worksheetSource ref="A1:C9" sheet="LL_Plan"/></cacheSource>'
        '<cacheSource type="worksheet"><worksheetSource name="MyRange"/></cacheSource>'
    )
    assert _rename_sources(xml, {"ll_plan": "tblLL_Plan"}) == xml.replace(
        'name="LL_Plan"', 'name="tblLL_Plan"'
    )
