"""The workbook port: what a job needs from a planning workbook, wherever it lives.

`jobs.prepare_plan`, `jobs.plan_live` and the what-if runner read and write through this one
interface, so the command line (``adapters.workbook_file.WorkbookFile``, a file on disk) and the
ribbon (``adapters.live_book.LiveBook``, the book open in Excel) run the very same job and write
the same tables.  A Protocol, not a base class: the adapters share no code, only this shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..core.layout import Block
from ..core.reader import Grid
from ..core.settings import Settings, SettingsSheet


class WorkbookPort(Protocol):
    """Read a workbook's sheets, settings and tool tables; write a run's outputs into it."""

    def sheets(self) -> Mapping[str, Grid]:
        """Every sheet's cells, as the core's reader parses them."""
        ...

    def settings(self) -> SettingsSheet:
        """The Settings sheet parsed (defaults when absent), what is wrong with it, and where."""
        ...

    def table(self, name: str) -> pd.DataFrame | None:
        """A tool table a previous run wrote (``LL_Runs``, ``LL_Alerts``...), or None."""
        ...

    def write(
        self,
        blocks: Iterable[Block],
        tables: dict[str, pd.DataFrame],
        settings: Settings,
        *,
        new_sheets: dict[str, list[list[Any]]] | None = None,
    ) -> object:
        """The plan's values into the workbook's own sheets, every table onto its sheet, the
        Settings sheet when the workbook has none, and ``new_sheets`` (e.g. the WhatIf example)."""
        ...


class OpenBook(WorkbookPort, Protocol):
    """A workbook open in Excel: the port plus what a run record needs to know about it."""

    @property
    def name(self) -> str:
        """The workbook's file name, as ``LL_Runs.Workbook`` records it."""
        ...

    def file_path(self) -> Path | None:
        """The workbook's file on this machine, when Excel knows one (the run record goes beside it)."""
        ...
