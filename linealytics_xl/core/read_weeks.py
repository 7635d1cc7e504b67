"""The week-by-week input sheets: `Boundary Conditions` (the week axis, capacity) and `Yield`.

The week axis is the row of week labels in any common spelling, with its quarter labels on any
other header row (carried across merged cells, as Excel shows them).  Every week column is read
by that axis; a value in a column next to the axis without a week label is an error (the axis
would silently lose a week), cells far away are stray and only warned about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from . import bounds
from .cells import address, shown
from .labels import (
    ATTR_CAPACITY,
    ATTRIBUTE,
    BOUNDARY,
    TOTAL,
    Quarter,
    Week,
    label_key,
    parse_quarter,
    parse_week,
)
from .sheet import Sheet, cell_list, own_column_label


@dataclass
class WeekGrid:
    """Where a sheet's weeks are: label row, columns, parsed labels and their quarters."""

    row: int
    cols: list[int]
    weeks: list[Week]
    quarters: list[Quarter | None]
    quarter_row: int | None

    @property
    def header_bottom(self) -> int:
        return max(self.row, self.quarter_row if self.quarter_row is not None else -1)


def quarter_labels(sheet: Sheet, row: int | None, cols: list[int], *, strict: bool) -> list[Quarter | None]:
    """The quarter of each column, carried forward from the last label (merged cells)."""
    out: list[Quarter | None] = []
    current: Quarter | None = None
    for c in cols:
        v = sheet.get(row, c) if row is not None else None
        if v is not None:
            q = parse_quarter(v)
            if q is None and strict:
                sheet.error(row, c, f"expected a quarter label such as 'Q3 95', found {shown(v)}")
            current = q or current
        out.append(current)
    return out


def week_axis(bc: Sheet) -> WeekGrid | None:
    """`Boundary Conditions`' week axis; errors for gaps, bad or missing quarter labels."""
    found = bc.best_row(parse_week)
    if found is None:
        bc.error(None, None, "expected a row of week labels such as 'WW_09' in the first rows; none found")
        return None
    r, hits = found
    first, last = min(hits), max(hits)
    for c in range(first, last + 1):
        if c not in hits:  # reported, and kept as a week so that the other sheets line up
            bc.error(r, c, f"expected a week label (the week axis has a gap), found {shown(bc.get(r, c))}")
            hits[c] = Week(hits[c - 1].number % 53 + 1)
    cols = sorted(hits)
    weeks = [hits[c] for c in cols]
    qfound = bc.best_row(parse_quarter, min_hits=1, exclude=(r,), cols=set(cols))
    qrow = qfound[0] if qfound else None
    if qrow is None:
        bc.error(
            r,
            first,
            "expected quarter labels such as 'Q3 95' on a header row above or below the week "
            "labels; none found",
        )
        return WeekGrid(r, cols, weeks, [None] * len(cols), None)
    quarters = quarter_labels(bc, qrow, cols, strict=True)
    if quarters and quarters[0] is None:
        bc.error(qrow, first, "expected the quarter label of the first week, found blank")
    for i in range(1, len(weeks)):
        a, b = weeks[i - 1].number, weeks[i].number
        if b != a + 1 and not (b == 1 and a >= 52):
            bc.warn(
                r,
                cols[i],
                f"expected the week label after {weeks[i - 1].label}, found {shown(bc.get(r, cols[i]))}",
            )
    _check_years(bc, r, cols, weeks, quarters)
    return WeekGrid(r, cols, weeks, quarters, qrow)


def _check_years(
    sheet: Sheet, r: int, cols: list[int], weeks: list[Week], quarters: list[Quarter | None]
) -> None:
    """A label with a year (``WW1995_09``, a date) must fall in its fiscal quarter's year or the
    calendar year before (a fiscal year starts before its calendar year: FY96 Q1 lies in 1995).
    A mismatch is a warning: the quarter row decides where demand goes, the label only names the week."""
    off = [
        c
        for c, w, q in zip(cols, weeks, quarters)
        if w.year is not None and q is not None and w.year not in (q.year - 1, q.year)
    ]
    if off:
        sheet.warn(
            r,
            off[0],
            f"the year in {len(off)} week label(s) ({cell_list([address(r, c) for c in off], 5)}) "
            f"does not fit the quarter labels; the quarter labels were used",
        )


