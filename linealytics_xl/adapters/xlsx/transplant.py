"""The Dashboard sheet, built by openpyxl in a scratch workbook and moved into the real package.

``adapters.dashboard`` builds the sheet (formulas, charts, drop-down, print area) with openpyxl,
which would need the whole workbook loaded and saved again.  Instead it builds into a scratch
workbook holding only stubs of the output tables (a header and an Excel Table each, so the
structured references resolve), which is saved to memory; its sheet, drawing and chart parts are
then moved into the planner's package: shared strings become inline strings (the planner's
``sharedStrings.xml`` is not touched), style indices are mapped onto formats appended to the
planner's ``styles.xml``, parts get unused names, and the print area becomes a name local to the
sheet's position in the planner's workbook.  Chart formulas name the sheet (``'Dashboard'!$R$6``),
which is the same there.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import openpyxl
import pandas as pd
from lxml import etree
from openpyxl.worksheet.table import Table, TableStyleInfo

from ...core.cells import column_letter
from ...core.contract import table_name
from .book_xml import NS_MAIN, NS_R
from .package import NS_PKG_REL, XML_DECL, Package, relative, rels_name, resolve
from .styles import FIRST_CUSTOM_NUMFMT, Styles

_M = f"{{{NS_MAIN}}}"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_FLAGS = (
    "applyNumberFormat",
    "applyFont",
    "applyFill",
    "applyBorder",
    "applyAlignment",
    "applyProtection",
    "quotePrefix",
)


@dataclass
class Scratch:
    """The parts of a Dashboard built in a scratch workbook."""

    sheet: etree._Element
    part: str  # the sheet's part name in the scratch package
    parts: dict[str, bytes]  # scratch part name -> bytes (drawing, charts, their rels)
    sheet_rels: bytes | None
    names: list[etree._Element]  # defined names local to the sheet (print area)
    styles: etree._Element
    strings: list[etree._Element]  # shared string items


def build(
    frames: Mapping[str, pd.DataFrame],
    sheet_name: str,
    write_dashboard: Callable[[openpyxl.Workbook, dict[str, pd.DataFrame]], None],
) -> Scratch:
    """Build the dashboard over ``frames`` (output tables by name) in a scratch workbook."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in frames.items():
        ws = book.create_sheet(name)
        ws.append([str(c) for c in frame.columns])
        ref = f"A1:{column_letter(max(1, len(frame.columns)) - 1)}2"
        table = Table(displayName=table_name(name), ref=ref)  # as the writer names it
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    if not book.worksheets:
        book.create_sheet("~")
    write_dashboard(book, dict(frames))
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        files = {n: z.read(n) for n in z.namelist()}
    wb = etree.fromstring(files["xl/workbook.xml"])
    rels = {e.get("Id"): e.get("Target") for e in etree.fromstring(files["xl/_rels/workbook.xml.rels"])}
    sheets = list(wb.iterfind(f"{_M}sheets/{_M}sheet"))
    index = [s.get("name") for s in sheets].index(sheet_name)
    part = resolve("xl/workbook.xml", rels[sheets[index].get(f"{{{NS_R}}}id")])
    names = [
        e for e in wb.iterfind(f"{_M}definedNames/{_M}definedName") if e.get("localSheetId") == str(index)
    ]
    parts: dict[str, bytes] = {}
    todo = [part]
    while todo:
        source = todo.pop()
        rel_part = rels_name(source)
        if rel_part not in files:
            continue
        if source != part:
            parts[rel_part] = files[rel_part]
        for e in etree.fromstring(files[rel_part]):
            if e.get("TargetMode") != "External":
                target = resolve(source, e.get("Target"))
                if target not in parts and target in files:
                    parts[target] = files[target]
                    todo.append(target)
    strings = list(etree.fromstring(files["xl/sharedStrings.xml"])) if "xl/sharedStrings.xml" in files else []
    return Scratch(
        etree.fromstring(files[part]),
        part,
        parts,
        files.get(rels_name(part)),
        names,
        etree.fromstring(files["xl/styles.xml"]),
        strings,
    )


