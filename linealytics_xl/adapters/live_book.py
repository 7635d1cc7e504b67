"""The planning workbook open in Excel, read and written through xlwings (never through its file).

Reading gives the same plain grids the file adapter gives (rows from A1, formulas as ``"=..."``
strings), so the core parses a live book exactly as it parses the file.  Writing puts the plan
into the workbook's own sheets and every output table onto a sheet of its own name as the Excel
Table ``core.contract.table_name(sheet)``, each block and each table in one call, with screen updating off.  Cells the
tool does not own are not touched; on a re-run a table is resized in place, so charts, formulas
and Power BI queries that point at it keep working.

The same code runs on every xlwings engine; what an engine lacks (the JSON engine of xlwings
Server has no status bar, and cannot read formulas synchronously) is skipped, not an error.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import Text
from ..core.contract import number_formats, table_name
from ..core.layout import Block
from ..core.settings import SETTINGS_SHEET, Settings, SettingsSheet, read_settings
from .literal_text import live_value

log = logging.getLogger(__name__)

TABLE_STYLE = "TableStyleMedium2"
# what an engine raises for a feature it does not have
UNSUPPORTED = (NotImplementedError, AttributeError)


def _rows2d(value: Any) -> list[list[Any]]:
    """A range's ``.value``/``.formula`` as a list of rows, whatever shape the engine returned."""
    if value is None or not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(r) for r in value]


def _cell(v: Any) -> Any:
    """A Python value an xlwings engine writes as a plain cell value (text stays text: see
    ``literal_text.live_value``)."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (bool, int, float, datetime, date)):
        return v
    return live_value(str(v))


def _column(values: pd.Series) -> list[Any]:
    """One column's cells, as `_cell` gives them, converted a column at a time: numbers, flags and
    dates of a plain numpy column in one call (a warm Run all writes some 20,000 cells)."""
    dtype = values.dtype
    if not isinstance(dtype, np.dtype):  # pandas' extension types (text, nullable Int64...)
        return _cells(values.tolist())
    if dtype.kind in "iub":
        return values.to_numpy().tolist()
    if dtype.kind == "f":
        array = values.to_numpy(dtype=float)
        out: list[Any] = array.tolist()
        if not np.isfinite(array).all():
            out = [v if math.isfinite(v) else None for v in out]
        return out
    if dtype.kind == "M":
        stamps = list(values.dt.to_pydatetime())
        return [None if missing else v for v, missing in zip(stamps, values.isna().tolist())]
    return _cells(values.tolist())


def _cells(values: list[Any]) -> list[Any]:
    """`_cell` of each value; text repeats down a column (products, weeks, severities), so each
    distinct text is checked for Excel's text marker once."""
    texts: dict[str, Any] = {}
    out = []
    for v in values:
        if type(v) is str:
            cell = texts.get(v)
            if cell is None:
                cell = texts[v] = live_value(v)
            out.append(cell)
        else:
            out.append(_cell(v))
    return out


_PLAIN = (str, int, bool)  # cells every engine's prepare_xl_data_element passes through as they are


