"""Worksheet-function arguments as Excel hands them, turned into arrays; results into spill grids.

Excel (through xlwings) passes a worksheet function's argument as

* a scalar for one cell (a number arrives as ``float``, or ``int`` on some clients),
* a flat ``list`` for a single row *or* a single column (the orientation is lost),
* a list of row lists for a larger range (or for any range with ``ndim=2``),
* ``None`` for an empty cell or an omitted optional argument,
* ``datetime`` for a date cell, and a float *serial number* for a date computed by value
  (``TODAY()``); cell errors arrive as their text (``"#N/A"``) with ``err_to_str=True``.

Every function here takes such a value and the argument's name, and returns a numpy array (or a
plain Python value) or raises `ArgumentError` whose message names the argument, says what was
expected and where in the argument the first offending cell is (``row 2, column 5`` of a range,
``position 3`` of a single row or column).

Layouts, the same in every worksheet function:

* **product x week ranges** (demand, history, capacity, ...): products as rows, weeks as
  columns.  A single row or column is *one* product (also when it comes as a list of one-cell
  rows, ``ndim=2``).  A first column of text is taken as the
  product names.  Rows and columns that are entirely empty at the end of a range are dropped
  (a range selected generously), empty cells inside count as 0 where the argument says so.
* **per-product values** (density, initial stock): one value for all products, or one per
  product (a row or a column).
* **per-product-and-week values** (yield, capacity): one value, one per product, one per week
  (a row or column as long as the weeks, when that is not also the number of products), or a
  full products x weeks range.
* **options**: name/value pairs, as a two-column range (``Name | Value`` per row) or as text
  ``"stock, backlog; cycle_time_weeks=2"``; bare words switch on extra output rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .model import PlanningData, WeekAxis

EXCEL_ERRORS = frozenset(
    {
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
    }
)
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 for every serial after Excel's 1900-02-29
MAX_SPILL_ROWS = 1_048_575  # a sheet's rows minus the formula's own header row
MAX_SPILL_COLUMNS = 16_384


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


def _found(v: Any, r: int, c: int, ndim: int) -> str:
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
                raise ArgumentError(f"{name} must be {rule.words()} ({_found(v, r, c + col_offset, ndim)})")
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


def _label_column(rows: list[list[Any]], ndim: int) -> bool:
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
    named = _label_column(rows, ndim)
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
            tuple(f"Product {i + 1}" for i in range(values.shape[0])) if values.shape[0] > 1 else ("Product",)
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
    if _label_column(rows, 2) and len(rows[0]) == 2 and ndim == 2:
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
    if ndim == 2 and len(rows) == P and _label_column(rows, ndim):
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


# --------------------------------------------------------------------------------------------
# Scalars: integers, probabilities, dates, text


def integer(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
) -> int:
    """One whole number (``13`` or ``13.0``); ``default`` when omitted."""
    if is_blank(value) and default is not None:
        return default
    rows, ndim = as_grid(value, name)
    if ndim != 0 and sum(len(r) for r in rows) == 1:
        value, ndim = rows[0][0], 0
    if ndim != 0:
        raise ArgumentError(f"{name} must be a single whole number, found a range")
    rule = Rule(minimum=minimum, maximum=maximum, integer=True)
    x = rule.check(value)
    if x is None:
        raise ArgumentError(f"{name} must be {rule.words(single=True)} ({_found(value, 0, 0, 0)})")
    return int(x)


def number(value: Any, name: str, rule: Rule = NONNEGATIVE, default: float | None = None) -> float:
    """One number; ``default`` when omitted."""
    if is_blank(value) and default is not None:
        return float(default)
    rows, _ = as_grid(value, name)
    if sum(len(r) for r in rows) != 1:
        raise ArgumentError(f"{name} must be a single number, found a range")
    x = rule.check(rows[0][0])
    if x is None:
        raise ArgumentError(f"{name} must be {rule.words(single=True)} ({_found(rows[0][0], 0, 0, 0)})")
    return x


def probabilities(value: Any, name: str) -> tuple[float, ...]:
    """Probabilities strictly between 0 and 1 (``0.1`` or ``10%``), in order, without repeats."""
    rows, ndim = as_grid(value, name)
    cells = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if not is_blank(v)]
    if not cells:
        raise ArgumentError(f"{name} is empty")
    rule = Rule(minimum=0.0, minimum_exclusive=True, maximum=1.0, maximum_exclusive=True)
    out = []
    for r, c, v in cells:
        x = rule.check(v)
        if x is None:
            raise ArgumentError(
                f"{name} must be probabilities between 0 and 1 such as 0.1 or 0.9 ({_found(v, r, c, ndim)})"
            )
        out.append(x)
    return tuple(sorted(set(out)))


def excel_date(value: Any, name: str) -> date:
    """A date from a date cell, a serial number (``TODAY()`` by value) or ISO/``mm-dd-yy`` text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_number(value):
        serial = float(value)
        if not math.isfinite(serial) or serial < 61 or serial >= 2958466:
            raise ArgumentError(
                f"{name} must be a date (a serial number from 61, i.e. 1900-03-01, "
                f"to 2958465), found {describe(value)}"
            )
        return EXCEL_EPOCH + timedelta(days=int(serial))
    if isinstance(value, str):
        s = value.strip()
        for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%m-%d-%y", "%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y"):
            try:
                return datetime.strptime(s[:19] if "T" in s else s, fmt).date()
            except ValueError:
                pass
    raise ArgumentError(
        f"{name} must be a date (a date cell, a serial number or text such as "
        f"2025-03-03), found {describe(value)}"
    )


