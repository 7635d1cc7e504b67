"""``xl/workbook.xml`` and its relationships: the sheet list, defined names, calculation flags.

The workbook part is shared between the planner and the tool: the tool owns the ``<sheet>``
entries of its own sheets, the defined names local to them, and sets full recalculation on load
(so that Excel recomputes every formula whose inputs the tool changed).  Everything else in the
part -- other sheets' entries, names, views, extensions -- is kept as it was.  Sheets are
replaced in place (same position, id and relationship); new sheets go at the end, so the
``localSheetId`` of every existing name stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from .package import NS_PKG_REL, XML_DECL, Package, Rel, relative, rels_name

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_WORKSHEET = f"{NS_R}/worksheet"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_M = f"{{{NS_MAIN}}}"
#: The children of ``<workbook>`` in schema order (ECMA-376 Part 1, CT_Workbook), from sheets on.
_WORKBOOK_ORDER = (
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


@dataclass
class SheetEntry:
    name: str
    part: str | None  # the sheet's part (None for a missing relationship)
    element: etree._Element


class Book:
    """The workbook part of a package, parsed; :meth:`flush` writes it back."""

    def __init__(self, package: Package):
        self.package = package
        self.part = _main_part(package)
        self.root = etree.fromstring(package.read(self.part))
        self.rels_part = rels_name(self.part)
        self.rels_root = etree.fromstring(package.read(self.rels_part))
        self._rels = {r.id: r for r in package.rels(self.part)}
        self.replaced: set[str] = set()  # sheet parts the writer replaced

    @property
    def epoch(self) -> datetime:
        """Day 0 of the workbook's date system: 1904-01-01 when ``<workbookPr date1904="1"/>``
        (Excel for Mac's old default, kept by long-lived files), else 1899-12-30.  A serial read
        or written with the other one is 1,462 days off, so every date the tool reads or writes
        in this package is converted with this epoch (and only with it)."""
        pr = self.root.find(f"{_M}workbookPr")
        flag = (pr.get("date1904") or "").strip().lower() if pr is not None else ""  # xsd:boolean
        return CALENDAR_MAC_1904 if flag in ("1", "true") else CALENDAR_WINDOWS_1900

    def sheets(self) -> list[SheetEntry]:
        out = []
        for e in self.root.iterfind(f"{_M}sheets/{_M}sheet"):
            rel = self._rels.get(e.get(f"{{{NS_R}}}id"))
            out.append(SheetEntry(e.get("name"), rel.part if rel else None, e))
        return out

    def sheet(self, name: str) -> SheetEntry | None:
        return next((s for s in self.sheets() if s.name.lower() == name.lower()), None)

    def index(self, name: str) -> int:
        return [s.name.lower() for s in self.sheets()].index(name.lower())

    def rel_of_type(self, rel_type: str) -> Rel | None:
        return next((r for r in self._rels.values() if r.type == rel_type), None)

    def add_sheet(self, name: str, part: str) -> None:
        """A new sheet entry at the end, pointing at ``part``."""
        sheets = self.root.find(f"{_M}sheets")
        ids = [int(e.get("sheetId")) for e in sheets]
        rid = self._new_rel_id()
        etree.SubElement(
            self.rels_root,
            f"{{{NS_PKG_REL}}}Relationship",
            Id=rid,
            Type=REL_WORKSHEET,
            Target=relative(self.part, part),
        )
        self._rels[rid] = Rel(rid, REL_WORKSHEET, relative(self.part, part), part)
        e = etree.SubElement(sheets, f"{_M}sheet", name=name, sheetId=str(max(ids, default=0) + 1))
        e.set(f"{{{NS_R}}}id", rid)

    def remove_rel(self, rel_type: str) -> None:
        """Drop the workbook's relationship(s) of a type (e.g. the calculation chain)."""
        for e in list(self.rels_root):
            if e.get("Type") == rel_type:
                self.rels_root.remove(e)
                self._rels.pop(e.get("Id"), None)

    def _new_rel_id(self) -> str:
        k = 1
        while f"rId{k}" in self._rels:
            k += 1
        return f"rId{k}"

    def replace_local_names(self, sheet_index: int, names: list[etree._Element]) -> None:
        """Replace the defined names local to sheet ``sheet_index`` with ``names``."""
        container = self.root.find(f"{_M}definedNames")
        if container is not None:
            for e in list(container):
                if e.get("localSheetId") == str(sheet_index):
                    container.remove(e)
        if not names:
            if container is not None and len(container) == 0:
                self.root.remove(container)
            return
        if container is None:
            container = etree.Element(f"{_M}definedNames")
            self._insert(container)
        for e in names:
            e = _copy_in_main(e)
            e.set("localSheetId", str(sheet_index))
            container.append(e)

    def full_calc_on_load(self) -> None:
        calc = self.root.find(f"{_M}calcPr")
        if calc is None:
            calc = etree.Element(f"{_M}calcPr")
            self._insert(calc)
        calc.set("fullCalcOnLoad", "1")

    def _insert(self, element: etree._Element) -> None:
        """Insert a new child of ``<workbook>`` where the schema's sequence puts it."""
        tag = etree.QName(element).localname
        later = _WORKBOOK_ORDER[_WORKBOOK_ORDER.index(tag) + 1 :]
        for child in self.root:
            if isinstance(child.tag, str) and etree.QName(child).localname in later:
                child.addprevious(element)
                return
        self.root.append(element)

    def flush(self) -> None:
        self.package.write(self.part, XML_DECL + etree.tostring(self.root, encoding="UTF-8"))
        self.package.write(self.rels_part, XML_DECL + etree.tostring(self.rels_root, encoding="UTF-8"))


def _copy_in_main(e: etree._Element) -> etree._Element:
    out = etree.Element(f"{_M}definedName", {k: v for k, v in e.attrib.items()})
    out.text = e.text
    return out


def _main_part(package: Package) -> str:
    for r in package.rels(""):
        if r.type.endswith("/officeDocument") and r.part:
            return r.part
    return "xl/workbook.xml"
