"""The planning workbook as a file on disk (openpyxl).

Reading gives the plain grids the core parses.  Writing puts the plan into the workbook's own
sheets and the tidy tables onto sheets the tool owns, then saves atomically (temporary file in
the same folder, then replace), and refuses to write a file that Excel holds open.  Cells the
tool does not own are never touched; what openpyxl cannot carry over is detected by comparing
the package parts before and after, and reported -- never dropped silently.
"""

from __future__ import annotations

import logging
import math
import os
import zipfile
from xml.etree import ElementTree
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import openpyxl.cell._writer as _openpyxl_cell_writer
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..core.contract import number_formats
from ..core.grid import Cells
from ..core.layout import Block
from ..core.model import Issue
from ..core.settings import SETTINGS_SHEET, Settings, settings_from_rows
from .dashboard import DASHBOARD, is_own_dashboard, write_dashboard
from .file_kind import load_failure, not_a_workbook
from .literal_text import text_cell
from .safe_files import replace_preserving, temp_path



def _exact_number_text(value: Any, _fallback=_openpyxl_cell_writer.safe_string) -> str:
    """openpyxl writes floats as ``%.16g``, which changes the 17th digit of a planner's inputs on
    every save (3920865476.2527657 -> 3920865476.252766).  ``repr`` is the shortest text that
    reads back as the same double, so cells the tool does not own keep their exact value."""
    if isinstance(value, float) and math.isfinite(value):
        return repr(float(value))  # np.float64 is a float whose repr is "np.float64(...)"
    return _fallback(value)


_openpyxl_cell_writer.safe_string = _exact_number_text
# Parts openpyxl does not write back but whose content survives in another form, or that Excel
# rebuilds: losing them changes nothing a planner sees.
REBUILT_PARTS = ("xl/calcChain.xml", "xl/sharedStrings.xml")
# Parts that hold content a planner made; writing in place must never lose them.
CONTENT_PARTS = ("xl/charts/", "xl/chartsheets/", "xl/drawings/drawing", "xl/pivot", "xl/slicer", "xl/media/",
                 "xl/timeline", "xl/ctrlProps/", "xl/activeX/", "xl/embeddings/", "xl/queryTables/")


class WorkbookError(Exception):
    """A workbook cannot be read or written; the message is meant for a planner."""


def lock_file(path: Path) -> Path:
    """Excel's owner file for ``path`` (``~$name.xlsx`` beside it)."""
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    if lock_file(path).exists():
        raise WorkbookError(f"{path.name} is open in Excel (lock file {lock_file(path).name} exists); "
                            f"close it, or write to another file with --output, or run from the Excel ribbon")


def sheet_cells(ws: Any) -> Cells:
    """A worksheet as `Cells` (0-based), with its merged ranges."""
    values = {(r - 1, c - 1): cell.value for (r, c), cell in ws._cells.items() if cell.value is not None}
    merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    return Cells(values, merged)


