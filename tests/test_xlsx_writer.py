"""The package writer's pieces: values read back exactly, text never a formula, cell patches.

openpyxl and LibreOffice both read every value the streamed sheets hold back exactly (doubles to
the last bit, text with XML-hostile characters, dates); a text that starts with ``=`` stays text;
patching a cell that is the master of a shared formula keeps the other cells' formulas.
"""

from __future__ import annotations

import math
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from libreoffice import recalculate, requires_libreoffice
from lxml import etree
from openpyxl.utils.escape import unescape

from linealytics_xl.adapters.demo_workbook import write_demo_workbook
from linealytics_xl.adapters.xlsx.patch import SheetText
from linealytics_xl.adapters.xlsx.recalc import references, refresh
from linealytics_xl.adapters.xlsx.sheet_xml import escape_text
from linealytics_xl.adapters.xlsx.writer import write_package

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TEXTS = [
    "=SUM(A1:A2)",
    "+1",
    "-x",
    "@here",
    "=1+1",
    "a\x01b\x1fc",
    "_x0041_ literal",
    "  lead and trail  ",
    "two\nlines",
    "<b>&amp;</b>",
    "\u00e9t\u00e9 \u2603 \U0001f600",
    "",
    "'quoted",
]
FLOATS = [
    3920865476.2527657,
    0.1 + 0.2,
    1e-300,
    1.7976931348623157e308,
    -2.5e-8,
    5e-324,
    123456789012345.67,
    0.0,
]


def tricky_frame() -> pd.DataFrame:
    n = max(len(TEXTS), len(FLOATS))
    return pd.DataFrame(
        {
            "Text": (TEXTS + ["x"] * n)[:n],
            "Float": (FLOATS + [1.0] * n)[:n],
            "Int": np.arange(n, dtype=np.int64) * 10**15,
            "Flag": [i % 2 == 0 for i in range(n)],
            "When": pd.date_range("2025-03-31", periods=n, freq="7D"),
            "Time": [datetime(2026, 1, 5, 8, 30, 15)] * n,
            "Mixed": [None, 1.5, "text", np.nan, datetime(2025, 1, 1), True, 7] + ["m"] * (n - 7),
        }
    )


@pytest.fixture()
def written(tmp_path) -> Path:
    src = write_demo_workbook(
        tmp_path / "demo.xlsx", n_products=2, n_quarters=2, seed=1, capacity_bound=("P2",)
    )
    out = tmp_path / "out.xlsx"
    write_package(src, out, [], {"LL_Test": tricky_frame()}, settings_rows=None)
    return out


