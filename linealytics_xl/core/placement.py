"""Where the plan goes in the workbook's own sheets, found by labels as on reading.

`Wafer Plan` product rows get the weekly wafers; `Boundary Conditions` gets `Scheduled Capacity`
and `Over/Under Capacity` (available minus scheduled: positive is spare capacity) per product and
for `Total`; `Supply_Demand` gets `Yielded Supply` per planned quarter so that the sheet's own
inventory formulas show the resulting stock.

These are outputs: a workbook is never refused because of them.  When one of them is not the
expected product x week (or product x quarter) grid -- no week row, other weeks, a product row
missing, merged target cells -- it is left untouched and one warning says so; the plan is in
the ``LL_Plan`` table either way.  Blocks name the workbook's own sheet (``wafer plan`` stays
``wafer plan``), so the writer writes where the planner looks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import address, shown
from .grid import Cells
from .labels import (
    ATTR_OVER_UNDER,
    ATTR_SCHEDULED,
    ATTR_SUPPLY,
    ATTRIBUTE,
    BOUNDARY,
    KNOWN_SHEETS,
    PRODUCT_ID,
    SUPPLY_DEMAND,
    TOTAL,
    WAFER_PLAN,
    label_key,
    match_sheets,
    parse_quarter,
    parse_week,
)
from .model import Issue, PlanningData
from .read_weeks import quarter_labels
from .sheet import Sheet
from .text_references import resolve_text_references


@dataclass(frozen=True)
class Block:
    """Values for one contiguous run of cells in a row (0-based position of the first cell)."""

    sheet: str
    row: int
    col: int
    values: tuple[float, ...]

    @property
    def ref(self) -> str:
        return f"{address(self.row, self.col)}:{address(self.row, self.col + len(self.values) - 1)}"


@dataclass(frozen=True)
class Target:
    """One output row: the cells (in the order of the series' values) and what goes there."""

    sheet: str
    row: int
    cols: tuple[int, ...]
    series: str  # "wafers", "scheduled", "over_under" (by week) or "supply" (by quarter)
    name: str  # product, or Total


class _Output:
    """The targets of one output, or the one reason it is left untouched."""

    def __init__(self, sheet: Sheet, what: str):
        self.sheet, self.what = sheet, what
        self.targets: list[Target] = []
        self.problem: tuple[str, str] | None = None

    def refuse(self, r: int | None, c: int | None, why: str) -> None:
        if self.problem is None:
            self.problem = (address(r, c) if r is not None and c is not None else "", why)

    def add(self, row: int, cols: Sequence[int], series: str, name: str) -> None:
        for c in cols:
            m = self.sheet.cells.merged_at(row, c)
            if m is not None:
                self.refuse(
                    row,
                    c,
                    f"{address(row, c)} is part of the merged range "
                    f"{address(m[0], m[1])}:{address(m[2], m[3])}",
                )
                return
        self.targets.append(Target(self.sheet.name, row, tuple(cols), series, name))

    def result(self, issues: list[Issue]) -> list[Target]:
        if self.problem is None:
            return self.targets
        cell, why = self.problem
        issues.append(
            Issue(
                "warning",
                self.sheet.name,
                cell,
                f"{self.what} not written, the sheet's cells were left "
                f"untouched ({why}); the plan is in the LL_Plan table",
            )
        )
        return []


def output_targets(sheets: Mapping[str, Any], data: PlanningData) -> tuple[list[Target], list[Issue]]:
    """Every output row the workbook can take, and one warning per output it cannot."""
    issues: list[Issue] = []
    sheets = resolve_text_references(sheets)  # ids that point at Boundary Conditions', as on reading
    match = match_sheets(sheets, KNOWN_SHEETS)
    ids = {p.casefold(): p for p in data.products}  # the spellings the plan knows them by
    found = {k: Sheet(real, Cells.of(sheets[real]), issues, ids) for k, real in match.found.items()}
    targets: list[Target] = []
    if WAFER_PLAN in found:
        targets += _wafer_plan(found[WAFER_PLAN], data, issues)
    else:
        near = match.missing.get(WAFER_PLAN) or []
        hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
        issues.append(
            Issue(
                "warning",
                WAFER_PLAN,
                "",
                f"no sheet {WAFER_PLAN!r}{hint}: the weekly wafer starts are in the LL_Plan table only",
            )
        )
    if BOUNDARY in found:
        targets += _capacity_rows(found[BOUNDARY], data, issues)
    if SUPPLY_DEMAND in found:
        targets += _yielded_supply(found[SUPPLY_DEMAND], data, issues)
    return targets, issues


def _wafer_plan(wp: Sheet, data: PlanningData, issues: list[Issue]) -> list[Target]:
    out = _Output(wp, "the weekly wafer starts")
    found = wp.best_row(parse_week)
    if found is None:
        out.refuse(None, None, "it has no row of week labels: not laid out product x week")
        return out.result(issues)
    r, hits = found
    cols = sorted(hits)
    labels = [hits[c].label for c in cols]
    if labels != list(data.weeks.labels):
        bad = next(
            (i for i, (a, b) in enumerate(zip(labels, data.weeks.labels)) if a != b),
            min(len(labels), len(data.weeks.labels)),
        )
        c = cols[bad] if bad < len(cols) else cols[-1]
        out.refuse(
            r,
            c,
            f"its {len(cols)} week labels are not the {data.n_weeks} weeks of {BOUNDARY!r}: "
            f"{address(r, c)} holds {shown(wp.get(r, c))}"
            + (f", expected {data.weeks.labels[bad]}" if bad < data.n_weeks else ""),
        )
        return out.result(issues)
    if cols != list(range(cols[0], cols[0] + len(cols))):
        out.refuse(r, cols[0], "its week columns are not side by side")
        return out.result(issues)
    qfound = wp.best_row(parse_quarter, min_hits=1, exclude=(r,), cols=set(cols))
    if qfound is not None:
        for t, (c, q) in enumerate(zip(cols, quarter_labels(wp, qfound[0], cols, strict=False))):
            if q is not None and q.label != data.weeks.quarters[t]:
                wp.warn(
                    qfound[0],
                    c,
                    f"quarter label {q.label!r} disagrees with {BOUNDARY!r} "
                    f"({data.weeks.quarters[t]!r}) for week {t + 1}; using {BOUNDARY!r}",
                )
    rows: dict[str, int] = {}
    for rr in wp.cells.row_indices():
        if rr <= r:
            continue
        name = next(
            (
                wp.product_id(v)
                for c, v in wp.cells.row(rr).items()
                if c < cols[0] and wp.product_id(v) in data.products
            ),
            None,
        )
        if name is not None and name not in rows:
            rows[name] = rr
    for product in data.products:
        if product not in rows:
            out.refuse(r, 0, f"it has no row for product {product!r} below the week labels")
            return out.result(issues)
        out.add(rows[product], cols, "wafers", product)
    return out.result(issues)


def _labelled_rows(sheet: Sheet) -> tuple[dict[tuple[str, str], int], int] | None:
    hdr = sheet.find(PRODUCT_ID)
    if hdr is None:
        return None
    attr = sheet.find(ATTRIBUTE, row=hdr[0]) or sheet.find(ATTRIBUTE)
    rows: dict[tuple[str, str], int] = {}
    for r in sheet.cells.row_indices():
        p = sheet.product_at(r, hdr[1], hdr[0])
        if r > hdr[0] and p:
            rows.setdefault((p, label_key(sheet.get(r, attr[1] if attr else hdr[1] + 1))), r)
    return rows, hdr[0]


def _capacity_rows(bc: Sheet, data: PlanningData, issues: list[Issue]) -> list[Target]:
    found = bc.best_row(parse_week)
    lab = _labelled_rows(bc)
    if found is None or lab is None:
        return []
    cols = sorted(found[1])
    rows = lab[0]
    targets: list[Target] = []
    for attr, series in ((ATTR_SCHEDULED, "scheduled"), (ATTR_OVER_UNDER, "over_under")):
        out = _Output(bc, f"the {attr!r} rows were")
        for name in (*data.products, TOTAL):
            r = rows.get((name, label_key(attr)))
            if r is None and name != TOTAL:
                out.refuse(found[0], 0, f"there is no {attr!r} row for product {name!r}")
            elif r is not None:
                out.add(r, cols, series, name)
        targets += out.result(issues)
    return targets


def _yielded_supply(sd: Sheet, data: PlanningData, issues: list[Issue]) -> list[Target]:
    lab = _labelled_rows(sd)
    qfound = sd.best_row(parse_quarter)
    if lab is None or qfound is None:
        return []
    rows = lab[0]
    qcols = {q.label: c for c, q in sorted(qfound[1].items(), reverse=True)}
    out = _Output(sd, f"the {ATTR_SUPPLY!r} rows were")
    if any(q not in qcols for q in data.quarters):
        return []
    cols = [qcols[q] for q in data.quarters]
    for product in data.products:
        r = rows.get((product, label_key(ATTR_SUPPLY)))
        if r is None:
            out.refuse(lab[1], 0, f"there is no {ATTR_SUPPLY!r} row for product {product!r}")
        else:
            out.add(r, cols, "supply", product)
    return out.result(issues)


def _runs(sheet: str, row: int, cols: Sequence[int], values: Sequence[float] | np.ndarray) -> list[Block]:
    """Split (col, value) pairs into blocks of side-by-side cells, left to right."""
    order = sorted(range(len(cols)), key=lambda i: cols[i])
    cols = [cols[i] for i in order]
    ordered = [values[i] for i in order]
    blocks: list[Block] = []
    start = 0
    for i in range(1, len(cols) + 1):
        if i == len(cols) or cols[i] != cols[i - 1] + 1:
            blocks.append(Block(sheet, row, cols[start], tuple(float(v) for v in ordered[start:i])))
            start = i
    return blocks


def output_blocks(
    sheets: Mapping[str, Any], data: PlanningData, wafers: np.ndarray, supply: np.ndarray
) -> list[Block]:
    """The values to write into the workbook's own sheets (outputs it cannot take are skipped;
    `output_targets` gives the warnings, which reading already added to ``data.warnings``)."""
    products = list(data.products)
    available_total = np.where(
        np.isfinite(data.total_capacity), data.total_capacity, data.capacity.sum(axis=0)
    )
    per_quarter = np.zeros((len(products), len(data.quarters)))
    np.add.at(per_quarter.T, data.week_quarter, supply.T)

    def values(t: Target) -> np.ndarray:
        i = products.index(t.name) if t.name in products else None
        scheduled = wafers[i] if i is not None else wafers.sum(axis=0)
        available = data.capacity[i] if i is not None else available_total
        return {
            "wafers": lambda: wafers[i],
            "scheduled": lambda: scheduled,
            "over_under": lambda: available - scheduled,
            "supply": lambda: per_quarter[i],
        }[t.series]()

    blocks: list[Block] = []
    for t in output_targets(sheets, data)[0]:
        blocks += _runs(t.sheet, t.row, t.cols, values(t))
    return blocks


def output_cells(sheets: Mapping[str, Any], data: PlanningData) -> set[tuple[str, int, int]]:
    """Every (sheet, row, col) the tool owns in the workbook's own sheets."""
    return {(t.sheet, t.row, c) for t in output_targets(sheets, data)[0] for c in t.cols}
