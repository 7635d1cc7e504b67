"""Edits a planner makes to a planned workbook, made on the package's XML as Excel stores them.

Each edit takes the parts of a planned workbook ({part name: bytes}) and changes them in place;
``edit_package`` applies edits to a copy of a file (every other part copied as it is).  They let
``test_planner_edits`` plan a workbook, change the output the way planners do, and plan it again.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
Parts = dict[str, bytes]
Edit = Callable[[Parts], None]


def read_parts(path: Path) -> Parts:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(parts: Parts, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def edit_package(src: Path, dst: Path, *edits: Edit) -> Parts:
    parts = read_parts(src)
    for edit in edits:
        edit(parts)
    write_parts(parts, dst)
    return parts


def sheet_parts(parts: Parts) -> dict[str, str]:
    """Sheet name -> its part name."""
    rels = {e.get("Id"): e.get("Target") for e in etree.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    out = {}
    for s in etree.fromstring(parts["xl/workbook.xml"]).iter(f"{{{M}}}sheet"):
        target = rels[s.get(f"{{{R}}}id")]
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def table_part(parts: Parts, sheet: str) -> str:
    """The table part of a tool sheet."""
    rels = etree.fromstring(parts[rels_of(sheet_parts(parts)[sheet])])
    target = next(e.get("Target") for e in rels if e.get("Type", "").endswith("/table"))
    return "xl/tables/" + target.rsplit("/", 1)[-1]


def _xml(parts: Parts, name: str) -> etree._Element:
    return etree.fromstring(parts[name])


def _put(parts: Parts, name: str, root: etree._Element) -> None:
    parts[name] = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(
        root, encoding="UTF-8"
    )


def _sub(parts: Parts, name: str, pattern: str, repl: str, count: int = 1) -> None:
    text, n = re.subn(pattern, repl, parts[name].decode("utf-8"), count=count, flags=re.S)
    assert n, f"{pattern!r} not found in {name}"
    parts[name] = text.encode("utf-8")


# --------------------------------------------------------------------------- the table
def set_table_style(sheet: str, style: str) -> Edit:
    def edit(parts: Parts) -> None:
        _sub(
            parts,
            table_part(parts, sheet),
            r'<tableStyleInfo name="[^"]*"',
            f'<tableStyleInfo name="{style}"',
        )

    return edit


def filter_and_sort(sheet: str, column: int, value: str) -> Edit:
    """An autofilter keeping rows whose column ``column`` (0-based) equals ``value``, sorted on it,
    with the rows it hides hidden (as Excel stores a filtered table)."""

    def edit(parts: Parts) -> None:
        name = table_part(parts, sheet)
        root = _xml(parts, name)
        ref = root.get("ref")
        af = root.find(f"{{{M}}}autoFilter")
        fc = etree.SubElement(af, f"{{{M}}}filterColumn", colId=str(column))
        filters = etree.SubElement(fc, f"{{{M}}}filters")
        etree.SubElement(filters, f"{{{M}}}filter", val=value)
        last = re.search(r"(\d+)$", ref).group(1)
        ss = etree.SubElement(af, f"{{{M}}}sortState", ref="A2" + ref[ref.index(":") :])
        letter = chr(ord("A") + column)
        etree.SubElement(ss, f"{{{M}}}sortCondition", descending="1", ref=f"{letter}2:{letter}{last}")
        _put(parts, name, root)
        part = sheet_parts(parts)[sheet]
        text = parts[part].decode("utf-8")
        cell = re.compile(rf'<c r="{letter}(\d+)"[^>]*t="inlineStr"><is><t>([^<]*)</t>')
        hide = {int(r) for r, v in cell.findall(text) if v != value and r != "1"}
        text = re.sub(
            r'<row r="(\d+)"', lambda m: m.group(0) + (' hidden="1"' if int(m.group(1)) in hide else ""), text
        )
        parts[part] = text.encode("utf-8")

    return edit


def add_calculated_column(sheet: str, header: str, formula: str) -> Edit:
    """A column of the planner's at the right end of the tool's table, filled with ``formula``."""

    def edit(parts: Parts) -> None:
        name = table_part(parts, sheet)
        root = _xml(parts, name)
        cols = root.find(f"{{{M}}}tableColumns")
        n = len(cols)
        col = etree.SubElement(cols, f"{{{M}}}tableColumn", id=str(n + 1), name=header)
        etree.SubElement(col, f"{{{M}}}calculatedColumnFormula").text = formula
        cols.set("count", str(n + 1))
        last = int(re.search(r"(\d+)$", root.get("ref")).group(1))
        letter = chr(ord("A") + n)
        ref = f"A1:{letter}{last}"
        root.set("ref", ref)
        root.find(f"{{{M}}}autoFilter").set("ref", ref)
        _put(parts, name, root)
        part = sheet_parts(parts)[sheet]

        def row(m: re.Match) -> str:
            r = int(m.group(1))
            cell = (
                f'<c r="{letter}1" t="inlineStr"><is><t>{header}</t></is></c>'
                if r == 1
                else f'<c r="{letter}{r}"><f>{formula.replace("&", "&amp;")}</f></c>'
            )
            return m.group(0)[: -len("</row>")] + cell + "</row>" if r <= last else m.group(0)

        text = re.sub(r'<row r="(\d+)"[^>]*>.*?</row>', row, parts[part].decode("utf-8"), flags=re.S)
        parts[part] = text.encode("utf-8")

    return edit


def add_total_row(sheet: str, label_column: str, sum_column: str) -> Edit:
    """Excel's Total Row: a label under the first column and SUBTOTAL(109, ...) of another."""

    def edit(parts: Parts) -> None:
        name = table_part(parts, sheet)
        root = _xml(parts, name)
        ref = root.get("ref")
        last = int(re.search(r"(\d+)$", ref).group(1))
        first, _, end = ref.partition(":")
        end_col = re.match(r"[A-Z]+", end).group(0)
        root.set("ref", f"{first}:{end_col}{last + 1}")
        root.set("totalsRowCount", "1")
        root.attrib.pop("totalsRowShown", None)
        root.find(f"{{{M}}}autoFilter").set("ref", ref)
        letters = {}
        for i, col in enumerate(root.iter(f"{{{M}}}tableColumn")):
            letters[col.get("name")] = chr(ord("A") + i)
            if col.get("name") == label_column:
                col.set("totalsRowLabel", "Total")
            if col.get("name") == sum_column:
                col.set("totalsRowFunction", "sum")
        _put(parts, name, root)
        table = root.get("displayName")
        part = sheet_parts(parts)[sheet]
        r = last + 1
        row = (
            f'<row r="{r}"><c r="{letters[label_column]}{r}" t="str"><v>Total</v></c>'
            f'<c r="{letters[sum_column]}{r}"><f>SUBTOTAL(109,{table}[{sum_column}])</f><v>0</v></c></row>'
        )
        _sub(parts, part, "</sheetData>", row + "</sheetData>")
        _sub(parts, part, r'<dimension ref="A1:([A-Z]+)\d+"/>', rf'<dimension ref="A1:\g<1>{r}"/>')

    return edit


