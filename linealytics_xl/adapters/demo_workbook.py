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
The xlsx package is written directly (500 products x 34 quarters in about two seconds; openpyxl
takes ten times longer); formulas have no cached values -- Excel recalculates on opening
(``fullCalcOnLoad``) and LibreOffice can be asked to (``tests/libreoffice.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

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

WEEKS_PER_QUARTER = 13
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
    week_quarter: np.ndarray  # [T] int
    density: np.ndarray  # [P] bytes per wafer (int)
    yields: np.ndarray  # [P, T] fraction
    capacity: np.ndarray  # [P, T] wafers per week (int)
    demand: np.ndarray  # [P, Q] bytes per quarter (whole bytes)
    wos: np.ndarray  # [P] safety stock target in weeks of supply
    initial_stock: np.ndarray  # [P] bytes
    week_ratios: np.ndarray  # [13] back-loaded, sums to 1
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
    base = np.sort(base)  # demand piles up towards quarter end
    milli = np.floor(base / base.sum() * 1000).astype(int)
    milli[-1] += 1000 - milli.sum()  # exact: integer thousandths sum to 1000
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
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if isinstance(capacity_bound, str):
        capacity_bound = (capacity_bound,)
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
        density[i] = round(rng.uniform(5.0e4, 1.0e5) / 50.0) * 50
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
        season = 1 + amplitude * np.cos(2 * np.pi * (quarter_of_year - 4) / 4)  # peaks in Q4
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
# The workbook is written as SpreadsheetML directly: openpyxl (without lxml) needs ~25 s for the
# 500-product case, this writer about 2 s.  The output is a plain xlsx that Excel, LibreOffice and
# openpyxl read: shared strings, a styles part with the real number formats, formulas without
# cached values and ``fullCalcOnLoad`` so that Excel computes them on opening.

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _esc(text: str) -> str:
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class _Style:
    number_format: str | None = None
    bold: bool = False
    fill: str | None = None  # ARGB of a solid fill
    align: str | None = None  # horizontal alignment


_HEADER = _Style(bold=True, fill="FFA9C4E9")


class _Styles:
    """A minimal styles part: the cell formats used, in order of first use."""

    def __init__(self) -> None:
        self._xfs: dict[_Style, int] = {_Style(): 0}
        self._fmts: dict[str, int] = {}
        self._fills: dict[str, int] = {}

    def __call__(self, style: _Style) -> int:
        if style not in self._xfs:
            code = style.number_format
            if code and code not in BUILTIN_FORMATS_REVERSE and code not in self._fmts:
                self._fmts[code] = 164 + len(self._fmts)
            if style.fill and style.fill not in self._fills:
                self._fills[style.fill] = 2 + len(self._fills)
            self._xfs[style] = len(self._xfs)
        return self._xfs[style]

    def xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_esc(code)}"/>' for code, i in self._fmts.items()
        )
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/>'
            f"</patternFill></fill>"
            for rgb in self._fills
        )
        xfs = []
        for st in self._xfs:
            code = st.number_format
            num = BUILTIN_FORMATS_REVERSE.get(code, self._fmts.get(code, 0)) if code else 0
            fill = self._fills.get(st.fill, 0) if st.fill else 0
            attrs = f'numFmtId="{num}" fontId="{1 if st.bold else 0}" fillId="{fill}" borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if num else ""
            attrs += ' applyFont="1"' if st.bold else ""
            attrs += ' applyFill="1"' if fill else ""
            if st.align:
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment horizontal="{st.align}"/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        return (
            f'{_XML_HEAD}<styleSheet xmlns="{_NS_MAIN}">'
            + (f'<numFmts count="{len(self._fmts)}">{fmts}</numFmts>' if self._fmts else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            f'<fills count="{2 + len(self._fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class _Book:
    """Collects sheets, shared strings and styles; :meth:`save` writes the xlsx package."""

    def __init__(self) -> None:
        self.sheets: list[_Sheet] = []
        self.styles = _Styles()
        self._strings: dict[str, int] = {}

    def sheet(self, name: str, **kwargs) -> _Sheet:
        ws = _Sheet(self, name, **kwargs)
        self.sheets.append(ws)
        return ws

    def string(self, text: str) -> int:
        idx = self._strings.get(text)
        if idx is None:
            idx = self._strings[text] = len(self._strings)
        return idx

    def save(self, path: Path, *, creator: str) -> None:
        n = len(self.sheets)
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        content_types = (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheet_types}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>"
        )
        root_rels = (
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>"
        )
        core = (
            f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{_esc(creator)}</dc:creator>"
            "</cp:coreProperties>"
        )
        sheets_xml = "".join(
            f'<sheet name="{_esc(ws.name)}" sheetId="{i}"'
            + ("" if ws.state == "visible" else f' state="{ws.state}"')
            + f' r:id="rId{i}"/>'
            for i, ws in enumerate(self.sheets, 1)
        )
        workbook = (
            f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets_xml}</sheets>"
            '<calcPr calcId="191029" fullCalcOnLoad="1"/>'
            "</workbook>"
        )
        wb_rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        wb_rels = (
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">{wb_rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_NS_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        )
        strings = "".join(
            f'<si><t xml:space="preserve">{_esc(s)}</t></si>'
            if s != s.strip() or not s
            else f"<si><t>{_esc(s)}</t></si>"
            for s in self._strings
        )
        shared = (
            f'{_XML_HEAD}<sst xmlns="{_NS_MAIN}" count="{len(self._strings)}" '
            f'uniqueCount="{len(self._strings)}">{strings}</sst>'
        )
        tmp = path.with_name(path.name + ".tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                zf.writestr("[Content_Types].xml", content_types)
                zf.writestr("_rels/.rels", root_rels)
                zf.writestr("docProps/core.xml", core)
                zf.writestr("xl/workbook.xml", workbook)
                zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
                for i, ws in enumerate(self.sheets, 1):
                    zf.writestr(f"xl/worksheets/sheet{i}.xml", ws.xml(selected=i == 1))
                zf.writestr("xl/styles.xml", self.styles.xml())
                zf.writestr("xl/sharedStrings.xml", shared)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)


_COLS: list[str] = []


def _col(index: int) -> str:
    """Column letters of a 1-based column index (cached)."""
    try:
        return _COLS[index - 1]
    except IndexError:
        while len(_COLS) < index:
            _COLS.append(get_column_letter(len(_COLS) + 1))
        return _COLS[index - 1]


class _Sheet:
    """One worksheet, built row by row (rows are appended in order, starting at row 1)."""

    def __init__(
        self,
        book: _Book,
        name: str,
        *,
        state: str = "visible",
        freeze: str | None = None,
        widths: dict[str, float] | None = None,
        default_width: float | None = None,
    ):
        self.book, self.name, self.state, self.freeze = book, name, state, freeze
        self.widths = dict(widths or {})
        self.default_width = default_width
        self.merges: list[str] = []
        self._rows: list[str] = []
        self._max_col = 0

    def append(self, *segments: tuple[Iterable, _Style | None]) -> None:
        """Append one row made of ``(values, style)`` segments placed side by side."""
        r = len(self._rows) + 1
        cells: list[str] = []
        c = 0
        for values, style in segments:
            s = f' s="{self.book.styles(style)}"' if style is not None and style != _Style() else ""
            for v in values:
                c += 1
                if v is None:
                    continue
                kind = type(v)
                if kind is float and -1e15 < v < 1e15:  # the common cases first
                    text = str(int(v)) if v.is_integer() else repr(v)
                    cells.append(f'<c r="{_col(c)}{r}"{s}><v>{text}</v></c>')
                elif kind is int:
                    cells.append(f'<c r="{_col(c)}{r}"{s}><v>{v}</v></c>')
                else:
                    cells.append(self._cell(f"{_col(c)}{r}", s, v))
        self._max_col = max(self._max_col, c)
        self._rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')

    def _cell(self, ref: str, s: str, v) -> str:
        if isinstance(v, str):
            if v.startswith("="):
                return f'<c r="{ref}"{s}><f>{_esc(v[1:])}</f></c>'
            return f'<c r="{ref}"{s} t="s"><v>{self.book.string(v)}</v></c>'
        if isinstance(v, (bool, np.bool_)):
            return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, (int, np.integer)):
            return f'<c r="{ref}"{s}><v>{int(v)}</v></c>'
        if isinstance(v, (float, np.floating)):
            x = float(v)
            if not np.isfinite(x):
                raise ValueError(f"{self.name}!{ref}: cannot write {x!r}")
            text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
            return f'<c r="{ref}"{s}><v>{text}</v></c>'
        if isinstance(v, dt.datetime):
            serial = (v - _EXCEL_EPOCH) / dt.timedelta(days=1)
            return f'<c r="{ref}"{s}><v>{serial:.10g}</v></c>'
        raise TypeError(f"{self.name}!{ref}: cannot write {type(v).__name__}")

    def merge(self, first_col: int, last_col: int, row: int) -> None:
        self.merges.append(f"{_col(first_col)}{row}:{_col(last_col)}{row}")

    def xml(self, *, selected: bool) -> str:
        n_rows = len(self._rows)
        dim = f"A1:{_col(max(self._max_col, 1))}{max(n_rows, 1)}"
        tab = ' tabSelected="1"' if selected else ""
        if self.freeze:
            cell = CellRange(self.freeze)
            x, y = cell.min_col - 1, cell.min_row - 1
            split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
            pane = "bottomRight" if x and y else ("topRight" if x else "bottomLeft")
            view = (
                f'<sheetView workbookViewId="0"{tab}><pane{split} topLeftCell="{self.freeze}" '
                f'activePane="{pane}" state="frozen"/><selection pane="{pane}"/></sheetView>'
            )
        else:
            view = f'<sheetView workbookViewId="0"{tab}/>'
        cols = []
        explicit = {CellRange(f"{k}1").min_col: w for k, w in self.widths.items()}
        last = max([*explicit, self._max_col if self.default_width else 0, 0])
        for idx in range(1, last + 1):
            w = explicit.get(idx, self.default_width)
            if w is not None:
                cols.append(f'<col min="{idx}" max="{idx}" width="{w}" customWidth="1"/>')
        cols_xml = f"<cols>{''.join(cols)}</cols>" if cols else ""
        merges = (
            f'<mergeCells count="{len(self.merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
            + "</mergeCells>"
            if self.merges
            else ""
        )
        return (
            f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            f'<dimension ref="{dim}"/><sheetViews>{view}</sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols_xml}'
            f"<sheetData>{''.join(self._rows)}</sheetData>{merges}"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            "</worksheet>"
        )


