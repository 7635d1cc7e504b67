"""One input sheet being read: label look-ups, checked numbers, and the issues it raises.

Every reader goes through `Sheet.number` for an input value, so a value is judged one way
wherever it is: formulas (simple sums only) evaluated with circular references caught, error
values and booleans refused, numbers stored as text read when they are unambiguous (and named
in one warning), blanks either refused or filled with a value the warning states, and
magnitudes checked against the sane bounds of `core.bounds`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any, TypeVar

from .cells import address, evaluate_sum_formula, is_error_value, is_formula, shown, text_number
from .grid import Cells
from .labels import ATTRIBUTE, HEADER_ROWS, PRODUCT_ID, TOTAL, TOTAL_NAMES, label_key, text
from .model import Issue

T = TypeVar("T")


def cell_list(cells: list[str], limit: int = 12) -> str:
    """``D5, E5 and 3 more``: the cells of one warning, readable in a message box."""
    head = ", ".join(cells[:limit])
    return head + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


@dataclass(frozen=True)
class Bounds:
    """What a value must be: ``lo`` < or <= value <= ``hi``, in the words of ``what``."""

    what: str
    lo: float
    hi: float
    lo_open: bool = False
    unit: str = ""


class Sheet:
    """A sheet's cells (by the workbook's own sheet name) with issue reporting."""

    def __init__(self, name: str, cells: Cells, issues: list[Issue], ids: dict[str, str] | None = None):
        self.name = name
        self.cells = cells
        self.issues = issues
        #: product ids by their case-folded text -> the spelling they are known by; shared by the
        #: sheets of one workbook, so that the first spelling read (Boundary Conditions') names it
        self.ids: dict[str, str] = {} if ids is None else ids
        self.text_numbers: list[str] = []
        self.blanks: dict[str, list[str]] = {}

    def get(self, r: int, c: int) -> Any:
        return self.cells.get(r, c)

    def error(self, r: int | None, c: int | None, message: str) -> None:
        cell = address(r, c) if r is not None and c is not None else ""
        self.issues.append(Issue("error", self.name, cell, message))

    def warn(self, r: int | None, c: int | None, message: str) -> None:
        cell = address(r, c) if r is not None and c is not None else ""
        self.issues.append(Issue("warning", self.name, cell, message))

    # -- labels ---------------------------------------------------------------------------------
    def find(self, label: str, row: int | None = None) -> tuple[int, int] | None:
        """First cell (row-major, in the header rows or in ``row``) whose text is ``label``."""
        want = label_key(label)
        rows = [row] if row is not None else [r for r in self.cells.row_indices() if r < HEADER_ROWS]
        for r in rows:
            for c, v in self.cells.row(r).items():
                if isinstance(v, str) and label_key(v) == want:
                    return r, c
        return None

    def best_row(
        self,
        parse: Callable[[Any], T | None],
        *,
        min_hits: int = 2,
        exclude: tuple[int, ...] = (),
        cols: set[int] | None = None,
    ) -> tuple[int, dict[int, T]] | None:
        """The header row with the most cells ``parse`` understands (ties: the upper one)."""
        best: tuple[int, dict[int, T]] | None = None
        for r in self.cells.row_indices():
            if r >= HEADER_ROWS:
                break
            if r in exclude:
                continue
            hits = {
                c: p
                for c, v in self.cells.row(r).items()
                if (cols is None or c in cols) and (p := parse(v)) is not None
            }
            if len(hits) >= min_hits and (best is None or len(hits) > len(best[1])):
                best = (r, hits)
        return best

    def product_header(self, guess_row: int | None) -> tuple[int, int] | None:
        """The `Product ID` header cell; without it, the column left of `Attribute` (a warning),
        else an error at column A of the header row where it was expected."""
        hdr = self.find(PRODUCT_ID)
        if hdr is not None:
            return hdr
        attr = self.find(ATTRIBUTE)
        if attr is not None and attr[1] > 0:
            self.warn(
                attr[0],
                attr[1] - 1,
                f"expected the header {PRODUCT_ID!r}, found "
                f"{shown(self.get(attr[0], attr[1] - 1))}; the column left of "
                f"{ATTRIBUTE!r} was read as product ids",
            )
            return attr[0], attr[1] - 1
        r = guess_row if guess_row is not None else 0
        self.error(
            r,
            0,
            f"expected a header cell {PRODUCT_ID!r} (as in {address(r, 0)}), found "
            f"{shown(self.get(r, 0))}; no such header in the first rows",
        )
        return None

    def row_hint(
        self,
        rows: dict[tuple[str, str], int],
        product: str,
        known: set[str],
        product_col: int,
        attr_col: int | None,
        attrs: set[str],
        attr: str = "",
    ) -> str:
        """Rows a missing row may have become: unknown product ids, unknown attributes of
        ``product``, and rows with data (or with attribute ``attr``) whose product id is blank."""
        cells = []
        for (p, a), r in sorted(rows.items(), key=lambda kv: kv[1]):
            if p not in known and p != product:
                cells.append(f"{address(r, product_col)} holds {shown(self.get(r, product_col))}")
            elif p == product and attr_col is not None and a not in attrs:
                cells.append(f"{address(r, attr_col)} holds {shown(self.get(r, attr_col))}")
        first = min(rows.values(), default=0)
        for r in self.cells.row_indices():
            if r < first or self.product_at(r, product_col, first - 1):
                continue
            row = self.cells.row(r)
            if (attr and attr_col is not None and label_key(row.get(attr_col)) == label_key(attr)) or (
                not attr and any(isinstance(v, (int, float)) for c, v in row.items() if c > product_col)
            ):
                cells.append(f"{address(r, product_col)} is blank")
        return f" (rows with labels the tool does not know: {cell_list(cells, 5)})" if cells else ""

    def product_id(self, value: Any, *, register: bool = False) -> str:
        """A product id as Excel compares text (``=``, ``MATCH``, ``VLOOKUP``): case-insensitively.
        '21a' is the product known as '21A' (`Total`, `Totals` or `Grand Total`, in any case, is `Total`); ``register``
        makes a new id known by this spelling."""
        product = cell_text(value)
        key = product.casefold()
        if " ".join(key.split()) in TOTAL_NAMES:
            return TOTAL
        if register and product:
            return self.ids.setdefault(key, product)
        return self.ids.get(key, product)

    def product_at(self, r: int, c: int, below: int = -1) -> str:
        """The product id of row ``r`` as Excel shows it: a cell inside a merged range (one id
        merged down over its attribute rows) shows the range's first cell, when that cell is
        under the header row ``below``."""
        value = self.get(r, c)
        m = self.cells.merged_at(r, c) if value is None else None
        if m is not None and m[0] > below:
            value = self.get(m[0], m[1])
        return self.product_id(value)

    def product_rows(self, below: int, product_col: int, attr_col: int | None) -> dict[tuple[str, str], int]:
        """(product, attribute key) -> row, for the rows under the header; a repeat is an error
        naming both cells (a silently used duplicate would plan one product twice or not at all)."""
        found: dict[tuple[str, str], int] = {}
        for r in self.cells.row_indices():
            if r <= below:
                continue
            product = self.product_id(self.product_at(r, product_col, below), register=True)
            if not product:
                continue
            attr = text(self.get(r, attr_col)) if attr_col is not None else ""
            key = (product, label_key(attr))
            if key in found:
                where = [
                    f"{address(rr, product_col)}"
                    + (f":{address(rr, attr_col)}" if attr and attr_col is not None else "")
                    for rr in (found[key], r)
                ]
                what = f"product {product!r}" + (f" with attribute {attr!r}" if attr else "")
                self.error(
                    r,
                    product_col,
                    f"{what} appears twice, in {where[0]} and {where[1]}; delete or rename one of the rows",
                )
                continue
            found[key] = r
        return found

    # -- values ---------------------------------------------------------------------------------
    def number(
        self, r: int, c: int, bounds: Bounds, *, blank: float | None = None, blank_note: str = ""
    ) -> float:
        """The number in (r, c), checked; NaN (and an error) when it is not ``bounds.what``.

        ``blank``: None refuses a blank cell; a number is used for it, and the cell is listed in
        a warning that says ``blank_note`` (what was used).
        """
        raw = v = self.get(r, c)
        expected = f"expected {bounds.what}"
        if is_formula(v):
            result = evaluate_sum_formula(v, self.get, at=(r, c))
            if result.problem:
                self.error(r, c, f"{expected}; {result.problem}")
                return math.nan
            v = result.value
        if v is None:
            if blank is None:
                self.error(r, c, f"{expected}, found blank")
                return math.nan
            self.blanks.setdefault(blank_note or f"{blank:g} used", []).append(address(r, c))
            return float(blank)
        if is_error_value(v):
            self.error(r, c, f"{expected}, found {shown(v)}")
            return math.nan
        if isinstance(v, str):
            parsed = text_number(v)
            if parsed is None:
                self.error(r, c, f"{expected}, found {shown(v)}")
                return math.nan
            self.text_numbers.append(f"{address(r, c)} ({shown(v)})")
            v = parsed
        if isinstance(v, (bool, date, time, timedelta)) or not isinstance(v, (int, float)):
            self.error(r, c, f"{expected}, found {shown(raw)}")
            return math.nan
        v = float(v)
        if not math.isfinite(v):
            self.error(r, c, f"{expected}, found {shown(v)} (not a finite number)")
            return math.nan
        if v < bounds.lo or (bounds.lo_open and v == bounds.lo):
            why = "negative" if v < 0 else ("zero" if v == 0 else f"below {bounds.lo:g}")
            self.error(r, c, f"{expected}, found {shown(raw if is_formula(raw) else v)} ({why})")
            return math.nan
        if v > bounds.hi:
            self.error(
                r,
                c,
                f"{expected}, found {shown(v)}, beyond the sane bound of {bounds.hi:g}"
                f"{' ' + bounds.unit if bounds.unit else ''}; is the unit right?",
            )
            return math.nan
        return v

    def finish(self, area: tuple[int, int, int, int] | None) -> None:
        """One warning per kind: text read as numbers, blanks filled, cells outside ``area``.

        ``area`` (first row, first col, last row, last col) is what the labels span; anything
        beyond it is not read, and the planner hears so once.
        """
        if self.text_numbers:
            first = self.text_numbers[0].split(" ")[0]
            self.issues.append(
                Issue(
                    "warning",
                    self.name,
                    first,
                    f"{len(self.text_numbers)} number(s) stored as text read as numbers: "
                    f"{cell_list(self.text_numbers)}; retype them as numbers",
                )
            )
        for note, cells in self.blanks.items():
            self.issues.append(
                Issue(
                    "warning",
                    self.name,
                    cells[0],
                    f"blank cell(s) inside the data area: {cell_list(cells)}; {note}",
                )
            )
        if area is None:
            return
        r0, c0, r1, c1 = area
        outside = [(r, c) for r, c, _ in self.cells.items() if not (r0 <= r <= r1 and c0 <= c <= c1)]
        if outside:
            shown_cells = [address(r, c) for r, c in outside]
            self.issues.append(
                Issue(
                    "warning",
                    self.name,
                    shown_cells[0],
                    f"{len(outside)} cell(s) outside the labelled area "
                    f"{address(r0, c0)}:{address(r1, c1)} were not read: {cell_list(shown_cells, 5)}",
                )
            )


def own_column_label(value: Any) -> bool:
    """A header the planner gave a column of their own (`Total`, `Notes`, `Average`): text with no
    digit, which no quarter, week or date label is -- unlike a mistyped one ('Q3 9', 'WW_4O'), which
    may be a period that lost its label.  Such a column is not read, and said so, not refused."""
    return isinstance(value, str) and bool(value.strip()) and not any(ch.isdigit() for ch in value)


#: Characters that print as nothing, carried along when an id is pasted from a web page, a chat
#: or a UTF-8 export with a byte-order mark: '21A\u200b' looks like '21A' in Excel and in any message.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def cell_text(value: Any) -> str:
    """A label cell's text (numbers as typed: a product id 21 reads as '21'; characters that
    print as nothing dropped, so that what the planner sees is what is matched)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value.translate(_INVISIBLE) if isinstance(value, str) else value)
