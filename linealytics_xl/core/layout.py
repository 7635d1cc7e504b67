"""Read the planning workbook's native layout into `PlanningData`.

The input is a plain mapping ``sheet name -> grid`` (rows of cell values from A1, formulas as
``"=..."`` strings), so the same code serves a file read by openpyxl and a live book read through
xlwings.  Rows and columns are found by their labels, never by fixed addresses.  Every problem is
collected with its sheet and cell; errors raise `InputError` once all sheets were looked at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .cells import address, evaluate_sum_formula, is_formula
from .model import InputError, Issue, PlanningData, WeekAxis
from .weekly import weekly_demand

Grid = Sequence[Sequence[Any]]

SUPPLY_DEMAND = "Supply_Demand"
DENSITY = "Density per Wafer"
RATIOS = "Weekly Demand Ratio"
WAFER_PLAN = "Wafer Plan"
BOUNDARY = "Boundary Conditions"
YIELD = "Yield"
REQUIRED_SHEETS = (SUPPLY_DEMAND, DENSITY, RATIOS, WAFER_PLAN, BOUNDARY, YIELD)

ATTR_SUPPLY = "Yielded Supply"
ATTR_SST = "Safety Stock Target"
ATTR_WOS = "Safety Stock Target (WOS)"
ATTR_DEMAND = "EffectiveDemand"
ATTR_INVENTORY = "Total Projected Inventory Balance"
ATTR_CAPACITY = "Available Capacity"
ATTR_SCHEDULED = "Scheduled Capacity"
ATTR_OVER_UNDER = "Over/Under Capacity"
TOTAL = "Total"

QUARTER_RE = re.compile(r"^Q([1-4])\s*(\d{2}|\d{4})$")
WEEK_RE = re.compile(r"^WW_?(\d{1,2})$", re.IGNORECASE)
RATIO_RE = re.compile(r"^Wk\s*(\d{1,2})$", re.IGNORECASE)
WEEKS_PER_QUARTER = 13


def text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


class Sheet:
    """A grid with label look-ups and issue reporting for one sheet."""

    def __init__(self, name: str, grid: Grid, issues: list[Issue]):
        self.name = name
        self.rows = [list(r) for r in grid]
        self.width = max((len(r) for r in self.rows), default=0)
        self.issues = issues

    def get(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def error(self, r: int | None, c: int | None, message: str) -> None:
        cell = address(r, c) if r is not None and c is not None else ""
        self.issues.append(Issue("error", self.name, cell, message))

    def warn(self, r: int | None, c: int | None, message: str) -> None:
        cell = address(r, c) if r is not None and c is not None else ""
        self.issues.append(Issue("warning", self.name, cell, message))

    def find(self, label: str, max_rows: int = 50) -> tuple[int, int] | None:
        """First cell (row-major) whose text equals ``label`` (case-insensitive)."""
        want = label.lower()
        for r, row in enumerate(self.rows[:max_rows]):
            for c, v in enumerate(row):
                if text(v).lower() == want:
                    return r, c
        return None

    def row_matching(self, pattern: re.Pattern[str], min_hits: int = 2) -> int | None:
        """First row with at least ``min_hits`` cells matching ``pattern``."""
        for r, row in enumerate(self.rows):
            if sum(1 for v in row if pattern.match(text(v))) >= min_hits:
                return r
        return None

    def number(self, r: int, c: int, what: str, *, minimum: float | None = 0.0,
               blank: float | None = None, evaluate: bool = False) -> float:
        """A numeric input cell; reports and returns NaN when it is not what ``what`` says."""
        v = self.get(r, c)
        if evaluate and is_formula(v):
            v = evaluate_sum_formula(v, self.get)
            if v is None:
                self.error(r, c, f"expected {what}, found formula {self.get(r, c)!r} that cannot be evaluated")
                return float("nan")
        if v is None or text(v) == "":
            if blank is not None:
                return blank
            self.error(r, c, f"expected {what}, found an empty cell")
            return float("nan")
        if not is_number(v):
            self.error(r, c, f"expected {what}, found {v!r}")
            return float("nan")
        if minimum is not None and v < minimum:
            self.error(r, c, f"expected {what}, found {v!r} (negative)")
            return float("nan")
        return float(v)


def product_rows(sheet: Sheet, header_row: int, product_col: int, attr_col: int | None) -> dict[tuple[str, str], int]:
    """Map (product, attribute) -> row below the header; duplicates are errors."""
    found: dict[tuple[str, str], int] = {}
    for r in range(header_row + 1, len(sheet.rows)):
        product = text(sheet.get(r, product_col))
        if not product:
            continue
        attr = text(sheet.get(r, attr_col)) if attr_col is not None else ""
        key = (product, attr.lower())
        if key in found:
            sheet.error(r, product_col, f"duplicate row for product {product!r}"
                        + (f" / {attr!r}" if attr else "") + f"; first one is row {found[key] + 1}")
            continue
        found[key] = r
    return found


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = text(value)
    for fmt in ("%m-%d-%y", "%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def read_planning_data(sheets: Mapping[str, Grid]) -> PlanningData:
    """Build `PlanningData` from the workbook's sheets; raises `InputError` listing every error."""
    issues: list[Issue] = []
    missing = [s for s in REQUIRED_SHEETS if s not in sheets]
    for name in missing:
        issues.append(Issue("error", name, "", f"sheet missing; expected a sheet named {name!r} "
                                                f"(sheets present: {', '.join(sheets) or 'none'})"))
    if missing:
        raise InputError(issues)
    sd = Sheet(SUPPLY_DEMAND, sheets[SUPPLY_DEMAND], issues)
    bc = Sheet(BOUNDARY, sheets[BOUNDARY], issues)
    ys = Sheet(YIELD, sheets[YIELD], issues)
    ds = Sheet(DENSITY, sheets[DENSITY], issues)
    rs = Sheet(RATIOS, sheets[RATIOS], issues)
    wp = Sheet(WAFER_PLAN, sheets[WAFER_PLAN], issues)

    weeks, week_cols = _week_axis(bc, issues)
    products, bc_rows = _products(bc)
    quarters = tuple(dict.fromkeys(weeks.quarters))
    week_quarter = np.array([quarters.index(q) for q in weeks.quarters], dtype=int)
    _check_contiguous(bc, weeks, week_cols)

    qdemand, wos, sst_given, initial, opening = _supply_demand(sd, products, quarters)
    density = _density(ds, products)
    ratios = _ratios(rs)
    yields, starts = _yield(ys, products, weeks, week_cols)
    capacity, total_cap = _capacity(bc, products, bc_rows, week_cols)
    _check_wafer_plan(wp, products, weeks)

    if any(i.severity == "error" for i in issues):
        raise InputError(issues)

    weeks = WeekAxis(weeks.labels, weeks.quarters, starts)
    demand = weekly_demand(qdemand, week_quarter, ratios)
    safety = safety_stock_targets(wos, qdemand)
    _compare_pasted_sst(sd, products, quarters, sst_given, safety)
    return PlanningData(
        products=products, weeks=weeks, quarters=quarters, week_quarter=week_quarter,
        quarterly_demand=qdemand, week_ratios=ratios, demand=demand, yields=yields,
        density=density, capacity=capacity, total_capacity=total_cap, initial_stock=initial,
        wos=wos, safety_stock=safety, opening_quarter=opening,
        warnings=[i for i in issues if i.severity == "warning"],
    )