def capacity_rows(
    bc: Sheet, grid: WeekGrid | None
) -> tuple[tuple[str, ...], dict[tuple[str, str], int], tuple[int, int | None]]:
    """Products (rows with attribute `Available Capacity`, `Total` aside), every labelled row,
    and the product and attribute columns."""
    hdr = bc.product_header(grid.row if grid else None)
    if hdr is None:
        return (), {}, (0, None)
    attr = bc.find(ATTRIBUTE, row=hdr[0]) or bc.find(ATTRIBUTE)
    ac = attr[1] if attr else hdr[1] + 1
    below = max(hdr[0], grid.header_bottom if grid else -1)
    rows = bc.product_rows(below, hdr[1], ac)
    key = label_key(ATTR_CAPACITY)
    products = tuple(p for p, a in rows if a == key and p != TOTAL)
    if not products:
        bc.error(hdr[0], hdr[1], f"expected product rows with attribute {ATTR_CAPACITY!r}; none found")
    return products, rows, (hdr[1], ac)


def read_capacity(
    bc: Sheet, grid: WeekGrid, products, rows, label_cols: tuple[int, int | None]
) -> tuple[np.ndarray, np.ndarray]:
    """[P, T] capacity and [T] total capacity (inf where the sheet has no total)."""
    key = label_key(ATTR_CAPACITY)
    capacity = np.full((len(products), len(grid.cols)), np.nan)
    for p, product in enumerate(products):
        r = rows[(product, key)]
        capacity[p] = [
            bc.number(r, c, bounds.CAPACITY, blank=0.0, blank_note="0 wafers used (no capacity)")
            for c in grid.cols
        ]
    for c in (grid.cols[0] - 1, grid.cols[-1] + 1):  # capacities next to the axis have lost their week label
        held = [r for (p, a), r in rows.items() if a == key and bc.get(r, c) is not None]
        if c >= 0 and c not in label_cols and held and not own_column_label(bc.get(grid.row, c)):
            bc.error(
                grid.row,
                c,
                f"expected a week label such as 'WW_09' above {address(held[0], c)} "
                f"({shown(bc.get(held[0], c))}), found {shown(bc.get(grid.row, c))}",
            )
    total = np.full(len(grid.cols), np.inf)
    r = rows.get((TOTAL, key))
    if r is not None:
        total[:] = [
            bc.number(
                r, c, bounds.TOTAL_CAPACITY, blank=math.inf, blank_note="no total limit used for those weeks"
            )
            for c in grid.cols
        ]
        _warn_total_below_products(bc, r, grid.cols, total, capacity)
    return capacity, total


def _warn_total_below_products(
    bc: Sheet, r: int, cols: list[int], total: np.ndarray, capacity: np.ndarray
) -> None:
    """A total below the sum of the products binds the plan: a shared limit, or a `Total`
    formula that leaves out a product added later; either way the planner hears where."""
    sums = capacity.sum(axis=0)
    below = [t for t in range(len(cols)) if sums[t] - total[t] > 1e-9 * max(1.0, sums[t])]
    if not below:
        return
    t = below[0]
    bc.warn(
        r,
        cols[t],
        f"the {TOTAL} row's {ATTR_CAPACITY} is below the sum of the products' in {len(below)} "
        f"week(s) ({cell_list([address(r, cols[k]) for k in below], 5)}; {address(r, cols[t])}: "
        f"{total[t]:,.0f} < {sums[t]:,.0f} wafers): the plan keeps to the total there; "
        f"does its formula leave out a product?",
    )


