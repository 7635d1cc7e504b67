"""A `WhatIf` sheet added to a copy of a workbook, as a planner types it (tests' helper)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl

from linealytics_xl.core.whatif import HEADER


def add_whatif_sheet(path: Path, cases: Iterable[Sequence[object]]) -> None:
    """Append a `WhatIf` sheet with the header and one row per case; saved in place."""
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("WhatIf")
    for row in (HEADER, *cases):
        ws.append(list(row))
    wb.save(path)
