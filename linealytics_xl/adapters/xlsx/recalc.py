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
from collections.abc import Callable, Mapping
from typing import Any

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
    ma, mb = _BOUND.match(a), _BOUND.match(b or a)
    if ma is None or mb is None:
        raise ValueError(f"not a cell range: {text}")
    (c0, r0), (c1, r1) = ma.groups(), mb.groups()
    return int(r0), _col(c0), int(r1), _col(c1)


def _col(letters: str) -> int:
    c = _COLUMNS.get(letters)
    if c is None:
        c = _COLUMNS[letters] = column_index(letters)
    return c


#: One term of a compiled sum: sign, range (1-based rows, 0-based columns), inside SUM, number.
Term = tuple[float, int, int, int, int, bool, float]


def _compile_slow(body: str) -> list[Term] | None:
    """:func:`compile_sum` of a formula body (upper case, no spaces) by the full grammar."""
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


def compile_sum(formula: str) -> list[Term] | None:
    """The terms of a formula of ``+``/``-`` cells, ``SUM`` ranges and numbers; None otherwise."""
    return parse(formula, "")[0]


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
    _terms, refs, unknown = parse(formula, sheet)
    return refs, unknown


def _references_slow(formula: str, sheet: str) -> tuple[list[tuple[str, Range]], bool]:
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


#: A local cell reference (``B4``, ``$B$4``; both ends of ``B4:B9``), not part of a name,
#: a function (``LOG10(``) or a qualified reference.
_CELL = re.compile(r"(?<![\w!.$])\$?([A-Z]{1,3})\$?(\d+)(?![\w(!])")
_SIMPLE_SHAPE = re.compile(r"[+-]?(?:@|SUM\(@:@\)|\d+(?:\.\d*)?)(?:[+-](?:@|SUM\(@:@\)|\d+(?:\.\d*)?))*$")
_SHAPE_TERM = re.compile(r"([+-]?)(?:(@)|SUM\((@):@\)|(\d+(?:\.\d*)?))")
#: A formula's shape: ``("sum", [(sign, first ref index, is a range, number)])`` for a compiled
#: sum, or ``("refs", [(first, last ref index)], unknown)`` for any other formula of local cells.
Shape = tuple
_SHAPES: dict[str, Shape] = {}
_MAX_SHAPES = 20_000  # distinct shapes kept; a workbook has a handful, a long-lived process many


def _shape(skeleton: str) -> Shape:
    """The shape of a formula whose cell references were replaced by ``@`` (computed once per
    shape: a large workbook has tens of thousands of formulas of a handful of shapes)."""
    shape = _SHAPES.get(skeleton)
    if shape is not None:
        return shape
    if _SIMPLE_SHAPE.match(skeleton):
        terms, k = [], 0
        for m in _SHAPE_TERM.finditer(skeleton):
            sign = -1.0 if m.group(1) == "-" else 1.0
            if m.group(2) or m.group(3):
                terms.append((sign, k, bool(m.group(3)), 0.0))
                k += 2 if m.group(3) else 1
            else:
                terms.append((sign, -1, False, float(m.group(4))))
        shape = ("sum", terms)
    else:
        pairs, k = [], 0
        for m in re.finditer(r"@:@|@", skeleton):
            pairs.append((k, k + 1) if m.group() == "@:@" else (k, k))
            k += 2 if m.group() == "@:@" else 1
        rest = _FUNCTION.sub(" ", skeleton.replace("@", " "))
        rest = re.sub(r"\b(?:TRUE|FALSE)\b", " ", _NUMBER.sub(" ", rest))
        shape = ("refs", pairs, bool(re.search(r"[A-Za-z_\[#]", rest)))
    if len(_SHAPES) >= _MAX_SHAPES:  # the add-in's server plans workbook after workbook
        _SHAPES.clear()
    _SHAPES[skeleton] = shape
    return shape


def parse(formula: str, sheet: str) -> tuple[list[Term] | None, list[tuple[str, Range]], bool]:
    """A formula's compiled sum (None for any other formula), its references (sheet, range) and
    whether something else in it could refer to cells.

    Formulas of local cells only (no ``!``, string, name or array) -- nearly all of a large
    workbook's -- are parsed by shape: the references are cut out with one regex and the rest is
    parsed once per distinct shape.  Anything else goes through the full grammar."""
    body = formula.lstrip("=").replace(" ", "").upper()
    if any(ch in body for ch in "!\"'[#{"):
        terms = _compile_slow(body)
        if terms is not None:
            return terms, [(sheet, t[1:5]) for t in terms if t[2] >= 0], False
        refs, unknown = _references_slow(formula, sheet)
        return None, refs, unknown
    columns = _COLUMNS
    cells = [(int(r), columns.get(c) or _col(c)) for c, r in _CELL.findall(body)]
    shape = _shape(_CELL.sub("@", body))
    if shape[0] != "sum":
        return None, [(sheet, (*cells[a], *cells[b])) for a, b in shape[1]], shape[2]
    out: list[Term] = []
    for sign, k, is_range, number in shape[1]:
        if k < 0:
            out.append((sign, 0, -1, -1, -1, False, number))
        else:
            (r0, c0), (r1, c1) = cells[k], cells[k + 1 if is_range else k]
            out.append((sign, r0, c0, r1, c1, is_range, 0.0))
    return out, [(sheet, t[1:5]) for t in out if t[2] >= 0], False