_BYTES = _Style(FMT_BYTES)
_WOS = _Style(FMT_WOS)
_WAFERS = _Style(FMT_WAFERS)


def _write_supply_demand(book: _Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_SUPPLY_DEMAND, freeze="C2", widths={"A": 12, "B": 32}, default_width=16)
    ws.append((["Product ID", "Attribute", data.opening_quarter, *data.quarters], _HEADER))
    n_q = len(data.quarters)
    cols = [_col(c) for c in range(3, n_q + 4)]  # cols[0] is the opening quarter
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
        rows = (
            ([0, *supply], _BYTES),
            ([0, *sst], _BYTES),
            ([0, *([float(data.wos[i])] * n_q)], _WOS),
            ([0, *data.demand[i].tolist()], _BYTES),
            ([float(data.initial_stock[i]), *inv], _BYTES),
            ([0, *excess], _BYTES),
        )
        for attribute, segment in zip(SUPPLY_DEMAND_ATTRIBUTES, rows):
            ws.append(((name, attribute), None), segment)


def _write_density(book: _Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_DENSITY)
    ws.append((data.products, None))
    ws.append((data.density.tolist(), _WAFERS))


def _write_ratio(book: _Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_RATIO)
    ws.append(([f"Wk{k}" for k in range(1, WEEKS_PER_QUARTER + 1)], None))
    ws.append((data.week_ratios.tolist(), _Style(FMT_RATIO)))


