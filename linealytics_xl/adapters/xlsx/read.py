"""A fast cell reader of large workbooks: every sheet's values and formulas, from the sheet XML.

openpyxl builds a Python object per cell (about 11 s for the 500-product workbook; 6 s in its
read-only mode).  The planner's sheets need values, formulas as text (cached values are not
trusted) and merged ranges; ``python-calamine`` reads values in well under a second but gives no
formulas.  This reader scans the sheet text with regular expressions (about 3x faster than
openpyxl's read-only mode on that workbook) and returns what ``WorkbookFile.sheets()`` returns,
with the same conventions: formulas as ``"=..."`` (shared formulas translated to each cell),
numbers as ``int`` when integral in the XML and ``float`` otherwise, date-formatted numbers as
``datetime``, booleans, text, errors as their ``#`` text; empty cells ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from lxml import etree
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import from_excel

from ...core.cells import Text, address, column_index
from .book_xml import NS_MAIN, Book
from .package import Package
from .patch import unescape

_M = f"{{{NS_MAIN}}}"
_CELL = re.compile(
    r'<c r="([A-Z]+)(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?><v>([^<]*)</v></c>'
    r"|<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>",
    re.S,
)
_R = re.compile(r'\br="([A-Z]+)(\d+)"')
_T = re.compile(r'\bt="(\w+)"')
_S = re.compile(r'\bs="(\d+)"')
_V = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_F = re.compile(r"<(?:\w+:)?f\b([^>]*?)(?:/>|>([^<]*)</(?:\w+:)?f>)")
_TEXT = re.compile(r"<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>")
_MERGE = re.compile(r'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_SI = re.compile(r'\bsi="(\d+)"')
_REF = re.compile(r'\bref="([A-Z]+\d+)')


class DamagedPackage(Exception):
    """A part the workbook needs is not in the package; the message says which, for a planner."""


@dataclass
class SheetCells:
    """One sheet: {(row, col) 0-based: value} and merged ranges (r0, c0, r1, c1), 0-based inclusive."""

    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def grid(self) -> list[list[Any]]:
        """The dense grid from A1 to the last cell that holds a value."""
        if not self.cells:
            return []
        rows = max(r for r, _ in self.cells) + 1
        cols = max(c for _, c in self.cells) + 1
        out = [[None] * cols for _ in range(rows)]
        for (r, c), v in self.cells.items():
            out[r][c] = v
        return out


def _date_styles(package: Package) -> set[int]:
    """Indices of the cell formats whose number format shows a date or time."""
    if not package.exists("xl/styles.xml"):
        return set()
    root = etree.fromstring(package.read("xl/styles.xml"))
    codes = {int(e.get("numFmtId")): e.get("formatCode") for e in root.iterfind(f"{_M}numFmts/{_M}numFmt")}
    out = set()
    for i, xf in enumerate(root.iterfind(f"{_M}cellXfs/{_M}xf")):
        fmt = int(xf.get("numFmtId", "0"))
        code = codes.get(fmt, BUILTIN_FORMATS.get(fmt))
        if code and is_date_format(code):
            out.add(i)
    return out


def _text(value: str) -> str:
    """A text cell's value; text that starts with ``=`` is marked, so it is never read as a formula."""
    return Text(value) if value.startswith("=") else value


def _shared_strings(package: Package, book: Book) -> list[str]:
    rel = next((r for r in package.rels(book.part) if r.type.endswith("/sharedStrings")), None)
    if rel is None or rel.part is None or not package.exists(rel.part):
        return []
    root = etree.fromstring(package.read(rel.part))
    return [
        _text("".join(t.text or "" for t in si.iter(f"{_M}t") if t.getparent().tag != f"{_M}rPh"))
        for si in root.iterfind(f"{_M}si")
    ]


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_sheet(xml: bytes, strings: list[str], date_styles: set[int], epoch: datetime) -> SheetCells:
    """One sheet's cells; date-formatted numbers become dates counted from ``epoch`` (the
    workbook's date system, ``Book.epoch``)."""
    text = xml.decode("utf-8")
    out = SheetCells()
    masters: dict[str, tuple[str, str]] = {}
    cells = out.cells
    cols: dict[str, int] = {}
    for m in _CELL.finditer(text):
        letters, number, style, kind, raw = m.group(1, 2, 3, 4, 5)
        if letters is not None and not raw.strip():
            continue  # <v></v>: no value (a blank, as openpyxl and Excel read it)
        if letters is not None:  # the common shape: <c r= s= t=><v>..</v></c>
            col = cols.get(letters)
            if col is None:
                col = cols[letters] = column_index(letters)
            key = (int(number) - 1, col)
            if kind is None or kind == "n":
                value = _number(raw)
                cells[key] = (
                    from_excel(value, epoch) if style is not None and int(style) in date_styles else value
                )
            elif kind == "s":
                cells[key] = strings[int(raw)]
            elif kind == "b":
                cells[key] = raw.strip() in ("1", "true")
            else:
                cells[key] = _text(unescape(raw))
            continue
        _other_cell(m.group(6), m.group(7), cells, masters, strings, date_styles, epoch)
    for m in _MERGE.finditer(text):
        a, _, b = m.group(1).partition(":")
        ra, rb = re.match(r"([A-Z]+)(\d+)", a), re.match(r"([A-Z]+)(\d+)", b or a)
        if ra is None or rb is None:
            continue  # not a cell range: nothing merged
        out.merged.append(
            (int(ra.group(2)) - 1, column_index(ra.group(1)), int(rb.group(2)) - 1, column_index(rb.group(1)))
        )
    return out


