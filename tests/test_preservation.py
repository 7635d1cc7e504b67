"""A plan changes only what the tool owns: every other zip part survives byte-for-byte.

On the real workbook and on a generated one enriched with a chart, an image, a LibreOffice pivot
table, data validations, conditional formats, a threaded comment with its note and person list,
a sensitivity label, a hidden column of width 0, an empty-text cell and (``.xlsm``) a VBA project:
after a plan, each part the tool does not own is identical, the patched sheets differ only in the
owned cells and the cached values of the formulas that depend on them, and the result opens in
LibreOffice (macros listed, charts kept, inventory formulas recalculated to the plan).
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from libreoffice import list_charts, list_macros, recalculate, require_libreoffice
from lxml import etree
from planner_edits import read_parts, sheet_parts

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile

# LL_Plan writes backlog within the solver's round-off as 0 (docs/tables.md, KPIs): the workbook's
# own inventory formula may differ from StockBytes - BacklogBytes by that much, never more.
from linealytics_xl.core.kpis import SERVED_TOL_BYTES
from linealytics_xl.core.layout import ATTR_INVENTORY, output_cells

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
PATCHED = ("Wafer Plan", "Boundary Conditions", "Supply_Demand")
SHARED = (
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "docProps/app.xml",  # its sheet titles follow the sheets the tool adds (test below)
)
FAST = {"forecast": False, "simulate": False}


def _reachable(parts: dict[str, bytes], start: str) -> set[str]:
    """``start`` and every part reachable from it by relationships (with the .rels parts);
    ``start=""`` begins at the package's root relationships."""
    seen, todo = set(), [start]
    while todo:
        part = todo.pop()
        if part in seen or (part and part not in parts):
            continue
        seen.add(part)
        folder, _, base = part.rpartition("/")
        rels = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        if rels in parts:
            seen.add(rels)
            for e in etree.fromstring(parts[rels]):
                if e.get("TargetMode") != "External":
                    t = e.get("Target")
                    todo.append(t.lstrip("/") if t.startswith("/") else _norm(folder, t))
    return seen - {""}


def _norm(folder: str, target: str) -> str:
    out: list[str] = []
    for piece in f"{folder}/{target}".split("/"):
        if piece == "..":
            out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _cells(xml: bytes) -> dict[str, bytes]:
    return {
        c.get("r"): etree.tostring(c, method="c14n", exclusive=True)
        for c in etree.fromstring(xml).iter(f"{M}c")
    }


def check_preserved(before: dict[str, bytes], after_path: Path) -> dict[str, set[str]]:
    """Assert that ``after`` keeps every part of ``before`` that the tool does not own; returns
    {patched sheet: addresses of cells that changed} for further checks."""
    after = read_parts(after_path)
    sheets = sheet_parts(before)
    owned = set(SHARED)
    for name, part in sheets.items():
        if name.startswith("LL_") or name in ("Dashboard", "Settings"):
            owned |= _reachable(before, part)
    patched = {sheets[n]: n for n in PATCHED}
    kept = [n for n in before if n not in owned and n not in patched]
    assert kept, "nothing to compare"
    for name in kept:
        assert name in after, f"{name} was dropped"
        assert after[name] == before[name], f"{name} changed"
    with zipfile.ZipFile(after_path) as z:
        infos = {i.filename: i for i in z.infolist()}
    for name in kept:
        assert infos[name].compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)
    changed = {}
    for part, name in patched.items():
        old, new = etree.fromstring(before[part]), etree.fromstring(after[part])

        # every element but the cell data (and the dimension, which may grow) is the same
        def strip(root):
            return [
                etree.tostring(e, method="c14n", exclusive=True)
                for e in root
                if e.tag not in (f"{M}sheetData", f"{M}dimension")
            ]

        assert strip(new) == strip(old), f"{name}: an element outside the cells changed"
        a, b = _cells(before[part]), _cells(after[part])
        assert set(a) <= set(b), f"{name}: cells dropped"
        changed[name] = {r for r in b if a.get(r) != b[r]}
        for ref in changed[name] & set(a):
            fa = etree.fromstring(a[ref]).find(f"{M}f")
            fb = etree.fromstring(b[ref]).find(f"{M}f")
            if fb is not None:  # a formula of the planner's: only its cached value moved
                assert fa is not None and etree.tostring(fa) == etree.tostring(fb), (name, ref)
    return changed


