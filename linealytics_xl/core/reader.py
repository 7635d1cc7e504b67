"""Read the planning workbook into `PlanningData`, by labels, reporting every problem in one pass.

The input is a mapping ``sheet name -> grid`` (`core.grid.Cells`, or rows of values from A1;
formulas as ``"=..."`` text), so a file read by openpyxl and a live book read through xlwings go
the same way.  Sheets are found as Excel finds them (case and surrounding spaces ignored), rows
and columns by their labels anywhere in the header rows.  A missing or broken sheet does not stop
the checks of the others: every error is collected, then `InputError` is raised once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import bounds
from .cells import address, shown
from .checks import (
    check_quarter_axis,
    check_supply_demand_quarters,
    compare_pasted_sst,
    warn_sst_horizon,
)
from .grid import Cells
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
    BOUNDARY,
    DENSITY,
    RATIOS,
    REQUIRED_SHEETS,
    SUPPLY_DEMAND,
    TOTAL,
    WEEKS_PER_QUARTER,
    YIELD,
    Quarter,
    label_key,
    match_sheets,
    parse_ratio_label,
)
from .model import InputError, Issue, PlanningData, WeekAxis, quote_sheet
from .placement import output_targets
from .read_supply_demand import check_unplanned_products, supply_demand_layout, supply_demand_values
from .read_weeks import capacity_rows, read_capacity, read_yield, week_axis
from .sheet import Sheet, cell_list
from .text_references import resolve_text_references

Grid = Cells | Sequence[Sequence[Any]]
_SD_ATTRS = {
    label_key(a) for a in (ATTR_SUPPLY, ATTR_SST, ATTR_WOS, ATTR_DEMAND, ATTR_INVENTORY, ATTR_EXCESS)
}
_BC_ATTRS = {label_key(a) for a in (ATTR_CAPACITY, ATTR_SCHEDULED, ATTR_OVER_UNDER)}


def open_sheets(sheets: Mapping[str, Grid], issues: list[Issue], wanted=REQUIRED_SHEETS) -> dict[str, Sheet]:
    """The sheets the tool reads, by its own names, each under the workbook's real name; a missing
    sheet is an error that offers near misses ("did you mean 'Yeild'?")."""
    match = match_sheets(sheets, wanted)
    present = ", ".join(f"'{n}'" for n in sheets) or "none"
    for name, near in match.missing.items():
        hint = (
            f"; did you mean {' or '.join(repr(n) for n in near)}?"
            if near
            else f" (sheets present: {present})"
        )
        issues.append(Issue("error", name, "", f"no sheet {name!r}{hint}"))
    for name, hits in match.ambiguous.items():
        issues.append(
            Issue(
                "error",
                name,
                "",
                f"several sheets could be {name!r}: {', '.join(map(repr, hits))}; rename all but one",
            )
        )
    ids: dict[str, str] = {}  # one spelling per product id across the sheets
    return {name: Sheet(real, Cells.of(sheets[real]), issues, ids) for name, real in match.found.items()}


def read_planning_data(sheets: Mapping[str, Grid]) -> PlanningData:
    """Build `PlanningData` from the workbook's sheets; raises `InputError` listing every error."""
    issues: list[Issue] = []
    sheets = resolve_text_references(sheets)  # labels that point at another cell's text
    found = open_sheets(sheets, issues)
    bc, sd, ys, ds, rs = (found.get(n) for n in (BOUNDARY, SUPPLY_DEMAND, YIELD, DENSITY, RATIOS))

    grid = week_axis(bc) if bc else None
    products: tuple[str, ...] = ()
    bc_rows: dict[tuple[str, str], int] = {}
    pcol, acol = 0, None
    if bc:
        products, bc_rows, (pcol, acol) = capacity_rows(bc, grid)
    origin = (
        {
            p: f" (from {quote_sheet(bc.name)}!{address(bc_rows[(p, label_key(ATTR_CAPACITY))], pcol)})"
            for p in products
        }
        if bc
        else {}
    )
    planned, week_quarter = check_quarter_axis(bc, grid) if bc and grid else ([], np.zeros(0, dtype=int))
    sdl = supply_demand_layout(sd) if sd else None
    if sd and sdl is not None:
        # a `Total` row under the products sums them (as on Boundary Conditions): not a product
        sd_products = tuple(p for p, a in sdl.rows if a == label_key(ATTR_DEMAND) and p != TOTAL)
        if bc and products:
            check_unplanned_products(sd, sdl, sd_products, products, bc, bc_rows, pcol, acol)
        elif not products:  # Boundary Conditions unusable: still check the other sheets
            products = sd_products
    values = supply_demand_values(sd, sdl, products, planned, origin) if sd and sdl else None
    density = read_density(ds, products, origin) if ds else None
    ratios = read_ratios(rs) if rs else None
    T = len(grid.cols) if grid else None
    yields = read_yield(ys, products, T, grid.quarters if grid else [], origin) if ys else None
    capacity = read_capacity(bc, grid, products, bc_rows, (pcol, acol)) if bc and grid and products else None
    if sd and sdl and values and planned:
        check_supply_demand_quarters(sd, sdl, planned, values.demand_cells)
    if bc and grid:
        last_row = max([grid.header_bottom, *bc_rows.values()])
        bc.finish(
            (
                min(grid.row, grid.quarter_row if grid.quarter_row is not None else grid.row),
                0,
                last_row,
                grid.cols[-1],
            )
        )
    if sd and sdl:
        sd.finish(sdl.area)
    for sheet, area in (
        (ys, yields and yields[-1]),
        (ds, density and density[-1]),
        (rs, ratios and ratios[-1]),
    ):
        if sheet:
            sheet.finish(area or None)

    if (
        any(i.severity == "error" for i in issues)
        or grid is None
        or sd is None
        or sdl is None
        or values is None
        or density is None
        or ratios is None
        or yields is None
        or capacity is None
    ):
        raise InputError(issues)
    ys_values, starts, _ = yields
    capacity_pt, total = capacity
    data = PlanningData.build(
        products=products,
        weeks=WeekAxis(
            tuple(w.label for w in grid.weeks),
            tuple(_label(q) for q in grid.quarters),
            tuple(s or w.start for s, w in zip(starts, grid.weeks)),
        ),
        quarters=tuple(q.label for q in planned),
        week_quarter=week_quarter,
        quarterly_demand=values.demand,
        week_ratios=ratios[0],
        yields=ys_values,
        density=density[0],
        capacity=capacity_pt,
        total_capacity=total,
        initial_stock=values.initial,
        wos=values.wos,
        opening_quarter=sdl.opening.label,
    )
    warn_sst_horizon(sd, sdl, products, planned, values.wos)
    compare_pasted_sst(sd, products, data.quarters, values.sst_given, data.safety_stock)
    data = data.with_warnings(i for i in issues if i.severity == "warning")
    # the outputs are checked on reading, so validate and plan (and the add-in) say the same
    return data.with_warnings(output_targets(sheets, data)[1])