def _other_cell(
    attrs: str,
    inner: str,
    cells: dict,
    masters: dict,
    strings: list[str],
    date_styles: set[int],
    epoch: datetime,
) -> None:
    """A cell of any other shape: a formula, an inline string, other attributes or prefixes."""
    ref = _R.search(attrs)
    if ref is None:
        return  # cells without a reference: not written by Excel
    row, col = int(ref.group(2)) - 1, column_index(ref.group(1))
    f = _F.search(inner) if "<f" in inner or ":f" in inner else None
    if f is not None:
        body = f.group(2)
        si = _SI.search(f.group(1))
        if body:
            formula = unescape(body)
            if si is not None:
                masters[si.group(1)] = (address(row, col), formula)
            cells[(row, col)] = "=" + formula
            return
        if si is not None and si.group(1) in masters:
            origin, formula = masters[si.group(1)]
            cells[(row, col)] = Translator("=" + formula, origin=origin).translate_formula(address(row, col))
            return
    t = _T.search(attrs)
    kind = t.group(1) if t else "n"
    if kind == "inlineStr":
        cells[(row, col)] = _text(unescape("".join(_TEXT.findall(inner))))
        return
    v = _V.search(inner)
    if v is None or not v.group(1).strip():
        return  # no value, or <v></v>: a blank
    raw = v.group(1)
    if kind == "n":
        value = _number(raw)
        s = _S.search(attrs)
        cells[(row, col)] = (
            from_excel(value, epoch) if s is not None and int(s.group(1)) in date_styles else value
        )
    elif kind == "s":
        cells[(row, col)] = strings[int(raw)]
    elif kind == "b":
        cells[(row, col)] = raw.strip() in ("1", "true")
    else:  # str, e (errors as their text)
        cells[(row, col)] = _text(unescape(raw))


_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def well_formed(xml: bytes) -> None:
    """Raise ``ExpatError`` unless ``xml`` is well-formed XML.  The cell scan reads by pattern and
    would read a damaged sheet without a word; expat with no handlers checks it at C speed."""
    expat.ParserCreate().Parse(xml, True)


def read_cells(path: str | Path, *, check: bool = False) -> dict[str, SheetCells]:
    """Every worksheet of the workbook at ``path``, in sheet order (``check``: refuse a sheet
    whose XML is not well-formed, as openpyxl would)."""
    package = Package(Path(path))
    try:
        book = Book(package)
        strings = _shared_strings(package, book)
        dates = _date_styles(package)
        out = {}
        for s in book.sheets():
            if check and not (s.part and package.exists(s.part)):
                # skipped, it would be "no sheet 'Supply_Demand'" with the sheet's tab in view
                raise DamagedPackage(
                    f"the sheet {s.name!r} has no content (part {s.part or 'none'} is missing)"
                )
            if not (
                s.part
                and s.part.endswith(".xml")
                and package.exists(s.part)
                and package.content_type(s.part) == _WORKSHEET
            ):
                continue
            xml = package.read(s.part)
            if check:
                well_formed(xml)
            try:
                out[s.name] = read_sheet(xml, strings, dates, book.epoch)
            except IndexError:  # a shared-string index past the end of the table
                raise DamagedPackage(
                    f"the sheet {s.name!r} refers to text that the package does not hold "
                    f"(its shared strings part {'is incomplete' if strings else 'is missing'})"
                ) from None
        return out
    finally:
        package.close()


def read_grids(path: str | Path) -> dict[str, list[list[Any]]]:
    """Dense grids like ``WorkbookFile.sheets()`` (without its trailing empty styled cells)."""
    return {name: sheet.grid() for name, sheet in read_cells(path).items()}


__all__ = [
    "DamagedPackage",
    "SheetCells",
    "TableShape",
    "read_cells",
    "read_grids",
    "read_sheet",
    "sheets_with_tables",
]


@dataclass(frozen=True)
class TableShape:
    """Where a sheet's Excel Table keeps its data: the last data row (1-based, before a total
    row) and the planner's calculated columns (not data the tool wrote)."""

    last_data_row: int | None = None
    calculated: frozenset[str] = frozenset()


def sheets_with_tables(path: str | Path) -> dict[str, TableShape]:
    """The worksheets that hold an Excel Table (a ``table`` relationship of the sheet part), with
    the shape of the first: the dashboard's formulas can refer to those tables by name, and a
    tool table is read back without the planner's total row and calculated columns."""
    package = Package(Path(path))
    try:
        out = {}
        for s in Book(package).sheets():
            if not (s.part and package.exists(s.part)):
                continue
            tables = [r.part for r in package.rels(s.part) if r.type.endswith("/table")]
            if not tables:
                continue
            out[s.name] = _table_shape(package, tables[0])
        return out
    finally:
        package.close()


def _table_shape(package: Package, part: str | None) -> TableShape:
    if part is None or not package.exists(part):
        return TableShape()
    try:
        root = etree.fromstring(package.read(part))
    except etree.XMLSyntaxError:
        return TableShape()
    end = re.search(r"(\d+)$", root.get("ref") or "")
    totals = root.get("totalsRowCount") or "0"
    calculated = frozenset(
        c.get("name") or ""
        for c in root.iterfind(f"{_M}tableColumns/{_M}tableColumn")
        if c.find(f"{_M}calculatedColumnFormula") is not None
    )
    last = int(end.group(1)) - (int(totals) if totals.isdigit() else 0) if end else None
    return TableShape(last, calculated)
