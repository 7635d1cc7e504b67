"""What a planner added to one of the tool's table sheets, carried into the rewritten sheet.

The tool rewrites an ``LL_*`` sheet and its table every run, but planners dress them up: a table
style, a total row, a calculated column of their own, column widths, a tab colour, conditional
formats, print settings, a protected sheet, a chart placed on the sheet.  Each of those refers to
the table's columns or to the sheet as a whole, not to a row's content, so it stays right when
the rows are rewritten, and it is kept.  What refers to rows (a filter or sort: rows hidden or
ordered by their old values; values typed into a column of the planner's; cell notes; merged
cells) would be wrong on the new rows: it is dropped and named in one note, never kept stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from .book_xml import NS_MAIN, NS_R
from .package import Rel
from .sheet_xml import Formula, SheetExtras, escape_text

_M = f"{{{NS_MAIN}}}"
_RID = f"{{{NS_R}}}id"
#: The sheet's own elements: what the tool writes itself each run.
_TOOL = {"dimension", "sheetViews", "sheetFormatPr", "sheetData", "tableParts"}
#: Kept, by where CT_Worksheet puts them relative to what the tool writes.
_BEFORE_DIMENSION = ("sheetPr",)
_AFTER_DATA = ("sheetProtection", "protectedRanges")
_FORMATS = ("conditionalFormatting", "dataValidations", "hyperlinks")
_PAGE = (
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "ignoredErrors",
)
#: Dropped, in a planner's words.
_LOST = {
    "autoFilter": "a filter",
    "sortState": "a sort",
    "mergeCells": "merged cells",
    "legacyDrawing": "cell notes",
}
#: totalsRowFunction -> SUBTOTAL's function number (ignoring filtered-out rows, as Excel writes).
_SUBTOTAL = {
    "average": 101,
    "countNums": 102,
    "count": 103,
    "max": 104,
    "min": 105,
    "stdDev": 107,
    "sum": 109,
    "var": 110,
}


@dataclass
class TableLook:
    """The planner's dressing of a tool table: style, calculated columns, total row."""

    name: str | None = None  # the table's name (a planner may have renamed it)
    style: str | None = None  # the <tableStyleInfo> element
    calculated: list[tuple[str, Formula]] = field(default_factory=list)  # at the right end
    totals: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)

    @property
    def has_totals(self) -> bool:
        return bool(self.totals)


#: Declared on the root of every sheet the tool writes (sheet_xml.NS_DECL).
_ROOT_NS = (f' xmlns="{NS_MAIN}"', f' xmlns:r="{NS_R}"')


def _text(e: etree._Element) -> str:
    """An element as XML text inside the sheet (whose root declares the main and relationship
    namespaces: lxml's repeated declarations are left out, so that a kept element reads as it was
    written and an unchanged sheet is the same bytes run after run)."""
    text = etree.tostring(e, encoding="unicode", with_tail=False)
    for declaration in _ROOT_NS:
        text = text.replace(declaration, "")
    return text


def sheet_extras(xml: bytes, rels: Sequence[Rel]) -> SheetExtras:
    """The planner's elements of the previous version of a tool sheet (``rels``: its relationships)."""
    root = etree.fromstring(xml)
    out = SheetExtras()
    by_id = {r.id: r for r in rels}
    lost: list[str] = []
    page: list[str] = []
    for e in root:
        if not isinstance(e.tag, str) or not e.tag.startswith(_M):
            continue
        tag = etree.QName(e).localname
        if tag in _TOOL:
            continue
        if tag in _BEFORE_DIMENSION:
            e.attrib.pop("filterMode", None)  # the filter itself is not kept (table_look)
            out.before_dimension += _text(e)
        elif tag == "cols":
            out.cols = _text(e)
        elif tag in _AFTER_DATA:
            out.after_data += _text(e)
        elif tag == "hyperlinks":
            external = [h for h in e if h.get(_RID)]
            for h in external:
                e.remove(h)
            if external:
                lost.append("links to files or web pages")
            if len(e):
                out.formats += _text(e)
        elif tag in _FORMATS:
            out.formats += _text(e)
        elif tag in _PAGE:
            e.attrib.pop(_RID, None)  # printer settings: a binary part of the old sheet, not kept
            page.append(_text(e))
        elif tag == "extLst":
            slicers = [
                x
                for x in e
                if any(etree.QName(d).localname == "slicerList" for d in x.iter() if isinstance(d.tag, str))
            ]
            for x in slicers:  # a slicer is a part of the old sheet, with a relationship: not kept
                e.remove(x)
            if slicers:
                lost.append("slicers placed on it")
            if len(e):
                out.ext = _text(e)
        elif tag == "drawing":
            rel = by_id.get(e.get(_RID, ""))
            if rel is not None and rel.part:
                out.drawing = rel.part
        else:
            lost.append(_LOST.get(tag, tag))
    out.page = "".join(page) if page else None
    out.lost = sorted(set(lost))
    return out


def table_look(xml: bytes, tool_columns: Sequence[str]) -> TableLook:
    """The planner's dressing of the previous version of a tool table whose columns are now
    ``tool_columns``."""
    root = etree.fromstring(xml)
    out = TableLook(name=root.get("displayName"))
    style = root.find(f"{_M}tableStyleInfo")
    if style is not None:  # written as the tool writes it, so that an unchanged style is the same bytes
        attrs = "".join(
            f' {k}="{escape_text(v).replace(chr(34), "&quot;")}"' for k, v in style.attrib.items()
        )
        out.style = f"<tableStyleInfo{attrs}/>"
    af = root.find(f"{_M}autoFilter")
    if (af is not None and len(af)) or root.find(f"{_M}sortState") is not None:
        out.lost.append("its filter or sort")
    ours = {c.lower() for c in tool_columns}
    totals = root.get("totalsRowCount") or "0"
    typed = []
    for col in root.iterfind(f"{_M}tableColumns/{_M}tableColumn"):
        name = col.get("name") or ""
        formula = col.findtext(f"{_M}calculatedColumnFormula")
        if name.lower() not in ours:
            if formula:
                out.calculated.append((name, Formula(formula)))
            else:
                typed.append(name)
        if totals.isdigit() and int(totals) > 0:
            label, function = col.get("totalsRowLabel"), col.get("totalsRowFunction")
            custom = col.findtext(f"{_M}totalsRowFormula")
            if label or (function and function != "none") or custom:
                out.totals[name] = (label, function, custom)
    if typed:
        out.lost.append("its own column(s) of typed values " + ", ".join(repr(t) for t in typed))
    return out


def structured(table: str, column: str) -> str:
    """``table[column]``, the column name escaped as Excel requires inside brackets."""
    escaped = "".join("'" + ch if ch in "[]#'" else ch for ch in column)
    return f"{table}[{escaped}]"


def total_cell(table: str, column: str, spec: tuple[str | None, str | None, str | None]) -> str | Formula:
    """The total row's content under ``column``: its label, or the formula of its function."""
    label, function, custom = spec
    if function == "custom" and custom:
        return Formula(custom)
    if function in _SUBTOTAL:
        return Formula(f"SUBTOTAL({_SUBTOTAL[function]},{structured(table, column)})")
    return label or ""
