"""The planning workbook as a file on disk (openpyxl).

Reading gives the plain grids the core parses (openpyxl).  Writing goes through the
package-level writer in ``adapters.xlsx``: the plan into the workbook's own sheets (cells patched
in place) and the tidy tables onto sheets the tool owns, every other part of the file copied
byte-for-byte; saved atomically (temporary file in the same folder, then replace), and never
into a file that Excel holds open.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from ..core.contract import number_formats
from ..core.grid import Cells
from ..core.layout import Block
from ..core.settings import SETTINGS_SHEET, Settings, SettingsSheet, read_settings
from .dashboard import DASHBOARD, DASHBOARD_TABLES, TITLE, dashboard_layout
from .file_kind import load_failure, not_a_workbook
from .safe_files import replace_preserving, temp_path
from .xlsx.read import read_cells, sheets_with_tables
from .xlsx.structure import StructureError
from .xlsx.writer import write_package


class WorkbookError(Exception):
    """A workbook cannot be read or written; the message is meant for a planner."""


def lock_file(path: Path) -> Path:
    """Excel's owner file for ``path`` (``~$name.xlsx`` beside it)."""
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    if lock_file(path).exists():
        raise WorkbookError(
            f"{path.name} is open in Excel (lock file {lock_file(path).name} exists); "
            f"close it, or write to another file with --output, or run from the Excel ribbon"
        )


class WorkbookFile:
    """One loaded workbook; read it, then write results into it (or into a copy)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.exists():
            raise WorkbookError(f"{self.path}: no such file")
        problem = not_a_workbook(self.path)  # a CSV, a folder, .xls, encrypted, truncated...
        if problem:
            raise WorkbookError(problem)
        # Cells are read from the sheet XML (adapters.xlsx.read: 5x faster than openpyxl at 500
        # products); the openpyxl workbook (`book`) is loaded only by callers that ask for it.
        try:
            self._cells = read_cells(self.path, check=True)
            self._tabled = sheets_with_tables(self.path)
        except MemoryError:
            raise
        except Exception as exc:
            raise WorkbookError(load_failure(self.path, exc)) from exc
        self._book: openpyxl.Workbook | None = None

    @property
    def book(self) -> openpyxl.Workbook:
        """The workbook as openpyxl reads it (loaded on first use)."""
        if self._book is None:
            try:
                self._book = openpyxl.load_workbook(
                    self.path, keep_vba=self.path.suffix.lower() in (".xlsm", ".xlam"), keep_links=True
                )
            except MemoryError:
                raise
            except Exception as exc:
                raise WorkbookError(load_failure(self.path, exc)) from exc
        return self._book

    # -- reading ------------------------------------------------------------------------------
    def sheets(self) -> dict[str, Cells]:
        """Every worksheet's non-blank cells, sparse: a stray cell at XFD1048576 costs one entry,
        not the 17 billion of a dense grid of the used range."""
        return {name: Cells(sheet.cells, sheet.merged) for name, sheet in self._cells.items()}

    def _rows(self, name: str) -> list[list[Any]] | None:
        sheet = self._cells.get(name)
        return None if sheet is None else sheet.grid()

    def settings(self) -> SettingsSheet:
        return read_settings(self._rows(SETTINGS_SHEET))

    def table(self, name: str) -> pd.DataFrame | None:
        """An existing tool table (e.g. the run log), read back as a DataFrame."""
        grid = self._rows(name)
        if not grid:
            return None
        shape = self._tabled.get(name)
        end = shape.last_data_row if shape is not None and shape.last_data_row is not None else len(grid)
        width = len(grid[0])
        frame = pd.DataFrame([row + [None] * (width - len(row)) for row in grid[1:end]], columns=grid[0])
        # the planner's total row and calculated columns are theirs, not rows or columns of the tool's
        return frame.drop(columns=[c for c in frame.columns if shape and c in shape.calculated])

    # -- writing ------------------------------------------------------------------------------
    def write(
        self,
        blocks: Iterable[Block],
        tables: dict[str, pd.DataFrame],
        settings: Settings,
        output: str | os.PathLike[str] | None = None,
        new_sheets: dict[str, list[list[Any]]] | None = None,
    ) -> tuple[Path, list[str]]:
        """Write everything, save atomically; returns the path and notes on anything not kept.

        The package-level writer (``adapters.xlsx``) rewrites only the parts the tool owns and
        copies every other part byte-for-byte; the notes name what a planner added to a tool
        sheet that could not be kept (a filter of the old rows, a column of typed values...).
        ``new_sheets`` are input sheets the tool creates for the planner when absent: written
        once, as values (text as text), and the planner's from then on.
        """
        dest = Path(output) if output else self.path
        check_writable(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # written only when the workbook has no Settings sheet (afterwards it is the planner's)
        settings_rows = [(name, value, description) for name, value, description in settings.rows()]
        tmp = temp_path(dest)  # named after this process: a killed run's leftover is recognised
        try:
            written = write_package(
                self.path,
                tmp,
                blocks,
                tables,
                settings_rows,
                # looked up at call time, so that a test can replace the builder
                dashboard=lambda frames: dashboard_layout(frames),
                dashboard_frames=self._dashboard_frames,
                dashboard_sheet=DASHBOARD,
                dashboard_title=TITLE,
                number_formats=number_formats,
                new_sheets=new_sheets,
            )
            _replace_into(tmp, dest)
        except StructureError as exc:  # a locked structure, a renamed tool sheet: the planner's to fix
            tmp.unlink(missing_ok=True)
            raise WorkbookError(f"{self.path.name}: {exc}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return dest, written.notes

    def _dashboard_frames(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The tables the dashboard shows: this run's, else the workbook's previous ones (when
        they are Excel Tables there: the dashboard's formulas refer to them by name)."""
        out = {}
        for name in DASHBOARD_TABLES:
            frame = tables.get(name)
            # any Excel Table on the sheet: a 2.0 one, or a 1.x one named like its sheet, which the
            # writer renames (migrate_table_names)
            if frame is None and name in self._tabled:
                frame = self.table(name)
                frame = frame.dropna(how="all") if frame is not None else None
            if frame is not None:
                out[name] = frame
        return out


def _replace_into(tmp: Path, dest: Path) -> None:
    """Put the finished temporary file in place of ``dest`` in one step (same folder, so the
    rename is atomic: a reader sees the old workbook or the new one, never half of one), with
    the permission bits (and owner, where allowed) of the file it replaces."""
    replace_preserving(tmp, dest)