def test_openpyxl_reads_every_value_back_exactly(written):
    ws = openpyxl.load_workbook(written)["LL_Test"]
    frame = tricky_frame()
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(frame.columns)
    for i, row in enumerate(rows[1:]):
        text, number, integer, flag, when, time, mixed = row
        # openpyxl hands inline strings over still OOXML-escaped; its own unescape decodes them
        assert unescape(text or "") == (TEXTS[i] if i < len(TEXTS) else "x")
        f = FLOATS[i] if i < len(FLOATS) else 1.0
        assert number == f and math.copysign(1, number) == math.copysign(1, f)
        assert integer == i * 10**15
        assert flag is (i % 2 == 0)
        assert when == frame["When"][i].to_pydatetime()
        assert time == datetime(2026, 1, 5, 8, 30, 15)
        assert mixed == [None, 1.5, "text", None, datetime(2025, 1, 1), True, 7, *["m"] * 20][i]
    assert ws["E2"].number_format == "yyyy-mm-dd" and ws["F2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_text_is_never_a_formula(written):
    with zipfile.ZipFile(written) as z:
        name = next(
            n
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
            and b"LL_Test" not in z.read(n)
            and b"=SUM(A1:A2)" in z.read(n)
        )
        root = etree.fromstring(z.read(name))
    assert root.find(f".//{M}f") is None
    cell = next(c for c in root.iter(f"{M}c") if c.get("r") == "A2")
    assert cell.get("t") == "inlineStr" and "".join(cell.itertext()) == "=SUM(A1:A2)"
    ws = openpyxl.load_workbook(written)["LL_Test"]
    assert ws["A2"].data_type == "s" and ws["A6"].data_type == "s"


@requires_libreoffice
def test_libreoffice_reads_every_value_back_exactly(written, tmp_path):
    out = recalculate(written, tmp_path / "lo.xlsx")
    ws = openpyxl.load_workbook(out, data_only=True)["LL_Test"]  # LibreOffice stores TRUE as =TRUE()
    frame = tricky_frame()
    for i in range(len(frame)):
        text, number = ws.cell(i + 2, 1).value, ws.cell(i + 2, 2).value
        # LibreOffice decodes _xHHHH_ on reading; saving, it escapes control characters again
        # (but not a literal "_x0041_", which it writes as it is)
        expected = TEXTS[i] if i < len(TEXTS) else "x"
        assert (text or "") == expected or unescape(text) == expected, i
        # LibreOffice stores numbers with 15 significant digits when it saves xlsx
        assert number == pytest.approx(FLOATS[i] if i < len(FLOATS) else 1.0, rel=1e-14, abs=0), i
        assert ws.cell(i + 2, 3).value == i * 10**15
        assert ws.cell(i + 2, 5).value == frame["When"][i].to_pydatetime()
    assert ws.cell(2, 4).value is True


def test_escaping_follows_the_ooxml_rule():
    assert escape_text("a\x01b") == "a_x0001_b"
    assert escape_text("_x0041_") == "_x005F_x0041_"
    assert escape_text("<&>") == "&lt;&amp;&gt;"


SHARED = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:E2"/><sheetData>
<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="C1"><v>3</v></c><c r="D1"><v>4</v></c></row>
<row r="2" spans="1:4"><c r="A2"><f>A1*2</f><v>2</v></c><c r="B2"><f t="shared" ref="B2:D2" si="0">A2+B1</f><v>4</v></c><c r="C2"><f t="shared" si="0"/><v>7</v></c><c r="D2"><f t="shared" si="0"/><v>11</v></c></row>
</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"""


def test_patching_a_shared_formula_master_keeps_the_other_formulas():
    sheet = SheetText(SHARED)
    sheet.set_number(2, 1, 100.0)  # B2, the master of B2:D2
    refresh({"S": sheet}, {"S": {2: [(1, 1, [100.0])]}})
    sheet.set_number(1, 4, 5.0)  # E1: a new cell at the end of row 1
    root = etree.fromstring(sheet.render())
    cells = {c.get("r"): c for c in root.iter(f"{M}c")}
    assert cells["B2"].find(f"{M}f") is None and cells["B2"].findtext(f"{M}v") == "100.0"
    assert cells["C2"].findtext(f"{M}f") == "B2+C1" and cells["D2"].findtext(f"{M}f") == "C2+D1"
    # their cached values follow the new B2 (C2 = 100 + 3, D2 = 103 + 4); A2 is untouched
    assert cells["C2"].findtext(f"{M}v") == "103.0" and cells["D2"].findtext(f"{M}v") == "107.0"
    assert etree.tostring(cells["A2"]).startswith(
        b'<c xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="A2"><f>A1*2</f><v>2</v>'
    )
    assert [c.get("r") for c in root.iter(f"{M}c")][:5] == ["A1", "B1", "C1", "D1", "E1"]
    assert root.find(f"{M}dimension").get("ref") == "A1:E2"
    assert sheet.formula_removed


def test_formulas_the_evaluator_cannot_follow_lose_their_cached_value():
    xml = SHARED.replace(b"<f>A1*2</f><v>2</v>", b"<f>MyName*2</f><v>2</v>")
    sheet = SheetText(xml)
    sheet.set_number(1, 0, 9.0)
    refresh({"S": sheet}, {"S": {1: [(0, 0, [9.0])]}})
    cells = {c.get("r"): c for c in etree.fromstring(sheet.render()).iter(f"{M}c")}
    assert cells["A2"].find(f"{M}v") is None and cells["A2"].findtext(f"{M}f") == "MyName*2"
    assert references("'Wafer Plan'!B3+SUM(C4:C9)-D1", "S")[0] == [
        ("Wafer Plan", (3, 1, 3, 1)),
        ("S", (4, 2, 9, 2)),
        ("S", (1, 3, 1, 3)),
    ]
    assert references("SUM(A:A)", "S")[1] and not references('IF(A1>0,"x",B2)', "S")[1]


def _trimmed(grid: list[list]) -> list[list]:
    rows = [list(r) for r in grid]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    return [(r + [None] * width)[:width] for r in rows]


def _openpyxl_grids(path) -> dict[str, list[list]]:
    """The reference: every sheet's cell values as openpyxl (non read-only) reads them."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        cells = {(r - 1, c - 1): cell.value for (r, c), cell in ws._cells.items() if cell.value is not None}
        rows = max((r for r, _ in cells), default=-1) + 1
        cols = max((c for _, c in cells), default=-1) + 1
        grid = [[None] * cols for _ in range(rows)]
        for (r, c), v in cells.items():
            grid[r][c] = v
        out[ws.title] = grid
    return out


def test_fast_reader_gives_what_openpyxl_gives(real_copy):
    """``xlsx.read`` (what ``WorkbookFile.sheets()`` reads with) returns the same values, of the
    same types, as openpyxl: on the real workbook and on it planned (inline strings, streamed
    tables, the transplanted dashboard)."""
    from linealytics_xl import jobs
    from linealytics_xl.adapters.workbook_file import WorkbookFile
    from linealytics_xl.adapters.xlsx.read import read_cells, read_grids

    for path in (real_copy, jobs.plan(real_copy, overrides={"forecast": False, "simulate": False}).path):
        fast, slow = read_grids(path), _openpyxl_grids(path)
        assert list(fast) == list(slow)
        for name in slow:
            a, b = _trimmed(fast[name]), _trimmed(slow[name])
            assert a == b, name
            assert [[type(v) for v in r] for r in a] == [[type(v) for v in r] for r in b], name
        sparse = WorkbookFile(path).sheets()  # blank text ('') is blank there, as Excel shows it
        for name in slow:
            dense = [[None if isinstance(v, str) and not v.strip() else v for v in r] for r in slow[name]]
            assert _trimmed(sparse[name].to_rows()) == _trimmed(dense), name
    merged = read_cells(path)["Dashboard"].merged
    assert (3, 1, 3, 2) in merged  # the selector B4:C4


def test_compiled_sums_agree_with_the_core_evaluator(real_path):
    """The writer's compiled sums compute what ``core.cells.evaluate_sum_formula`` computes, on
    every formula of the real workbook that the core reads (inventory, totals)."""
    from linealytics_xl.adapters.workbook_file import WorkbookFile
    from linealytics_xl.adapters.xlsx.recalc import compile_sum, evaluate
    from linealytics_xl.core.cells import evaluate_sum_formula, is_formula

    sheets = {name: cells.to_rows() for name, cells in WorkbookFile(real_path).sheets().items()}
    compared = 0
    for grid in sheets.values():

        def cell(r, c):
            return grid[r][c] if r < len(grid) and c < len(grid[r]) else None

        def plain(r, c):  # 1-based rows, as the compiled sums address them
            v = cell(r - 1, c)
            if is_formula(v):
                terms = compile_sum(v)
                return None if terms is None else evaluate(terms, plain)
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

        for _r, row in enumerate(grid):
            for _c, v in enumerate(row):
                if not is_formula(v):
                    continue
                core = evaluate_sum_formula(v, cell).value
                terms = compile_sum(v)
                if core is not None:  # every formula the core reads compiles
                    assert terms is not None, v
                    assert evaluate(terms, plain) == pytest.approx(core, rel=1e-15), v
                    compared += 1
    assert compared > 100


def test_number_formats_and_new_sheets(tmp_path):
    """Per-column formats (the contract's) style the data cells; a new input sheet is written
    once, text as text, and left alone when it exists."""
    src = write_demo_workbook(
        tmp_path / "demo.xlsx", n_products=2, n_quarters=2, seed=1, capacity_bound=("P2",)
    )
    out = tmp_path / "out.xlsx"
    frame = pd.DataFrame(
        {"Share": [0.25, 0.5], "When": pd.to_datetime(["2025-01-06", "2025-01-13"]), "N": [1, 2]}
    )
    formats = lambda table, cols: ["0.0%", "General", "#,##0"]  # noqa: E731
    sheet = [["Name", "Value"], ["=not a formula", 3.5], ["+1", None]]
    write_package(
        src, out, [], {"LL_Test": frame}, None, number_formats=formats, new_sheets={"WhatIf": sheet}
    )
    wb = openpyxl.load_workbook(out)
    ws = wb["LL_Test"]
    assert (ws["A2"].number_format, ws["B2"].number_format, ws["C2"].number_format) == (
        "0.0%",
        "yyyy-mm-dd",
        "#,##0",
    )
    assert ws["A1"].number_format == "General"
    what = wb["WhatIf"]
    assert [[c.value for c in r] for r in what.iter_rows()] == [
        ["Name", "Value"],
        ["=not a formula", 3.5],
        ["+1", None],
    ]
    assert what["A2"].data_type == "s"
    again = tmp_path / "again.xlsx"
    write_package(out, again, [], {"LL_Test": frame}, None, new_sheets={"WhatIf": [["changed"]]})
    assert openpyxl.load_workbook(again)["WhatIf"]["A1"].value == "Name"


def test_fast_reader_decodes_character_references(tmp_path):
    """openpyxl writes non-ASCII text as numeric character references (&#26230;): the fast reader
    must give the text, as openpyxl reads it, not the reference."""
    import openpyxl

    from linealytics_xl.adapters.xlsx.read import read_cells

    path = tmp_path / "refs.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "晶圆-Ωмега"
    ws["A2"] = "&amp; <b>"
    ws["A3"] = '=LEN("晶")'
    wb.save(path)
    cells = read_cells(path)["S"].cells
    assert cells[(0, 0)] == "晶圆-Ωмега" and cells[(1, 0)] == "&amp; <b>" and cells[(2, 0)] == '=LEN("晶")'


@pytest.mark.parametrize(
    "formula",
    [
        "=B3+C4-D5",
        "+SUM(B4:B503)",
        "=$B$3-SUM($C4:D$9)+12.5-3",
        "(E5/13)*D4",
        "=IF(A1>0,B2,C3)*LOG10(D4)",
        "=SUM(A:A)+B2",
        "=MyName*2+A1",
        "=TRUE+A1",
        "=A1",
        "=-7",
        "=XFD1048576+AA10",
    ],
)
def test_formulas_parsed_by_shape_agree_with_the_full_grammar(formula):
    """The shape parser (one regex per formula, the rest once per shape) finds the same sum and
    references as the full grammar it stands in for."""
    from linealytics_xl.adapters.xlsx.recalc import _compile_slow, _references_slow, parse

    body = formula.lstrip("=").replace(" ", "").upper()
    slow_terms = _compile_slow(body)
    terms, refs, unknown = parse(formula, "S")
    assert terms == slow_terms
    if slow_terms is None:
        assert (refs, unknown) == _references_slow(formula, "S")
    else:
        assert refs == [("S", t[1:5]) for t in slow_terms if t[2] >= 0] and not unknown


APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/'
    'officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    'docPropsVTypes"><Application>Microsoft Excel</Application><HeadingPairs><vt:vector size="4" baseType="variant">'
    "<vt:variant><vt:lpstr>Arbeitsblätter</vt:lpstr></vt:variant><vt:variant><vt:i4>2</vt:i4></vt:variant>"
    "<vt:variant><vt:lpstr>Benannte Bereiche</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant>"
    '</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="3" baseType="lpstr"><vt:lpstr>Data</vt:lpstr>'
    "<vt:lpstr>Old</vt:lpstr><vt:lpstr>Data!Print_Area</vt:lpstr></vt:vector></TitlesOfParts>"
    "<AppVersion>16.0300</AppVersion></Properties>"
)