# --------------------------------------------------------------------------- the sheets
def rename_sheet(old: str, new: str) -> Edit:
    """Rename a sheet as Excel does: its entry, and every reference to it in formulas and names."""

    def edit(parts: Parts) -> None:
        quoted = re.compile(rf"(?:'{re.escape(old)}'|\b{re.escape(old)})!")
        target = f"'{new}'!" if re.search(r"[^A-Za-z0-9_]", new) else f"{new}!"
        for name in [
            n
            for n in parts
            if n.endswith(".xml")
            and (n.startswith("xl/worksheets/") or n == "xl/workbook.xml" or n.startswith("xl/charts/"))
        ]:
            text = parts[name].decode("utf-8")
            if name == "xl/workbook.xml":
                text = text.replace(f'<sheet name="{old}"', f'<sheet name="{new}"')
            parts[name] = quoted.sub(target, text).encode("utf-8")

    return edit


def move_sheet_first(sheet: str) -> Edit:
    """Drag a sheet's tab to the front (local names follow their sheet's new position)."""

    def edit(parts: Parts) -> None:
        root = _xml(parts, "xl/workbook.xml")
        sheets = root.find(f"{{{M}}}sheets")
        entries = list(sheets)
        names = [e.get("name") for e in entries]
        i = names.index(sheet)
        order = [i] + [k for k in range(len(entries)) if k != i]
        new_index = {old: new for new, old in enumerate(order)}
        for e in entries:
            sheets.remove(e)
        for k in order:
            sheets.append(entries[k])
        for d in root.iter(f"{{{M}}}definedName"):
            if d.get("localSheetId") is not None:
                d.set("localSheetId", str(new_index[int(d.get("localSheetId"))]))
        for view in root.iter(f"{{{M}}}workbookView"):
            for attr in ("activeTab", "firstSheet"):
                if view.get(attr) is not None:
                    view.set(attr, str(new_index[int(view.get(attr))]))
        _put(parts, "xl/workbook.xml", root)

    return edit


def hide_sheet(sheet: str) -> Edit:
    def edit(parts: Parts) -> None:
        _sub(
            parts,
            "xl/workbook.xml",
            rf'<sheet name="{re.escape(sheet)}"',
            f'<sheet name="{sheet}" state="hidden"',
        )

    return edit


SHEET_PROTECTION = '<sheetProtection sheet="1" objects="1" scenarios="1" autoFilter="0" sort="0"/>'


def protect_sheet(sheet: str) -> Edit:
    def edit(parts: Parts) -> None:
        _sub(parts, sheet_parts(parts)[sheet], "</sheetData>", "</sheetData>" + SHEET_PROTECTION)

    return edit


def lock_structure(parts: Parts) -> None:
    """Review > Protect Workbook (structure): Excel then refuses to add, delete or rename sheets."""
    _sub(parts, "xl/workbook.xml", r"(<workbookPr\b[^>]*/>)", r'\1<workbookProtection lockStructure="1"/>')