def check_owned_cells(path: Path, changed: dict[str, set[str]]) -> None:
    """Each changed plain cell is one the tool owns and holds the plan's value (LL_Plan)."""
    book = WorkbookFile(path)
    sheets = book.sheets()
    data = jobs.load(book, sheets)[0]
    owned = output_cells(sheets, data)
    plan = book.table("LL_Plan")
    from linealytics_xl.core.cells import address

    owned_refs = {(s, address(r, c)) for s, r, c in owned}
    values = openpyxl.load_workbook(path)
    for sheet, refs in changed.items():
        for ref in refs:
            v = values[sheet][ref].value
            if not (isinstance(v, str) and v.startswith("=")):
                assert (sheet, ref) in owned_refs, (sheet, ref)
    wafers = plan.pivot_table(index="Product", columns="WeekIndex", values="Wafers", sort=False)
    wp = sheets["Wafer Plan"]
    hits = 0
    for s, r, c in owned:
        if s == "Wafer Plan":
            product = next(x for x in (wp.get(r, cc) for cc in range(c)) if x in wafers.index)
            week = sum(1 for cc in range(c) if (s, r, cc) in owned) + 1
            assert values[s].cell(r + 1, c + 1).value == wafers.loc[product, week]
            hits += 1
    assert hits == len(wafers.index) * wafers.shape[1]


# --------------------------------------------------------------------------- real workbook
def test_real_workbook_keeps_every_part_it_does_not_own(real_copy):
    before = read_parts(real_copy)
    job = jobs.plan(real_copy)
    assert job.lost_parts == []
    changed = check_preserved(before, real_copy)
    check_owned_cells(real_copy, changed)
    after = read_parts(real_copy)
    for name in (
        "docMetadata/LabelInfo.xml",
        "xl/threadedComments/threadedComment1.xml",
        "xl/persons/person.xml",
        "xl/calcChain.xml",
        "xl/sharedStrings.xml",
    ):
        assert after[name] == before[name], name


def _app_titles(parts: dict[str, bytes]) -> tuple[list[tuple[str, int]], list[str]]:
    root = etree.fromstring(parts["docProps/app.xml"])
    pairs = [v[0].text for v in root.iter(f"{VT}variant")]
    titles = [t.text for t in root.find(f"{EP}TitlesOfParts").iter(f"{VT}lpstr")]
    return list(zip(pairs[0::2], map(int, pairs[1::2]))), titles


def test_file_properties_list_the_sheets_the_tool_added(real_copy, tmp_path):
    """docProps/app.xml names every sheet of the planned workbook (Excel shows them in the file's
    properties), its other properties unchanged; a re-run, which adds no sheet, keeps it exactly."""
    before = read_parts(real_copy)
    jobs.plan(real_copy, overrides=FAST)
    after = read_parts(real_copy)
    sheets = list(sheet_parts(after))
    assert len(sheets) > len(sheet_parts(before))
    assert _app_titles(after) == ([("Worksheets", len(sheets))], sheets)

    def others(xml: bytes) -> list[bytes]:
        root = etree.fromstring(xml)
        return [etree.tostring(e) for e in root if e.tag not in (f"{EP}HeadingPairs", f"{EP}TitlesOfParts")]

    assert others(after["docProps/app.xml"]) == others(before["docProps/app.xml"])
    jobs.plan(real_copy, overrides=FAST)
    assert read_parts(real_copy)["docProps/app.xml"] == after["docProps/app.xml"]


def test_cached_values_follow_the_plan_without_recalculation(real_copy):
    """Viewers that do not calculate see the new inventory; formulas on other inputs keep theirs."""
    before = openpyxl.load_workbook(real_copy, data_only=True)["Supply_Demand"]
    formulas = openpyxl.load_workbook(real_copy)["Supply_Demand"]
    jobs.plan(real_copy)
    after = openpyxl.load_workbook(real_copy, data_only=True)["Supply_Demand"]
    plan = WorkbookFile(real_copy).table("LL_Plan")
    plan["Net"] = plan["StockBytes"] - plan["BacklogBytes"]
    header = {after.cell(1, c).value: c for c in range(1, after.max_column + 1)}
    checked = kept = 0
    for r in range(2, after.max_row + 1):
        attr = after.cell(r, 2).value
        for quarter, c in header.items():
            f = formulas.cell(r, c).value
            if not (isinstance(f, str) and f.startswith("=")):
                continue
            if attr == ATTR_INVENTORY:
                rows = plan[(plan["Product"] == after.cell(r, 1).value) & (plan["Quarter"] == quarter)]
                if len(rows):
                    assert after.cell(r, c).value == pytest.approx(
                        float(rows["Net"].iloc[-1]), rel=1e-9, abs=SERVED_TOL_BYTES
                    )
                    checked += 1
            elif attr == "Safety Stock Target":
                assert after.cell(r, c).value == before.cell(r, c).value  # its inputs did not change
                kept += 1
    assert checked >= 3 * 19 and kept > 30


