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
The workbook is streamed with openpyxl's write-only mode (500 products x 34 quarters in a few
seconds); formulas have no cached values -- Excel recalculates on opening (``fullCalcOnLoad``) and
LibreOffice can be asked to (``tests/libreoffice.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

__all__ = [
    "SHEETS",
    "SUPPLY_DEMAND_ATTRIBUTES",
    "CAPACITY_ATTRIBUTES",
    "DemoData",
    "generate_demo_data",
    "write_demo_workbook",
    "quarter_label",
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

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FFA9C4E9")
_CENTER = Alignment(horizontal="center")

WEEKS_PER_QUARTER = 13
# Excel's limit is 8192 characters per formula; beyond this a SUMIF replaces the explicit sum.
_MAX_FORMULA_CHARS = 8000

_DEFINITIONS = (
    ("Yielded Supply",
     "Bytes that come out of the fab in the quarter: wafer starts x bytes per wafer x yield. "
     "Filled by the planner."),
    ("Safety Stock Target",
     "Stock to hold at the end of the quarter against demand and supply variability: weeks of "
     "supply x next quarter's demand / 13. Calculated."),
    ("Safety Stock Target (WOS)",
     "Safety stock target in weeks of supply. Given."),
    ("EffectiveDemand",
     "Demand for the quarter, in bytes. Given."),
    ("Total Projected Inventory Balance",
     "Stock at the end of the quarter: previous balance + yielded supply - demand. The first "
     "quarter column holds the opening stock. Calculated."),
    ("Inventory Balance in excess of SST",
     "Projected inventory balance minus the safety stock target. Calculated."),
)


def quarter_label(year: int, quarter: int) -> str:
    """``quarter_label(2025, 1) == 'Q1 25'`` -- the ``Qn yy`` labels of the real workbook."""
    return f"Q{quarter} {year % 100:02d}"


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DemoData:
    """The synthetic numbers written to a demo workbook (arrays ``[product, ...]``).

    ``quarters`` are the planning quarters; ``opening_quarter`` is the column before them that
    holds the opening stock.  ``week_quarter[t]`` indexes ``quarters``.
    """

    products: tuple[str, ...]
    opening_quarter: str
    quarters: tuple[str, ...]
    week_labels: tuple[str, ...]
    week_starts: tuple[dt.date, ...]
    week_quarter: np.ndarray          # [T] int
    density: np.ndarray               # [P] bytes per wafer (int)
    yields: np.ndarray                # [P, T] fraction
    capacity: np.ndarray              # [P, T] wafers per week (int)
    demand: np.ndarray                # [P, Q] bytes per quarter (whole bytes)
    wos: np.ndarray                   # [P] safety stock target in weeks of supply
    initial_stock: np.ndarray         # [P] bytes
    week_ratios: np.ndarray           # [13] back-loaded, sums to 1
    yielded_supply: np.ndarray | None  # [P, Q] bytes when a baseline supply is written
    capacity_bound: tuple[str, ...]

    @property
    def full_capacity_supply(self) -> np.ndarray:
        """[P, Q] bytes the product yields per quarter when every week runs at full capacity."""
        weekly = self.capacity * self.yields * self.density[:, None]
        out = np.zeros((len(self.products), len(self.quarters)))
        for q in range(len(self.quarters)):
            out[:, q] = weekly[:, self.week_quarter == q].sum(axis=1)
        return out


def _calendar(n_quarters: int, start_year: int, long_quarter: int | None):
    """Quarters, week labels, week starts and week->quarter of the planning horizon.

    The opening quarter is ``Q1 <start_year>``; planning starts with the next quarter.  Fiscal
    week 1 of ``start_year`` starts on the Monday of ISO week 1; weeks follow each other without
    gaps.  Week labels ``WW_nn`` count the weeks of the fiscal year (reset at every Q1), so a year
    with a 14-week quarter has a ``WW_53``.
    """
    if n_quarters < 1:
        raise ValueError("n_quarters must be at least 1")
    if long_quarter is not None and not 0 <= long_quarter < n_quarters:
        raise ValueError(f"long_quarter must index a planning quarter (0..{n_quarters - 1})")
    year, q = start_year, 1
    opening = quarter_label(year, q)
    monday = dt.date.fromisocalendar(start_year, 1, 1) + dt.timedelta(weeks=WEEKS_PER_QUARTER)
    week_in_year = WEEKS_PER_QUARTER  # the opening Q1 took weeks 1..13
    quarters, labels, starts, week_quarter = [], [], [], []
    for qi in range(n_quarters):
        q += 1
        if q == 5:
            year, q = year + 1, 1
            week_in_year = 0
        quarters.append(quarter_label(year, q))
        n_weeks = WEEKS_PER_QUARTER + (1 if qi == long_quarter else 0)
        for _ in range(n_weeks):
            week_in_year += 1
            labels.append(f"WW_{week_in_year:02d}")
            starts.append(monday)
            week_quarter.append(qi)
            monday += dt.timedelta(weeks=1)
    return opening, tuple(quarters), tuple(labels), tuple(starts), np.asarray(week_quarter)


def _week_ratios(seed: int) -> np.ndarray:
    """Back-loaded shares of a quarter's demand per week (3 decimals, summing to 1)."""
    rng = np.random.default_rng([seed, 0x5EED])
    base = np.linspace(1.0, 2.6, WEEKS_PER_QUARTER) ** 1.6
    base *= rng.uniform(0.9, 1.1, WEEKS_PER_QUARTER)
    base = np.sort(base)                              # demand piles up towards quarter end
    milli = np.floor(base / base.sum() * 1000).astype(int)
    milli[-1] += 1000 - milli.sum()                   # exact: integer thousandths sum to 1000
    return milli / 1000.0


def generate_demo_data(
    *,
    n_products: int = 3,
    n_quarters: int = 8,
    seed: int = 0,
    start_year: int = 2025,
    capacity_bound: Sequence[str] = ("P3",),
    long_quarter: int | None = None,
    baseline_supply: bool = False,
) -> DemoData:
    """The synthetic numbers of :func:`write_demo_workbook` (see there for the arguments)."""
    if n_products < 1:
        raise ValueError("n_products must be at least 1")
    products = tuple(f"P{i + 1}" for i in range(n_products))
    unknown = sorted(set(capacity_bound) - set(products))
    if unknown:
        raise ValueError(f"capacity_bound names unknown products {unknown}; products are P1..P{n_products}")
    opening, quarters, labels, starts, week_quarter = _calendar(n_quarters, start_year, long_quarter)
    n_weeks = len(labels)
    quarter_of_year = np.array([int(q[1]) for q in quarters])
    weeks_per_q = np.bincount(week_quarter, minlength=n_quarters)

    density = np.empty(n_products, dtype=np.int64)
    yields = np.empty((n_products, n_weeks))
    capacity = np.empty((n_products, n_weeks), dtype=np.int64)
    demand = np.empty((n_products, n_quarters))
    wos = np.empty(n_products)
    initial = np.empty(n_products)
    supply = np.zeros((n_products, n_quarters)) if baseline_supply else None
    t = np.arange(n_weeks)
    for i, name in enumerate(products):
        rng = np.random.default_rng([seed, i])
        density[i] = int(round(rng.uniform(5.0e4, 1.0e5) / 50.0)) * 50
        # Yield: a learning curve towards a mature level, with a little week-to-week noise.
        y_start, y_mature = rng.uniform(0.855, 0.9), rng.uniform(0.905, 0.945)
        tau = rng.uniform(20, 120)
        y = y_mature - (y_mature - y_start) * np.exp(-t / tau) + rng.normal(0, 0.002, n_weeks)
        yields[i] = np.round(np.clip(y, 0.85, 0.95), 4)
        # Capacity: a ramp of 0-2 % per quarter, weekly noise and a few maintenance weeks.
        c0 = rng.uniform(1500, 6000)
        growth = rng.uniform(0.0, 0.02) / WEEKS_PER_QUARTER
        cap = c0 * (1 + growth) ** t * rng.lognormal(0.0, 0.04, n_weeks)
        down = rng.random(n_weeks) < 0.03
        cap[down] *= rng.uniform(0.6, 0.85, int(down.sum()))
        capacity[i] = np.maximum(np.round(cap), 100).astype(np.int64)
        # Quarterly demand = share x full-capacity supply x seasonality x noise.
        weekly_full = capacity[i] * yields[i] * density[i]
        full = np.bincount(week_quarter, weights=weekly_full, minlength=n_quarters)
        amplitude = rng.uniform(0.03, 0.10)
        season = 1 + amplitude * np.cos(2 * np.pi * (quarter_of_year - 4) / 4)   # peaks in Q4
        noise = rng.lognormal(0.0, 0.04, n_quarters)
        if name in capacity_bound:
            share = np.clip(rng.uniform(1.55, 1.95) * season * noise, 1.5, 2.0)
        else:
            share = np.clip(rng.uniform(0.62, 0.84) * season * noise, 0.55, 0.92)
        demand[i] = np.round(full * share)
        wos[i] = round(rng.uniform(1.2, 2.0), 3)
        initial[i] = round(rng.uniform(0.3, 1.0) * demand[i, 0] / weeks_per_q[0])
        if supply is not None:
            # A naive plan for demonstrations: supply the demand where capacity allows.
            supply[i] = np.round(np.minimum(full, demand[i]))
    return DemoData(
        products=products,
        opening_quarter=opening,
        quarters=quarters,
        week_labels=labels,
        week_starts=starts,
        week_quarter=week_quarter,
        density=density,
        yields=yields,
        capacity=capacity,
        demand=demand,
        wos=wos,
        initial_stock=initial,
        week_ratios=_week_ratios(seed),
        yielded_supply=supply,
        capacity_bound=tuple(capacity_bound),
    )


# --------------------------------------------------------------------------- writing
class _Styled:
    """Streams values through one styled write-only cell (openpyxl writes a row cell by cell,
    synchronously, so one template per number format avoids a style lookup per cell)."""

    def __init__(self, ws, number_format: str | None = None, *, header: bool = False):
        self.cell = WriteOnlyCell(ws)
        if number_format:
            self.cell.number_format = number_format
        if header:
            self.cell.font = _HEADER_FONT
            self.cell.fill = _HEADER_FILL

    def __call__(self, value):
        if value is None:
            return None
        self.cell.value = value
        return self.cell


def _row(*parts: Iterable) -> Iterator:
    """A row for ``ws.append`` from pieces (plain values, or values mapped through a template)."""
    for part in parts:
        yield from part


def _mapped(template: _Styled, values: Iterable) -> Iterator:
    for v in values:
        yield template(v)


def _num(x: float):
    """Whole numbers as int (clean cells), others as float."""
    xf = float(x)
    return int(xf) if xf.is_integer() else xf


def _write_supply_demand(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_SUPPLY_DEMAND)
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 32
    for c in range(3, len(data.quarters) + 4):
        ws.column_dimensions[get_column_letter(c)].width = 16
    ws.freeze_panes = "C2"
    head = _Styled(ws, header=True)
    by, wo = _Styled(ws, FMT_BYTES), _Styled(ws, FMT_WOS)
    ws.append(_mapped(head, ["Product ID", "Attribute", data.opening_quarter, *data.quarters]))
    n_q = len(data.quarters)
    cols = [get_column_letter(c) for c in range(3, n_q + 4)]   # cols[0] is the opening quarter
    for i, name in enumerate(data.products):
        r = 2 + 6 * i
        r_sup, r_sst, r_wos, r_dem, r_inv = r, r + 1, r + 2, r + 3, r + 4
        supply = [None] * n_q if data.yielded_supply is None else [_num(v) for v in data.yielded_supply[i]]
        sst = [f"=({cols[k + 1]}{r_dem}/13)*{cols[k]}{r_wos}" for k in range(1, n_q)] + [0]
        inv = [f"={cols[k - 1]}{r_inv}+{cols[k]}{r_sup}-{cols[k]}{r_dem}" for k in range(1, n_q + 1)]
        excess = [
            f"={cols[k - 1]}{r_inv}+{cols[k]}{r_sup}-{cols[k]}{r_sst}-{cols[k]}{r_dem}"
            for k in range(1, n_q + 1)
        ]
        rows = (
            (by, [0, *supply]),
            (by, [0, *sst]),
            (wo, [0, *([_num(data.wos[i])] * n_q)]),
            (by, [0, *(_num(v) for v in data.demand[i])]),
            (by, [_num(data.initial_stock[i]), *inv]),
            (by, [0, *excess]),
        )
        for attribute, (tmpl, values) in zip(SUPPLY_DEMAND_ATTRIBUTES, rows):
            ws.append(_row((name, attribute), _mapped(tmpl, values)))


def _write_density(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_DENSITY)
    fmt = _Styled(ws, FMT_WAFERS)
    ws.append(list(data.products))
    ws.append(_mapped(fmt, (int(d) for d in data.density)))


def _write_ratio(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_RATIO)
    fmt = _Styled(ws, FMT_RATIO)
    ws.append([f"Wk{k}" for k in range(1, WEEKS_PER_QUARTER + 1)])
    ws.append(_mapped(fmt, (float(v) for v in data.week_ratios)))


def _write_wafer_plan(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_WAFER_PLAN)
    ws.column_dimensions["A"].width = 18
    ws.freeze_panes = "B3"
    n_p, n_w = len(data.products), len(data.week_labels)
    fmt = _Styled(ws, FMT_BYTES)
    ws.append(["", *(data.quarters[q] for q in data.week_quarter)])
    ws.append(["Design Handle", *data.week_labels])
    last = 3 + n_p
    ws.append(_row(
        ("Total",),
        _mapped(fmt, (f"=+SUM({c}4:{c}{last})" for c in map(get_column_letter, range(2, n_w + 2)))),
    ))
    for name in data.products:
        ws.append([name])


def _total_formula(col: str, rows: Sequence[int], first: int, last: int) -> str:
    explicit = "=+" + "+".join(f"{col}{r}" for r in rows)
    if len(explicit) <= _MAX_FORMULA_CHARS:
        return explicit
    return f'=SUMIF($B${first}:$B${last},"{CAPACITY_ATTRIBUTES[0]}",{col}{first}:{col}{last})'


def _write_boundary(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_BOUNDARY)
    ws.column_dimensions["A"].width = 15
    ws.column_dimensions["B"].width = 26
    ws.freeze_panes = "C3"
    n_p, n_w = len(data.products), len(data.week_labels)
    fmt = _Styled(ws, FMT_WAFERS)
    ws.append(_row((None, ""), _mapped(fmt, (data.quarters[q] for q in data.week_quarter))))
    ws.append(_row(("Product ID", "Attribute"), _mapped(fmt, data.week_labels)))
    cap_rows = [6 + 3 * i for i in range(n_p)]
    first, last = 6, 5 + 3 * n_p
    cols = [get_column_letter(c) for c in range(3, n_w + 3)]
    ws.append(_row(("Total", CAPACITY_ATTRIBUTES[0]),
                   _mapped(fmt, (_total_formula(c, cap_rows, first, last) for c in cols))))
    ws.append(["Total", CAPACITY_ATTRIBUTES[1]])
    ws.append(["Total", CAPACITY_ATTRIBUTES[2]])
    for i, name in enumerate(data.products):
        ws.append(_row((name, CAPACITY_ATTRIBUTES[0]), _mapped(fmt, data.capacity[i].tolist())))
        ws.append([name, CAPACITY_ATTRIBUTES[1]])
        ws.append([name, CAPACITY_ATTRIBUTES[2]])


def _write_yield(wb: Workbook, data: DemoData) -> None:
    ws = wb.create_sheet(SHEET_YIELD)
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 10
    ws.freeze_panes = "C3"
    n_w = len(data.week_labels)
    head = _Styled(ws)
    head.cell.alignment = _CENTER
    date_fmt, y_fmt = _Styled(ws, FMT_DATE), _Styled(ws, FMT_YIELD)
    # Quarter labels: only the first week of a quarter carries one, merged over the quarter.
    labels: list[str | None] = [None] * n_w
    for q in range(len(data.quarters)):
        weeks = np.flatnonzero(data.week_quarter == q)
        lo, hi = int(weeks[0]) + 3, int(weeks[-1]) + 3
        labels[lo - 3] = data.quarters[q]
        if hi > lo:
            ws.merged_cells.add(CellRange(min_col=lo, min_row=1, max_col=hi, max_row=1))
    ws.append(_row(("", ""), _mapped(head, labels)))
    starts = (dt.datetime.combine(d, dt.time()) for d in data.week_starts)
    ws.append(_row(("Product ID", None), _mapped(date_fmt, starts)))
    for i, name in enumerate(data.products):
        ws.append(_row((name, "Yield"), _mapped(y_fmt, data.yields[i].tolist())))


def _write_definitions(wb: Workbook) -> None:
    ws = wb.create_sheet(SHEET_DEFINITIONS)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    for attribute, text in _DEFINITIONS:
        ws.append([attribute, text])


def _write_notes(wb: Workbook, data: DemoData, seed: int) -> None:
    ws = wb.create_sheet(SHEET_NOTES)
    ws.sheet_state = "hidden"
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 60
    ws.append([])
    ws.append(["Synthetic demo workbook", f"linealytics_xl.adapters.demo_workbook, seed {seed}"])
    ws.append(["Capacity-bound products", ", ".join(data.capacity_bound) or "none"])
    ws.append(["Inventory band", "Keep the projected balance within a band per quarter"])


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
    """Write ``data`` in the real layout to ``path`` (parent directories are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    wb.properties.creator = "linealytics_xl demo_workbook"
    _write_supply_demand(wb, data)
    _write_density(wb, data)
    _write_ratio(wb, data)
    _write_wafer_plan(wb, data)
    _write_boundary(wb, data)
    _write_yield(wb, data)
    _write_definitions(wb)
    _write_notes(wb, data, seed)
    wb.calculation.fullCalcOnLoad = True
    wb.save(path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic planning workbook.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--products", type=int, default=3)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start-year", type=int, default=2025)
    parser.add_argument("--capacity-bound", nargs="*", default=["P3"])
    parser.add_argument("--long-quarter", type=int, default=None)
    parser.add_argument("--baseline-supply", action="store_true")
    args = parser.parse_args(argv)
    out = write_demo_workbook(
        args.output,
        n_products=args.products,
        n_quarters=args.quarters,
        seed=args.seed,
        start_year=args.start_year,
        capacity_bound=tuple(args.capacity_bound),
        long_quarter=args.long_quarter,
        baseline_supply=args.baseline_supply,
    )
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