def text(value: Any, name: str, choices: Sequence[str] | None = None, default: str | None = None) -> str:
    if is_blank(value) and default is not None:
        return default
    if not isinstance(value, str) or is_error(value):
        raise ArgumentError(f"{name} must be text, found {describe(value)}")
    s = value.strip().lower()
    if choices is not None and s not in choices:
        raise ArgumentError(f"{name} must be one of {', '.join(choices)}; found {value.strip()!r}")
    return s


# --------------------------------------------------------------------------------------------
# Options: name/value pairs and switch words


def _key(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def options(
    value: Any, name: str, known: Mapping[str, Callable[[Any, str], Any]], words: Iterable[str] = ()
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``(values, words)`` from name/value pairs and bare words.

    Accepted shapes: omitted; text ``"stock, backlog; cycle_time_weeks=2"`` (items separated by
    commas or semicolons); a two-column range of ``Name | Value`` rows (a ``show`` row's value
    lists words); a single row or column of such text items.  ``known`` maps each option name to
    a converter ``(raw value, "options: name") -> value``; names are case-insensitive and spaces
    or dashes count as underscores.
    """
    allowed = {_key(w) for w in words}
    found_words: list[str] = []
    values: dict[str, Any] = {}

    def put(key_raw: Any, raw: Any, at: str) -> None:
        key = _key(key_raw)
        if key == "show":
            for w in _split(raw):
                word(w, at)
            return
        if key not in known:
            names = ", ".join(sorted(known) + (["show"] if allowed else []))
            raise ArgumentError(f"{name}: unknown option {str(key_raw).strip()!r}{at} (known: {names})")
        if key in values:
            raise ArgumentError(f"{name}: option {key!r} given twice")
        values[key] = known[key](raw, f"{name}: {key}")

    def word(w: str, at: str) -> None:
        k = _key(w)
        if not k:
            return
        if k in allowed:
            if k not in found_words:
                found_words.append(k)
            return
        if k in known:
            raise ArgumentError(f"{name}: option {k!r} needs a value, e.g. {k}=...")
        listed = ", ".join(sorted(allowed)) if allowed else "none"
        raise ArgumentError(
            f"{name}: unknown word {w.strip()!r}{at} (switches: {listed}; "
            f"options: {', '.join(sorted(known))})"
        )

    def item(s: Any, at: str) -> None:
        if not isinstance(s, str) or is_error(s):
            raise ArgumentError(
                f"{name}: expected text such as 'stock' or 'name=value'{at}, found {describe(s)}"
            )
        for part in _split(s):
            if "=" in part:
                k, v = part.split("=", 1)
                put(k, _scalar_text(v), at)
            else:
                word(part, at)

    if is_blank(value):
        return values, ()
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if ndim == 0:
        item(rows[0][0], "")
    elif ndim == 2 and rows and len(rows[0]) == 2:
        for r, (k, v) in enumerate(rows):
            if is_blank(k) and is_blank(v):
                continue
            if is_blank(k) or not isinstance(k, str):
                raise ArgumentError(
                    f"{name}: expected an option name in row {r + 1}, column 1, found {describe(k)}"
                )
            put(k, v, f" in row {r + 1}")
    elif (
        ndim == 1
        and len(rows[0]) == 2
        and isinstance(rows[0][0], str)
        and _key(rows[0][0]) in known
        and "=" not in rows[0][0]
    ):
        put(rows[0][0], rows[0][1], "")
    elif ndim == 1 or (rows and min(len(rows), len(rows[0])) == 1):
        flat = [v for row in rows for v in row]
        for i, v in enumerate(flat):
            if not is_blank(v):
                item(v, f" at position {i + 1}")
    else:
        raise ArgumentError(
            f'{name} must be text such as "stock, backlog" or a two-column range of '
            f"names and values; found {len(rows)} row(s) x {len(rows[0]) if rows else 0} column(s)"
        )
    return values, tuple(found_words)


def _split(raw: Any) -> list[str]:
    if is_blank(raw):
        return []
    if not isinstance(raw, str):
        raise ArgumentError(f"expected words such as 'stock, backlog', found {describe(raw)}")
    return [p.strip() for p in re.split(r"[;,]", raw) if p.strip()]


def _scalar_text(s: str) -> Any:
    """A value typed inside option text: a number when it reads as one, else the text."""
    s = s.strip()
    try:
        return float(s) if s else None
    except ValueError:
        return s


# converters for `options`


def opt_integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any, str], int]:
    return lambda v, label: integer(v, label, minimum=minimum, maximum=maximum)


def opt_number(rule: Rule = NONNEGATIVE) -> Callable[[Any, str], float]:
    return lambda v, label: number(v, label, rule)


def opt_text(choices: Sequence[str] | None = None) -> Callable[[Any, str], str]:
    return lambda v, label: text(v, label, choices)


def opt_date() -> Callable[[Any, str], date]:
    return lambda v, label: excel_date(v, label)


# --------------------------------------------------------------------------------------------
# Planning data from worksheet-function arguments


def week_labels(
    n_weeks: int, start: date | None = None, *, offset: int = 0, future: bool = False
) -> list[str]:
    """Header labels of week columns: ``Week 1`` ... (``Week +1`` ... for forecasts), or the
    weeks' start dates as ``yyyy-mm-dd`` text when ``start`` (the first week's start) is given."""
    if start is not None:
        return [(start + timedelta(weeks=offset + k)).isoformat() for k in range(n_weeks)]
    sign = "+" if future else ""
    return [f"Week {sign}{offset + k + 1}" for k in range(n_weeks)]


def quarters_of(n_weeks: int, weeks_per_quarter: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Quarter labels and each week's quarter index for consecutive ``weeks_per_quarter``-week
    quarters (the last one may be shorter)."""
    week_quarter = np.arange(n_weeks) // weeks_per_quarter
    n_q = int(week_quarter[-1]) + 1 if n_weeks else 0
    return tuple(f"Quarter {q + 1}" for q in range(n_q)), week_quarter


def safety_stock_by_quarter(value: Any, name: str, P: int, T: int, week_quarter: np.ndarray) -> np.ndarray:
    """``[P, Q]`` targets at quarter ends: one value, one per product, one per product and
    quarter (``P x Q``) or one per product and week (``P x T``: each quarter's last week counts)."""
    Q = int(week_quarter[-1]) + 1
    ends = np.array([np.flatnonzero(week_quarter == q)[-1] for q in range(Q)])
    if value is None:
        return np.zeros((P, Q))
    rows, ndim = as_grid(value, name)
    rows = trim(rows)
    if (
        ndim == 2
        and rows
        and len(rows) == P
        and len(rows[0]) == Q + (1 if _label_column(rows, 2) else 0)
        and Q != T
    ):
        return per_product_week(value, name, P, Q, NONNEGATIVE_BLANK_ZERO)
    if ndim == 1 and P == 1 and rows and len(rows[0]) == Q and Q != T:
        return per_product_week(value, name, 1, Q, NONNEGATIVE_BLANK_ZERO)
    try:
        weekly = per_product_week(value, name, P, T, NONNEGATIVE_BLANK_ZERO)
    except ArgumentError as exc:
        if "must be one value" not in str(exc):
            raise
        raise ArgumentError(
            str(exc).replace(" or ", f", {P} row(s) x {Q} quarter column(s) or ", 1)
        ) from None
    return weekly[:, ends]


def planning_data(
    demand: Table,
    yields: np.ndarray,
    density: np.ndarray,
    capacity: np.ndarray,
    initial_stock: np.ndarray,
    safety_stock: np.ndarray,
    week_quarter: np.ndarray,
    quarters: Sequence[str],
    *,
    total_capacity: float | None = None,
    start: date | None = None,
) -> PlanningData:
    """A `PlanningData` for a plan asked for by a worksheet function (arrays already checked).

    Quarters are consecutive blocks of weeks; the quarterly demand is the weekly demand summed
    per quarter and the weekly ratios are those blocks' own shares, so the object is consistent
    with itself.  Safety stock targets are given, not derived from weeks of supply (``wos`` 0).
    """
    P, T = demand.values.shape
    Q = len(quarters)
    qdemand = np.zeros((P, Q))
    np.add.at(qdemand.T, week_quarter, demand.values.T)
    labels = tuple(f"Week {k + 1}" for k in range(T))
    starts = tuple(start + timedelta(weeks=k) for k in range(T)) if start is not None else tuple([None] * T)
    weeks = WeekAxis(labels, tuple(quarters[q] for q in week_quarter), starts)
    first = demand.values[:, week_quarter == 0].sum(axis=0)
    total = first.sum()
    ratios = first / total if total > 0 else np.full(first.size, 1.0 / max(first.size, 1))
    return PlanningData(
        products=demand.labels,
        weeks=weeks,
        quarters=tuple(quarters),
        week_quarter=week_quarter,
        quarterly_demand=qdemand,
        week_ratios=ratios,
        demand=demand.values.copy(),
        yields=yields,
        density=density,
        capacity=capacity,
        total_capacity=np.full(T, np.inf if total_capacity is None else float(total_capacity)),
        initial_stock=initial_stock,
        wos=np.zeros((P, Q)),
        safety_stock=safety_stock,
    )


def check_same_products(table: Table, other: Table, name: str) -> None:
    if other.n_products != table.n_products:
        raise ArgumentError(
            f"{name} has {other.n_products} product row(s) but the first argument has {table.n_products}"
        )
    if table.named and other.named and other.labels != table.labels:
        raise ArgumentError(
            f"{name} names products {', '.join(other.labels)}; expected "
            f"{', '.join(table.labels)} in that order"
        )


# --------------------------------------------------------------------------------------------
# Results


def cell(v: Any) -> Any:
    """A result value Excel can hold: numbers as float, NaN/None as an empty string."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if is_number(v):
        x = float(v)
        return x if math.isfinite(x) else ""
    if isinstance(v, (datetime, date, str)):
        return v
    return str(v)


def spill(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Header row + rows as a rectangular list of lists of plain values, within Excel's limits."""
    out = [[cell(v) for v in header]]
    width = len(out[0])
    for row in rows:
        r = [cell(v) for v in row]
        if len(r) != width:
            raise ValueError(f"result row of {len(r)} cells under a header of {width}")
        out.append(r)
    if len(out) - 1 > MAX_SPILL_ROWS or width > MAX_SPILL_COLUMNS:
        raise ArgumentError(f"the result ({len(out)} rows x {width} columns) is larger than a worksheet")
    return out


def block(labels: Sequence[Sequence[Any]], values: np.ndarray) -> list[list[Any]]:
    """Rows of label cells followed by the numbers of ``values`` (one row per label row)."""
    return [list(lab) + [float(x) for x in row] for lab, row in zip(labels, np.asarray(values, dtype=float))]


# --------------------------------------------------------------------------------------------
# LL_PLAN's request


PLAN_ROWS = ("supply", "stock", "backlog")  # extra output rows a planner can switch on
PLAN_OPTIONS: dict[str, Callable[[Any, str], Any]] = {
    # the same names and limits as the Settings sheet
    "solver": opt_text(("auto", "cbc", "highs")),
    "cycle_time_weeks": opt_integer(0, 52),
    "lot_size_wafers": opt_number(),
    "band_low_bytes": opt_number(),
    "band_high_bytes": opt_number(),
    "solver_time_limit_s": opt_number(POSITIVE),
    # worksheet-function only
    "weeks_per_quarter": opt_integer(1, 53),
    "total_capacity": opt_number(),
    "start": opt_date(),
}
SETTINGS_OPTIONS = (
    "solver",
    "cycle_time_weeks",
    "lot_size_wafers",
    "band_low_bytes",
    "band_high_bytes",
    "solver_time_limit_s",
)


@dataclass
class PlanRequest:
    data: PlanningData
    options: Any  # optimize.PlanOptions
    rows: tuple[str, ...]  # extra output rows asked for, in PLAN_ROWS order
    start: date | None


def plan_request(
    demand: Any,
    yields: Any,
    density: Any,
    capacity: Any,
    initial_stock: Any = None,
    safety_stock: Any = None,
    options_value: Any = None,
) -> PlanRequest:
    """Everything LL_PLAN needs, from its arguments as Excel passes them."""
    from pydantic import ValidationError

    from .settings import Settings

    table = product_table(demand, "demand")
    P, T = table.values.shape
    opts, rows = options(options_value, "options", PLAN_OPTIONS, PLAN_ROWS)
    quarters, week_quarter = quarters_of(T, opts.get("weeks_per_quarter", 13))
    y = per_product_week(yields, "yields", P, T, FRACTION)
    rho = per_product(density, "density", P, POSITIVE)
    cap = per_product_week(capacity, "capacity", P, T, NONNEGATIVE)
    init = per_product(initial_stock, "initial_stock", P, NONNEGATIVE, default=0.0)
    sst = safety_stock_by_quarter(safety_stock, "safety_stock", P, T, week_quarter)
    try:
        settings = Settings(**{k: v for k, v in opts.items() if k in SETTINGS_OPTIONS})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "options"
        raise ArgumentError(
            f"options: {key} {err['msg'].lower()} (found {describe(opts.get(key))})"
        ) from None
    if (
        settings.band_low_bytes is not None
        and settings.band_high_bytes is not None
        and settings.band_low_bytes > settings.band_high_bytes
    ):
        raise ArgumentError("options: band_low_bytes must not exceed band_high_bytes")
    plan_options = settings.plan_options()
    data = planning_data(
        table,
        y,
        rho,
        cap,
        init,
        sst,
        week_quarter,
        quarters,
        total_capacity=opts.get("total_capacity"),
        start=opts.get("start"),
    )
    ordered = tuple(r for r in PLAN_ROWS if r in rows)
    return PlanRequest(data, plan_options, ordered, opts.get("start"))
