"""The tool's sheets in the package: a sheet part cleared for rewriting, and a table sheet written.

A tool sheet is rewritten whole every run, in its place (same position, id and relationship);
what only it used (its table, comments, printer settings) goes with the old version, except what
the planner added that still fits the new rows (``kept``): a chart placed on the sheet keeps its
drawing, the table keeps its style, calculated columns and total row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from datetime import datetime
from typing import IO

import pandas as pd
from lxml import etree

from ...core.contract import table_name
from .book_xml import CT_WORKSHEET, Book
from .kept import TableLook, sheet_extras, table_look, total_cell
from .package import NS_PKG_REL, XML_DECL, Package, relative, rels_name
from .sheet_xml import Formula, SheetExtras, is_date_column, sheet_writer
from .styles import Styles
from .table_refs import rename_in_formula
from .tables_xml import CT_TABLE, REL_TABLE, table_ids, table_xml

REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
DATE_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
TABLE_LEVEL = 1  # deflate level of the streamed tables: large, regular XML; speed matters
_OPEN_DATA = re.compile(rb"<(?:\w+:)?sheetData\b[^>]*?(/?)>")
_CLOSE_DATA = re.compile(rb"</(?:\w+:)?sheetData>")
_HIDDEN = (b' hidden="1"', b' hidden="true"')
_CHUNK = 1 << 20
_OVERLAP = 32  # longer than any marker searched for across a chunk boundary


def outside_data(stream: IO[bytes]) -> tuple[bytes, bool]:
    """The sheet without its cells (``<sheetData/>``), and whether a row of them was hidden.

    Read as a stream, keeping only what is outside ``sheetData``: a 500-product LL_Plan is
    100 MB of cells, which are rewritten anyway."""
    head = b""
    while True:  # up to the cells
        chunk = stream.read(_CHUNK)
        head += chunk
        opening = _OPEN_DATA.search(head)
        if opening is not None or not chunk:
            break
    if opening is None or opening.group(1):  # no cells at all
        return head + stream.read(), False
    before, rest = head[: opening.start()], head[opening.end() :]
    hidden = False
    while True:  # through the cells, to their end
        hidden = hidden or any(rest.find(h) >= 0 for h in _HIDDEN)
        end = rest.find(b"sheetData>")  # a plain search first: the pattern only where it may match
        closing = _CLOSE_DATA.search(rest, max(0, end - 16)) if end >= 0 else None
        if closing is not None:
            return before + b"<sheetData/>" + rest[closing.end() :] + stream.read(), hidden
        chunk = stream.read(_CHUNK)
        if not chunk:
            return before + b"<sheetData/>", hidden  # unterminated: nothing after the cells
        rest = rest[-_OVERLAP:] + chunk


def clear_sheet(package: Package, book: Book, part: str, keep: Set[str] = frozenset()) -> dict[str, str]:
    """Remove the parts only this sheet uses (tables, drawings, charts, comments...), except
    ``keep`` and what they use; returns {relationship type: part} of what it had, so that a
    table part can keep its name."""
    referrers = package.referrers()
    had: dict[str, str] = {}
    todo = [(r.type, r.part) for r in package.rels(part) if r.part]
    for kind, target in todo:
        had.setdefault(kind, target)
    seen = {part}
    while todo:
        _, target = todo.pop()
        if target in seen or target in keep or not package.exists(target):
            continue
        seen.add(target)
        if referrers.get(target, set()) - seen:
            continue  # another part uses it too: keep it
        todo.extend((x.type, x.part) for x in package.rels(target) if x.part)
        package.remove(target)
    if package.exists(rels_name(part)):
        package.remove(rels_name(part))
    book.replaced.add(part)
    return had


def sheet_part(
    package: Package, book: Book, name: str, keep: Set[str] = frozenset()
) -> tuple[str, dict[str, str]]:
    """The part of the tool sheet ``name``, cleared (a new entry at the end when there is none)."""
    entry = book.sheet(name)
    if entry is not None and entry.part is not None:
        return entry.part, clear_sheet(package, book, entry.part, keep)
    part = package.free_name("xl/worksheets/sheet{}.xml")
    book.add_sheet(name, part)
    return part, {}


def write_sheet(package: Package, book: Book, name: str, writer: Callable) -> str:
    part, _ = sheet_part(package, book, name)
    package.write(part, writer, CT_WORKSHEET, level=TABLE_LEVEL)
    return part


def _previous(package: Package, book: Book, name: str, columns: list[str]) -> tuple[SheetExtras, TableLook]:
    """What the planner added to the sheet's previous version and to its table."""
    entry = book.sheet(name)
    if entry is None or entry.part is None or not package.exists(entry.part):
        return SheetExtras(), TableLook()
    rels = package.rels(entry.part)
    try:
        with package.open(entry.part) as stream:
            outside, hidden = outside_data(stream)
        extras = sheet_extras(outside, rels)
        table = next(
            (r.part for r in rels if r.type == REL_TABLE and r.part and package.exists(r.part)), None
        )
        look = table_look(package.read(table), columns) if table else TableLook()
    except etree.XMLSyntaxError:  # a damaged old version: rewritten whole, as before any dressing
        return SheetExtras(lost=["its damaged previous version"]), TableLook()
    if hidden:
        extras.lost.append("hidden rows")
    return extras, look