def safety_stock_targets(wos: np.ndarray, quarterly_demand: np.ndarray) -> np.ndarray:
    """The workbook's rule: SST(q) = WOS(q) x demand(q+1) / 13; the last quarter's is 0.

    Zero in the last quarter matches both the sheet (its formula then references an empty cell)
    and the brief's final stock target of zero.
    """
    nxt = np.zeros_like(quarterly_demand)
    nxt[:, :-1] = quarterly_demand[:, 1:]
    return wos * nxt / WEEKS_PER_QUARTER


def _week_axis(bc: Sheet, issues: list[Issue]) -> tuple[WeekAxis, list[int]]:
    r = bc.row_matching(WEEK_RE)
    if r is None:
        bc.error(None, None, "expected a row of week labels such as 'WW_09'; none found")
        raise InputError(issues)
    cols = [c for c in range(bc.width) if WEEK_RE.match(text(bc.get(r, c)))]
    first, last = cols[0], cols[-1]
    for c in range(first, last + 1):
        if c not in cols:
            bc.error(r, c, f"expected a week label (week axis has a gap), found {bc.get(r, c)!r}")
    labels, quarters = [], []
    current = ""
    for c in cols:
        q = text(bc.get(r - 1, c)) if r > 0 else ""
        if q:
            if not QUARTER_RE.match(q):
                bc.error(r - 1, c, f"expected a quarter label such as 'Q3 95', found {q!r}")
            current = q
        elif not current:
            bc.error(r - 1, c, "expected the quarter label of the first week, found an empty cell")
        labels.append(text(bc.get(r, c)).upper())
        quarters.append(current)
    for i in range(1, len(labels)):
        a, b = int(WEEK_RE.match(labels[i - 1]).group(1)), int(WEEK_RE.match(labels[i]).group(1))
        if b != a + 1 and not (b == 1 and a >= 52):
            bc.warn(r, cols[i], f"expected week label after {labels[i - 1]}, found {labels[i]}")
    return WeekAxis(tuple(labels), tuple(quarters), tuple([None] * len(cols))), cols


