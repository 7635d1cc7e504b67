"""Cell addresses and the few formula shapes the planning workbook uses.

The tool never trusts cached formula values (a file last saved by a library has none), so the
simple formulas that carry inputs -- the `Total` capacity row ``=+C9+C6+C12`` or ``=SUM(B4:B6)`` --
are evaluated here from the cells they reference.  Anything richer is reported, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


_REF = r"\$?([A-Z]{1,3})\$?(\d+)"
_TERM = re.compile(rf"^(?:{_REF}|SUM\({_REF}:{_REF}\)|(\d+(?:\.\d*)?))$")


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


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def evaluate_sum_formula(formula: str, lookup: Callable[[int, int], Any]) -> float | None:
    """Value of a formula made only of ``+``/``-`` terms of cells, ``SUM`` ranges and numbers.

    ``lookup(row, col)`` (0-based) returns the referenced cell's value, itself possibly such a
    formula.  Returns ``None`` when the formula has another shape or references a non-number.
    """
    body = formula.lstrip("=").replace(" ", "").upper()
    total = 0.0
    for sign, term in re.findall(r"([+-]?)([^+-]+)", body):
        m = _TERM.match(term)
        if not m:
            return None
        if m.group(1):
            cells = [(int(m.group(2)) - 1, column_index(m.group(1)))]
        elif m.group(3):
            r0, r1 = int(m.group(4)) - 1, int(m.group(6)) - 1
            c0, c1 = column_index(m.group(3)), column_index(m.group(5))
            cells = [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        else:
            cells = []
        value = float(m.group(7)) if m.group(7) else 0.0
        for r, c in cells:
            v = lookup(r, c)
            if is_formula(v):
                v = evaluate_sum_formula(v, lookup)
            if v is None and m.group(3):  # blanks inside SUM count as 0, as in Excel
                continue
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                return None
            value += float(v)
        total += -value if sign == "-" else value
    return total
