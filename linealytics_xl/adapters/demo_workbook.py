"""Synthetic planning workbooks in the real layout.

The planning workbook of the hackathon (``micron_hackathon_2025.xlsx``) defines the native input
format; its numbers must not travel with the product.  This module writes workbooks with *the same
layout* -- sheet names, header texts, attribute rows and their order, merged quarter labels, number
formats and the same kinds of formulas -- filled with synthetic, seeded data:

* ``Supply_Demand``: ``Product ID`` / ``Attribute`` / one column per fiscal quarter (``Q1 25`` ...),
  the first quarter column being the opening position.  Per product six rows; ``Safety Stock
  Target`` is the formula ``=(E5/13)*D4`` (WOS x next quarter's demand / 13), ``Total Projected
  Inventory Balance`` is ``=C6+D2-D5`` and ``Inventory Balance in excess of SST`` is
  ``=C6+D2-D3-D5``, exactly the kinds of formulas of the real file.
* ``Density per Wafer``, ``Weekly Demand Ratio`` (``Wk1`` .. ``Wk13``, back-loaded, sums to 1),
  ``Wafer Plan`` (quarter row, ``WW_nn`` row, ``Total`` row of ``=+SUM(..)`` formulas, one empty row
  per product), ``Boundary Conditions`` (``Total`` rows first, its ``Available Capacity`` a formula
  summing the products), ``Yield`` (merged quarter labels, real dates, one row per product),
  ``Definitions`` and a hidden ``Solution and Notes``.

Data are sized like a fab: densities 5e4-1e5 bytes per wafer, yields 0.85-0.95, capacities of a few
thousand wafers per week; quarterly demand has a trend (the capacity ramp), a seasonal pattern and
noise.  Most products need 60-90 % of their capacity; the products named in ``capacity_bound`` have
1.5-2x more demand than their full capacity can supply, so a correct plan must report shortages.

Values depend only on the arguments: each product draws from its own random stream
``(seed, product index)``, so ``P1`` has the same data whether 3 or 500 products are written.
The xlsx package is written by :mod:`.demo_xlsx` (500 products x 34 quarters in about two
seconds; openpyxl takes ten times longer); formulas have no cached values -- Excel recalculates on
opening (``fullCalcOnLoad``) and LibreOffice can be asked to (``tests/libreoffice.py``).  The
numbers come from :mod:`.demo_data`; this module holds the sheet layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .demo_data import WEEKS_PER_QUARTER, DemoData, generate_demo_data, quarter_label
from .demo_xlsx import HEADER, Book, Style, column

__all__ = [
    "CAPACITY_ATTRIBUTES",
    "SHEETS",
    "SUPPLY_DEMAND_ATTRIBUTES",
    "DemoData",
    "generate_demo_data",
    "quarter_label",
    "write_demo_workbook",
    "write_workbook",
]

# --------------------------------------------------------------------------- layout constants
SHEET_SUPPLY_DEMAND = "Supply_Demand"
SHEET_DENSITY = "Density per Wafer"
SHEET_RATIO = "Weekly Demand Ratio"
SHEET_WAFER_PLAN = "Wafer Plan"
SHEET_BOUNDARY = "Boundary Conditions"
SHEET_YIELD = "Yield"
SHEET_DEFINITIONS = "Definitions"
SHEET_NOTES = "Solution and Notes"
SHEETS = (
    SHEET_SUPPLY_DEMAND,
    SHEET_DENSITY,
    SHEET_RATIO,
    SHEET_WAFER_PLAN,
    SHEET_BOUNDARY,
    SHEET_YIELD,
    SHEET_DEFINITIONS,
    SHEET_NOTES,
)

SUPPLY_DEMAND_ATTRIBUTES = (
    "Yielded Supply",
    "Safety Stock Target",
    "Safety Stock Target (WOS)",
    "EffectiveDemand",
    "Total Projected Inventory Balance",
    "Inventory Balance in excess of SST",
)
CAPACITY_ATTRIBUTES = ("Available Capacity", "Scheduled Capacity", "Over/Under Capacity")

# Number formats of the real workbook.
FMT_BYTES = "#,##0;\\-#,##0"
FMT_WOS = "#,##0.00;\\-#,##0.00"
FMT_WAFERS = "#,##0"
FMT_YIELD = "#,##0.00%;\\-#,##0.00%"
FMT_RATIO = "0.00%"
FMT_DATE = "mm-dd-yy"

# Excel's limit is 8192 characters per formula; beyond this a SUMIF replaces the explicit sum.
_MAX_FORMULA_CHARS = 8000

_DEFINITIONS = (
    (
        "Yielded Supply",
        "Bytes that come out of the fab in the quarter: wafer starts x bytes per wafer x yield. "
        "Filled by the planner.",
    ),
    (
        "Safety Stock Target",
        "Stock to hold at the end of the quarter against demand and supply variability: weeks of "
        "supply x next quarter's demand / 13. Calculated.",
    ),
    ("Safety Stock Target (WOS)", "Safety stock target in weeks of supply. Given."),
    ("EffectiveDemand", "Demand for the quarter, in bytes. Given."),
    (
        "Total Projected Inventory Balance",
        "Stock at the end of the quarter: previous balance + yielded supply - demand. The first "
        "quarter column holds the opening stock. Calculated.",
    ),
    (
        "Inventory Balance in excess of SST",
        "Projected inventory balance minus the safety stock target. Calculated.",
    ),
)


_BYTES = Style(FMT_BYTES)
_WOS = Style(FMT_WOS)
_WAFERS = Style(FMT_WAFERS)


def _write_supply_demand(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_SUPPLY_DEMAND, freeze="C2", widths={"A": 12, "B": 32}, default_width=16)
    ws.append((["Product ID", "Attribute", data.opening_quarter, *data.quarters], HEADER))
    n_q = len(data.quarters)
    cols = [column(c) for c in range(3, n_q + 4)]  # cols[0] is the opening quarter
    for i, name in enumerate(data.products):
        r_sup = 2 + 6 * i
        r_sst, r_wos, r_dem, r_inv = r_sup + 1, r_sup + 2, r_sup + 3, r_sup + 4
        supply = [None] * n_q if data.yielded_supply is None else data.yielded_supply[i].tolist()
        sst = [f"=({cols[k + 1]}{r_dem}/13)*{cols[k]}{r_wos}" for k in range(1, n_q)] + [0]
        inv = [f"={cols[k - 1]}{r_inv}+{cols[k]}{r_sup}-{cols[k]}{r_dem}" for k in range(1, n_q + 1)]
        excess = [
            f"={cols[k - 1]}{r_inv}+{cols[k]}{r_sup}-{cols[k]}{r_sst}-{cols[k]}{r_dem}"
            for k in range(1, n_q + 1)
        ]
        rows: tuple[tuple[list[object], Style], ...] = (
            ([0, *supply], _BYTES),
            ([0, *sst], _BYTES),
            ([0, *([float(data.wos[i])] * n_q)], _WOS),
            ([0, *data.demand[i].tolist()], _BYTES),
            ([float(data.initial_stock[i]), *inv], _BYTES),
            ([0, *excess], _BYTES),
        )
        for attribute, segment in zip(SUPPLY_DEMAND_ATTRIBUTES, rows):
            ws.append(((name, attribute), None), segment)


def _write_density(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_DENSITY)
    ws.append((data.products, None))
    ws.append((data.density.tolist(), _WAFERS))


def _write_ratio(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_RATIO)
    ws.append(([f"Wk{k}" for k in range(1, WEEKS_PER_QUARTER + 1)], None))
    ws.append((data.week_ratios.tolist(), Style(FMT_RATIO)))


def _write_wafer_plan(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_WAFER_PLAN, freeze="B3", widths={"A": 18})
    n_p, n_w = len(data.products), len(data.week_labels)
    ws.append((["", *(data.quarters[q] for q in data.week_quarter)], None))
    ws.append((["Design Handle", *data.week_labels], None))
    last = 3 + n_p
    totals = [f"=+SUM({c}4:{c}{last})" for c in (column(k) for k in range(2, n_w + 2))]
    ws.append((["Total"], None), (totals, _BYTES))
    for name in data.products:
        ws.append(([name], None))


def _total_formula(col: str, rows: Sequence[int], first: int, last: int) -> str:
    explicit = "=+" + "+".join(f"{col}{r}" for r in rows)
    if len(explicit) <= _MAX_FORMULA_CHARS:
        return explicit
    return f'=SUMIF($B${first}:$B${last},"{CAPACITY_ATTRIBUTES[0]}",{col}{first}:{col}{last})'


def _write_boundary(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_BOUNDARY, freeze="C3", widths={"A": 15, "B": 26})
    n_p, n_w = len(data.products), len(data.week_labels)
    ws.append(((None, ""), None), ([data.quarters[q] for q in data.week_quarter], _WAFERS))
    ws.append((("Product ID", "Attribute"), None), (data.week_labels, _WAFERS))
    cap_rows = [6 + 3 * i for i in range(n_p)]
    first, last = 6, 5 + 3 * n_p
    totals = [_total_formula(column(c), cap_rows, first, last) for c in range(3, n_w + 3)]
    ws.append((("Total", CAPACITY_ATTRIBUTES[0]), None), (totals, _WAFERS))
    ws.append((("Total", CAPACITY_ATTRIBUTES[1]), None))
    ws.append((("Total", CAPACITY_ATTRIBUTES[2]), None))
    for i, name in enumerate(data.products):
        ws.append(((name, CAPACITY_ATTRIBUTES[0]), None), (data.capacity[i].tolist(), _WAFERS))
        ws.append(((name, CAPACITY_ATTRIBUTES[1]), None))
        ws.append(((name, CAPACITY_ATTRIBUTES[2]), None))


def _write_yield(book: Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_YIELD, freeze="C3", widths={"A": 12, "B": 10}, default_width=10)
    n_w = len(data.week_labels)
    # Quarter labels: only the first week of a quarter carries one, merged over the quarter.
    labels: list[str | None] = [None] * n_w
    for q in range(len(data.quarters)):
        weeks = np.flatnonzero(data.week_quarter == q)
        lo, hi = int(weeks[0]), int(weeks[-1])
        labels[lo] = data.quarters[q]
        if hi > lo:
            ws.merge(lo + 3, hi + 3, 1)
    ws.append((("", ""), None), (labels, Style(align="center")))
    starts = [dt.datetime.combine(d, dt.time()) for d in data.week_starts]
    ws.append((("Product ID", None), None), (starts, Style(FMT_DATE)))
    y_style = Style(FMT_YIELD)
    for i, name in enumerate(data.products):
        ws.append(((name, "Yield"), None), (data.yields[i].tolist(), y_style))


def _write_definitions(book: Book) -> None:
    ws = book.sheet(SHEET_DEFINITIONS, widths={"A": 34, "B": 100})
    for attribute, text in _DEFINITIONS:
        ws.append(((attribute, text), None))


def _write_notes(book: Book, data: DemoData, seed: int) -> None:
    ws = book.sheet(SHEET_NOTES, state="hidden", widths={"A": 40, "B": 60})
    ws.append(((), None))
    ws.append((("Synthetic demo workbook", f"linealytics_xl.adapters.demo_workbook, seed {seed}"), None))
    ws.append((("Capacity-bound products", ", ".join(data.capacity_bound) or "none"), None))
    ws.append((("Inventory band", "Keep the projected balance within a band per quarter"), None))


def write_demo_workbook(
    path: str | Path,
    *,
    n_products: int = 3,
    n_quarters: int = 8,
    seed: int = 0,
    start_year: int = 2025,
    capacity_bound: Sequence[str] = ("P3",),
    long_quarter: int | None = None,
    baseline_supply: bool = False,
) -> Path:
    """Write a synthetic planning workbook in the real layout and return its path.

    ``n_quarters`` planning quarters follow the opening quarter ``Q1 <start_year>`` (so
    ``Supply_Demand`` has ``n_quarters + 1`` quarter columns).  Every quarter has 13 weeks except
    the planning quarter with 0-based index ``long_quarter``, which has 14.  Products are
    ``P1``..``Pn``; those in ``capacity_bound`` get 1.5-2x more demand than full capacity supplies.
    ``Yielded Supply`` is left empty (it is the planner's output) unless ``baseline_supply``, which
    fills it with a naive plan (demand, capped by full-capacity supply) for demonstrations.
    The last quarter's ``Safety Stock Target`` is 0 (no next quarter; the final stock target is 0).
    """
    data = generate_demo_data(
        n_products=n_products,
        n_quarters=n_quarters,
        seed=seed,
        start_year=start_year,
        capacity_bound=capacity_bound,
        long_quarter=long_quarter,
        baseline_supply=baseline_supply,
    )
    return write_workbook(data, path, seed=seed)


def write_workbook(data: DemoData, path: str | Path, *, seed: int = 0) -> Path:
    """Write ``data`` in the real layout to ``path`` (parent directories are created; the file is
    replaced atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Book()
    _write_supply_demand(book, data)
    _write_density(book, data)
    _write_ratio(book, data)
    _write_wafer_plan(book, data)
    _write_boundary(book, data)
    _write_yield(book, data)
    _write_definitions(book)
    _write_notes(book, data, seed)
    book.save(path, creator="linealytics_xl demo_workbook")
    return path
