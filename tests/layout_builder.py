"""Small planning workbooks in the layouts other teams use, built cell by cell with openpyxl.

`build` writes the same data (2 products, 3 planned quarters of 13 weeks) in the canonical
layout or in a variant -- title rows, extra header rows, other week and quarter spellings, quarter
labels on another row, numbers stored as text, renamed sheets, a product x quarter `Wafer Plan`
-- so a test can check that each variant reads and plans exactly as the canonical one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

PRODUCTS = ("P1", "P2")
QUARTERS = ((1995, 2), (1995, 3), (1995, 4), (1996, 1))  # opening position, then 3 planned quarters
WEEKS = 39
FIRST_MONDAY = date(1995, 2, 27)  # ISO week 9 of 1995
DEMAND = {"P1": (0, 600_000, 800_000, 700_000), "P2": (0, 400_000, 450_000, 500_000)}
OPENING_STOCK = {"P1": 50_000, "P2": 20_000}
DENSITY = {"P1": 1000, "P2": 800}
CAPACITY = {"P1": 60, "P2": 45}
WOS = 1.0
RATIOS = (0.055,) * 8 + (0.06, 0.1, 0.1, 0.15, 0.15)
SD_ATTRIBUTES = (
    "Yielded Supply",
    "Safety Stock Target",
    "Safety Stock Target (WOS)",
    "EffectiveDemand",
    "Total Projected Inventory Balance",
    "Inventory Balance in excess of SST",
)


@dataclass
class Variant:
    title_rows: int = 0  # title and blank rows above every sheet's header
    extra_header_rows: int = 0  # units / remark rows under each header
    week_style: str = "WW_09"  # WW_09, WW09, WW 9, WW1995_09, 1995-WW09, date, text-date
    quarter_style: str = "Q2 95"  # Q2 95, Q2'95, Q2 1995, 1995 Q2, FQ2-95
    quarters_on_own_row: bool = False  # Supply_Demand's quarter labels one row above Product ID
    numbers_as_text: bool = False  # demand '600,000', capacity ' 60 ', density "'1000"
    wafer_plan: str = "weekly"  # weekly, quarterly (product x quarter), merged, none
    names: dict[str, str] = field(default_factory=dict)  # tool's sheet name -> the name written
    settings: bool = True  # a Settings sheet that switches forecast and scenarios off


def week_date(t: int) -> date:
    return FIRST_MONDAY + timedelta(days=7 * t)


def quarter_label(year: int, q: int, style: str) -> str:
    yy = f"{year % 100:02d}"
    return {
        "Q2 95": f"Q{q} {yy}",
        "Q2'95": f"Q{q}'{yy}",
        "Q2 1995": f"Q{q} {year}",
        "1995 Q2": f"{year} Q{q}",
        "FQ2-95": f"FQ{q}-{yy}",
    }[style]


def week_label(t: int, style: str):
    d = week_date(t)
    iso = d.isocalendar()
    n, y = iso.week, iso.year
    return {
        "WW_09": f"WW_{n:02d}",
        "WW09": f"WW{n:02d}",
        "WW 9": f"WW {n}",
        "WW1995_09": f"WW{y}_{n:02d}",
        "1995-WW09": f"{y}-WW{n:02d}",
        "date": datetime(d.year, d.month, d.day),
        "text-date": d.strftime("%m-%d-%y"),
    }[style]


def week_quarter(t: int) -> tuple[int, int]:
    return QUARTERS[1 + t // 13]


class _Sheet:
    """Writes rows from a top offset, 0-based, and remembers addresses for formulas."""

    def __init__(self, ws, v: Variant, title: str):
        self.ws, self.top = ws, v.title_rows
        if v.title_rows:
            ws.cell(1, 1, f"{title} -- planning team B")

    def put(self, r: int, c: int, value) -> str:
        self.ws.cell(self.top + r + 1, c + 1, value)
        return f"{get_column_letter(c + 1)}{self.top + r + 1}"


def _number(value, v: Variant, form: str):
    if not v.numbers_as_text:
        return value
    return {"thousands": f"{value:,}", "spaces": f" {value} ", "apostrophe": f"'{value}"}[form]


def build(path: Path, v: Variant = Variant()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    name = lambda n: v.names.get(n, n)  # noqa: E731
    _supply_demand(_Sheet(wb.create_sheet(name("Supply_Demand")), v, "Supply and demand"), v)
    s = _Sheet(wb.create_sheet(name("Density per Wafer")), v, "Density")
    for c, p in enumerate(PRODUCTS):
        s.put(0, c, p)
        s.put(1, c, _number(DENSITY[p], v, "apostrophe"))
    s = _Sheet(wb.create_sheet(name("Weekly Demand Ratio")), v, "Ratios")
    for c, x in enumerate(RATIOS):
        s.put(0, c, f"Wk{c + 1}")
        s.put(1, c, x)
    _wafer_plan(wb, v, name("Wafer Plan"))
    _boundary(_Sheet(wb.create_sheet(name("Boundary Conditions")), v, "Capacity"), v)
    _yield(_Sheet(wb.create_sheet(name("Yield")), v, "Yield"), v)
    if v.settings:
        ws = wb.create_sheet("Settings")
        for row in (("Name", "Value", "Description"), ("forecast", False, ""), ("simulate", False, "")):
            ws.append(row)
    wb.save(path)
    return path


def _supply_demand(s: _Sheet, v: Variant) -> None:
    hr = 1 if v.quarters_on_own_row else 0
    s.put(hr, 0, "Product ID")
    s.put(hr, 1, "Attribute")
    for k, (y, q) in enumerate(QUARTERS):
        s.put(0, 2 + k, quarter_label(y, q, v.quarter_style))
    r = hr + 1
    for _ in range(v.extra_header_rows):
        s.put(r, 1, "unit")
        for k in range(len(QUARTERS)):
            s.put(r, 2 + k, "bytes")
        r += 1
    for p in PRODUCTS:
        for attr in SD_ATTRIBUTES:
            s.put(r, 0, p)
            s.put(r, 1, attr)
            for k in range(len(QUARTERS)):
                if attr == "EffectiveDemand":
                    s.put(r, 2 + k, _number(DEMAND[p][k], v, "thousands") if k else 0)
                elif attr == "Safety Stock Target (WOS)":
                    s.put(r, 2 + k, WOS if k else 0)
                elif attr == "Total Projected Inventory Balance" and k == 0:
                    s.put(r, 2, OPENING_STOCK[p])
            r += 1


def _boundary(s: _Sheet, v: Variant) -> None:
    for t in range(WEEKS):
        y, q = week_quarter(t)
        s.put(0, 2 + t, quarter_label(y, q, v.quarter_style))
        s.put(1, 2 + t, week_label(t, v.week_style))
    s.put(1, 0, "Product ID")
    s.put(1, 1, "Attribute")
    r = 2
    for _ in range(v.extra_header_rows):
        s.put(r, 1, "unit")
        for t in range(WEEKS):
            s.put(r, 2 + t, "wafers")
        r += 1
    total, first_product = r, r + 3
    for k, attr in enumerate(("Available Capacity", "Scheduled Capacity", "Over/Under Capacity")):
        s.put(total + k, 0, "Total")
        s.put(total + k, 1, attr)
    for i, p in enumerate(PRODUCTS):
        for k, attr in enumerate(("Available Capacity", "Scheduled Capacity", "Over/Under Capacity")):
            row = first_product + 3 * i + k
            s.put(row, 0, p)
            s.put(row, 1, attr)
            if k == 0:
                for t in range(WEEKS):
                    s.put(row, 2 + t, _number(CAPACITY[p], v, "spaces"))
    for t in range(WEEKS):
        col = get_column_letter(3 + t)
        refs = "+".join(f"{col}{s.top + first_product + 3 * i + 1}" for i in range(len(PRODUCTS)))
        s.put(total, 2 + t, f"=+{refs}")


def _yield(s: _Sheet, v: Variant) -> None:
    s.put(1, 0, "Product ID")
    for t in range(WEEKS):
        if t % 13 == 0:
            y, q = week_quarter(t)
            s.put(0, 2 + t, quarter_label(y, q, v.quarter_style))
            s.ws.merge_cells(
                start_row=s.top + 1, start_column=3 + t, end_row=s.top + 1, end_column=3 + t + 12
            )
        s.put(
            1,
            2 + t,
            week_date(t).strftime("%m-%d-%y")
            if t % 2
            else datetime.combine(week_date(t), datetime.min.time()),
        )
    for i, p in enumerate(PRODUCTS):
        s.put(2 + i, 0, p)
        s.put(2 + i, 1, "Yield")
        for t in range(WEEKS):
            s.put(2 + i, 2 + t, round(0.85 + 0.001 * (t % 7) + 0.01 * i, 4))


def _wafer_plan(wb, v: Variant, title: str) -> None:
    if v.wafer_plan == "none":
        return
    s = _Sheet(wb.create_sheet(title), v, "Wafer plan")
    if v.wafer_plan == "quarterly":
        s.put(0, 0, "Design Handle")
        for k, (y, q) in enumerate(QUARTERS[1:]):
            s.put(0, 1 + k, quarter_label(y, q, v.quarter_style))
        for i, p in enumerate(PRODUCTS):
            s.put(1 + i, 0, p)
        return
    for t in range(WEEKS):
        y, q = week_quarter(t)
        s.put(0, 1 + t, quarter_label(y, q, v.quarter_style))
        s.put(1, 1 + t, week_label(t, v.week_style))
    s.put(1, 0, "Design Handle")
    for i, p in enumerate(PRODUCTS):
        s.put(2 + i, 0, p)
    if v.wafer_plan == "merged":
        s.ws.merge_cells(start_row=s.top + 3, start_column=5, end_row=s.top + 3, end_column=8)
