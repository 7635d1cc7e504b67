"""Argument shapes: what Excel hands a worksheet function, as arrays, with planner's messages.

Worksheet-function arguments as Excel hands them, turned into arrays; results into spill grids.

Excel (through xlwings) passes a worksheet function's argument as

* a scalar for one cell (a number arrives as ``float``, or ``int`` on some clients),
* a flat ``list`` for a single row *or* a single column (the orientation is lost),
* a list of row lists for a larger range (or for any range with ``ndim=2``),
* ``None`` for an empty cell or an omitted optional argument,
* ``datetime`` for a date cell, and a float *serial number* for a date computed by value
  (``TODAY()``); cell errors arrive as their text (``"#N/A"``) with ``err_to_str=True``.

`ArgumentError` messages name the argument, say what was expected and where the first offending
cell is (``row 2, column 5`` of a range, ``position 3`` of a single row or column).  The product x
week layouts are described in `linealytics_xl.udf_args`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from ..core.cells import ERROR_VALUES
from ..core.contract import Col

EXCEL_ERRORS = frozenset(ERROR_VALUES)  # one list of Excel's error values: core.cells


class ArgumentError(ValueError):
    """A worksheet-function argument is not what was expected; the message is for the planner."""


# --------------------------------------------------------------------------------------------
# Shapes and cells


def _is_seq(v: Any) -> bool:
    return isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim > 0)


def as_grid(value: Any, name: str) -> tuple[list[list[Any]], int]:
    """``(rows, ndim)``: the argument as a rectangular list of rows and its Excel shape.

    ``ndim`` is 0 for a scalar, 1 for a flat list (a single row or column) and 2 for a range of
    rows.  A ragged list of rows is an error.
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not _is_seq(value):
        return [[value]], 0
    items = list(value)
    if not items:
        return [], 1
    if all(_is_seq(r) for r in items):
        rows = [list(r.tolist() if isinstance(r, np.ndarray) else r) for r in items]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ArgumentError(f"{name} must be a rectangular range (rows of {sorted(widths)} cells found)")
        if any(_is_seq(c) for r in rows for c in r):
            raise ArgumentError(f"{name} must be a range of cells, not a nested list")
        return rows, 2
    if any(_is_seq(r) for r in items):
        raise ArgumentError(f"{name} must be a range of cells (a mix of cells and rows found)")
    return [items], 1


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def is_error(v: Any) -> bool:
    return isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def describe(v: Any) -> str:
    """How a cell value is named in a message."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return "an empty cell"
    if is_error(v):
        return f"the error value {v.strip().upper()}"
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        return (
            f"the date {v.date().isoformat()}"
            if v.time() == datetime.min.time()
            else f"the date {v.isoformat(' ')}"
        )
    if isinstance(v, date):
        return f"the date {v.isoformat()}"
    if isinstance(v, str):
        return repr(v.strip() if len(v) <= 40 else v[:37] + "...")
    if is_number(v):
        return f"{float(v):g}"
    return repr(v)


def where(r: int, c: int, ndim: int) -> str:
    """The cell's position inside the argument, 1-based."""
    if ndim == 2:
        return f"row {r + 1}, column {c + 1}"
    if ndim == 1:
        return f"position {c + 1}"
    return ""


def found(v: Any, r: int, c: int, ndim: int) -> str:
    at = where(r, c, ndim)
    return f"found {describe(v)}" + (f" {'in' if ndim == 2 else 'at'} {at}" if at else "")


def trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing rows and columns that hold only empty cells."""
    rows = [list(r) for r in rows]
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        return rows
    width = len(rows[0])
    while width and all(is_blank(r[width - 1]) for r in rows):
        width -= 1
    return [r[:width] for r in rows]


@dataclass(frozen=True)
class Rule:
    """What a numeric argument accepts, and how it is worded: ``numbers >= 0``."""

    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    maximum_exclusive: bool = False
    blank: float | None = None  # value of an empty cell; None makes an empty cell an error
    integer: bool = False

    def words(self, single: bool = False) -> str:
        kind = (
            ("a whole number" if single else "whole numbers")
            if self.integer
            else ("a number" if single else "numbers")
        )
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.minimum_exclusive else '>='} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.maximum_exclusive else '<='} {self.maximum:g}")
        return f"{kind} {' and '.join(parts)}".strip()

    def check(self, v: Any) -> float | None:
        """The cell as a float, or None when it breaks the rule."""
        if is_blank(v):
            return self.blank
        if not is_number(v):
            return None
        x = float(v)
        if not math.isfinite(x):
            return None
        if self.minimum is not None and (x < self.minimum or (self.minimum_exclusive and x == self.minimum)):
            return None
        if self.maximum is not None and (x > self.maximum or (self.maximum_exclusive and x == self.maximum)):
            return None
        if self.integer and x != int(x):
            return None
        return x


NONNEGATIVE = Rule(minimum=0.0)
NONNEGATIVE_BLANK_ZERO = Rule(minimum=0.0, blank=0.0)
POSITIVE = Rule(minimum=0.0, minimum_exclusive=True)
FRACTION = Rule(minimum=0.0, minimum_exclusive=True, maximum=1.0)


def _convert(rows: list[list[Any]], ndim: int, name: str, rule: Rule, col_offset: int = 0) -> np.ndarray:
    out = np.empty((len(rows), len(rows[0]) if rows else 0))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            x = rule.check(v)
            if x is None:
                raise ArgumentError(f"{name} must be {rule.words()} ({found(v, r, c + col_offset, ndim)})")
            out[r, c] = x
    return out


def numbers(value: Any, name: str, rule: Rule = NONNEGATIVE) -> np.ndarray:
    """Every cell checked against ``rule``: shape ``()``, ``(n,)`` or ``(rows, cols)`` as given."""
    rows, ndim = as_grid(value, name)
    if not rows or not rows[0]:
        raise ArgumentError(f"{name} is empty")
    out = _convert(rows, ndim, name, rule)
    return out[0, 0] if ndim == 0 else out[0] if ndim == 1 else out


# --------------------------------------------------------------------------------------------
# Product x week ranges


@dataclass(frozen=True)
class Table:
    """A products x weeks argument: values ``[P, T]`` and the product names (given or numbered)."""

    values: np.ndarray
    labels: tuple[str, ...]
    named: bool  # True when the range carried the names in its first column

    @property
    def n_products(self) -> int:
        return self.values.shape[0]

    @property
    def n_weeks(self) -> int:
        return self.values.shape[1]


def has_label_column(rows: list[list[Any]], ndim: int) -> bool:
    """A first column of text (and numbers or blanks after it) names the products."""
    if not rows or len(rows[0]) < 2:
        return False
    first = [r[0] for r in rows]
    return all(isinstance(v, str) and v.strip() and not is_error(v) for v in first)


def product_table(value: Any, name: str, rule: Rule = NONNEGATIVE_BLANK_ZERO) -> Table:
    """Products as rows, weeks as columns; one product for a scalar or a single row/column."""
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if not rows or not rows[0]:
        raise ArgumentError(f"{name} is empty")
    named = has_label_column(rows, ndim)
    if named:
        labels = tuple(str(r[0]).strip() for r in rows)
        dup = next((x for i, x in enumerate(labels) if x in labels[:i]), None)
        if dup is not None:
            raise ArgumentError(f"{name}: product {dup!r} is named twice in the first column")
        rows = [r[1:] for r in rows]
    if not named and ndim == 2 and len(rows) > 1 and len(rows[0]) == 1:
        # a single column given as rows (ndim=2): one product, as Excel's own flat list would be
        values = _convert(rows, ndim, name, rule).T
    else:
        values = _convert(rows, ndim, name, rule, col_offset=1 if named else 0)
    if not named:
        labels = (
            tuple(f"{Col.PRODUCT} {i + 1}" for i in range(values.shape[0]))
            if values.shape[0] > 1
            else (Col.PRODUCT,)
        )
    return Table(values, labels, named)


def per_product(
    value: Any, name: str, n_products: int, rule: Rule = NONNEGATIVE, default: float | None = None
) -> np.ndarray:
    """``[P]``: one value for every product, or one per product (a row or column of ``P``)."""
    if value is None and default is not None:
        return np.full(n_products, float(default))
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if not rows:
        raise ArgumentError(f"{name} is empty")
    if has_label_column(rows, 2) and len(rows[0]) == 2 and ndim == 2:
        rows = [r[1:] for r in rows]  # a Name | Value column pair: use the values
    a = _convert(rows, ndim, name, rule)
    flat = a.reshape(-1)
    if flat.size == 1:
        return np.full(n_products, flat[0])
    if min(a.shape) == 1 and flat.size == n_products:
        return flat.copy()
    raise ArgumentError(
        f"{name} must be one value or one per product ({n_products}); found {_shape_words(a.shape, ndim)}"
    )


def per_product_week(
    value: Any,
    name: str,
    n_products: int,
    n_weeks: int,
    rule: Rule = NONNEGATIVE,
    default: float | None = None,
) -> np.ndarray:
    """``[P, T]`` from one value, one per product, one per week or a full products x weeks range.

    A single row or column (either way round: Excel does not say which) is one value per product
    when its length is the number of products (and there are several), else one value per week
    when its length is the number of weeks.
    """
    P, T = n_products, n_weeks
    if value is None and default is not None:
        return np.full((P, T), float(default))
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if not rows:
        raise ArgumentError(f"{name} is empty")
    if ndim == 2 and len(rows) == P and has_label_column(rows, ndim):
        rows = [r[1:] for r in rows]
        a = _convert(rows, ndim, name, rule, col_offset=1)
    else:
        a = _convert(rows, ndim, name, rule)
    r, c = a.shape
    if r * c == 1:
        return np.full((P, T), a[0, 0])
    if (r, c) == (P, T):
        return a.copy()
    if min(r, c) == 1:  # a single row or column, whichever way round (Excel does not say)
        flat = a.reshape(-1)
        if flat.size == P and P > 1:
            return np.repeat(flat[:, None], T, axis=1)
        if flat.size == T:
            return np.repeat(flat[None, :], P, axis=0)
    raise ArgumentError(
        f"{name} must be one value, one per product ({P}), one per week ({T}) or "
        f"{P} row(s) x {T} column(s); found {_shape_words(a.shape, ndim)}"
    )


def _shape_words(shape: tuple[int, ...], ndim: int) -> str:
    if ndim == 1 or (len(shape) == 2 and shape[0] == 1 and ndim != 2):
        n = int(np.prod(shape))
        return f"{n} value{'s' if n != 1 else ''}"
    return f"{shape[0]} row(s) x {shape[1]} column(s)"
