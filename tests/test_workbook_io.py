"""Import by labels, validation messages, round trip, atomic and refused writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookError, WorkbookFile, lock_file
from linealytics_xl.core import tables
from linealytics_xl.core.layout import output_cells, read_planning_data
from linealytics_xl.core.model import InputError


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- import ---------------------------------------------------------------------------------


def test_real_workbook_facts(real_data):
    d = real_data
    assert d.products == ("21A", "22B", "23C")
    assert (d.n_weeks, len(d.quarters)) == (443, 34)
    counts = np.bincount(d.week_quarter)
    assert sorted(set(counts)) == [13, 14] and d.quarters[int(np.argmax(counts))] == "Q4 96"
    assert d.opening_quarter == "Q2 95"
    np.testing.assert_allclose(d.initial_stock, [141337199.36, 164824302.72, 184132359.936])
    # SST by the rule (WOS x next quarter's demand / 13), last quarter 0
    np.testing.assert_allclose(d.safety_stock[0, 0], 1.82 * d.quarterly_demand[0, 1] / 13)
    assert (d.safety_stock[:, -1] == 0).all()
    # weekly demand conserves every quarter
    for q in range(len(d.quarters)):
        np.testing.assert_allclose(
            d.demand[:, d.week_quarter == q].sum(axis=1), d.quarterly_demand[:, q], rtol=1e-12
        )
    # the Total capacity row (formulas, then pasted values) equals the product sum
    np.testing.assert_allclose(d.total_capacity, d.capacity.sum(axis=0))
    # week dates: text and real dates both parsed; the one running backwards is left unknown
    assert d.weeks.starts[0].isoformat() == "1995-02-28"
    assert d.weeks.starts[44] is None and d.weeks.starts[45].isoformat() == "1996-01-09"
    assert sum(s is not None for s in d.weeks.starts) == 442


def test_real_workbook_warnings_name_cells(real_data):
    msgs = [str(w) for w in real_data.warnings]
    assert any(m.startswith("Supply_Demand!E9: pasted safety stock target") for m in msgs)
    assert any(m.startswith("'Wafer Plan'!GO1: quarter label 'Q2 99' disagrees") for m in msgs)
    assert any(m.startswith("Yield!AU2: week start 1995-01-02 does not follow") for m in msgs)


def test_import_survives_blank_rows_reordered_and_added_products_and_extra_sheets(real_path):
    sheets = {name: cells.to_rows() for name, cells in WorkbookFile(real_path).sheets().items()}
    base = read_planning_data(sheets)
    sd = sheets["Supply_Demand"]
    header, rows = sd[0], sd[1:]
    blocks = [rows[i : i + 6] for i in range(0, 18, 6)]
    extra = [["24D" if c == "21A" else c for c in r] for r in blocks[0]]
    sd[:] = (
        [header, [None] * len(header)] + blocks[2] + [[None] * len(header)] + blocks[1] + blocks[0] + extra
    )
    for name, label_col in (("Boundary Conditions", 0), ("Yield", 0), ("Wafer Plan", 0)):
        grid = sheets[name]
        src = [r for r in grid if r[label_col] == "21A"]
        grid.extend([["24D" if c == "21A" else c for c in r] for r in src])
        grid.insert(len(grid) - len(src), [None] * len(grid[0]))
    dens = sheets["Density per Wafer"]
    dens[0].append("24D")
    dens[1].append(dens[1][0])
    sheets["Notes of mine"] = [["anything", 1, 2]]
    d = read_planning_data(sheets)
    assert set(d.products) == {"21A", "22B", "23C", "24D"}
    for p in ("21A", "22B", "23C"):
        i, j = base.products.index(p), d.products.index(p)
        np.testing.assert_array_equal(d.demand[j], base.demand[i])
        np.testing.assert_array_equal(d.capacity[j], base.capacity[i])
    np.testing.assert_array_equal(d.demand[d.products.index("24D")], base.demand[0])


# --- validation -----------------------------------------------------------------------------

CASES = [
    (("Yield", "F4", "abc"), "Yield!F4: expected a yield between 0 and 1, found 'abc'"),
    (
        ("Yield", "C3", 1.5),
        "Yield!C3: expected a yield between 0 and 1, found 1.5, beyond the sane bound of 1; is the unit right?",
    ),
    (
        ("Supply_Demand", "E5", -5),
        "Supply_Demand!E5: expected a demand in bytes (a number >= 0), found -5 (negative)",
    ),
    (
        ("Supply_Demand", "F11", "lots"),
        "Supply_Demand!F11: expected a demand in bytes (a number >= 0), found 'lots'",
    ),
    (
        ("Density per Wafer", "B2", "x"),
        "'Density per Wafer'!B2: expected bytes per wafer (a number > 0), found 'x'",
    ),
    (
        ("Boundary Conditions", "D6", -1),
        "'Boundary Conditions'!D6: expected a capacity in wafers per week (a number >= 0), found -1 (negative)",
    ),
    # a sum that is off names every ratio cell, not the last one
    (
        ("Weekly Demand Ratio", "A2", 0.5),
        "'Weekly Demand Ratio'!A2:M2: expected the weekly ratios A2:M2 to sum to 1, found 1.445",
    ),
    (
        ("Boundary Conditions", "E2", None),
        "'Boundary Conditions'!E2: expected a week label (the week axis has a gap), found blank",
    ),
    (
        ("Supply_Demand", "A8", "21A"),
        "Supply_Demand!A8: product '21A' with attribute 'Yielded Supply' appears twice, in A2:B2 and A8:B8; delete or rename one of the rows",
    ),
    (
        ("Yield", "A4", None),
        "Yield!A2: expected a yield row for product '22B' (from 'Boundary Conditions'!A9); none found "
        "(rows with labels the tool does not know: A4 is blank)",
    ),
]


@pytest.mark.parametrize("edit,expected", CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_bad_input_names_sheet_cell_and_expectation_and_writes_nothing(real_copy, edit, expected):
    sheet, cell, value = edit
    wb = openpyxl.load_workbook(real_copy)
    wb[sheet][cell] = value
    wb.save(real_copy)
    before = digest(real_copy)
    with pytest.raises(InputError) as exc:
        jobs.plan(real_copy)
    assert expected in [str(i) for i in exc.value.issues]
    assert digest(real_copy) == before


def test_all_problems_are_collected_not_just_the_first(real_copy):
    wb = openpyxl.load_workbook(real_copy)
    wb["Yield"]["F4"] = "abc"
    wb["Supply_Demand"]["E5"] = -5
    del wb["Density per Wafer"]
    wb.save(real_copy)
    with pytest.raises(InputError) as exc:
        jobs.validate(real_copy)
    assert next(str(i) for i in exc.value.issues).startswith(
        "Density per Wafer: no sheet 'Density per Wafer'"
    )
    wb = openpyxl.load_workbook(real_copy)
    wb.create_sheet("Density per Wafer")  # empty sheet now: the other errors must all show
    wb.save(real_copy)
    with pytest.raises(InputError) as exc:
        jobs.validate(real_copy)
    text = "\n".join(str(i) for i in exc.value.issues)
    assert "Yield!F4" in text and "Supply_Demand!E5" in text and "Density per Wafer" in text


def test_bad_setting_names_its_cell(real_copy):
    jobs.plan(real_copy)  # creates the Settings sheet with defaults
    wb = openpyxl.load_workbook(real_copy)
    ws = wb["Settings"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "scenarios")
    ws.cell(row, 2).value = "many"
    wb.save(real_copy)
    with pytest.raises(InputError) as exc:
        jobs.validate(real_copy)
    assert any(str(i).startswith(f"Settings!B{row}: setting 'scenarios'") for i in exc.value.issues)


# --- writing --------------------------------------------------------------------------------


def snapshot(path: Path):
    wb = openpyxl.load_workbook(path)
    cells = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None or c.has_style:
                    # openpyxl saves a cell holding "" as an empty cell: the same to every reader
                    value = None if c.value == "" else c.value
                    cells[(ws.title, c.row - 1, c.column - 1)] = (
                        value,
                        c.number_format,
                        c.font.b,
                        c.fill.fgColor.rgb,
                        c.alignment.horizontal,
                    )
    meta = {
        ws.title: (
            sorted(map(str, ws.merged_cells.ranges)),
            ws.freeze_panes,
            # a hidden column's width is not kept by openpyxl (0 becomes 13); it stays hidden
            {k: ("hidden" if v.hidden else v.width) for k, v in ws.column_dimensions.items()},
            ws.sheet_state,
        )
        for ws in wb.worksheets
    }
    return wb.sheetnames, cells, meta, sorted(wb.defined_names.keys())


def test_round_trip_keeps_everything_the_tool_does_not_own(real_copy, real_data):
    names0, cells0, meta0, defined0 = snapshot(real_copy)
    owned = output_cells(WorkbookFile(real_copy).sheets(), real_data)
    job = jobs.plan(real_copy)
    names1, cells1, meta1, defined1 = snapshot(real_copy)
    assert names1[: len(names0)] == names0
    assert set(names1) - set(names0) >= {tables.PLAN, tables.RUNS, "Settings"}
    assert defined1 == defined0
    for sheet in names0:
        assert meta1[sheet] == meta0[sheet], sheet
    changed = [k for k, v in cells0.items() if (k[0], k[1], k[2]) not in owned and cells1.get(k) != v]
    assert changed == []
    # the owned cells now hold the plan
    assert any(cells1.get(k, (None,))[0] is not None for k in owned)
    # nothing is lost any more: the threaded comments openpyxl used to drop are still there
    assert job.lost_parts == []
    import zipfile

    with zipfile.ZipFile(real_copy) as z:
        assert "xl/threadedComments/threadedComment1.xml" in z.namelist()


def test_output_file_leaves_the_original_untouched(real_copy, tmp_path):
    before = digest(real_copy)
    out = tmp_path / "out.xlsx"
    job = jobs.plan(real_copy, output=out)
    assert digest(real_copy) == before
    assert job.path == out and tables.PLAN in openpyxl.load_workbook(out).sheetnames


def test_refuses_a_workbook_open_in_excel(real_copy):
    lock_file(real_copy).write_text("owner")
    before = digest(real_copy)
    with pytest.raises(WorkbookError, match="open in Excel"):
        jobs.plan(real_copy)
    assert digest(real_copy) == before


SHAPE_DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">
<xdr:twoCellAnchor><xdr:from><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>
<xdr:to><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>
<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Note to planners"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>
<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1800000" cy="700000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>
<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>Check 23C with sales</a:t></a:r></a:p></xdr:txBody></xdr:sp>
<xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"""


