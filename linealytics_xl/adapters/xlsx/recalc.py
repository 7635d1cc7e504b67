"""Cached values of the planner's formulas whose inputs the tool just wrote.

Viewers that do not calculate (Power BI's import, previewers, e-mail clients) show a formula's
cached value, so a stale one would show the inventory of the previous plan.  Every formula in
the patched sheets that depends, directly or through other formulas, on a patched cell is found;
the shapes the workbook uses for its inventory and total rows (sums and differences of cells,
``SUM`` of ranges, numbers: the shapes :func:`core.cells.evaluate_sum_formula` reads, compiled
once per formula here because a large workbook has tens of thousands) are recomputed, and any other
dependent formula loses its cached value (Excel recomputes it: the writer sets full calculation
on load).  Formulas that depend on nothing the tool wrote keep their cached values exactly.

A formula whose references cannot be read here (defined names, whole columns, other workbooks)
is taken as dependent: a missing cached value is safe, a wrong one is not.  Formulas in sheets
the tool does not patch are left untouched (those parts stay byte-identical); Excel's full
recalculation on load refreshes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from openpyxl.formula.translate import Translator

from ...core.cells import address, column_index
from .patch import SheetText, unescape

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUALIFIED = re.compile(
    r"(?:'((?:[^']|'')+)'|([A-Za-z_][\w.]*))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)"
)
_LOCAL = re.compile(r"(?<![\w!:.$])(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)(?![\w(!])")
_FUNCTION = re.compile(r"[A-Za-z_][\w.]*\(")
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[Ee][+-]?\d+)?")
_BOUND = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")

_TERM = r"(?:\$?[A-Z]{1,3}\$?\d+|SUM\(\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+\)|\d+(?:\.\d*)?)"
_SIMPLE = re.compile(rf"[+-]?{_TERM}(?:[+-]{_TERM})*$")
_SIMPLE_TERM = re.compile(
    r"([+-]?)(?:\$?([A-Z]{1,3})\$?(\d+)|SUM\(\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)\)"
    r"|(\d+(?:\.\d*)?))"
)
_COLUMNS: dict[str, int] = {}

Range = tuple[int, int, int, int]  # 1-based rows, 0-based columns, inclusive


def _range(text: str) -> Range:
    a, _, b = text.partition(":")
    (c0, r0), (c1, r1) = _BOUND.match(a).groups(), _BOUND.match(b or a).groups()
    return int(r0), _col(c0), int(r1), _col(c1)


def _col(letters: str) -> int:
    c = _COLUMNS.get(letters)
    if c is None:
        c = _COLUMNS[letters] = column_index(letters)
    return c


#: One term of a compiled sum: sign, range (1-based rows, 0-based columns), inside SUM, number.
Term = tuple[float, int, int, int, int, bool, float]


def compile_sum(formula: str) -> list[Term] | None:
    """The terms of a formula of ``+``/``-`` cells, ``SUM`` ranges and numbers; None otherwise."""
    body = formula.lstrip("=").replace(" ", "").upper()
    if not _SIMPLE.match(body):
        return None
    terms = []
    for m in _SIMPLE_TERM.finditer(body):
        sign = -1.0 if m.group(1) == "-" else 1.0
        if m.group(2):
            r, c = int(m.group(3)), _col(m.group(2))
            terms.append((sign, r, c, r, c, False, 0.0))
        elif m.group(4):
            terms.append(
                (sign, int(m.group(5)), _col(m.group(4)), int(m.group(7)), _col(m.group(6)), True, 0.0)
            )
        else:
            terms.append((sign, 0, -1, -1, -1, False, float(m.group(8))))
    return terms


def evaluate(terms: list[Term], lookup) -> float | None:
    """A compiled sum's value: ``lookup(row, col)`` gives a number, None for a blank cell, or
    anything else for a cell that is not a number.  As in Excel (and `core.cells`), a blank counts
    0, in ``SUM`` and in ``+``/``-`` alike; any non-number makes the value unknown (None)."""
    total = 0.0
    for sign, r0, c0, r1, c1, _in_sum, number in terms:
        if c0 < 0:
            total += sign * number
            continue
        value = 0.0
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                v = lookup(r, c)
                if v is None:
                    continue
                if type(v) is not float:
                    return None
                value += v
        total += sign * value
    return total


def references(formula: str, sheet: str) -> tuple[list[tuple[str, Range]], bool]:
    """(sheet, range) of every cell reference of ``formula``; True when something else remains
    that could refer to cells (a name, a whole column, a structured reference)."""
    terms = compile_sum(formula)
    if terms is not None:
        return [(sheet, t[1:5]) for t in terms if t[2] >= 0], False
    body = _STRING.sub("", formula)
    refs = []
    for m in _QUALIFIED.finditer(body):
        name = (m.group(1) or m.group(2)).replace("''", "'")
        if "[" in name:  # another workbook: not ours to follow
            continue
        refs.append((name, _range(m.group(3))))
    body = _QUALIFIED.sub(" ", body)
    refs += [(sheet, _range(m.group(1))) for m in _LOCAL.finditer(body)]
    rest = _FUNCTION.sub(" ", _LOCAL.sub(" ", body))
    rest = re.sub(r"\b(?:TRUE|FALSE)\b", " ", _NUMBER.sub(" ", rest), flags=re.I)
    return refs, bool(re.search(r"[A-Za-z_\[#]", rest))


class _Formula:
    __slots__ = ("col", "refs", "row", "sheet", "terms", "text", "unknown")

    def __init__(self, sheet: str, row: int, col: int, text: str):
        self.sheet, self.row, self.col, self.text = sheet, row, col, text
        self.terms = compile_sum(text)
        if self.terms is not None:
            self.refs, self.unknown = [(sheet, t[1:5]) for t in self.terms if t[2] >= 0], False
        else:
            self.refs, self.unknown = references(text, sheet)


def _formulas(name: str, sheet: SheetText) -> list[_Formula]:
    """Every formula of the sheet with its text (shared formulas translated), in document order."""
    out, masters = [], {}
    for number in sorted(sheet.rows):
        if not sheet.has_formulas(number):
            continue
        for cell in sheet.cells(number):
            if not cell.formula:
                continue
            si = cell.f_attrs.get("si") if cell.f_attrs.get("t") == "shared" else None
            if cell.f_text is not None:
                text = unescape(cell.f_text)
                if si is not None:
                    masters[si] = (address(number - 1, cell.col), text)
            elif si in masters:
                origin, master = masters[si]
                text = Translator("=" + master, origin=origin).translate_formula(
                    address(number - 1, cell.col)
                )[1:]
            else:
                text = ""  # a dependant without its master: unknown
            f = _Formula(name, number, cell.col, text)
            f.unknown = f.unknown or not text
            out.append(f)
    return out


def refresh(sheets: Mapping[str, SheetText], written: Mapping[str, Mapping[tuple[int, int], float]]) -> int:
    """Recompute or drop the cached values that depend on ``written`` cells.

    ``sheets``: the patched sheets by name; ``written``: sheet -> {(row 1-based, col 0-based): value}.
    Returns the number of formulas whose cached value changed.
    """
    lower = {n.lower(): n for n in sheets}
    formulas = [f for name, sheet in sheets.items() for f in _formulas(name, sheet)]
    dirty_rows: dict[str, dict[int, set[int]]] = {n: {} for n in sheets}
    for name, cells in written.items():
        for r, c in cells:
            dirty_rows[name].setdefault(r, set()).add(c)

    dirty_cells = {(name, r, c) for name, cells in written.items() for r, c in cells}

    def hits(sheet: str, rng: Range) -> bool:
        r0, c0, r1, c1 = rng
        if r0 == r1 and c0 == c1:
            return (sheet, r0, c0) in dirty_cells or (lower.get(sheet.lower(), ""), r0, c0) in dirty_cells
        rows = dirty_rows.get(lower.get(sheet.lower(), ""))
        if not rows:
            return False
        if r1 - r0 < len(rows):
            return any(c0 <= c <= c1 for r in range(r0, r1 + 1) for c in rows.get(r, ()))
        return any(r0 <= r <= r1 and any(c0 <= c <= c1 for c in cols) for r, cols in rows.items())

    dirty: list[_Formula] = []
    pending = formulas
    while True:  # document order: one pass for left-to-right chains
        rest = []
        for f in pending:
            if f.unknown or any(hits(s, rng) for s, rng in f.refs):
                dirty_rows[f.sheet].setdefault(f.row, set()).add(f.col)
                dirty_cells.add((f.sheet, f.row, f.col))
                dirty.append(f)
            else:
                rest.append(f)
        if len(rest) == len(pending):
            break
        pending = rest
    by_cell = {(f.sheet, f.row, f.col): f for f in dirty}
    memo: dict[tuple[str, int, int], float | None] = {}
    unknown = object()

    def value(sheet: str, row: int, col: int):
        """A cell's value for the sums: float, None (blank) or ``unknown``."""
        key = (sheet, row, col)
        if key in memo:
            v = memo[key]
            return unknown if v is None else v
        cells = written.get(sheet, {})
        if (row, col) in cells:
            return cells[(row, col)]
        f = by_cell.get(key)
        if f is None:
            cell = sheets[sheet].cell(row, col)
            if cell is None or (cell.v is None and not cell.formula):
                return None
            v = SheetText.plain_value(cell)
            return v if type(v) is float else unknown
        memo[key] = None  # a cycle reads as unknown
        memo[key] = None if f.terms is None else evaluate(f.terms, lambda r, c: value(sheet, r, c))
        return unknown if memo[key] is None else memo[key]

    for f in dirty:
        v = value(f.sheet, f.row, f.col)
        sheets[f.sheet].set_cached(f.row, f.col, v if type(v) is float else None)
    return len(dirty)
