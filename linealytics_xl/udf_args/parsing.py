"""Scalar arguments (integers, probabilities, dates, text) and the ``options`` argument.

Separate from the range shapes because options are a small language of their own (name/value
pairs or ``"stock; cycle_time_weeks=2"`` text) with the same names and limits as the Settings
sheet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from .shapes import (
    NONNEGATIVE,
    ArgumentError,
    Rule,
    as_grid,
    describe,
    found,
    is_blank,
    is_error,
    is_number,
    trim,
)

# --------------------------------------------------------------------------------------------
# Scalars: integers, probabilities, dates, text

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 for every serial after Excel's 1900-02-29


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
        raise ArgumentError(f"{name} must be {rule.words(single=True)} ({found(value, 0, 0, 0)})")
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
        raise ArgumentError(f"{name} must be {rule.words(single=True)} ({found(rows[0][0], 0, 0, 0)})")
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
                f"{name} must be probabilities between 0 and 1 such as 0.1 or 0.9 ({found(v, r, c, ndim)})"
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
