"""How the ``Dashboard`` sheet prints: one landscape page per block, no chart cut in two.

A planner prints or exports the dashboard to PDF for a meeting.  Left to the spreadsheet, the
page breaks fall wherever the paper ends, often through a chart.  The sheet is made of blocks
of rows (title, cards and findings; then each row of two charts); a manual row break after every
block and "fit to one page wide" give exactly one page per block, in Excel and in LibreOffice.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet


def block_ends(header_rows: int, chart_rows: int, n_charts: int, per_row: int = 2) -> list[int]:
    """Last row (1-based) of every printed block: the header block, then each row of charts."""
    rows = -(-n_charts // per_row)
    return [header_rows] + [header_rows + k * chart_rows for k in range(1, rows + 1)]


def set_print_layout(ws: Worksheet, ends: list[int], last_col: int) -> None:
    """Print area over the blocks, landscape, one page wide, a row break after each block but the last."""
    ws.print_area = f"A1:{get_column_letter(last_col)}{ends[-1]}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the breaks make
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.2, footer=0.2)
    ws.print_options.horizontalCentered = True
    ws.row_breaks = RowBreak()
    for row in ends[:-1]:
        ws.row_breaks.append(Break(id=row))
