"""Write a plan into a workbook package: the tool's own parts anew, every other part as it was.

Owned: the ``LL_*`` sheets (with their table parts), the ``Dashboard`` the tool made (with its
drawing and charts), the ``Settings`` sheet when the tool creates it (afterwards it is the
planner's: it is never rewritten), the cells of ``Block``s in the planner's sheets and the cached
values of the formulas that depend on them, the ``workbook.xml`` entries of those sheets and
names, and appended cell formats in ``styles.xml``.  ``[Content_Types].xml`` and the
relationship parts change only where an owned part is added or removed.  ``calcChain.xml`` is
dropped only when it lists a cell whose formula went away (Excel rebuilds it).
``docProps/app.xml`` changes only when the tool added a sheet: its list of sheet titles then
names the real sheets (``app_props``).  Not owned and kept byte-for-byte: everything else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from ...core.cells import column_index
from ...core.contract import PLAN, TABLES, table_name
from ...core.layout import Block
from ...core.settings import SETTINGS_SHEET as SETTINGS
from ..dashboard_cells import Layout
from . import transplant
from .app_props import update_sheet_titles
from .book_xml import NS_MAIN, Book
from .package import XML_DECL, Package
from .patch import SheetText, unescape
from .recalc import refresh
from .sheet_xml import sheet_writer
from .structure import check_structure
from .styles import Styles
from .table_refs import display_names, follow_renamed_tables, refresh_pivots_over
from .table_sheet import TABLE_LEVEL, sheet_part, write_sheet, write_table
from .tables_xml import table_ids

REL_CALC_CHAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
REL_SHARED_STRINGS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


@dataclass
class Written:
    """What a write did (for the caller's notes and for tests)."""

    changed_parts: list[str] = field(default_factory=list)
    formulas_refreshed: int = 0
    dashboard_error: str | None = None
    notes: list[str] = field(default_factory=list)  # what of the planner's in a tool sheet was not kept


def write_package(
    src: Path,
    dest: Path,
    blocks: Iterable[Block],
    tables: Mapping[str, pd.DataFrame],
    settings_rows: list[tuple] | None,
    dashboard: Callable | None = None,
    dashboard_frames: Callable[[Mapping[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
    dashboard_sheet: str = "Dashboard",
    dashboard_title: str = "",
    number_formats: Callable[[str, list[str]], list[str]] | None = None,
    new_sheets: Mapping[str, list[list]] | None = None,
) -> Written:
    """Write ``src`` with the plan to ``dest`` (a new file; ``src`` is only read).

    ``number_formats(table, columns)`` gives each column's Excel number format ("General" for
    none; dates default to ``yyyy-mm-dd``).  ``new_sheets`` are sheets (rows of values) written
    once, when the workbook lacks them, and the planner's from then on (like ``Settings``).

    ``settings_rows``: rows of the ``Settings`` sheet, written only when the workbook has none
    (afterwards the sheet is the planner's), or None to leave Settings alone.
    ``dashboard(frames)`` lays the dashboard out (see ``transplant``).  Raises
    ``structure.StructureError`` (nothing written) when the planner locked the workbook's
    structure and a sheet must be added, or renamed a tool sheet that this run rewrites.
    """
    package = Package(src)
    try:
        book, styles = Book(package), Styles(package)
        sheets_before = [s.name for s in book.sheets()]
        adds = [n for n in tables if book.sheet(n) is None]
        adds += [SETTINGS] if settings_rows is not None and book.sheet(SETTINGS) is None else []
        adds += [n for n in (new_sheets or {}) if book.sheet(n) is None]
        if dashboard is not None and PLAN.name in tables and book.sheet(dashboard_sheet) is None:
            adds.append(dashboard_sheet)
        check_structure(package, book, tables, adds)  # before anything changes
        tables_named = display_names(package)  # 1.x names among them are renamed below
        result = Written()
        removed_formula = _patch_cells(package, book, blocks, result)
        tables_before = table_ids(package)
        renamed: dict[str, str] = {}  # old table name, lower case -> the tool's name
        for name, frame in tables.items():
            formats = number_formats(name, [str(c) for c in frame.columns]) if number_formats else None
            note, was = write_table(package, book, styles, name, frame, tables_before, formats, book.epoch)
            result.notes += [note] if note else []
            renamed.update(was)
        migrate_table_names(package)
        renamed.update(_renamed(tables_named, display_names(package)))
        follow_renamed_tables(package, book, renamed)
        refresh_pivots_over(package, {n.lower() for n in tables}, {table_name(n).lower() for n in tables})
        if settings_rows is not None and book.sheet(SETTINGS) is None:
            frame = pd.DataFrame(settings_rows, columns=["Name", "Value", "Description"])
            write_sheet(
                package,
                book,
                SETTINGS,
                sheet_writer(
                    frame,
                    column_styles={},
                    widths=(28, 14, 90),
                    freeze_header=False,
                    table_rel=None,
                    epoch=book.epoch,
                ),
            )
        for name, rows in (new_sheets or {}).items():
            if book.sheet(name) is None:
                width = max((len(r) for r in rows), default=0)
                frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
                write_sheet(
                    package,
                    book,
                    name,
                    sheet_writer(
                        frame,
                        column_styles={},
                        widths=(28,),
                        freeze_header=False,
                        table_rel=None,
                        header=False,
                        epoch=book.epoch,
                    ),
                )
        if dashboard is not None:
            layout = None
            try:  # a view: a failure to build it never blocks the plan (nothing changed yet)
                frames = dashboard_frames(tables) if dashboard_frames else dict(tables)
                # never planned (a what-if on a fresh workbook): no Dashboard yet, nothing to say
                if PLAN.name in frames or book.sheet(dashboard_sheet) is not None:
                    layout = _build_dashboard(
                        package, book, dashboard, frames, dashboard_sheet, dashboard_title
                    )
            except Exception as exc:
                result.dashboard_error = f"the {dashboard_sheet} sheet was not updated: {exc}"
                logging.getLogger(__name__).warning(result.dashboard_error)
            if layout is not None:
                _place_dashboard(package, book, styles, layout, dashboard_sheet)
        _calc_chain(package, book, removed_formula)
        book.full_calc_on_load()
        update_sheet_titles(package, sheets_before, [s.name for s in book.sheets()])
        book.flush()
        styles.flush()
        package.save(dest)
        result.changed_parts = package.changed()
        return result
    finally:
        package.close()


# -- the planner's sheets ---------------------------------------------------------------------


def _patch_cells(
    package: Package, book: Book, blocks: Iterable[Block], result: Written
) -> set[tuple[str, int, int]]:
    """Write the blocks' values; returns (sheet id, row, col) of cells whose formula went away."""
    by_sheet: dict[str, list[Block]] = {}
    for b in blocks:
        by_sheet.setdefault(b.sheet, []).append(b)
    texts: dict[str, SheetText] = {}
    parts: dict[str, str] = {}
    written: dict[str, dict[int, list[tuple[int, int, list[float]]]]] = {}
    removed: set[tuple[str, int, int]] = set()
    for name, group in by_sheet.items():
        entry = book.sheet(name)
        if entry is None or entry.part is None:
            raise ValueError(f"sheet {name!r} is not in the workbook")
        parts[entry.name] = entry.part
        sheet = texts[entry.name] = SheetText(package.read(entry.part))
        cells = written.setdefault(entry.name, {})
        max_row = max_col = 0
        for b in group:
            row = b.row + 1
            values = np.asarray(b.values, dtype=float).tolist()
            sheet.set_numbers(row, b.col, values)
            if values:
                cells.setdefault(row, []).append((b.col, b.col + len(values) - 1, values))
            max_row, max_col = max(max_row, row), max(max_col, b.col + len(b.values) - 1)
        sheet.dimension_cover(max_row, max_col)
        removed |= {(entry.element.get("sheetId"), r, c) for r, c in sheet.removed_formulas}
    result.formulas_refreshed = refresh(texts, written)
    for name, sheet in texts.items():
        xml = sheet.render()
        package.write(parts[name], xml, level=TABLE_LEVEL if len(xml) > 1 << 20 else None)
    return removed


def _calc_chain(package: Package, book: Book, removed: set[tuple[str, int, int]]) -> None:
    """Drop the calculation chain when it lists a cell that no longer holds a formula, or a
    sheet the tool replaced (Excel rebuilds a missing chain silently; a wrong one needs repair)."""
    rel = book.rel_of_type(REL_CALC_CHAIN)
    if rel is None or rel.part is None or not package.exists(rel.part):
        return
    replaced = {s.element.get("sheetId") for s in book.sheets() if s.part in book.replaced}
    stale = False
    sheet = None
    for m in re.finditer(r"<c\b([^>]*)/?>", package.read(rel.part).decode("utf-8")):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        sheet = attrs.get("i", sheet)
        ref = re.match(r"([A-Z]+)(\d+)", attrs.get("r", ""))
        if sheet in replaced:
            stale = True
            break
        if ref and removed and (sheet, int(ref.group(2)), column_index(ref.group(1))) in removed:
            stale = True
            break
    if stale:
        package.remove(rel.part)
        book.remove_rel(REL_CALC_CHAIN)


# -- the tool's sheets --------------------------------------------------------------------------


def migrate_table_names(package: Package) -> list[str]:
    """Rename the tables a 1.x run left under their sheet's name (``LL_Plan``, the same name as
    the function ``LL_PLAN`` to Excel) to their 2.0 names (``tblLL_Plan``), on the sheets this run
    did not rewrite (a ``whatif`` run writes only ``LL_WhatIf``); returns the part names renamed."""
    old = {name.lower(): spec.table_name for name, spec in TABLES.items()}
    roots = {part: etree.fromstring(package.read(part)) for part in table_ids(package)}
    taken = {(r.get("displayName") or "").lower() for r in roots.values()}
    renamed = []
    for part, root in roots.items():
        new = old.get((root.get("displayName") or "").lower())
        if new is None or new.lower() in taken:  # never two tables of one name (a planner's own)
            continue
        taken.add(new.lower())
        root.set("name", new)
        root.set("displayName", new)
        package.write(part, XML_DECL + etree.tostring(root, encoding="UTF-8"))
        renamed.append(part)
    return renamed


def _renamed(before: set[str], after: set[str]) -> dict[str, str]:
    """The tool's tables this run renamed from their 1.x name (a table of the old name is gone, one
    of the new name is there): old name, lower case -> new name.  A planner's own table of a 1.x
    name that stays keeps its references."""
    return {
        sheet.lower(): spec.table_name
        for sheet, spec in TABLES.items()
        if sheet.lower() in before and sheet.lower() not in after and spec.table_name.lower() in after
    }


# -- the dashboard ------------------------------------------------------------------------------


def cell_text(package: Package, book: Book, sheet: str, row: int, col: int) -> str | None:
    """The text of one cell of a sheet (inline or shared string), None for anything else."""
    entry = book.sheet(sheet)
    if entry is None or entry.part is None:
        return None
    text = SheetText(package.read(entry.part))
    cell = text.cell(row, col)
    if cell is None:
        return None
    kind = cell.attrs.get("t")
    if kind == "inlineStr":
        inner = text.text[cell.start : cell.end]
        return unescape("".join(re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", inner, re.S)))
    if kind == "s" and cell.v is not None:
        rel = book.rel_of_type(REL_SHARED_STRINGS)
        if rel is None or rel.part is None:
            return None
        items = etree.fromstring(package.read(rel.part)).findall(f"{{{NS_MAIN}}}si")
        item = items[int(cell.v)]
        return "".join(t.text or "" for t in item.iter(f"{{{NS_MAIN}}}t"))
    if kind == "str" and cell.v is not None:
        return unescape(cell.v)
    return None


def _build_dashboard(
    package: Package, book: Book, build: Callable, frames: dict[str, pd.DataFrame], name: str, title: str
) -> Layout:
    """The Dashboard's layout over ``frames``; raises (changing nothing) when it cannot be made."""
    if book.sheet(name) is not None and cell_text(package, book, name, 1, 0) != title:
        raise ValueError(
            f"the workbook has its own sheet {name!r} (cell A1 is not {title!r}); "
            "it was left untouched and no dashboard was written"
        )
    return transplant.build(frames, name, build)


def _place_dashboard(package: Package, book: Book, styles: Styles, layout: Layout, name: str) -> None:
    entry = book.sheet(name)
    selected = (
        entry is not None
        and entry.part is not None
        and 'tabSelected="1"' in package.read(entry.part).decode("utf-8")[:4000]
    )
    part, _ = sheet_part(package, book, name)
    names = transplant.transplant(layout, package, styles, part, selected)
    book.replace_local_names(book.index(name), names)
