"""What-if cases: named changes to the inputs, each planned beside the base plan.

A planner asks "what if capacity is 10 % higher from Q3 97" or "what if 21A yields 5 % less":
the `WhatIf` sheet holds one row per change (case, input, product, from, to, operation, value);
rows with the same case name form one case.  `read_cases` validates the rows like every other
input (each problem names its cell), `apply_case` returns the planning data of a case, exactly as
if the planner had edited the workbook's input cells (the quarterly demand is split into weeks
and the safety-stock rule re-applied; a `Total` capacity that is the sum of its products follows
them, as the workbook's own Total formulas do).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import address, shown
from .grid import Cells
from .labels import parse_quarter, text
from .model import InputError, Issue, PlanningData

WHATIF_SHEET = "WhatIf"
HEADER = ("Case", "Input", "Product", "From", "To", "Operation", "Value")
#: input name -> (grain, what the value means); weekly inputs take week or quarter bounds,
#: quarterly ones quarter bounds (a week selects its quarter), per-product ones none.
INPUTS = {
    "capacity": "week",
    "total_capacity": "week",
    "yield": "week",
    "demand": "quarter",
    "wos": "quarter",
    "density": "product",
    "initial_stock": "product",
}
#: spelling -> operation; "=" and "+" start a formula when typed in Excel, so words are accepted too
OPERATIONS = {
    "x": "x",
    "*": "x",
    "times": "x",
    "factor": "x",
    "+": "+",
    "add": "+",
    "plus": "+",
    "=": "=",
    "set": "=",
}
ALL = "all"


def example_rows(data: PlanningData) -> list[list[Any]]:
    """The `WhatIf` sheet written when a workbook has none: its header and two cases that fit
    this workbook (capacity +10 % from the middle quarter on; the first product yielding 5 % less)."""
    middle = data.quarters[len(data.quarters) // 2]
    first = data.products[0]
    return [
        list(HEADER),
        [f"Capacity +10% from {middle}", "capacity", ALL, middle, "", "times", 1.1],
        [f"{first} yield -5%", "yield", first, "", "", "times", 0.95],
    ]


@dataclass(frozen=True)
class Change:
    input: str
    product: str | None  # None: every product
    start: int  # first index (week or quarter), inclusive
    stop: int  # last index + 1
    operation: str  # "x", "+", "="
    value: float
    cell: str  # where the row starts, for messages


@dataclass(frozen=True)
class Case:
    name: str
    changes: tuple[Change, ...]


def read_cases(grid: Cells | Sequence[Sequence[Any]], data: PlanningData) -> list[Case]:
    """Cases from the `WhatIf` sheet (sparse cells or rows from A1); raises `InputError` naming
    each bad cell."""
    issues: list[Issue] = []
    rows = Cells.of(grid).to_rows()

    def err(r: int, c: int, message: str) -> None:
        issues.append(Issue("error", WHATIF_SHEET, address(r, c), message))

    head = next((r for r, row in enumerate(rows[:20]) if text(row[0] if row else "").lower() == "case"), None)
    if head is None:
        if any(text(v) for row in rows for v in row):
            issues.append(
                Issue(
                    "error",
                    WHATIF_SHEET,
                    "A1",
                    "expected a header row starting with 'Case' "
                    f"({', '.join(HEADER)}); none found in the first 20 rows",
                )
            )
            raise InputError(issues)
        return []
    cols = {text(v).lower(): c for c, v in enumerate(rows[head])}
    missing = [h for h in HEADER if h.lower() not in cols]
    if missing:
        err(head, len(rows[head]), f"expected the columns {', '.join(HEADER)}; missing {', '.join(missing)}")
        raise InputError(issues)
    cases: dict[str, list[Change]] = {}
    for r in range(head + 1, len(rows)):
        row = list(rows[r])

        def cell(name: str, row: list[Any] = row) -> Any:
            c = cols[name.lower()]
            return row[c] if c < len(row) else None

        if not any(text(v) for v in row):
            continue
        case = text(cell("Case"))
        if not case:
            err(r, cols["case"], "expected a case name, found blank")
            continue
        change = _change(r, cell, cols, data, err)
        if change is not None:
            cases.setdefault(case, []).append(change)
    if issues:
        raise InputError(issues)
    return [Case(name, tuple(changes)) for name, changes in cases.items()]


def _change(
    r: int,
    cell: Callable[[str], Any],
    cols: dict[str, int],
    data: PlanningData,
    err: Callable[[int, int, str], None],
) -> Change | None:
    ok = True
    what = text(cell("Input")).lower()
    if what not in INPUTS:
        err(r, cols["input"], f"expected an input, one of {', '.join(INPUTS)}; found {shown(cell('Input'))}")
        return None
    named = text(cell("Product"))
    # as Excel compares text (and the reader matches ids across sheets): '21a' is 21A
    known = {p.casefold(): p for p in data.products}
    product: str | None = known.get(named.casefold(), named)
    if named.lower() in ("", ALL):
        product = None
    elif what == "total_capacity":
        err(
            r,
            cols["product"],
            f"expected '{ALL}' or an empty cell (the total capacity is not a product's); "
            f"found {shown(product)}",
        )
        ok = False
    elif product not in data.products:
        err(
            r,
            cols["product"],
            f"expected a product id ({', '.join(data.products)}) or '{ALL}'; found {shown(product)}",
        )
        ok = False
    op = OPERATIONS.get(text(cell("Operation")).lower())
    if op is None:
        err(
            r,
            cols["operation"],
            f"expected an operation: times (x), add (+) or set (=); found {shown(cell('Operation'))}",
        )
        ok = False
    value = cell("Value")
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "").strip())
        except ValueError:
            pass
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value):
        err(r, cols["value"], f"expected a number, found {shown(cell('Value'))}")
        ok = False
    elif value < 0 or (op == "x" and value > 100):
        err(r, cols["value"], f"expected a factor between 0 and 100 or an amount >= 0, found {value:g}")
        ok = False
    bounds = _bounds(r, cell, cols, data, INPUTS[what], err)
    if bounds is None or not ok:
        return None
    if what == "yield" and op == "=" and not 0 < value <= 1:
        err(r, cols["value"], f"expected a yield between 0 and 1, found {value:g}")
        return None
    if op is None:  # reported above; ``ok`` is False then
        return None
    return Change(what, product, bounds[0], bounds[1], op, float(value), f"A{r + 1}")


def _bounds(
    r: int,
    cell: Callable[[str], Any],
    cols: dict[str, int],
    data: PlanningData,
    grain: str,
    err: Callable[[int, int, str], None],
) -> tuple[int, int] | None:
    """(start, stop) indices of the weeks or quarters a change covers; blank From/To: the ends."""
    n = data.n_weeks if grain == "week" else len(data.quarters)
    out = []
    for name, default in (("From", 0), ("To", n - 1)):
        raw = cell(name)
        s = text(raw)
        if not s:
            out.append(default)
            continue
        if grain == "product":
            err(
                r,
                cols[name.lower()],
                f"expected an empty cell (this input has one value per product); found {shown(raw)}",
            )
            return None
        index = _position(raw, data, grain)
        if index is None:
            what = "a week (1-based number or label such as WW_09 Q3 95) or a quarter (Q3 95)"
            err(r, cols[name.lower()], f"expected {what} of the plan; found {shown(raw)}")
            return None
        out.append(index[0] if name == "From" else index[1])
    if out[0] > out[1]:
        err(
            r,
            cols["to"],
            f"expected 'To' at or after 'From'; found {text(cell('To'))} before {text(cell('From'))}",
        )
        return None
    return out[0], out[1] + 1


def _position(raw: Any, data: PlanningData, grain: str) -> tuple[int, int] | None:
    """(first, last) index that a From/To cell names, in weeks or quarters."""
    s = re.sub(r"\s+", " ", text(raw)).upper()
    quarters = [q.upper() for q in data.quarters]
    spelled = parse_quarter(text(raw))  # Q3 97, Q3'97, 1997 Q3, FQ3-97 ... as the reader accepts them
    if spelled is not None and spelled.label.upper() in quarters:
        s = spelled.label.upper()
    if s in quarters:
        q = quarters.index(s)
        if grain == "quarter":
            return q, q
        weeks = np.flatnonzero(data.week_quarter == q)
        return (int(weeks[0]), int(weeks[-1])) if len(weeks) else None
    week = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
        week = int(raw) - 1
    else:
        m = re.fullmatch(r"(WW_?\d{1,2}) (Q[1-4] \d{2,4})", s)
        if m:
            label = m.group(1).replace("WW", "WW_") if "_" not in m.group(1) else m.group(1)
            hits = [
                t
                for t in range(data.n_weeks)
                if data.weeks.labels[t].upper() == label and data.weeks.quarters[t].upper() == m.group(2)
            ]
            week = hits[0] if hits else None
    if week is None or not 0 <= week < data.n_weeks:
        return None
    if grain == "quarter":
        q = int(data.week_quarter[week])
        return q, q
    return week, week


def _apply(values: np.ndarray, op: str, value: float) -> np.ndarray:
    if op == "x":
        return values * value
    if op == "+":
        return values + value
    return np.full_like(values, value)


def apply_case(data: PlanningData, case: Case) -> PlanningData:
    """The planning data of ``case``: ``data`` with the case's changes applied, in row order."""
    arrays = {
        k: np.array(getattr(data, k), dtype=float, copy=True)
        for k in (
            "capacity",
            "total_capacity",
            "yields",
            "quarterly_demand",
            "wos",
            "density",
            "initial_stock",
        )
    }
    follows = np.isclose(data.total_capacity, data.capacity.sum(axis=0), rtol=1e-9, atol=1e-9)
    for ch in case.changes:
        rows = slice(None) if ch.product is None else data.products.index(ch.product)
        span = slice(ch.start, ch.stop)
        if ch.input == "capacity":
            arrays["capacity"][rows, span] = _apply(arrays["capacity"][rows, span], ch.operation, ch.value)
        elif ch.input == "total_capacity":
            arrays["total_capacity"][span] = _apply(arrays["total_capacity"][span], ch.operation, ch.value)
            follows[span] = False
        elif ch.input == "yield":
            arrays["yields"][rows, span] = np.minimum(
                _apply(arrays["yields"][rows, span], ch.operation, ch.value), 1.0
            )
        elif ch.input == "demand":
            arrays["quarterly_demand"][rows, span] = _apply(
                arrays["quarterly_demand"][rows, span], ch.operation, ch.value
            )
        elif ch.input == "wos":
            arrays["wos"][rows, span] = _apply(arrays["wos"][rows, span], ch.operation, ch.value)
        elif ch.input in ("density", "initial_stock"):
            arrays[ch.input][rows] = _apply(np.atleast_1d(arrays[ch.input][rows]), ch.operation, ch.value)
    total = np.where(follows, arrays["capacity"].sum(axis=0), arrays["total_capacity"])
    return data.with_inputs(**{**arrays, "total_capacity": total})  # weekly demand and SST derived again