def add_text_box(path: Path, sheet_part: str = "xl/worksheets/sheet7.xml") -> None:
    """A text box (a drawing shape, which openpyxl does not model) on the Definitions sheet."""
    import zipfile

    src = zipfile.ZipFile(path)
    items = {n: src.read(n) for n in src.namelist()}
    src.close()
    folder, base = sheet_part.rsplit("/", 1)
    rels = f"{folder}/_rels/{base}.rels"
    assert rels not in items
    items[rels] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>'
    )
    items["xl/drawings/drawing1.xml"] = SHAPE_DRAWING.encode()
    xml = items[sheet_part].decode()
    xml = xml.replace(
        "</worksheet>",
        '<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/></worksheet>',
    )
    items[sheet_part] = xml.encode()
    items["[Content_Types].xml"] = items["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in items.items():
            z.writestr(n, data)


def test_in_place_keeps_a_users_drawing(real_copy, tmp_path):
    """A text box (a shape openpyxl cannot keep) once made in-place writes refuse; the package
    writer copies it over byte-for-byte."""
    import zipfile

    add_text_box(real_copy)
    assert (
        openpyxl.load_workbook(real_copy)["Definitions"]["A1"].value == "Yielded Supply"
    )  # still a valid file
    with zipfile.ZipFile(real_copy) as z:
        drawing, sheet = z.read("xl/drawings/drawing1.xml"), z.read("xl/worksheets/sheet7.xml")
    job = jobs.plan(real_copy)
    assert job.lost_parts == []
    with zipfile.ZipFile(real_copy) as z:
        assert z.read("xl/drawings/drawing1.xml") == drawing and z.read("xl/worksheets/sheet7.xml") == sheet
    assert not list(real_copy.parent.glob(".~linealytics-*"))  # no temporary file left behind


def test_runs_table_appends_one_row_per_run(real_copy):
    jobs.plan(real_copy)
    jobs.plan(real_copy)
    runs = WorkbookFile(real_copy).table(tables.RUNS)
    assert list(runs.columns) == tables.RUNS_COLUMNS
    assert len(runs) == 2 and runs["RunId"].is_unique
    assert runs["InputFingerprint"].nunique() == 1  # same inputs, same fingerprint