class WorkbookFile:
    """One loaded workbook; read it, then write results into it (or into a copy)."""

    #: Why the last ``write`` left the Dashboard sheet as it was (None when it was written).
    dashboard_error: str | None = None

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.exists():
            raise WorkbookError(f"{self.path}: no such file")
        problem = not_a_workbook(self.path)  # a CSV, a folder, .xls, encrypted, truncated...
        if problem:
            raise WorkbookError(problem)
        try:
            self.book = openpyxl.load_workbook(self.path, keep_vba=self.path.suffix.lower() in (".xlsm", ".xlam"),
                                               keep_links=True)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged package
            raise WorkbookError(load_failure(self.path, exc)) from exc

    # -- reading ------------------------------------------------------------------------------
    def sheets(self) -> dict[str, Cells]:
        """Every worksheet's non-blank cells, from openpyxl's sparse cell store: a stray cell at
        XFD1048576 costs one entry, not the 17 billion of a dense grid of the used range."""
        return {ws.title: sheet_cells(ws) for ws in self.book.worksheets}

    def settings(self) -> tuple[Settings, list[Issue]]:
        if SETTINGS_SHEET not in self.book.sheetnames:
            return Settings(), []
        ws = self.book[SETTINGS_SHEET]
        rows = [(r, row[0], row[1] if len(row) > 1 else None)
                for r, row in enumerate(ws.iter_rows(values_only=True)) if r > 0 and row and row[0] is not None]
        return settings_from_rows(rows)

    def table(self, name: str) -> pd.DataFrame | None:
        """An existing tool table (e.g. the run log), read back as a DataFrame."""
        if name not in self.book.sheetnames:
            return None
        ws = self.book[name]
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            return None
        return pd.DataFrame(rows[1:], columns=rows[0])

    # -- writing ------------------------------------------------------------------------------
    def write(self, blocks: Iterable[Block], tables: dict[str, pd.DataFrame], settings: Settings,
              output: str | os.PathLike[str] | None = None,
              new_sheets: dict[str, list[list[Any]]] | None = None) -> tuple[Path, list[str]]:
        """Write everything, save atomically; returns the path and notes on anything not kept.

        ``new_sheets`` are input sheets the tool creates for the planner when absent (the `WhatIf`
        example): written once, as values (text as text), and the planner's from then on."""
        dest = Path(output) if output else self.path
        check_writable(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        for b in blocks:
            ws = self.book[b.sheet]
            for k, v in enumerate(b.values):
                ws.cell(row=b.row + 1, column=b.col + k + 1, value=float(v))
        for name, frame in tables.items():
            write_table(self.book, name, frame)
        if SETTINGS_SHEET not in self.book.sheetnames:
            write_settings(self.book, settings)
        for name, rows in (new_sheets or {}).items():
            if name not in self.book.sheetnames:
                ws = self.book.create_sheet(name)
                for row in rows:
                    ws.append([text_cell(ws, v) for v in row])  # text stays text, even '=' or '+'
                ws.column_dimensions["A"].width = 28
        # The dashboard is a view of the tables: a failure there never blocks writing the plan
        # (write_dashboard leaves the workbook as it was, the previous dashboard included).
        self.dashboard_error = None
        try:
            write_dashboard(self.book, tables)
        except Exception as exc:  # noqa: BLE001
            self.dashboard_error = f"the {DASHBOARD} sheet was not updated: {exc}"
            logging.getLogger(__name__).warning(self.dashboard_error)
        owned = [*tables, DASHBOARD] if is_own_dashboard(self.book) else list(tables)
        # Formulas saved by openpyxl carry no cached value: have Excel recompute them on open.
        self.book.calculation.fullCalcOnLoad = True
        tmp = temp_path(dest)  # named after this process: a killed run's leftover is recognised
        try:
            self.book.save(tmp)
            lost = lost_parts(self.path, Path(tmp), owned=owned)
            if dest.resolve() == self.path.resolve() and refused_losses(lost):
                raise WorkbookError(
                    f"{self.path.name} holds content that the file writer cannot keep "
                    f"({', '.join(refused_losses(lost))}); nothing was written. Write to another file "
                    f"with --output, or run from the Excel ribbon, which writes through Excel")
            replace_preserving(Path(tmp), dest)  # keeps the file's permission bits
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest, lost


_NS_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_NS_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _package_map(path: Path) -> tuple[dict[str, set[tuple[str, str]]], set[tuple[str, str]]]:
    """(sheet name -> {(content type, part)} reachable from it, {(type, part)} of the rest).

    Parts are compared by content type, per sheet, because writers rename parts
    (``comments1.xml`` vs ``comments/comment1.xml``) but keep their types.
    """
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        ct = ElementTree.fromstring(z.read("[Content_Types].xml"))
        defaults = {e.get("Extension").lower(): e.get("ContentType") for e in ct.iter(_NS_CT + "Default")}
        overrides = {e.get("PartName").lstrip("/"): e.get("ContentType") for e in ct.iter(_NS_CT + "Override")}

        def ctype(part: str) -> str:
            return overrides.get(part) or defaults.get(part.rsplit(".", 1)[-1].lower(), "")

        def rels(part: str) -> list[str]:
            folder, _, base = part.rpartition("/")
            rel = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
            if rel not in names:
                return []
            out = []
            for e in ElementTree.fromstring(z.read(rel)).iter(_NS_REL + "Relationship"):
                if e.get("TargetMode") == "External":
                    continue
                target = e.get("Target")
                parts = (target.lstrip("/") if target.startswith("/") else f"{folder}/{target}").split("/")
                norm: list[str] = []
                for piece in parts:
                    if piece == "..":
                        norm.pop() if norm else None
                    elif piece and piece != ".":
                        norm.append(piece)
                out.append("/".join(norm))
            return out

        wb_rels = dict((e.get("Id"), t) for e, t in zip(
            ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels")).iter(_NS_REL + "Relationship"),
            rels("xl/workbook.xml")))
        per_sheet: dict[str, set[tuple[str, str]]] = {}
        reached: set[str] = set()
        for sh in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(_NS_MAIN + "sheet"):
            start = wb_rels.get(sh.get(_NS_R + "id"))
            seen: set[str] = set()
            todo = [start] if start else []
            while todo:
                part = todo.pop()
                if part in seen or part not in names:
                    continue
                seen.add(part)
                todo.extend(rels(part))
            per_sheet[sh.get("name")] = {(ctype(p), p) for p in seen}
            reached |= seen
        rest = {(ctype(n), n) for n in names if n not in reached and not n.endswith(".rels")}
    return per_sheet, rest


def lost_parts(before: Path, after: Path, owned: Iterable[str] = ()) -> list[str]:
    """Parts of ``before`` of a content type that ``after`` no longer has where it had it.

    Sheets the tool owns (it rewrites them every run) are left out; every other sheet is
    compared with the same sheet after writing, and the workbook-level parts as a whole.
    """
    owned = set(owned)
    b_sheets, b_rest = _package_map(before)
    a_sheets, a_rest = _package_map(after)
    lost = set()
    for name, parts in b_sheets.items():
        if name in owned:
            continue
        kept = {t for t, _ in a_sheets.get(name, set())}
        lost |= {p for t, p in parts if t not in kept}
    kept_rest = {t for t, _ in a_rest} | {t for parts in a_sheets.values() for t, _ in parts}
    lost |= {p for t, p in b_rest if t not in kept_rest}
    return sorted(p for p in lost if p not in REBUILT_PARTS)


def refused_losses(lost: list[str]) -> list[str]:
    """Lost parts that are a planner's content (charts, pictures, pivots...), not metadata."""
    return [n for n in lost if n.startswith(CONTENT_PARTS)]


def _cell_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_table(book: openpyxl.Workbook, name: str, frame: pd.DataFrame) -> None:
    """Replace sheet ``name`` with ``frame`` as an Excel Table of the same name (values only)."""
    if name in book.sheetnames:
        index = book.sheetnames.index(name)
        book.remove(book[name])
        ws = book.create_sheet(name, index)
    else:
        ws = book.create_sheet(name)
    ws.append([text_cell(ws, c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([text_cell(ws, _cell_value(v)) for v in row])  # text is text, never a formula
    n = len(frame)
    for i, fmt in enumerate(number_formats(name, list(frame.columns))):  # the contract's, per column
        if fmt == "General" or not n:
            continue
        for (cell,) in ws.iter_rows(min_row=2, max_row=n + 1, min_col=i + 1, max_col=i + 1):
            cell.number_format = fmt
    ref = f"A1:{get_column_letter(max(1, len(frame.columns)))}{max(2, n + 1)}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for i, c in enumerate(frame.columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = max(10, min(40, len(str(c)) + 4))


def write_settings(book: openpyxl.Workbook, settings: Settings) -> None:
    ws = book.create_sheet(SETTINGS_SHEET)
    ws.append(["Name", "Value", "Description"])
    for name, value, description in settings.rows():
        ws.append([text_cell(ws, v) for v in (name, "" if value is None else value, description)])
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 90
