"""Read the Supply_Demand sheet: its quarter columns, its product rows and their values.

Separate from `core.reader` (which puts the sheets together) as `core.read_weeks` is for the
week-column sheets: this is the one sheet laid out by quarter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import bounds
from .cells import address, shown
from .checks import QuarterTable
from .labels import (
    ATTR_CAPACITY,
    ATTR_DEMAND,
    ATTR_EXCESS,
    ATTR_INVENTORY,
    ATTR_OVER_UNDER,
    ATTR_SCHEDULED,
    ATTR_SST,
    ATTR_SUPPLY,
    ATTR_WOS,
    ATTRIBUTE,
    TOTAL,
    Quarter,
    label_key,
    parse_quarter,
)
from .sheet import Sheet, own_column_label

_SD_ATTRS = {
    label_key(a) for a in (ATTR_SUPPLY, ATTR_SST, ATTR_WOS, ATTR_DEMAND, ATTR_INVENTORY, ATTR_EXCESS)
}
_BC_ATTRS = {label_key(a) for a in (ATTR_CAPACITY, ATTR_SCHEDULED, ATTR_OVER_UNDER)}


def check_unplanned_products(
    sd: Sheet,
    lay: QuarterTable,
    sd_products: Sequence[str],
    products: Sequence[str],
    bc: Sheet,
    bc_rows: dict[tuple[str, str], int],
    pcol: int,
    acol: int | None,
) -> None:
    """A product with demand but no capacity row would silently drop out of the plan."""
    for p in sd_products:
        if p in products:
            continue
        r = lay.rows[(p, label_key(ATTR_DEMAND))]
        hint = bc.row_hint(bc_rows, p, set(products) | {TOTAL}, pcol, acol, _BC_ATTRS, ATTR_CAPACITY)
        sd.error(
            r,
            lay.header[1],
            f"product {p!r} has {ATTR_DEMAND} but no {ATTR_CAPACITY!r} row in "
            f"{bc.name!r}, so it would not be planned{hint}",
        )


def supply_demand_layout(sd: Sheet) -> QuarterTable | None:
    """Header, quarter columns (canonical quarter -> column, in order) and labelled rows."""
    qfound = sd.best_row(parse_quarter)
    hdr = sd.product_header(qfound[0] if qfound else None)
    if hdr is None:
        return None
    if qfound is None:
        sd.error(hdr[0], hdr[1] + 2, "expected quarter columns such as 'Q2 95' on a header row; none found")
        return None
    qr, hits = qfound
    qcols: dict[Quarter, int] = {}
    previous: tuple[Quarter, int] | None = None
    attr = sd.find(ATTRIBUTE, row=hdr[0]) or sd.find(ATTRIBUTE)
    ac = attr[1] if attr else hdr[1] + 1
    below = max(hdr[0], qr)
    rows = sd.product_rows(below, hdr[1], ac)
    for c in (min(hits) - 1, max(hits) + 1):  # a column of numbers next to the quarters lost its label
        if (
            c not in (hdr[1], ac)
            and c >= 0
            and not own_column_label(sd.get(qr, c))
            and any(sd.get(r, c) is not None for r in rows.values())
        ):
            sd.error(
                qr,
                c,
                f"expected a quarter label such as 'Q3 95' above the values in this column, "
                f"found {shown(sd.get(qr, c))}",
            )
    for c in range(min(hits), max(hits) + 1):
        q = hits.get(c)
        if q is None:
            sd.error(qr, c, f"expected a quarter label such as 'Q3 95', found {shown(sd.get(qr, c))}")
            continue
        if q in qcols:
            sd.error(
                qr, c, f"quarter {q.label} appears twice, in {address(qr, qcols[q])} and {address(qr, c)}"
            )
            continue
        if previous is not None and q.index <= previous[0].index:
            sd.error(
                qr,
                c,
                f"expected the quarter columns in order, found {q.label} after {previous[0].label} "
                f"({address(qr, previous[1])})",
            )
        qcols[q] = c
        previous = (q, c)
    last_row = max([below, *rows.values()])
    return QuarterTable(
        hdr, ac, qr, qcols, rows, (min(hdr[0], qr), min(hdr[1], ac), last_row, max(qcols.values()))
    )


@dataclass(frozen=True)
class SupplyDemandValues:
    """What the Supply_Demand sheet gives per product and planned quarter, and where it was."""

    demand: np.ndarray  # [P, Q] bytes
    wos: np.ndarray  # [P, Q] weeks of supply
    initial: np.ndarray  # [P] opening stock in bytes
    sst_given: dict[tuple[int, int], tuple[int, int, float]]  # (p, q) -> (row, col, pasted SST)
    demand_cells: dict[Quarter, list[tuple[int, int]]]  # every demand cell of each quarter column


def supply_demand_values(
    sd: Sheet, lay: QuarterTable, products: Sequence[str], planned: list[Quarter], origin: dict[str, str]
) -> SupplyDemandValues:
    """Demand, WOS, opening stock and pasted SSTs per product and planned quarter."""
    qcols, rows, (hr, pc) = lay.qcols, lay.rows, lay.header
    opening = lay.opening
    read_q = planned or [q for q in qcols if q != opening]
    P, Q = len(products), len(read_q)
    demand, wos, initial = np.zeros((P, Q)), np.zeros((P, Q)), np.zeros(P)
    sst_given: dict[tuple[int, int], tuple[int, int, float]] = {}
    demand_cells: dict[Quarter, list[tuple[int, int]]] = {}
    for p, product in enumerate(products):
        for attr in (ATTR_DEMAND, ATTR_WOS, ATTR_INVENTORY):
            if (product, label_key(attr)) not in rows:
                hint = sd.row_hint(rows, product, set(products), pc, lay.attr_col, _SD_ATTRS, attr)
                sd.error(
                    hr,
                    pc,
                    f"expected a row for product {product!r}{origin.get(product, '')} with attribute "
                    f"{attr!r}; none found{hint}",
                )
        r = rows.get((product, label_key(ATTR_DEMAND)))
        if r is not None:
            for q, c in qcols.items():
                if q != opening:
                    demand_cells.setdefault(q, []).append((r, c))
            for k, q in enumerate(read_q):
                if q in qcols:
                    demand[p, k] = sd.number(
                        r, qcols[q], bounds.DEMAND, blank=0.0, blank_note="0 bytes of demand used"
                    )
        r = rows.get((product, label_key(ATTR_WOS)))
        if r is not None:
            for k, q in enumerate(read_q):
                if q in qcols:
                    wos[p, k] = sd.number(
                        r, qcols[q], bounds.WOS, blank=0.0, blank_note="0 weeks of safety stock used"
                    )
        r = rows.get((product, label_key(ATTR_INVENTORY)))
        if r is not None:
            initial[p] = sd.number(r, qcols[opening], bounds.OPENING_STOCK)
        r = rows.get((product, label_key(ATTR_SST)))
        if r is not None:
            for k, q in enumerate(read_q):
                v = sd.get(r, qcols.get(q, -1))
                if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
                    sst_given[(p, k)] = (r, qcols[q], float(v))
    return SupplyDemandValues(demand, wos, initial, sst_given, demand_cells)