def _check_contiguous(bc: Sheet, weeks: WeekAxis, cols: list[int]) -> None:
    seen: set[str] = set()
    for i, q in enumerate(weeks.quarters):
        if q in seen and weeks.quarters[i - 1] != q:
            bc.error(0, cols[i], f"expected the weeks of quarter {q} to be contiguous; {q} starts again here")
        seen.add(q)


def _products(bc: Sheet) -> tuple[tuple[str, ...], dict[tuple[str, str], int]]:
    hdr = bc.find("Product ID")
    if hdr is None:
        bc.error(None, None, "expected a header cell 'Product ID'; none found")
        return (), {}
    attr = bc.find("Attribute")
    rows = product_rows(bc, hdr[0], hdr[1], attr[1] if attr else hdr[1] + 1)
    products = tuple(dict.fromkeys(p for p, a in rows if p != TOTAL and a == ATTR_CAPACITY.lower()))
    if not products:
        bc.error(hdr[0], hdr[1], f"expected product rows with attribute {ATTR_CAPACITY!r}; none found")
    return products, rows


def _supply_demand(sd: Sheet, products: Sequence[str], quarters: Sequence[str]):
    P, Q = len(products), len(quarters)
    qdemand, wos = np.zeros((P, Q)), np.zeros((P, Q))
    sst_given: dict[tuple[int, int], tuple[int, int, float]] = {}
    initial = np.zeros(P)
    hdr = sd.find("Product ID")
    if hdr is None:
        sd.error(None, None, "expected a header cell 'Product ID'; none found")
        return qdemand, wos, sst_given, initial, ""
    hr, pc = hdr
    attr = sd.find("Attribute")
    ac = attr[1] if attr else pc + 1
    qcols = {text(sd.get(hr, c)): c for c in range(sd.width) if QUARTER_RE.match(text(sd.get(hr, c)))}
    if not qcols:
        sd.error(hr, ac + 1, "expected quarter columns such as 'Q2 95'; none found")
        return qdemand, wos, sst_given, initial, ""
    opening = next(iter(qcols))
    if opening in quarters:
        sd.error(hr, qcols[opening], f"expected the first quarter column to be the opening position "
                                     f"(a quarter before the first planned week), found {opening!r}, which has weeks")
    for q in quarters:
        if q not in qcols:
            sd.error(hr, ac, f"expected a column for quarter {q!r} (it has weeks in "
                                                f"{BOUNDARY!r}); none found")
    rows = product_rows(sd, hr, pc, ac)
    for p, product in enumerate(products):
        for attr_name in (ATTR_DEMAND, ATTR_WOS, ATTR_INVENTORY):
            if (product, attr_name.lower()) not in rows:
                sd.error(hr, pc, f"expected a row for product {product!r} with attribute {attr_name!r}; none found")
        if (product, ATTR_DEMAND.lower()) in rows:
            r = rows[(product, ATTR_DEMAND.lower())]
            for k, q in enumerate(quarters):
                if q in qcols:
                    qdemand[p, k] = sd.number(r, qcols[q], "a demand in bytes (a number >= 0)", blank=0.0)
        if (product, ATTR_WOS.lower()) in rows:
            r = rows[(product, ATTR_WOS.lower())]
            for k, q in enumerate(quarters):
                if q in qcols:
                    wos[p, k] = sd.number(r, qcols[q], "a safety stock in weeks of supply (a number >= 0)", blank=0.0)
        if (product, ATTR_INVENTORY.lower()) in rows:
            r = rows[(product, ATTR_INVENTORY.lower())]
            initial[p] = sd.number(r, qcols[opening], "the opening stock in bytes (a number >= 0)", evaluate=True)
        if (product, ATTR_SST.lower()) in rows:
            r = rows[(product, ATTR_SST.lower())]
            for k, q in enumerate(quarters):
                v = sd.get(r, qcols.get(q, -1))
                if is_number(v):
                    sst_given[(p, k)] = (r, qcols[q], float(v))
    return qdemand, wos, sst_given, initial, opening