def test_file_properties_follow_added_and_removed_sheets_in_any_language(tmp_path):
    """The worksheet group (found by its sheets, not by its localised name) lists the sheets
    after the change; the other groups and properties stay; no change of sheets, no rewrite."""
    from linealytics_xl.adapters.xlsx.app_props import update_sheet_titles
    from linealytics_xl.adapters.xlsx.package import Package

    src = tmp_path / "props.xlsx"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>',
        )
        z.writestr("docProps/app.xml", APP)
    package = Package(src)
    try:
        assert not update_sheet_titles(package, ["Data", "Old"], ["Data", "Old"])
        assert update_sheet_titles(package, ["Data", "Old"], ["Data", "LL_Plan"])
        root = etree.fromstring(package.read("docProps/app.xml"))
    finally:
        package.close()
    vt = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
    pairs = [v[0].text for v in root.iter(f"{vt}variant")]
    assert pairs == ["Arbeitsblätter", "2", "Benannte Bereiche", "1"]
    titles = root.find(
        "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}TitlesOfParts"
    )
    assert [t.text for t in titles.iter(f"{vt}lpstr")] == ["Data", "LL_Plan", "Data!Print_Area"]
    assert titles[0].get("size") == "3"
    assert root[0].text == "Microsoft Excel" and root[-1].text == "16.0300"


def test_the_formula_shape_cache_stays_bounded_in_a_long_lived_process():
    """The add-in's server plans workbook after workbook: the shapes of their formulas must not
    pile up without end (the cache starts over at its bound, and still answers alike)."""
    from linealytics_xl.adapters.xlsx import recalc

    first = recalc._shape("@+@")
    for i in range(recalc._MAX_SHAPES + 10):
        recalc._shape(f"@+{i}")
    assert len(recalc._SHAPES) <= recalc._MAX_SHAPES
    assert recalc._shape("@+@") == first