class _StyleMap:
    """Scratch ``cellXfs`` index -> index of the same format in the planner's styles."""

    def __init__(self, scratch: etree._Element, styles: Styles):
        self.styles = styles
        lists = {
            tag: list(scratch.find(f"{_M}{tag}") if scratch.find(f"{_M}{tag}") is not None else [])
            for tag in ("numFmts", "fonts", "fills", "borders", "cellXfs")
        }
        self.codes = {int(e.get("numFmtId")): e.get("formatCode") for e in lists["numFmts"]}
        self.lists = lists
        self.done: dict[str, str] = {}

    def __call__(self, index: str) -> str:
        if index in self.done:
            return self.done[index]
        xf = self.lists["cellXfs"][int(index)]
        fmt_id = int(xf.get("numFmtId", "0"))
        fmt: str | int = self.codes.get(fmt_id, "General") if fmt_id >= FIRST_CUSTOM_NUMFMT else fmt_id

        def pick(tag: str, attr: str) -> etree._Element | None:
            k = int(xf.get(attr, "0"))
            return self.lists[tag][k] if k else None

        out = self.styles.cell_format(
            number_format=fmt,
            font=pick("fonts", "fontId"),
            fill=pick("fills", "fillId"),
            border=pick("borders", "borderId"),
            children=list(xf),
            flags={k: xf.get(k) for k in _FLAGS if xf.get(k) is not None and k != "applyNumberFormat"},
        )
        self.done[index] = str(out)
        return self.done[index]


def transplant(
    scratch: Scratch, package: Package, styles: Styles, sheet_part: str, tab_selected: bool
) -> list[etree._Element]:
    """Write the scratch dashboard into ``package`` as ``sheet_part``; returns its local names."""
    sheet = scratch.sheet
    style = _StyleMap(scratch.styles, styles)
    for c in sheet.iter(f"{_M}c"):
        if c.get("s") is not None:
            c.set("s", style(c.get("s")))
        if c.get("t") == "s":
            v = c.find(f"{_M}v")
            item = scratch.strings[int(v.text)]
            c.remove(v)
            c.set("t", "inlineStr")
            inline = etree.SubElement(c, f"{_M}is")
            for child in item:
                inline.append(child)
    for tag, attr in (("row", "s"), ("col", "style")):
        for e in sheet.iter(f"{_M}{tag}"):
            if e.get(attr) is not None:
                e.set(attr, style(e.get(attr)))
    view = sheet.find(f"{_M}sheetViews/{_M}sheetView")
    if view is not None:
        if tab_selected:
            view.set("tabSelected", "1")
        elif "tabSelected" in view.attrib:
            del view.attrib["tabSelected"]
    # parts: drawings and charts under unused names
    renamed: dict[str, str] = {}
    taken: list[str] = []
    for old in sorted(scratch.parts, key=lambda n: (n.count("/"), n)):
        if old.endswith(".rels"):
            continue
        folder, _, base = old.rpartition("/")
        stem = re.sub(r"\d*\.xml$", "", base)
        new = package.free_name(f"{folder}/{stem}{{}}.xml", taken) if base.endswith(".xml") else old
        renamed[old] = new
        taken.append(new)

    def rewrite_rels(data: bytes, source_old: str, source_new: str) -> bytes:
        root = etree.fromstring(data)
        for e in root.iterfind(f"{{{NS_PKG_REL}}}Relationship"):
            if e.get("TargetMode") != "External":
                target = resolve(source_old, e.get("Target"))
                e.set("Target", relative(source_new, renamed.get(target, target)))
        return XML_DECL + etree.tostring(root, encoding="UTF-8")

    for old, new in renamed.items():
        kind = CT_CHART if "/charts/" in old else CT_DRAWING if "/drawings/" in old else None
        package.write(new, scratch.parts[old], kind)
        if rels_name(old) in scratch.parts:
            package.write(rels_name(new), rewrite_rels(scratch.parts[rels_name(old)], old, new))
    if scratch.sheet_rels is not None:
        package.write(rels_name(sheet_part), rewrite_rels(scratch.sheet_rels, scratch.part, sheet_part))
    package.write(
        sheet_part,
        XML_DECL + etree.tostring(sheet, encoding="UTF-8"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    )
    return scratch.names