def _label(quarter: Quarter | None) -> str:
    """A week's quarter label; every week has one once the quarter axis passed its checks."""
    if quarter is None:
        raise ValueError("a week without a quarter passed the quarter-axis check")
    return quarter.label


# --- Density per Wafer, Weekly Demand Ratio -------------------------------------------------


def read_density(
    ds: Sheet, products: Sequence[str], origin: dict[str, str]
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """[P] bytes per wafer from the row under the row of product ids; area read."""
    wanted = set(products)
    found = ds.best_row(lambda v: ds.product_id(v) if ds.product_id(v) in wanted else None, min_hits=1)
    if found is None:
        ds.error(
            None,
            None,
            f"expected a row of product ids ({', '.join(products)}) above their bytes per wafer; none found",
        )
        return None
    r, hits = found
    cols: dict[str, int] = {}
    for c, product in sorted(hits.items()):
        if product in cols:
            ds.error(
                r,
                c,
                f"product {product!r} appears twice, in {address(r, cols[product])} and {address(r, c)}; "
                f"delete one of the columns",
            )
            continue
        cols[product] = c
    # the densities: the first row under the ids with a value under one of them (blank rows
    # between are layout, as above a header), else the row right under, whose blanks are errors
    dr = next(
        (rr for rr in ds.cells.row_indices() if rr > r and hits.keys() & ds.cells.row(rr).keys()), r + 1
    )
    for c, v in ds.cells.row(dr).items():  # a density without its product id above it
        if c not in hits and abs(c - min(hits)) <= len(products) + 1 and not isinstance(ds.get(r, c), str):
            ds.error(
                r,
                c,
                f"expected a product id above {address(dr, c)} ({shown(v)}), found {shown(ds.get(r, c))}",
            )
    density = np.full(len(products), np.nan)
    for p, product in enumerate(products):
        if product not in cols:
            others = [
                f"{address(r, c)} holds {shown(v)}"
                for c, v in ds.cells.row(r).items()
                if ds.product_id(v) not in wanted
            ]
            ds.error(
                r,
                min(hits),
                f"expected product {product!r}{origin.get(product, '')} in the row of product "
                f"ids; not found" + (f" ({cell_list(others, 5)})" if others else ""),
            )
            continue
        density[p] = ds.number(dr, cols[product], bounds.DENSITY)
    return density, (0, min(hits), dr, max(hits))


def read_ratios(rs: Sheet) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The 13 weekly shares of a quarter (Wk1 .. Wk13), which must sum to 1; area read."""
    found = rs.best_row(parse_ratio_label)
    if found is None:
        rs.error(None, None, "expected a row of labels Wk1 .. Wk13; none found")
        return None
    r, hits = found
    cols: dict[int, int] = {}
    for c, k in sorted(hits.items()):
        if k in cols:
            rs.error(r, c, f"label Wk{k} appears twice, in {address(r, cols[k])} and {address(r, c)}")
        elif not 1 <= k <= WEEKS_PER_QUARTER:
            rs.error(r, c, f"expected a label Wk1 .. Wk{WEEKS_PER_QUARTER}, found {shown(rs.get(r, c))}")
        else:
            cols[k] = c
    lo, hi = min(hits), max(hits)
    for c in range(lo, hi + 1):
        if c not in hits:
            rs.error(r, c, f"expected a label Wk1 .. Wk{WEEKS_PER_QUARTER}, found {shown(rs.get(r, c))}")
    missing = [k for k in range(1, WEEKS_PER_QUARTER + 1) if k not in cols]
    for k in missing:  # reported where the label belongs, next to its neighbour
        c = cols[k - 1] + 1 if k - 1 in cols else cols[k + 1] - 1 if k + 1 in cols else hi + 1
        if c not in hits or hits[c] != k:
            rs.error(r, max(c, 0), f"expected the label Wk{k}, found {shown(rs.get(r, max(c, 0)))}")
    if missing:
        return None
    values = np.array([rs.number(r + 1, cols[k], bounds.RATIO) for k in range(1, WEEKS_PER_QUARTER + 1)])
    if np.all(np.isfinite(values)) and abs(values.sum() - 1.0) > 1e-6:
        span = f"{address(r + 1, lo)}:{address(r + 1, hi)}"
        rs.issues.append(
            Issue(
                "error",
                rs.name,
                span,
                f"expected the weekly ratios {span} to sum to 1, found {values.sum():.6g}",
            )
        )
    if not np.all(np.isfinite(values)):
        return None
    return values, (r, lo, r + 1, hi)