def test_twice_in_place_differs_only_in_run_ids_and_times(real_copy, tmp_path):
    jobs.plan(real_copy)
    first = tmp_path / "first.xlsx"
    shutil.copyfile(real_copy, first)
    jobs.plan(real_copy)
    a, b = read_parts(first), read_parts(real_copy)
    assert list(a) == list(b)
    sheets = sheet_parts(b)
    allowed = {sheets["LL_Runs"], sheets["LL_Alerts"], sheets["Dashboard"]}
    runs_table = next(p for p in _reachable(b, sheets["LL_Runs"]) if p.startswith("xl/tables/"))
    differ = {n for n in a if a[n] != b[n]}
    assert differ <= allowed | {runs_table}, differ - allowed
    book1, book2 = openpyxl.load_workbook(first), openpyxl.load_workbook(real_copy)
    alerts1, alerts2 = book1["LL_Alerts"], book2["LL_Alerts"]
    header = [c.value for c in alerts1[1]]
    for row1, row2 in zip(
        alerts1.iter_rows(min_row=2, values_only=True), alerts2.iter_rows(min_row=2, values_only=True)
    ):
        for col, x, y in zip(header, row1, row2):
            if col == "Status":  # the alert lifecycle: seen again, a new alert is open
                assert x == y or (x, y) == ("new", "open")
            elif col != "LastSeen":
                assert x == y, col
    dash1 = [
        (c.coordinate, c.value) for row in book1["Dashboard"].iter_rows() for c in row if c.value is not None
    ]
    dash2 = [
        (c.coordinate, c.value) for row in book2["Dashboard"].iter_rows() for c in row if c.value is not None
    ]
    assert [d for d in dash1 if d[0] != "A2"] == [d for d in dash2 if d[0] != "A2"]
    runs = WorkbookFile(real_copy).table("LL_Runs")
    assert len(runs) == 2


def test_a_rerun_leaves_no_orphans_and_no_duplicates(real_copy):
    jobs.plan(real_copy)
    jobs.plan(real_copy)
    parts = read_parts(real_copy)
    reached = _reachable(parts, "") | {"[Content_Types].xml"}
    assert set(parts) - reached == set(), "orphan parts"
    ct = etree.fromstring(parts["[Content_Types].xml"])
    overrides = [e.get("PartName").lstrip("/") for e in ct if e.get("PartName")]
    assert len(overrides) == len(set(overrides)) and set(overrides) <= set(parts)
    tables = [etree.fromstring(parts[n]) for n in parts if n.startswith("xl/tables/")]
    names = [t.get("displayName").lower() for t in tables]
    ids = [t.get("id") for t in tables]
    assert len(names) == len(set(names)) and len(ids) == len(set(ids))
    defined = [
        (e.get("name").lower(), e.get("localSheetId"))
        for e in etree.fromstring(parts["xl/workbook.xml"]).iter(f"{M}definedName")
    ]
    assert len(defined) == len(set(defined))
    assert openpyxl.load_workbook(real_copy).sheetnames.count("Dashboard") == 1


# --------------------------------------------------------------------------- enriched workbooks
@pytest.fixture(scope="module")
def enriched(tmp_path_factory) -> dict[str, Path]:
    require_libreoffice()
    from enriched import enriched_workbook

    folder = tmp_path_factory.mktemp("enriched")
    return {kind: enriched_workbook(folder / kind, macros=kind == "xlsm") for kind in ("xlsx", "xlsm")}


@pytest.mark.parametrize("kind", ["xlsx", "xlsm"])
def test_enriched_workbook_keeps_every_part_it_does_not_own(enriched, kind, tmp_path):
    work = tmp_path / enriched[kind].name
    shutil.copyfile(enriched[kind], work)
    before = read_parts(work)
    expected = {
        "xl/pivotTables/pivotTable1.xml",
        "xl/pivotCache/pivotCacheDefinition1.xml",
        "xl/charts/chart1.xml",
        "xl/media/image1.png",
        "xl/threadedComments/threadedComment91.xml",
        "xl/persons/person.xml",
        "xl/comments91.xml",
        "docMetadata/LabelInfo.xml",
    } | ({"xl/vbaProject.bin"} if kind == "xlsm" else set())
    assert expected <= set(before)
    job = jobs.plan(work, overrides=FAST)
    assert job.path == work and job.lost_parts == []
    changed = check_preserved(before, work)
    check_owned_cells(work, changed)
    # the hidden zero-width column and the empty-text cell are kept as they were
    bc = etree.fromstring(read_parts(work)[sheet_parts(before)["Boundary Conditions"]])
    assert any(c.get("hidden") in ("1", "true") for c in bc.iter(f"{M}col"))
    wp = read_parts(work)[sheet_parts(before)["Wafer Plan"]]
    assert b"<is><t></t></is>" in wp or b"<is><t/></is>" in wp