def read_yield(
    ys: Sheet,
    products,
    n_weeks: int | None,
    bc_quarters: list[Quarter | None],
    origin: dict[str, str] | None = None,
) -> tuple[np.ndarray, list[date | None], tuple[int, int, int, int]] | None:
    """[P, T] yields, week start dates, and the area read; blank yields take the nearest week's."""
    P = len(products)
    dates = ys.best_row(lambda v: parse_week(v) if not isinstance(v, str) or v[:1].isdigit() else None)
    date_row = dates[0] if dates else None
    hdr = ys.product_header(date_row)
    if hdr is None:
        return None
    pc = hdr[1]
    qfound = ys.best_row(parse_quarter, min_hits=1, exclude=(date_row,) if date_row is not None else ())
    qrow = qfound[0] if qfound else None
    below = max(hdr[0], date_row if date_row is not None else -1, qrow if qrow is not None else -1)
    rows = {p: r for (p, _a), r in ys.product_rows(below, pc, None).items()}
    numeric = [
        c
        for p in products
        if p in rows
        for c, v in ys.cells.row(rows[p]).items()
        if c > pc and isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    starts_at = [
        c for c in ([min(dates[1])] if dates else []) + ([min(numeric)] if numeric else []) if c > pc
    ]
    if not starts_at:
        ys.error(hdr[0], pc + 1, "expected yield columns, one per week; none found")
        return None
    first = min(starts_at)
    last = first + n_weeks - 1 if n_weeks else max(dates[1]) if dates else max(numeric)
    cols = list(range(first, last + 1))
    T = len(cols)
    for c in (last + 1,):
        extra = [ys.get(r, c) for r in [date_row, *rows.values()] if r is not None]
        header = ys.get(date_row, c) if date_row is not None else None
        if any(v is not None for v in extra) and not own_column_label(header):
            ys.error(
                date_row if date_row is not None else hdr[0],
                c,
                f"expected {T} week columns as in {BOUNDARY!r} ({shown(extra[0]) if extra[0] is not None else 'a value'} "
                f"found after the last one)",
            )
    quarters = quarter_labels(ys, qrow, cols, strict=False)
    for t, c in enumerate(cols):
        own, bc_q = quarters[t], bc_quarters[t] if t < len(bc_quarters) else None
        if own is not None and bc_q is not None and own != bc_q:
            ys.warn(
                qrow,
                c,
                f"quarter label {own.label!r} disagrees with {BOUNDARY!r} "
                f"({bc_q.label!r}) for week {t + 1}; using {BOUNDARY!r}",
            )
    starts = _week_starts(ys, date_row, cols)
    yields = np.full((P, T), np.nan)
    for p, product in enumerate(products):
        r = rows.get(product)
        if r is None:
            hint = ys.row_hint(
                {(p, ""): rr for p, rr in rows.items()}, product, set(products), pc, None, set()
            )
            ys.error(
                hdr[0],
                pc,
                f"expected a yield row for product {product!r}{(origin or {}).get(product, '')}; "
                f"none found{hint}",
            )
            continue
        blank = [t for t, c in enumerate(cols) if ys.get(r, c) is None]
        yields[p] = [ys.number(r, c, bounds.YIELD) if ys.get(r, c) is not None else np.nan for c in cols]
        known = [t for t in range(T) if t not in blank and np.isfinite(yields[p, t])]
        if blank and known:
            for t in blank:
                prev = [k for k in known if k < t]
                yields[p, t] = yields[p, prev[-1] if prev else known[0]]
            ys.blanks.setdefault(
                "the yield of the nearest earlier week used (the next week's for the first)", []
            ).extend(address(r, cols[t]) for t in blank)
        elif blank:
            ys.error(
                r,
                cols[blank[0]],
                "expected a yield between 0 and 1, found blank (the row has no yield at all)",
            )
    area = (min(hdr[0], qrow if qrow is not None else hdr[0]), pc, max([below, *rows.values()]), last)
    return yields, starts, area


def _week_starts(ys: Sheet, row: int | None, cols: list[int]) -> list[date | None]:
    """Week start dates; text that is no date, or a date out of sequence, is left unknown."""
    starts: list[date | None] = []
    for c in cols:
        raw = ys.get(row, c) if row is not None else None
        week = parse_week(raw) if raw is not None else None
        if raw is not None and (week is None or week.start is None):
            ys.warn(
                row,
                c,
                f"expected a week start date (a date or mm-dd-yy), found {shown(raw)}; date left unknown",
            )
        starts.append(week.start if week else None)
    previous = None
    for t, d in enumerate(starts):
        if d is None:
            continue
        if previous is not None:
            gap = (d - previous[1]).days
            if gap <= 0 or gap > 7 * (t - previous[0]) + 7:
                ys.warn(
                    row,
                    cols[t],
                    f"week start {d.isoformat()} does not follow {previous[1].isoformat()} "
                    f"(expected about {(previous[1] + timedelta(days=7 * (t - previous[0]))).isoformat()}); "
                    f"date left unknown",
                )
                starts[t] = None
                continue
            if gap != 7 * (t - previous[0]):
                ys.warn(
                    row,
                    cols[t],
                    f"week start {d.isoformat()} is {gap} days after the previous one, expected 7",
                )
        previous = (t, d)
    return starts
