"""Excel Tables written with openpyxl, for tests that build a workbook in memory.

The tool itself writes its tables as streamed SpreadsheetML (``adapters.xlsx.sheet_xml``); the
dashboard tests need the same tables in an openpyxl ``Workbook`` they build the dashboard into.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from linealytics_xl.adapters.literal_text import text_cell
from linealytics_xl.core.contract import number_formats, table_name


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
    """Replace sheet ``name`` with ``frame`` as the Excel Table ``table_name(name)`` (values only)."""
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
    table = Table(displayName=table_name(name), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for i, c in enumerate(frame.columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = max(10, min(40, len(str(c)) + 4))