def _compare_pasted_sst(sd: Sheet, products, quarters, given, rule: np.ndarray) -> None:
    """Pasted SST values that disagree with the rule: keep the rule, name the cells."""
    for (p, k), (r, c, v) in sorted(given.items()):
        if not np.isclose(v, rule[p, k], rtol=1e-6, atol=1.0):
            sd.warn(r, c, f"pasted safety stock target {v:,.0f} disagrees with the rule WOS x next "
                          f"quarter's demand / 13 = {rule[p, k]:,.0f} for {products[p]} {quarters[k]}; using the rule")


def _density(ds: Sheet, products: Sequence[str]) -> np.ndarray:
    density = np.full(len(products), np.nan)
    for r, row in enumerate(ds.rows):
        cols = {text(v): c for c, v in enumerate(row) if text(v) in products}
        if cols:
            for p, product in enumerate(products):
                if product not in cols:
                    ds.error(r, None, f"expected product {product!r} in the row of product ids; not found")
                    continue
                v = ds.number(r + 1, cols[product], "bytes per wafer (a number > 0)")
                if v == 0:
                    ds.error(r + 1, cols[product], "expected bytes per wafer (a number > 0), found 0")
                density[p] = v
            return density
    ds.error(None, None, f"expected a row of product ids ({', '.join(products)}) above their bytes per wafer; none found")
    return density


def _ratios(rs: Sheet) -> np.ndarray:
    r = rs.row_matching(RATIO_RE)
    if r is None:
        rs.error(None, None, "expected a row of labels Wk1 .. Wk13; none found")
        return np.full(WEEKS_PER_QUARTER, 1 / WEEKS_PER_QUARTER)
    cols = [c for c in range(rs.width) if RATIO_RE.match(text(rs.get(r, c)))]
    if len(cols) != WEEKS_PER_QUARTER:
        rs.error(r, cols[-1], f"expected {WEEKS_PER_QUARTER} week ratio columns Wk1 .. Wk13, found {len(cols)}")
    values = np.array([rs.number(r + 1, c, "a weekly share between 0 and 1") for c in cols])
    if np.all(np.isfinite(values)):
        total = values.sum()
        if abs(total - 1.0) > 1e-6:
            rs.error(r + 1, cols[-1], f"expected the weekly ratios to sum to 1, found {total:.6g}")
    return values