def write_table(
    package: Package,
    book: Book,
    styles: Styles,
    name: str,
    frame: pd.DataFrame,
    ids_before: dict[str, int],
    formats: list[str] | None,
    epoch: datetime,
) -> tuple[str | None, dict[str, str]]:
    """Write the tool table ``name`` on its sheet; returns a note naming what of the planner's
    could not be kept (None when everything was), and {old name, lower case: name} when the
    table had another name (the planner's formulas are to follow it: ``table_refs``)."""
    columns = [str(c) for c in frame.columns]
    tname = table_name(name)
    extras, look = _previous(package, book, name, columns)
    renamed = {look.name.lower(): tname} if look.name and look.name.lower() != tname.lower() else {}
    if renamed:  # the planner's own formulas in the table name it by its old name
        look.calculated = [(c, Formula(rename_in_formula(f.text, renamed))) for c, f in look.calculated]
        look.totals = {
            c: (label, function, rename_in_formula(custom, renamed) if custom else custom)
            for c, (label, function, custom) in look.totals.items()
        }
    part, had = sheet_part(package, book, name, {extras.drawing} if extras.drawing else frozenset())
    table_part = had.get(REL_TABLE)
    if table_part is not None and table_part in ids_before:
        table_id = ids_before[table_part]
    else:
        table_part = package.free_name("xl/tables/table{}.xml")
        table_id = max([0, *table_ids(package).values(), *ids_before.values()]) + 1
    column_styles, date_styles = {}, {}
    for i, c in enumerate(frame.columns):
        code = formats[i] if formats else "General"
        if code != "General":
            column_styles[i] = styles.cell_format(number_format=code)
        elif is_date_column(frame.iloc[:, i]):  # dates without a contract format
            date_styles[i] = styles.cell_format(
                number_format=TIME_FORMAT if "Time" in str(c) else DATE_FORMAT
            )
    widths = [max(10, min(40, len(str(c)) + 4)) for c in frame.columns]
    every = columns + [c for c, _ in look.calculated]
    total = [total_cell(tname, c, look.totals[c]) if c in look.totals else "" for c in every]
    package.write(
        part,
        sheet_writer(
            frame,
            column_styles=column_styles,
            date_styles=date_styles,
            widths=widths,
            freeze_header=True,
            table_rel="rId1",
            min_rows=2,
            epoch=epoch,
            formula_columns=look.calculated,
            total_row=total if look.has_totals else (),
            extras=extras,
            drawing_rel="rId2" if extras.drawing else None,
        ),
        CT_WORKSHEET,
        level=TABLE_LEVEL,
    )
    rels = [("rId1", REL_TABLE, relative(part, table_part))]
    if extras.drawing:
        rels.append(("rId2", REL_DRAWING, relative(part, extras.drawing)))
    package.write(rels_name(part), _rels(rels))
    package.write(table_part, table_xml(table_id, tname, columns, len(frame), look), CT_TABLE)
    lost = look.lost + extras.lost
    if renamed and look.name and look.name.lower() != name.lower():  # not a 1.x name (migrated)
        lost.insert(
            0,
            f"its table's new name {look.name} (named {tname} again, as Power BI reads it; formulas follow)",
        )
    return (f"{name}: {', '.join(lost)} (its rows are rewritten every run)" if lost else None), renamed


def _rels(items: list[tuple[str, str, str]]) -> bytes:
    root = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
    for rid, kind, target in items:
        etree.SubElement(root, f"{{{NS_PKG_REL}}}Relationship", Id=rid, Type=kind, Target=target)
    return XML_DECL + etree.tostring(root, encoding="UTF-8")
