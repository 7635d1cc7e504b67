"""The workbook's date system: a book saved with ``<workbookPr date1904="1"/>`` counts serials
from 1904-01-01, not 1899-12-30.

The real workbook is converted to the 1904 system the way Excel for Mac stores such a file (the
flag set and every date-formatted serial shifted by -1462, so that every cell shows the same
date), then read and planned: the dates read, the plan and the calendar dates written must be the
1900 original's, as openpyxl (which honours ``date1904``) and LibreOffice read them.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from libreoffice import recalculate, require_libreoffice
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.adapters.xlsx.book_xml import Book
from linealytics_xl.adapters.xlsx.package import Package
from linealytics_xl.adapters.xlsx.read import _date_styles, read_cells

SHIFT = 1462  # days from 1899-12-30 to 1904-01-01
FAST = {"forecast": False, "simulate": False}
_CELL = re.compile(r"<c\b([^>]*?)(?<!/)>(.*?)</c>", re.S)
_VALUE = re.compile(r"<v>([^<]*)</v>")


def to_1904(src: Path, dst: Path) -> int:
    """``src`` saved in the 1904 date system, on the XML: ``date1904="1"`` on ``workbookPr`` and
    each number in a date-formatted cell shifted by -1462 days; returns how many were shifted.
    Every other part is copied as it is."""
    package = Package(src)
    try:
        dates = _date_styles(package)
    finally:
        package.close()
    shifted = 0

    def shift(m: re.Match) -> str:
        nonlocal shifted
        attrs, inner = m.group(1), m.group(2)
        style = re.search(r'\bs="(\d+)"', attrs)
        kind = re.search(r'\bt="(\w+)"', attrs)
        if style is None or int(style.group(1)) not in dates or (kind and kind.group(1) != "n"):
            return m.group(0)
        value = _VALUE.search(inner)
        if value is None:
            return m.group(0)
        shifted += 1
        number = float(value.group(1)) - SHIFT
        text = str(int(number)) if number.is_integer() else repr(number)
        return f"<c{attrs}>{inner[: value.start(1)]}{text}{inner[value.end(1) :]}</c>"

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                text, n = re.subn(r"<workbookPr\b", '<workbookPr date1904="1"', text, count=1)
                assert n == 1
                data = text.encode("utf-8")
            elif info.filename.startswith("xl/worksheets/sheet"):
                data = _CELL.sub(shift, data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return shifted


@pytest.fixture()
def real_1904(real_path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "mac.xlsx"
    assert to_1904(real_path, out) > 0
    return out


def _epoch(path: Path) -> datetime:
    package = Package(path)
    try:
        return Book(package).epoch
    finally:
        package.close()


def test_the_books_date_system_comes_from_workbookPr(real_path, real_1904, tmp_path):
    assert _epoch(real_path) == CALENDAR_WINDOWS_1900
    assert _epoch(real_1904) == CALENDAR_MAC_1904
    assert openpyxl.load_workbook(real_1904, read_only=True).epoch == CALENDAR_MAC_1904
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904  # openpyxl writes date1904="1" (xsd:boolean: also "true")
    wb.active["A1"] = datetime(2024, 2, 29, 6, 30)
    wb.active["A2"] = date(1998, 9, 3)
    wb.save(tmp_path / "b.xlsx")
    assert _epoch(tmp_path / "b.xlsx") == CALENDAR_MAC_1904
    cells = read_cells(tmp_path / "b.xlsx")[wb.active.title].cells
    assert cells[(0, 0)] == datetime(2024, 2, 29, 6, 30)
    assert cells[(1, 0)] == datetime(1998, 9, 3)


def test_a_1904_book_reads_the_same_dates_as_the_1900_original(real_path, real_1904):
    a, b = read_cells(real_path), read_cells(real_1904)
    assert list(a) == list(b)
    dates = 0
    for name in a:
        assert a[name].cells == b[name].cells, name
        dates += sum(isinstance(v, datetime) for v in a[name].cells.values())
    assert dates >= 260  # Yield's week starts (the rest of that row is mm-dd-yy text)
    assert b["Yield"].cells[(1, 185)] == datetime(1998, 9, 3)
    # the converter is right: openpyxl, which honours date1904, sees the same dates too
    assert openpyxl.load_workbook(real_1904)["Yield"].cell(2, 186).value == datetime(1998, 9, 3)


def _serials(path: Path, sheet: str, column: str) -> list[float]:
    """The raw numbers of one column of a tool table (no date conversion)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb[sheet]
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows))
    i = header.index(column)
    wb.close()
    package = Package(path)
    try:
        book = Book(package)
        entry = book.sheet(sheet)
        assert entry is not None and entry.part is not None
        xml = package.read(entry.part).decode("utf-8")
    finally:
        package.close()
    letter = openpyxl.utils.get_column_letter(i + 1)
    return [float(v) for v in re.findall(rf'<c r="{letter}\d+"[^>]*><v>([^<]*)</v>', xml)]