def _write_wafer_plan(book: _Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_WAFER_PLAN, freeze="B3", widths={"A": 18})
    n_p, n_w = len(data.products), len(data.week_labels)
    ws.append((["", *(data.quarters[q] for q in data.week_quarter)], None))
    ws.append((["Design Handle", *data.week_labels], None))
    last = 3 + n_p
    totals = [f"=+SUM({c}4:{c}{last})" for c in (_col(k) for k in range(2, n_w + 2))]
    ws.append((["Total"], None), (totals, _BYTES))
    for name in data.products:
        ws.append(([name], None))


def _total_formula(col: str, rows: Sequence[int], first: int, last: int) -> str:
    explicit = "=+" + "+".join(f"{col}{r}" for r in rows)
    if len(explicit) <= _MAX_FORMULA_CHARS:
        return explicit
    return f'=SUMIF($B${first}:$B${last},"{CAPACITY_ATTRIBUTES[0]}",{col}{first}:{col}{last})'


def _write_boundary(book: _Book, data: DemoData) -> None:
    ws = book.sheet(SHEET_BOUNDARY, freeze="C3", widths={"A": 15, "B": 26})
    n_p, n_w = len(data.products), len(data.week_labels)
    ws.append(((None, ""), None), ([data.quarters[q] for q in data.week_quarter], _WAFERS))
    ws.append((("Product ID", "Attribute"), None), (data.week_labels, _WAFERS))
    cap_rows = [6 + 3 * i for i in range(n_p)]
    first, last = 6, 5 + 3 * n_p
    totals = [_total_formula(_col(c), cap_rows, first, last) for c in range(3, n_w + 3)]
    ws.append((("Total", CAPACITY_ATTRIBUTES[0]), None), (totals, _WAFERS))
    ws.append((("Total", CAPACITY_ATTRIBUTES[1]), None))
    ws.append((("Total", CAPACITY_ATTRIBUTES[2]), None))
    for i, name in enumerate(data.products):
        ws.append(((name, CAPACITY_ATTRIBUTES[0]), None), (data.capacity[i].tolist(), _WAFERS))
        ws.append(((name, CAPACITY_ATTRIBUTES[1]), None))
        ws.append(((name, CAPACITY_ATTRIBUTES[2]), None))


def _write_yield(book: _Book, data: DemoData) -> None:
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
    ws.append((("", ""), None), (labels, _Style(align="center")))
    starts = [dt.datetime.combine(d, dt.time()) for d in data.week_starts]
    ws.append((("Product ID", None), None), (starts, _Style(FMT_DATE)))
    y_style = _Style(FMT_YIELD)
    for i, name in enumerate(data.products):
        ws.append(((name, "Yield"), None), (data.yields[i].tolist(), y_style))


def _write_definitions(book: _Book) -> None:
    ws = book.sheet(SHEET_DEFINITIONS, widths={"A": 34, "B": 100})
    for attribute, text in _DEFINITIONS:
        ws.append(((attribute, text), None))


def _write_notes(book: _Book, data: DemoData, seed: int) -> None:
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
    book = _Book()
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