def _yield(ys: Sheet, products: Sequence[str], weeks: WeekAxis, bc_cols: list[int]):
    P, T = len(products), len(weeks)
    yields = np.full((P, T), np.nan)
    starts: list[date | None] = [None] * T
    hdr = ys.find("Product ID")
    if hdr is None:
        ys.error(None, None, "expected a header cell 'Product ID'; none found")
        return yields, tuple(starts)
    hr, pc = hdr
    rows = product_rows(ys, hr, pc, None)
    first_col = next((c for c in range(pc + 1, ys.width)
                      if any(is_number(ys.get(r, c)) for (_, _), r in rows.items())), None)
    if first_col is None:
        ys.error(hr, pc + 1, "expected yield columns, one per week; none found")
        return yields, tuple(starts)
    cols = list(range(first_col, first_col + T))
    # quarter labels: merged cells carry a label only on a quarter's first week
    current = ""
    for t, c in enumerate(cols):
        q = text(ys.get(hr - 1, c)) if hr > 0 else ""
        if q:
            current = q
        if current and current != weeks.quarters[t]:
            ys.warn(hr - 1, c, f"quarter label {current!r} disagrees with {BOUNDARY!r} ({weeks.quarters[t]!r}) for week "
                               f"{t + 1}; using {BOUNDARY!r}")
        raw = ys.get(hr, c)
        d = parse_date(raw)
        if raw is not None and text(raw) and d is None:
            ys.warn(hr, c, f"expected a week start date (a date or mm-dd-yy), found {raw!r}; date left unknown")
        starts[t] = d
    previous = None
    for t, d in enumerate(starts):
        if d is None:
            continue
        if previous is not None:
            gap = (d - previous[1]).days
            if gap <= 0 or gap > 7 * (t - previous[0]) + 7:
                ys.warn(hr, cols[t], f"week start {d.isoformat()} does not follow {previous[1].isoformat()} "
                                     f"(expected about {(previous[1] + timedelta(days=7 * (t - previous[0]))).isoformat()}); "
                                     f"date left unknown")
                starts[t] = None
                continue
            if gap != 7 * (t - previous[0]):
                ys.warn(hr, cols[t], f"week start {d.isoformat()} is {gap} days after the previous one, expected 7")
        previous = (t, d)
    for p, product in enumerate(products):
        r = rows.get((product, ""))
        if r is None:
            ys.error(hr, pc, f"expected a yield row for product {product!r}; none found")
            continue
        for t, c in enumerate(cols):
            v = ys.get(r, c)
            if not is_number(v) or not 0 < v <= 1:
                ys.error(r, c, f"expected a yield between 0 and 1, found {v!r}")
            else:
                yields[p, t] = float(v)
    return yields, tuple(starts)


def _capacity(bc: Sheet, products, rows, cols):
    P, T = len(products), len(cols)
    capacity = np.full((P, T), np.nan)
    total = np.full(T, np.inf)
    for p, product in enumerate(products):
        r = rows[(product, ATTR_CAPACITY.lower())]
        for t, c in enumerate(cols):
            capacity[p, t] = bc.number(r, c, "a capacity in wafers per week (a number >= 0)", evaluate=True)
        for attr in (ATTR_SCHEDULED, ATTR_OVER_UNDER):
            if (product, attr.lower()) not in rows:
                bc.warn(r, 0, f"no {attr!r} row for product {product!r}; that output will not be written")
    r = rows.get((TOTAL, ATTR_CAPACITY.lower()))
    if r is not None:
        for t, c in enumerate(cols):
            total[t] = bc.number(r, c, "a total capacity in wafers per week (a number >= 0)", blank=np.inf, evaluate=True)
    return capacity, total


def _check_wafer_plan(wp: Sheet, products: Sequence[str], weeks: WeekAxis) -> None:
    r = wp.row_matching(WEEK_RE)
    if r is None:
        wp.error(None, None, "expected a row of week labels such as 'WW_09'; none found")
        return
    cols = [c for c in range(wp.width) if WEEK_RE.match(text(wp.get(r, c)))]
    if len(cols) != len(weeks):
        wp.error(r, cols[-1], f"expected {len(weeks)} week columns as in {BOUNDARY!r}, found {len(cols)}")
        return
    current = ""
    for t, c in enumerate(cols):
        if text(wp.get(r, c)).upper() != weeks.labels[t]:
            wp.error(r, c, f"expected week label {weeks.labels[t]} (as in {BOUNDARY!r}), found {wp.get(r, c)!r}")
        q = text(wp.get(r - 1, c)) if r > 0 else ""
        current = q or current
        if current != weeks.quarters[t]:
            wp.warn(r - 1, c, f"quarter label {current!r} disagrees with {BOUNDARY!r} ({weeks.quarters[t]!r}) "
                              f"for week {t + 1}; using {BOUNDARY!r}")
    names = {text(wp.get(rr, cc)) for rr in range(r + 1, len(wp.rows)) for cc in range(cols[0])}
    for product in products:
        if product not in names:
            wp.error(r, 0, f"expected a row for product {product!r} below the week labels; none found")


# --- outputs into the workbook's own layout -------------------------------------------------

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


