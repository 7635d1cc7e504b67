"""Checks across sheets: the quarter axis, which demand gets planned, the safety-stock rule.

Quarter labels decide which weeks a quarter's demand is spread over.  A relabelled quarter row
(`Q3 95`'s weeks marked `Q4 95`) would leave `Q3 95`'s demand with no week and plan the rest as
if it never existed: that is an error naming the cells.  Demand after the last planned week is
not planned, and the planner is told so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import address
from .labels import ATTR_DEMAND, ATTR_WOS, BOUNDARY, WEEKS_PER_QUARTER, Quarter, label_key
from .read_weeks import WeekGrid
from .sheet import Sheet, cell_list


@dataclass(frozen=True)
class QuarterTable:
    """Where `Supply_Demand` keeps its data: header cell, quarter columns, labelled rows."""

    header: tuple[int, int]  # the `Product ID` cell
    attr_col: int
    quarter_row: int
    qcols: dict[Quarter, int]  # in column order; the first is the opening position
    rows: dict[tuple[str, str], int]  # (product, attribute key) -> row
    area: tuple[int, int, int, int]  # what the labels span

    @property
    def opening(self) -> Quarter:
        return next(iter(self.qcols))


#: A fiscal quarter has 13 weeks, or 14 in a 53-week year.
MAX_WEEKS_PER_QUARTER = 14


def check_quarter_axis(bc: Sheet, grid: WeekGrid) -> tuple[list[Quarter], np.ndarray]:
    """The planned quarters in order and each week's quarter index; errors for quarters that
    restart, run backwards or hold more weeks than a quarter has."""
    planned: list[Quarter] = []
    qrow = grid.quarter_row if grid.quarter_row is not None else grid.row  # no row: no quarters either
    week_quarter = np.zeros(len(grid.cols), dtype=int)
    start_col: dict[Quarter, int] = {}
    counts: dict[Quarter, int] = {}
    for t, (c, q) in enumerate(zip(grid.cols, grid.quarters)):
        if q is None:
            continue
        if not planned or planned[-1] != q:
            if q in start_col:
                bc.error(
                    qrow,
                    c,
                    f"expected the weeks of quarter {q.label} to be contiguous; "
                    f"{q.label} starts again here (it started in "
                    f"{address(qrow, start_col[q])})",
                )
            elif planned and q.index < planned[-1].index:
                bc.error(
                    qrow,
                    c,
                    f"expected the quarters in order, found {q.label} after {planned[-1].label}",
                )
            if q not in start_col:
                start_col[q] = c
                planned.append(q)
        week_quarter[t] = planned.index(q)
        counts[q] = counts.get(q, 0) + 1
    for q, n in counts.items():
        if n > MAX_WEEKS_PER_QUARTER:
            bc.error(
                qrow,
                start_col[q],
                f"quarter {q.label} has {n} weeks, a quarter has "
                f"{WEEKS_PER_QUARTER} or {MAX_WEEKS_PER_QUARTER}; are the "
                f"quarter labels shifted?",
            )
    return planned, week_quarter


def check_supply_demand_quarters(
    sd: Sheet, lay: QuarterTable, planned: list[Quarter], demand_cells: dict[Quarter, list[tuple[int, int]]]
) -> None:
    """Every planned quarter has a demand column; demand in a quarter without weeks inside the
    horizon is an error (it would be dropped), after the horizon a warning (not planned)."""
    qcols, qr, opening = lay.qcols, lay.quarter_row, lay.opening
    if opening in planned:
        sd.error(
            qr,
            qcols[opening],
            f"expected the first quarter column to be the opening position (a quarter "
            f"before the first planned week), found {opening.label}, which has weeks "
            f"in {BOUNDARY!r}",
        )
    for q in planned:
        if q not in qcols:
            sd.error(
                qr,
                max(qcols.values()),
                f"expected a column for quarter {q.label} (it has weeks in {BOUNDARY!r}); none found",
            )
    last = planned[-1]
    beyond: list[str] = []
    for q, c in qcols.items():
        if q == opening or q in planned:
            continue
        cells = [(r, cc) for r, cc in demand_cells.get(q, []) if _nonzero(sd.get(r, cc))]
        if not cells:
            continue
        names = [address(r, cc) for r, cc in cells]
        if q.index < last.index:
            sd.error(
                qr,
                c,
                f"quarter {q.label} has demand ({cell_list(names)}) but no week in {BOUNDARY!r} is "
                f"labelled {q.label}: its demand would be dropped; check the quarter labels there",
            )
        else:
            beyond.extend(names)
    if beyond:
        r, c = next(
            (r, c)
            for q, c in qcols.items()
            for r, cc in demand_cells.get(q, [])
            if address(r, cc) == beyond[0]
        )
        sd.warn(
            r,
            c,
            f"demand after the last week of {BOUNDARY!r} ({last.label}) is not planned: {cell_list(beyond)}",
        )


def _nonzero(v) -> bool:
    return v is not None and not (isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0)


def warn_sst_horizon(sd: Sheet, lay: QuarterTable, products, planned: list[Quarter], wos: np.ndarray) -> None:
    """A WOS target in the last planned quarter needs the next quarter's demand, which is beyond
    the horizon: say that 0 (the final stock target) was used."""
    c = lay.qcols.get(planned[-1])
    rows = [
        lay.rows[(p, label_key(ATTR_WOS))]
        for i, p in enumerate(products)
        if wos[i, -1] > 0 and (p, label_key(ATTR_WOS)) in lay.rows
    ]
    if rows and c is not None:
        cells = [address(r, c) for r in rows]
        sd.warn(
            rows[0],
            c,
            f"the safety stock target of the last planned quarter {planned[-1].label} "
            f"({cell_list(cells)}) needs {ATTR_DEMAND} of the quarter after the horizon; "
            f"0 bytes (the final stock target) used",
        )


def compare_pasted_sst(sd: Sheet, products, quarters, given, rule: np.ndarray) -> None:
    """Pasted SST values that disagree with the rule: keep the rule, name the cells."""
    for (p, k), (r, c, v) in sorted(given.items()):
        if not np.isclose(v, rule[p, k], rtol=1e-6, atol=1.0):
            sd.warn(
                r,
                c,
                f"pasted safety stock target {v:,.0f} disagrees with the rule WOS x next "
                f"quarter's demand / 13 = {rule[p, k]:,.0f} for {products[p]} {quarters[k]}; using the rule",
            )
