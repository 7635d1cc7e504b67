"""The labels a planning workbook is read by: sheet names, week, quarter and ratio labels.

Real workbooks spell the same thing many ways (``WW_09``, ``WW 9``, ``WW1995_09``, a date;
``Q2 95``, ``Q2'95``, ``1995 Q2``, ``FQ2-95``; a sheet ``Yield `` or ``wafer plan``).  Each is
parsed here, once, into one canonical form, so the readers and the output placement agree on
what a label means.  The canonical forms are the real workbook's own (``WW_09``, ``Q2 95``), so
its tables keep their values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

SUPPLY_DEMAND = "Supply_Demand"
DENSITY = "Density per Wafer"
RATIOS = "Weekly Demand Ratio"
WAFER_PLAN = "Wafer Plan"
BOUNDARY = "Boundary Conditions"
YIELD = "Yield"
#: Sheets without which there is no plan; `Wafer Plan` is an output and never required.
REQUIRED_SHEETS = (SUPPLY_DEMAND, DENSITY, RATIOS, BOUNDARY, YIELD)
KNOWN_SHEETS = (*REQUIRED_SHEETS, WAFER_PLAN)

ATTR_SUPPLY = "Yielded Supply"
ATTR_SST = "Safety Stock Target"
ATTR_WOS = "Safety Stock Target (WOS)"
ATTR_DEMAND = "EffectiveDemand"
ATTR_INVENTORY = "Total Projected Inventory Balance"
ATTR_EXCESS = "Inventory Balance in excess of SST"
ATTR_CAPACITY = "Available Capacity"
ATTR_SCHEDULED = "Scheduled Capacity"
ATTR_OVER_UNDER = "Over/Under Capacity"
TOTAL = "Total"
#: How planners label a total row (any case): all of them are the `Total` row.
TOTAL_NAMES = frozenset({"total", "totals", "grand total"})
PRODUCT_ID = "Product ID"
ATTRIBUTE = "Attribute"

WEEKS_PER_QUARTER = 13
#: Header labels are looked for in this many top rows (title rows, blank rows, extra headers).
HEADER_ROWS = 40


def text(value: Any) -> str:
    """A cell's text with surrounding spaces removed ('' for blank)."""
    return str(value).strip() if value is not None else ""


def label_key(value: Any) -> str:
    """How two labels are compared: case-insensitive, runs of spaces as one."""
    return " ".join(text(value).split()).casefold()


# --- sheet names ----------------------------------------------------------------------------


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class SheetMatch:
    """How the workbook's sheets answer the names the tool looks for."""

    found: dict[str, str]  # tool's name -> the workbook's own sheet name
    missing: dict[str, list[str]]  # tool's name -> near misses (edit distance <= 2), maybe none
    ambiguous: dict[str, list[str]]  # tool's name -> several sheets that differ only in case/spaces


def match_sheets(names: Iterable[str], wanted: Iterable[str] = KNOWN_SHEETS) -> SheetMatch:
    """Match sheet names as Excel does: case-insensitively, and ignoring surrounding spaces.

    An exact name wins over a variant.  A sheet within edit distance 2 that no other wanted name
    took is offered as "did you mean", never used silently (``Yeild`` could be a planner's copy).
    """
    names = list(names)
    found: dict[str, str] = {}
    ambiguous: dict[str, list[str]] = {}
    wanted = list(wanted)
    for want in wanted:
        if want in names:
            found[want] = want
            continue
        hits = [n for n in names if label_key(n) == label_key(want)]
        if len(hits) == 1:
            found[want] = hits[0]
        elif hits:
            ambiguous[want] = hits
    taken = set(found.values())
    missing = {}
    for want in wanted:
        if want not in found and want not in ambiguous:
            missing[want] = [
                n for n in names if n not in taken and edit_distance(label_key(n), label_key(want)) <= 2
            ]
    return SheetMatch(found, missing, ambiguous)


# --- dates, weeks, quarters -----------------------------------------------------------------

_MDY = re.compile(r"^(\d{1,2})([-/])(\d{1,2})\2(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$")