def add_defined_name(name: str, refers_to: str, local_to: int | None = None) -> Edit:
    def edit(parts: Parts) -> None:
        local = f' localSheetId="{local_to}"' if local_to is not None else ""
        text = parts["xl/workbook.xml"].decode("utf-8")
        element = f'<definedName name="{name}"{local}>{refers_to}</definedName>'
        if "<definedNames>" in text:
            text = text.replace("<definedNames>", "<definedNames>" + element, 1)
        else:
            text = text.replace("</sheets>", f"</sheets><definedNames>{element}</definedNames>", 1)
        parts["xl/workbook.xml"] = text.encode("utf-8")

    return edit


def sheet_index(parts: Parts, sheet: str) -> int:
    return list(sheet_parts(parts)).index(sheet)


def page_setup(sheet: str) -> Edit:
    """Landscape, fit to one page wide (File > Page Setup on the sheet)."""

    def edit(parts: Parts) -> None:
        part = sheet_parts(parts)[sheet]
        _sub(parts, part, r"(<pageMargins\b[^>]*/>)", r'\1<pageSetup orientation="landscape"/>')

    return edit


def hyperlink_to(sheet: str, cell: str, location: str) -> Edit:
    """An internal hyperlink in a cell of ``sheet`` to ``location`` (e.g. ``LL_Plan!A1``)."""

    def edit(parts: Parts) -> None:
        part = sheet_parts(parts)[sheet]
        text = parts[part].decode("utf-8")
        link = (
            f'<hyperlinks><hyperlink ref="{cell}" location="{location}" display="{location}"/></hyperlinks>'
        )
        text = text.replace("<pageMargins", link + "<pageMargins", 1)
        parts[part] = text.encode("utf-8")

    return edit


def add_typed_column(sheet: str, header: str, value: str) -> Edit:
    """A column of the planner's at the right end of the tool's table holding typed text."""

    def edit(parts: Parts) -> None:
        add_calculated_column(sheet, header, "0")(parts)
        name = table_part(parts, sheet)
        _sub(parts, name, r"<calculatedColumnFormula>0</calculatedColumnFormula>", "")
        _sub(
            parts,
            name,
            rf'<tableColumn id="(\d+)" name="{header}"></tableColumn>',
            rf'<tableColumn id="\1" name="{header}"/>',
        )
        _sub(
            parts,
            sheet_parts(parts)[sheet],
            r'(<c r="[A-Z]+\d+")><f>0</f></c>',
            rf'\1 t="inlineStr"><is><t>{value}</t></is></c>',
            0,
        )

    return edit


def rename_table(sheet: str, new: str) -> Edit:
    """Table Design > Table Name: the table of ``sheet`` renamed (the formulas that name it are
    the test's to write with the new name, as Excel would have rewritten them)."""

    def edit(parts: Parts) -> None:
        name = table_part(parts, sheet)
        _sub(parts, name, r' name="[^"]*" displayName="[^"]*"', f' name="{new}" displayName="{new}"')

    return edit


X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
DATA_BAR = (
    '<conditionalFormatting sqref="G2:G1330"><cfRule type="dataBar" priority="1"><dataBar><cfvo type="min"/>'
    '<cfvo type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext xmlns:x14="' + X14 + '" '
    'uri="{B025F937-C7B1-47D3-B67F-A62EFF666E3E}"><x14:id>{00000000-0001-0000-0000-000000000001}</x14:id>'
    "</ext></extLst></cfRule></conditionalFormatting>"
)
DATA_BAR_EXT = (
    '<ext xmlns:x14="' + X14 + '" uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}"><x14:conditionalFormattings>'
    '<x14:conditionalFormatting xmlns:xm="' + XM + '"><x14:cfRule type="dataBar" '
    'id="{00000000-0001-0000-0000-000000000001}"><x14:dataBar minLength="0" maxLength="100" gradient="0">'
    '<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/><x14:negativeFillColor rgb="FFFF0000"/>'
    '<x14:axisColor rgb="FF000000"/></x14:dataBar></x14:cfRule><xm:sqref>G2:G1330</xm:sqref>'
    "</x14:conditionalFormatting></x14:conditionalFormattings></ext>"
)
SLICER_EXT = (
    '<ext xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
    'uri="{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}"><x15:slicerList><x14:slicer xmlns:x14="' + X14 + '" '
    'r:id="rId9"/></x15:slicerList></ext>'
)


def data_bars(sheet: str, slicer: bool = False) -> Edit:
    """Home > Conditional Formatting > Data Bars on the Wafers column (the 2010 form, in the
    sheet's extLst, beside the 2007 one), and with ``slicer`` a table slicer's entry there too."""

    def edit(parts: Parts) -> None:
        part = sheet_parts(parts)[sheet]
        _sub(parts, part, "<pageMargins", DATA_BAR + "<pageMargins")
        ext = DATA_BAR_EXT + (SLICER_EXT if slicer else "")
        _sub(parts, part, "</worksheet>", f"<extLst>{ext}</extLst></worksheet>")

    return edit
