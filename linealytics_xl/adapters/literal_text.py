"""Text the tool writes stays text: never a formula, in a cell or in a CSV file.

Product ids, quarter labels, messages and settings come from the planner's workbook, so they can
hold anything, ``=HYPERLINK("http://x","click")`` or ``+cmd|' /C calc'!A0`` included.  Each sink
turns such text into something live in its own way, and each has one remedy here:

* openpyxl makes every ``str`` that starts with ``=`` a formula when it is assigned to a cell.
  :func:`set_text` / :func:`text_cell` assign the value and then mark the cell as a string
  (``data_type = "s"``), which openpyxl writes as an inline string: Excel shows the text.
* xlwings assigns ``range.value`` as Excel assigns typed input: ``=``, ``+``, ``-`` and ``@`` start
  a formula, a leading apostrophe is swallowed, ``007`` becomes 7 and ``TRUE`` a boolean.
  :func:`live_value` puts Excel's own text marker, a leading apostrophe, before such text; Excel
  keeps the apostrophe out of the cell's value (``Range.Value`` reads the text back unchanged).
  The apostrophe was chosen over the text number format ``@``: that needs one more call per column
  on every engine, and it changes how Excel reads what a planner later types into those cells.
  Text that Excel would read as a date (``1-2``) is not recognised; no tool text is of that form.
* A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
  formula by a spreadsheet that opens the file (OWASP "CSV injection"). :func:`csv_safe` prefixes
  such text with an apostrophe; numbers are numbers, not text, and are never changed.

The Dashboard's own formulas are assigned directly by ``adapters.dashboard``; everything else that
is text goes through this module.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell

__all__ = ["CSV_TRIGGERS", "FORMULA_TRIGGERS", "csv_safe", "live_value", "set_text", "text_cell"]

#: First characters that make Excel read typed input (and ``Range.Value``) as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
#: First characters that a spreadsheet opening a CSV file acts on (OWASP).
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def set_text(cell: Cell, value: Any) -> Cell:
    """Assign ``value`` to an openpyxl cell; a string is stored as text, never as a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def text_cell(ws: Any, value: Any) -> Any:
    """A value for ``Worksheet.append``: a string that openpyxl would take for a formula becomes a
    cell marked as text; every other value is returned as it is (appending stays fast)."""
    if isinstance(value, str) and value.startswith("="):
        return set_text(Cell(ws), value)
    return value


def _reads_as_other_than_text(text: str) -> bool:
    """True when Excel would not keep ``text`` as typed: a number, a boolean or an error value."""
    s = text.strip()
    if not s:
        return False
    if s.upper() in ("TRUE", "FALSE") or s.startswith("#"):
        return True
    if not (s[0].isdigit() or s[0] in ".("):  # "nan", "inf": text to Excel, numbers to Python
        return False
    try:
        float(s.replace(",", "").strip("()").rstrip("%"))  # 1,000  (5)  12%  1e5  007
    except ValueError:
        return False
    return True


def live_value(value: Any) -> Any:
    """A value for an xlwings ``range.value`` assignment: text that Excel would turn into a
    formula, a number, a boolean or an error gets Excel's text marker (a leading apostrophe)."""
    if (
        isinstance(value, str)
        and value
        and (value.startswith(FORMULA_TRIGGERS) or value.startswith("'") or _reads_as_other_than_text(value))
    ):
        return "'" + value
    return value


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell: text starting with ``= + - @``, tab or CR gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(CSV_TRIGGERS):
        return "'" + value
    return value