def parse_date(value: Any) -> date | None:
    """A real date, or date text in ``mm-dd-yy``, ``mm/dd/yyyy`` or ``yyyy-mm-dd`` form.

    Text is matched with two patterns rather than `strptime` (thousands of header cells are
    tried on every read; strptime is a hundred times slower).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    try:
        if m := _MDY.match(s):
            year = (
                int(m[4]) if len(m[4]) == 4 else (1900 + int(m[4]) if int(m[4]) >= 69 else 2000 + int(m[4]))
            )
            return date(year, int(m[1]), int(m[3]))
        if m := _YMD.match(s):
            return date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError:  # 02-30-95: no such day
        return None
    return None


def full_year(digits: str) -> int:
    """``95`` -> 1995, ``03`` -> 2003, ``1995`` -> 1995 (two digits pivot at 50)."""
    y = int(digits)
    if len(digits) == 4:
        return y
    return 1900 + y if y >= 50 else 2000 + y


@dataclass(frozen=True)
class Week:
    """A parsed week label; ``year`` and ``start`` only where the label carries them."""

    number: int
    year: int | None = None
    start: date | None = None

    @property
    def label(self) -> str:
        """The canonical label the tables use (``WW_09``)."""
        return f"WW_{self.number:02d}"


_WW = r"WW?"
_WEEK_FORMS = (
    (re.compile(rf"^{_WW}[\s_-]*(\d{{1,2}})$", re.I), lambda m: Week(int(m[1]))),
    (re.compile(rf"^{_WW}[\s_-]*(\d{{4}})[\s_-]*(\d{{1,2}})$", re.I), lambda m: Week(int(m[2]), int(m[1]))),
    (re.compile(rf"^(\d{{4}})[\s_-]*{_WW}[\s_-]*(\d{{1,2}})$", re.I), lambda m: Week(int(m[2]), int(m[1]))),
)


def parse_week(value: Any) -> Week | None:
    """``WW_09``, ``WW09``, ``WW 9``, ``WW1995_09``, ``1995-WW09``, a date or date text."""
    if isinstance(value, str):
        return _parse_week_text(value)
    d = parse_date(value)
    if d is not None:
        iso = d.isocalendar()
        return Week(iso.week, iso.year, d)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_week_text(value: str) -> Week | None:
    """Text labels, remembered: every read tries each header cell of several rows and sheets
    (12,000 calls on the real workbook for about 1,800 distinct texts); a Week is immutable."""
    d = parse_date(value)
    if d is not None:
        iso = d.isocalendar()
        return Week(iso.week, iso.year, d)
    s = value.strip()
    if s.upper().startswith("WK"):  # Wk1..Wk13 are the ratio sheet's labels, not weeks
        return None
    for pattern, make in _WEEK_FORMS:
        m = pattern.match(s)
        if m:
            week = make(m)
            return week if 1 <= week.number <= 53 else None
    return None


@dataclass(frozen=True, order=True)
class Quarter:
    """A fiscal quarter; ``label`` is the canonical form (``Q2 95``)."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year % 100:02d}"

    @property
    def index(self) -> int:
        """Consecutive quarters have consecutive indices."""
        return self.year * 4 + self.number - 1


_QUARTER_FORMS = (
    (
        re.compile(r"^F?Q([1-4])[\s'’_-]*(?:FY)?[\s'’]*(\d{2}|\d{4})$", re.I),
        lambda m: Quarter(full_year(m[2]), int(m[1])),
    ),
    (
        re.compile(r"^(?:FY)?[\s'’]*(\d{4}|\d{2})[\s_-]+F?Q([1-4])$", re.I),
        lambda m: Quarter(full_year(m[1]), int(m[2])),
    ),
    (re.compile(r"^(\d{4})F?Q([1-4])$", re.I), lambda m: Quarter(full_year(m[1]), int(m[2]))),
)


def parse_quarter(value: Any) -> Quarter | None:
    """``Q2 95``, ``Q2'95``, ``Q2 1995``, ``1995 Q2``, ``FQ2-95``, ``FY95 Q2``."""
    if not isinstance(value, str):
        return None
    s = value.strip()
    for pattern, make in _QUARTER_FORMS:
        m = pattern.match(s)
        if m:
            return make(m)
    return None


_RATIO = re.compile(r"^(?:Wk|Week)\s*_?(\d{1,2})$", re.I)


def parse_ratio_label(value: Any) -> int | None:
    """``Wk1`` .. ``Wk13`` (or ``Week 1``): the week of a quarter a ratio belongs to."""
    m = _RATIO.match(text(value)) if isinstance(value, str) else None
    return int(m[1]) if m else None


# --- numbers stored as text -----------------------------------------------------------------

_PLAIN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def number_from_text(value: str) -> float | None:
    """The number a text cell unambiguously holds (``1,234,567``, ``'42``, `` 0.9 ``), else None.

    ``1,5`` or ``1.234.567`` could be either of two numbers depending on the locale; they are not
    read (the caller reports them).
    """
    s = value.strip()
    if s.startswith("'"):
        s = s[1:].strip()
    if _PLAIN.match(s):
        return float(s)
    if _THOUSANDS.match(s):
        return float(s.replace(",", ""))
    return None