def set_values(start: Any, rows: list[list[Any]]) -> None:
    """``rows`` into the range from ``start`` (a cell), as ``range.value = rows`` writes them, in
    one call.  xlwings' writer runs the engine's ``prepare_xl_data_element`` on every cell (a
    warm Run all writes about 20,000); here it runs only on the cells it changes (blanks, dates),
    and text, whole numbers, flags and finite floats, which it returns as they are, go straight
    to ``raw_value``.  Same values, same single write, on every engine."""
    prepare = start.sheet.book.app.engine.impl.prepare_xl_data_element
    options = getattr(start, "_options", {})  # the options xlwings' writer would hand it
    cells = [
        [
            v if type(v) in _PLAIN or (type(v) is float and math.isfinite(v)) else prepare(_cell(v), options)
            for v in row
        ]
        for row in rows
    ]
    start.resize(len(cells), len(cells[0])).raw_value = cells


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Header + rows of plain values; an empty frame keeps one empty row (a Table needs one)."""
    rows: list[list[Any]] = [[str(c) for c in frame.columns]]
    columns = [_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows += [list(row) for row in zip(*columns)]
    if len(rows) == 1:
        rows.append([None] * len(frame.columns))
    return rows


def with_formulas(values: list[list[Any]], texts: list[list[Any]]) -> list[list[Any]]:
    """``values`` with each formula cell's ``"=..."`` text from ``texts`` (Excel's ``Formula``).

    Excel gives text typed after an apostrophe (``'=D5+D11``) the same ``Formula`` as a formula;
    only its value tells them apart: a formula's value is what it computes, the text's value is
    the text itself.  Such text is marked `cells.Text`, so the reader never evaluates it."""
    for r, row in enumerate(texts[: len(values)]):
        for c, f in enumerate(row[: len(values[r])]):
            if isinstance(f, str) and f.startswith("="):
                v = values[r][c]
                values[r][c] = Text(v) if isinstance(v, str) and v == f else f
    return values


class LiveBook:
    """One open workbook (an ``xlwings.Book``): read it, plan, write the results into it."""

    def __init__(self, book: Any):
        self.book = book
        self.app = book.app
        # each sheet's values as read, until the next write: reading the sheets, the settings and
        # the previous tables of one run reads each sheet from Excel once
        self._values: dict[str, list[list[Any]]] = {}
        self._screen_off = False  # inside screen_updating_off

    @property
    def name(self) -> str:
        """The workbook's file name (``plan.xlsx``), as ``LL_Runs.Workbook`` records it."""
        return Path(str(self.book.name)).name

    def file_path(self) -> Path | None:
        """The workbook's file on this machine, when Excel knows one: an absolute local path whose
        folder exists (a new, unsaved book or one opened from SharePoint has none).  The run
        record goes beside it, as for the command line."""
        try:
            full = str(self.book.fullname)
        except UNSUPPORTED:
            return None
        path = Path(full)
        if "://" in full or not path.is_absolute() or not path.parent.is_dir():
            return None
        return path

    # -- reading ------------------------------------------------------------------------------
    def _sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _sheet(self, name: str) -> Any | None:
        return self.book.sheets[name] if name in self._sheet_names() else None

    @staticmethod
    def _extent(sheet: Any) -> Any:
        """The range from A1 to the last used cell (a sheet's used range may start further in)."""
        last = sheet.used_range.last_cell
        return sheet.range((1, 1), (max(1, last.row), max(1, last.column)))

    def grid(self, sheet: Any, formulas: bool = True) -> list[list[Any]]:
        """A sheet's cells from A1 in one read, with formulas as ``"=..."`` where the engine has them."""
        cached = self._values.get(sheet.name)
        rng = None
        if cached is None:
            rng = self._extent(sheet)
            cached = self._values[sheet.name] = _rows2d(rng.options(ndim=2).value)
        values = [list(row) for row in cached]
        if not formulas:
            return values
        rng = self._extent(sheet) if rng is None else rng
        try:
            texts = _rows2d(rng.formula)
        except UNSUPPORTED:  # e.g. the JSON engine: its payload values already carry what was sent
            return values
        return with_formulas(values, texts)

    def sheets(self) -> dict[str, list[list[Any]]]:
        return {s.name: self.grid(s) for s in self.book.sheets}

    def settings(self) -> SettingsSheet:
        sheet = self._sheet(SETTINGS_SHEET)
        # a setting computed by a formula counts by its value
        return read_settings(None if sheet is None else self.grid(sheet, formulas=False))

    def table(self, name: str) -> pd.DataFrame | None:
        """An existing tool table (e.g. the run log) as a DataFrame, read from its sheet."""
        sheet = self._sheet(name)
        if sheet is None:
            return None
        rows = self.grid(sheet, formulas=False)
        if not rows or all(v is None for v in rows[0]):
            return None
        body = [r for r in rows[1:] if any(v is not None and v != "" for v in r)]
        return pd.DataFrame(body, columns=rows[0])

    # -- writing ------------------------------------------------------------------------------
    def write(
        self,
        blocks: Iterable[Block],
        tables: dict[str, pd.DataFrame],
        settings: Settings,
        *,
        new_sheets: dict[str, list[list[Any]]] | None = None,
    ) -> None:
        """Write the plan's blocks and every table; the Settings sheet too when the book has none,
        and each of ``new_sheets`` (e.g. the WhatIf example) the book does not have yet."""
        self._values.clear()  # what was read is stale once anything is written
        with self.screen_updating_off():
            for b in blocks:
                set_values(self.book.sheets[b.sheet].range((b.row + 1, b.col + 1)), [list(b.values)])
            for name, frame in tables.items():
                self.write_table(name, frame)
            if self._sheet(SETTINGS_SHEET) is None:
                self.write_settings(settings)
            for name, rows in (new_sheets or {}).items():
                if self._sheet(name) is None:
                    sheet = self._add_sheet(name)
                    set_values(sheet.range((1, 1)), [[_cell(v) for v in row] for row in rows])

    def _add_sheet(self, name: str) -> Any:
        """A new sheet ``name`` after the last one."""
        return self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """``frame`` as the Excel Table ``table_name(name)`` on the sheet ``name``: created, or
        resized in place.  The sheet's one table keeps its place whatever it is called, and is
        renamed: a 1.x workbook's ``LL_Plan`` (the function ``LL_PLAN``'s name) becomes ``tblLL_Plan``."""
        rows = frame_rows(frame)
        title = table_name(name)
        n_rows, n_cols = len(rows), len(rows[0])
        existing = self._sheet(name)
        created = existing is None
        sheet = self._add_sheet(name) if existing is None else existing
        target = sheet.range((1, 1)).resize(n_rows, n_cols)
        tables = list(sheet.tables)
        # the sheet is the tool's: a table of another name on it (renamed by hand) is ours too
        table = next((t for t in tables if t.name == title), tables[0] if tables else None)
        if table is not None:
            if table.name != title:
                table.name = title
            old = table.range
            table.resize(target)
            if old is not None:
                old_rows, old_cols = old.shape
                if old_rows > n_rows:  # what the table held below its new end
                    sheet.range((n_rows + 1, 1), (old_rows, max(old_cols, n_cols))).clear_contents()
                if old_cols > n_cols:
                    sheet.range((1, n_cols + 1), (min(old_rows, n_rows), old_cols)).clear_contents()
            set_values(target, rows)
        else:
            if not created:
                self._extent(sheet).clear_contents()
            set_values(target, rows)
            sheet.tables.add(source=target, name=title, table_style_name=TABLE_STYLE, has_headers=True)
        if len(frame):  # the contract's number format per column, as the file writer gives them
            for i, fmt in enumerate(number_formats(name, list(frame.columns))):
                if fmt != "General":
                    sheet.range((2, i + 1), (n_rows, i + 1)).number_format = fmt
        if created:
            self._guard(lambda: sheet.freeze_panes.freeze_at("A2"))

    def write_settings(self, settings: Settings) -> None:
        rows = [["Name", "Value", "Description"]]
        rows += [[_cell(n), "" if v is None else _cell(v), _cell(d)] for n, v, d in settings.rows()]
        sheet = self._add_sheet(SETTINGS_SHEET)
        set_values(sheet.range((1, 1)), rows)

    # -- keeping the planner informed ---------------------------------------------------------
    @staticmethod
    def _guard(action: Callable[[], object]) -> bool:
        try:
            action()
            return True
        except UNSUPPORTED:
            return False

    def status(self, message: str | None) -> None:
        """Show ``message`` in Excel's status bar (``None`` gives it back to Excel)."""
        text = f"Linealytics: {message}" if message else False
        self._guard(lambda: setattr(self.app, "status_bar", text))

    def alert(self, message: str, title: str = "Linealytics", critical: bool = False) -> None:
        """A message box; engines without one get the message in the log only."""
        if len(message) > 1000:  # MsgBox shows about 1,024 characters
            message = message[:997] + "..."
        shown = self._guard(
            lambda: self.app.alert(message, title=title, mode="critical" if critical else "info")
        )
        if not shown:
            log.warning("%s: %s", title, message)

    @contextmanager
    def screen_updating_off(self) -> Iterator[None]:
        """Screen updating off for the outermost block only: a run's writes (tables, then the
        Dashboard) repaint once at the end, and an engine that cannot tell the current state
        never has it switched back on half-way."""
        if self._screen_off:
            yield
            return
        try:
            before = self.app.screen_updating
        except UNSUPPORTED:
            before = True
        self._guard(lambda: setattr(self.app, "screen_updating", False))
        self._screen_off = True
        try:
            yield
        finally:
            self._screen_off = False
            self._guard(lambda: setattr(self.app, "screen_updating", before))