def test_enriched_xlsm_opens_in_libreoffice_with_its_macros_charts_and_formulas(enriched, tmp_path):
    work = tmp_path / "planned.xlsm"
    shutil.copyfile(enriched["xlsm"], work)
    jobs.plan(work, overrides=FAST)
    assert "Module1" in list_macros(work).get("VBAProject", [])
    charts = list_charts(work)
    assert charts["Sales"] == 1 and charts["Dashboard"] == 3
    out = recalculate(work, tmp_path / "recalc.xlsx")
    sd = openpyxl.load_workbook(out, data_only=True)["Supply_Demand"]
    formulas = openpyxl.load_workbook(work)["Supply_Demand"]
    plan = WorkbookFile(work).table("LL_Plan")
    plan["Net"] = plan["StockBytes"] - plan["BacklogBytes"]
    header = {sd.cell(1, c).value: c for c in range(1, sd.max_column + 1)}
    checked = 0
    for r in range(2, sd.max_row + 1):
        if sd.cell(r, 2).value != ATTR_INVENTORY:
            continue
        rows = plan[plan["Product"] == sd.cell(r, 1).value]
        for quarter, c in header.items():
            f = formulas.cell(r, c).value
            end = rows[rows["Quarter"] == quarter]
            if isinstance(f, str) and f.startswith("=") and len(end):
                assert sd.cell(r, c).value == pytest.approx(
                    float(end["Net"].iloc[-1]), rel=1e-9, abs=SERVED_TOL_BYTES
                )
                checked += 1
    assert checked >= 3 * 4


def test_a_failing_dashboard_keeps_the_previous_one_byte_for_byte(real_copy, monkeypatch):
    from linealytics_xl.adapters import workbook_file

    jobs.plan(real_copy, overrides=FAST)
    before = read_parts(real_copy)
    dashboard = _reachable(before, sheet_parts(before)["Dashboard"])

    def broken(frames):
        raise RuntimeError("deliberately broken")

    monkeypatch.setattr(workbook_file, "dashboard_layout", broken)
    job = jobs.plan(real_copy, overrides=FAST)
    after = read_parts(real_copy)
    assert job.lost_parts == [] and len(dashboard) > 3
    for part in dashboard:
        assert after[part] == before[part], part
    assert WorkbookFile(real_copy).table("LL_Runs").shape[0] == 2  # the plan itself was written


def test_a_planners_own_dashboard_sheet_is_left_alone(real_copy, caplog):
    wb = openpyxl.load_workbook(real_copy)
    wb.create_sheet("Dashboard")["A1"] = "My own charts"
    wb.save(real_copy)
    before = read_parts(real_copy)
    part = sheet_parts(before)["Dashboard"]
    book = WorkbookFile(real_copy)
    prepared = jobs.prepare_plan(book, real_copy.name, FAST)
    with caplog.at_level(logging.WARNING, logger="linealytics_xl.adapters.xlsx.writer"):
        book.write(prepared.blocks, prepared.tables, prepared.settings)
    assert "own sheet 'Dashboard'" in caplog.text
    assert read_parts(real_copy)[part] == before[part]


def test_a_formula_in_an_owned_cell_is_replaced_and_the_calc_chain_dropped(real_copy):
    """The tool owns Wafer Plan's product rows: a planner's formula there gives way to the plan,
    as it always has, and the calculation chain that lists it goes (Excel rebuilds it; a chain
    naming a cell without a formula makes Excel repair the file)."""
    parts = read_parts(real_copy)
    sheet = sheet_parts(parts)["Wafer Plan"]
    assert b'<c r="B4" s="4"/>' in parts[sheet]
    parts[sheet] = parts[sheet].replace(b'<c r="B4" s="4"/>', b'<c r="B4" s="4"><f>1+1</f><v>2</v></c>')
    parts["xl/calcChain.xml"] = parts["xl/calcChain.xml"].replace(
        b'<c r="M19" i="7" l="1"/>', b'<c r="B4" i="5"/><c r="M19" i="7" l="1"/>'
    )
    with zipfile.ZipFile(real_copy, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    jobs.plan(real_copy, overrides=FAST)
    after = read_parts(real_copy)
    assert "xl/calcChain.xml" not in after
    assert (
        b"calcChain" not in after["[Content_Types].xml"]
        and b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    )
    ws = openpyxl.load_workbook(real_copy)["Wafer Plan"]
    assert isinstance(ws["B4"].value, float) and ws["B4"].value >= 0
    assert after["xl/persons/person.xml"] == parts["xl/persons/person.xml"]