@pytest.fixture(scope="module")
def planned_both(real_path, tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("dates")
    old, mac = tmp / "win.xlsx", tmp / "mac.xlsx"
    to_1904(real_path, mac)
    jobs.plan(real_path, output=old, overrides=FAST)
    jobs.plan(mac, output=mac, overrides=FAST)
    return old, mac


def test_a_1904_book_gets_the_same_plan_and_the_same_calendar_dates(planned_both):
    old, mac = planned_both
    assert _epoch(mac) == CALENDAR_MAC_1904  # the flag survives the write
    plan_old, plan_mac = WorkbookFile(old).table("LL_Plan"), WorkbookFile(mac).table("LL_Plan")
    assert plan_old is not None and plan_mac is not None
    pd.testing.assert_frame_equal(plan_old, plan_mac)
    starts = pd.to_datetime(plan_mac["WeekStart"].dropna())
    assert len(starts) > 0 and starts.min() > pd.Timestamp("1995-01-01")  # not 1991 nor 1999
    # openpyxl, honouring each book's date system, sees the same dates in both ...
    wo, wm = openpyxl.load_workbook(old), openpyxl.load_workbook(mac)
    col = [c.value for c in wo["LL_Plan"][1]].index("WeekStart") + 1
    assert [r[0] for r in wo["LL_Plan"].iter_cols(col, col, 2, values_only=True)] == [
        r[0] for r in wm["LL_Plan"].iter_cols(col, col, 2, values_only=True)
    ]
    # ... because the serials written differ by the 1,462 days between the two epochs
    s_old, s_mac = _serials(old, "LL_Plan", "WeekStart"), _serials(mac, "LL_Plan", "WeekStart")
    assert len(s_old) == len(s_mac) == len(starts)
    assert all(a - b == SHIFT for a, b in zip(s_old, s_mac))
    # the run's time stamp is today's date in both systems, not four years off
    for book in (wo, wm):
        header = [c.value for c in book["LL_Runs"][1]]
        stamp = book["LL_Runs"].cell(2, header.index("Time") + 1).value
        assert isinstance(stamp, datetime) and abs((stamp - datetime.now()).days) <= 1
    # the planner's sheets got the same numbers
    for name in ("Wafer Plan", "Boundary Conditions", "Supply_Demand"):
        assert read_cells(old)[name].cells == read_cells(mac)[name].cells, name


def test_libreoffice_shows_the_same_date_text_in_a_1904_book(planned_both, tmp_path):
    require_libreoffice()
    texts = []
    for path in planned_both:
        wb = openpyxl.load_workbook(path)  # keeps the book's date system (wb.epoch)
        check = wb.create_sheet("Check")
        check["A1"] = '=TEXT(LL_Plan!E2,"yyyy-mm-dd")'
        check["A2"] = '=TEXT(LL_Runs!B2,"yyyy-mm-dd")'
        probe = tmp_path / f"probe_{path.name}"
        wb.save(probe)
        out = recalculate(probe, tmp_path / f"lo_{path.name}")
        shown = openpyxl.load_workbook(out, data_only=True)["Check"]
        texts.append((shown["A1"].value, shown["A2"].value))
    assert texts[0] == texts[1]
    week, run = texts[1]
    first = openpyxl.load_workbook(planned_both[0])["LL_Plan"]["E2"].value
    assert first is not None and week == first.strftime("%Y-%m-%d")
    assert abs((date.fromisoformat(run) - date.today()).days) <= 1