def _runs(row: int, sheet: str, cols: Sequence[int], values: Sequence[float]) -> list[Block]:
    """Split (col, value) pairs into contiguous blocks."""
    blocks: list[Block] = []
    start = 0
    for i in range(1, len(cols) + 1):
        if i == len(cols) or cols[i] != cols[i - 1] + 1:
            blocks.append(Block(sheet, row, cols[start], tuple(float(v) for v in values[start:i])))
            start = i
    return blocks


def output_blocks(sheets: Mapping[str, Grid], data: PlanningData, wafers: np.ndarray, supply: np.ndarray) -> list[Block]:
    """Where the plan goes in the workbook's own sheets, found by labels as on reading.

    `Wafer Plan` product rows get the weekly wafers; `Boundary Conditions` gets `Scheduled Capacity`
    and `Over/Under Capacity` (available minus scheduled: positive is spare capacity) per product
    and for `Total`; `Supply_Demand` gets `Yielded Supply` per planning quarter so that the sheet's
    own inventory formulas show the resulting stock.
    """
    issues: list[Issue] = []
    blocks: list[Block] = []
    products = list(data.products)
    # Wafer Plan
    wp = Sheet(WAFER_PLAN, sheets[WAFER_PLAN], issues)
    r = wp.row_matching(WEEK_RE)
    cols = [c for c in range(wp.width) if WEEK_RE.match(text(wp.get(r, c)))]
    for rr in range(r + 1, len(wp.rows)):
        name = next((text(wp.get(rr, c)) for c in range(cols[0]) if text(wp.get(rr, c)) in products), None)
        if name is not None:
            blocks += _runs(rr, WAFER_PLAN, cols, wafers[products.index(name)])
    # Boundary Conditions
    bc = Sheet(BOUNDARY, sheets[BOUNDARY], issues)
    r = bc.row_matching(WEEK_RE)
    cols = [c for c in range(bc.width) if WEEK_RE.match(text(bc.get(r, c)))]
    hdr = bc.find("Product ID")
    attr = bc.find("Attribute")
    rows = product_rows(bc, hdr[0], hdr[1], attr[1] if attr else hdr[1] + 1)
    available_total = np.where(np.isfinite(data.total_capacity), data.total_capacity, data.capacity.sum(axis=0))
    series = {p: (wafers[i], data.capacity[i]) for i, p in enumerate(products)}
    series[TOTAL] = (wafers.sum(axis=0), available_total)
    for name, (scheduled, available) in series.items():
        if (name, ATTR_SCHEDULED.lower()) in rows:
            blocks += _runs(rows[(name, ATTR_SCHEDULED.lower())], BOUNDARY, cols, scheduled)
        if (name, ATTR_OVER_UNDER.lower()) in rows:
            blocks += _runs(rows[(name, ATTR_OVER_UNDER.lower())], BOUNDARY, cols, available - scheduled)
    # Supply_Demand
    sd = Sheet(SUPPLY_DEMAND, sheets[SUPPLY_DEMAND], issues)
    hr, pc = sd.find("Product ID")
    attr = sd.find("Attribute")
    ac = attr[1] if attr else pc + 1
    qcols = {text(sd.get(hr, c)): c for c in range(sd.width) if QUARTER_RE.match(text(sd.get(hr, c)))}
    rows = product_rows(sd, hr, pc, ac)
    Q = len(data.quarters)
    per_quarter = np.zeros((len(products), Q))
    np.add.at(per_quarter.T, data.week_quarter, supply.T)
    cols_q = [qcols[q] for q in data.quarters]
    for i, p in enumerate(products):
        if (p, ATTR_SUPPLY.lower()) in rows:
            order = np.argsort(cols_q)
            blocks += _runs(rows[(p, ATTR_SUPPLY.lower())], SUPPLY_DEMAND,
                            [cols_q[k] for k in order], per_quarter[i, order])
    return blocks


def output_cells(sheets: Mapping[str, Grid], data: PlanningData) -> set[tuple[str, int, int]]:
    """Every (sheet, row, col) the tool owns in the workbook's own sheets."""
    zeros = np.zeros((data.n_products, data.n_weeks))
    return {(b.sheet, b.row, b.col + k) for b in output_blocks(sheets, data, zeros, zeros)
            for k in range(len(b.values))}