class _Formula:
    __slots__ = ("col", "refs", "row", "sheet", "terms", "text", "unknown")

    def __init__(self, sheet: str, row: int, col: int, text: str):
        self.sheet, self.row, self.col, self.text = sheet, row, col, text
        self.terms, self.refs, self.unknown = parse(text, sheet)


def _formulas(name: str, sheet: SheetText) -> list[_Formula]:
    """Every formula of the sheet with its text (shared formulas translated), in document order."""
    out, masters = [], {}
    for number in sorted(sheet.rows):
        if not sheet.has_formulas(number):
            continue
        for cell in sheet.cells(number):
            f_attrs = cell.f_attrs
            if f_attrs is None:
                continue
            si = f_attrs.get("si") if f_attrs.get("t") == "shared" else None
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


#: Cells the tool wrote, by sheet and row: runs of (first column, last column, values).
Runs = Mapping[str, Mapping[int, list[tuple[int, int, list[float]]]]]


def refresh(sheets: Mapping[str, SheetText], written: Runs) -> int:
    """Recompute or drop the cached values that depend on ``written`` cells.

    ``sheets``: the patched sheets by name; ``written``: sheet -> row (1-based) -> runs of
    (first column, last column (0-based), values) -- runs, not cells: the tool writes hundreds
    of thousands of cells of a large plan in a few thousand runs.
    Returns the number of formulas whose cached value changed.
    """
    lower = {n.lower(): n for n in sheets}
    formulas = [f for name, sheet in sheets.items() for f in _formulas(name, sheet)]
    # a formula's references to other sheets by their canonical name (as ``written`` has them)
    for f in formulas:
        if any(s != f.sheet for s, _ in f.refs):
            f.refs = [(lower.get(s.lower(), s), rng) for s, rng in f.refs]
    # sheet -> row -> column intervals that changed (written runs, then dirty formulas)
    dirty_rows: dict[str, dict[int, list[tuple[int, int]]]] = {n: {} for n in sheets}
    for name, by_row in written.items():
        rows = dirty_rows.setdefault(name, {})
        for r, runs in by_row.items():
            rows.setdefault(r, []).extend((c0, c1) for c0, c1, _ in runs)

    def hits(refs: list[tuple[str, Range]]) -> bool:
        for sheet, (r0, c0, r1, c1) in refs:
            rows = dirty_rows.get(sheet)
            if not rows:
                continue
            if r1 - r0 < len(rows):
                for r in range(r0, r1 + 1):
                    spans = rows.get(r)
                    if spans and any(a <= c1 and b >= c0 for a, b in spans):
                        return True
            elif any(
                r0 <= r <= r1 and any(a <= c1 and b >= c0 for a, b in spans) for r, spans in rows.items()
            ):
                return True
        return False

    dirty: list[_Formula] = []
    pending = formulas
    while True:  # document order: one pass for left-to-right chains
        rest = []
        for f in pending:
            if f.unknown or hits(f.refs):
                dirty_rows[f.sheet].setdefault(f.row, []).append((f.col, f.col))
                dirty.append(f)
            else:
                rest.append(f)
        if len(rest) == len(pending):
            break
        pending = rest
    by_cell = {(f.sheet, f.row, f.col): f for f in dirty}
    memo: dict[tuple[str, int, int], float | None] = {}
    unknown = object()

    def value(sheet: str, row: int, col: int) -> Any:
        """A cell's value for the sums: float, None (blank) or ``unknown``."""
        key = (sheet, row, col)
        if key in memo:
            v = memo[key]
            return unknown if v is None else v
        by_row = written.get(sheet)
        if by_row is not None:
            for c0, c1, values in reversed(by_row.get(row, ())):  # the last write wins
                if c0 <= col <= c1:
                    return values[col - c0]
        f = by_cell.get(key)
        if f is None:
            cell = sheets[sheet].cell(row, col)
            if cell is None or (cell.v is None and not cell.formula):
                return None
            v = SheetText.plain_value(cell)
            return v if type(v) is float else unknown
        memo[key] = None  # a cycle reads as unknown
        memo[key] = None if f.terms is None else _sum(f.terms, sheet, value)
        return unknown if memo[key] is None else memo[key]

    for f in dirty:
        v = value(f.sheet, f.row, f.col)
        sheets[f.sheet].set_cached(f.row, f.col, v if type(v) is float else None)
    return len(dirty)


def _sum(terms: list[Term], sheet: str, value: Callable[[str, int, int], Any]) -> float | None:
    """:func:`evaluate` with the cell values of ``value(sheet, row, col)`` (inlined: it runs once
    per dirty formula of a large workbook)."""
    total = 0.0
    for sign, r0, c0, r1, c1, _in_sum, number in terms:
        if c0 < 0:
            total += sign * number
            continue
        if r0 == r1 and c0 == c1:
            v = value(sheet, r0, c0)
            if v is None:
                continue
            if type(v) is not float:
                return None
            total += sign * v
            continue
        part = 0.0
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                v = value(sheet, r, c)
                if v is None:
                    continue
                if type(v) is not float:
                    return None
                part += v
        total += sign * part
    return total
