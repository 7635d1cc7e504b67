"""Cell addresses and the few formula shapes the planning workbook uses.

The tool never trusts cached formula values (a file last saved by a library has none), so the
simple formulas that carry inputs -- the `Total` capacity row ``=+C9+C6+C12``, ``=SUM(B4:B6)`` or ``=SUM(C6,C9,C12)`` --
are evaluated here from the cells they reference.  Anything richer is reported, not guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .labels import number_from_text

_REF = r"\$?([A-Z]{1,3})\$?(\d+)"
_MAX_RANGE = 100_000  # a SUM over more cells than this is no input row of a planning workbook
_CELLS = re.compile(rf"^{_REF}(?::{_REF})?$")  # a cell or a range
_TERM = re.compile(rf"^(?:{_REF}|SUM\(([^()]*)\)|(\d+(?:\.\d*)?))$")


def column_letter(col: int) -> str:
    """Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based column index of Excel column letters."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def address(row: int, col: int) -> str:
    """A1-style address of a 0-based (row, col) grid position."""
    return f"{column_letter(col)}{row + 1}"


class Text(str):
    """A text cell whose text starts with ``=`` (typed after an apostrophe, or imported): Excel
    shows it as text and computes nothing with it.  Grids give formulas as ``"=..."`` text, so a
    reader marks such text with this type, and it is never evaluated as a formula."""

    __slots__ = ()


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, Text) and value.startswith("=") and len(value) > 1


#: Excel's error values, as openpyxl and xlwings hand them over (text).
ERROR_VALUES = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#PYTHON!",
)


def is_error_value(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in ERROR_VALUES


def shown(value: Any) -> str:
    """A cell value as a planner sees it in Excel: ``blank``, ``TRUE``, ``01:19:12``, ``#VALUE!``,
    ``'abc'``, ``1.5`` -- never Python's ``None`` or ``datetime.time(...)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "blank"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.time() != time(0) else "%Y-%m-%d")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return "#NUM!"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    if is_error_value(value) or is_formula(value):
        return value.strip()
    return f"'{value}'"


#: '0,906' is a decimal comma (no one groups the thousands of 0), not 906
_DECIMAL_COMMA = re.compile(r"^'?\s*[+-]?0,")


def text_number(value: str) -> float | None:
    """The number a text cell holds as Excel's ``VALUE`` reads it: `number_from_text`, and a
    percentage (``'95%'`` is 0.95, ``'1.82 %'`` 0.0182), else None (``'0,906'`` too: with a
    decimal comma it is 0.906, read as thousands 906)."""
    body = value.strip()
    if _DECIMAL_COMMA.match(body):
        return None
    if body.endswith("%"):
        number = number_from_text(body[:-1])
        # scaled in decimal, as typed: '90.58%' is the double nearest 0.9058, as in Excel (90.58 / 100 is not)
        return None if number is None else float(Decimal(repr(number)) / 100)
    return number_from_text(body)


@dataclass(frozen=True)
class Evaluated:
    """A formula's value, or why it has none (worded for a planner)."""

    value: float | None
    problem: str | None = None


def evaluate_sum_formula(
    formula: str, lookup: Callable[[int, int], Any], at: tuple[int, int] | None = None
) -> Evaluated:
    """Value of a formula made only of ``+``/``-`` terms of cells, ``SUM`` ranges and numbers.

    ``lookup(row, col)`` (0-based) returns the referenced cell's value, itself possibly such a
    formula.  ``at`` is the formula's own cell: a formula that reaches itself, directly or through
    other formulas, is a circular reference (reported, never recursed into).
    """
    return _evaluate(formula, lookup, (at,) if at is not None else ())


def _range(part: str) -> tuple[int, int, int, int] | None:
    """First row, first col, last row, last col of one argument of SUM (``C6`` or ``C6:C8``,
    either corner first, as Excel takes it); None for anything else."""
    m = _CELLS.match(part)
    if m is None:
        return None
    r0, c0 = int(m.group(2)) - 1, column_index(m.group(1))
    r1, c1 = (int(m.group(4)) - 1, column_index(m.group(3))) if m.group(3) else (r0, c0)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)


def _evaluate(formula: str, lookup: Callable[[int, int], Any], path: tuple) -> Evaluated:
    body = formula.lstrip("=").replace(" ", "").upper()
    if any(e in body for e in ERROR_VALUES):
        return Evaluated(None, f"the formula {formula} holds an error value")
    total = 0.0
    for sign, term in re.findall(r"([+-]?)([^+-]+)", body):
        m = _TERM.match(term)
        if not m:
            return Evaluated(
                None, f"the formula {formula} is not a sum of cells, which is all the tool reads"
            )
        if m.group(1):
            cells = [(int(m.group(2)) - 1, column_index(m.group(1)))]
        elif m.group(3) is not None:
            # SUM(C6:C8) and SUM(C6,C9,C12:C14) alike
            ranges = [_range(part) for part in m.group(3).split(",")]
            if any(x is None for x in ranges):
                return Evaluated(
                    None, f"the formula {formula} is not a sum of cells, which is all the tool reads"
                )
            spans = [x for x in ranges if x is not None]
            if sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in spans) > _MAX_RANGE:
                return Evaluated(None, f"the formula {formula} sums more cells than an input row has")
            cells = [(r, c) for r0, c0, r1, c1 in spans for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        else:
            cells = []
        value = float(m.group(4)) if m.group(4) else 0.0
        for r, c in cells:
            if (r, c) in path:
                return Evaluated(
                    None,
                    f"the formula {formula} refers to itself (circular reference through {address(r, c)})",
                )
            v = lookup(r, c)
            if is_formula(v):
                inner = _evaluate(v, lookup, path + ((r, c),))
                if inner.problem:
                    return inner
                v = inner.value
            if v is None:  # a blank counts as 0, as in Excel
                continue
            if isinstance(v, str) and not is_error_value(v) and text_number(v) is not None:
                v = text_number(
                    v
                )  # numbers stored as text count, as Excel's + does (warned on their own cell)
            if is_error_value(v):
                return Evaluated(
                    None, f"the formula {formula} refers to {address(r, c)}, which holds {shown(v)}"
                )
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                return Evaluated(
                    None,
                    f"the formula {formula} refers to {address(r, c)}, which holds {shown(v)} (not a number)",
                )
            value += float(v)
        total += -value if sign == "-" else value
    return Evaluated(total)
