"""The Dashboard sheet: native charts over the output tables, a product selector, KPI cards.

Without LibreOffice: the sheet's structure (charts, drop-down, formulas over the tables), where
it goes, that it never touches a planner's own ``Dashboard`` sheet, and that a failure leaves the
workbook as it was and never blocks writing the plan.  With LibreOffice: the dashboards of the
planned real workbook and of the planned template render to a non-blank PNG with their charts,
and the formulas, recalculated, give the figures ``dashboard.kpis`` computes from the tables --
for the default product, for "All products" and for product names full of SUMIFS wildcards.

``python docs/make_dashboard_png.py`` regenerates ``docs/dashboard.png`` (the picture in the README)
from a real run; ``LL_UPDATE_DOCS_PNG=1`` makes the real-workbook test store its rendering the same
way; otherwise the tests write nothing in the repo.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from libreoffice import (
    export_pdf,
    list_charts,
    pdf_pages,
    read_png,
    recalculate,
    render_png,
    requires_libreoffice,
)
from openpyxl_tables import write_table

from linealytics_xl.adapters import dashboard
from linealytics_xl.adapters.dashboard import (
    ALL_PRODUCTS,
    DASHBOARD,
    TITLE,
    DashboardError,
    is_own_dashboard,
    kpis,
    write_dashboard,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
DOCS_PNG = ROOT / "docs" / "dashboard.png"
DOCS_PNG_MAX_BYTES = 300_000
KPI_KEYS = (
    "wafers",
    "service_level",
    "shortage_bytes",
    "quarter_ends_below_ss",
    "capacity_use",
    "open_alerts",
    "max_stockout_probability",
)


# --------------------------------------------------------------------------- synthetic tables
def synthetic_tables(products=("<b>&23C</b>", "A*B?", "P~1"), quarters=4, seed=3) -> dict[str, pd.DataFrame]:
    """Output tables of the documented shape: a plan with backlog in the second product, a
    forecast reaching past the plan, risk, alerts, insights and a run."""
    rng = np.random.default_rng(seed)
    T = 13 * quarters
    rows, fc, risk = [], [], []
    start = datetime(2025, 3, 31)
    for k, p in enumerate(products):
        stock, backlog = 5e11 * (k + 1), 0.0
        for t in range(T):
            q = f"Q{t // 13 % 4 + 1} {25 + t // 52}"
            demand = 1e11 * (k + 1) * (0.5 + rng.random())
            cap = 900.0
            wafers = cap if k == 1 else cap * rng.uniform(0.7, 0.9)
            supply = wafers * (0.4e8 if k == 1 else 2e8 * (k + 1))  # only the second one is short
            net = stock - backlog + supply - demand
            stock, backlog = max(net, 0.0), max(-net, 0.0)
            rows.append(
                {
                    "Product": p,
                    "Quarter": q,
                    "Week": f"WW_{t % 52 + 1:02d}",
                    "WeekIndex": t + 1,
                    "WeekStart": start + timedelta(weeks=t),
                    "DemandBytes": demand,
                    "Wafers": wafers,
                    "SupplyBytes": supply,
                    "StockBytes": stock,
                    "BacklogBytes": backlog,
                    "SafetyStockBytes": 3e11 * (k + 1),
                    "CapacityWafers": cap,
                    "Utilization": wafers / cap,
                }
            )
            risk.append(
                {
                    "Product": p,
                    "Week": f"WW_{t % 52 + 1:02d}",
                    "WeekIndex": t + 1,
                    "StockoutProbability": float(rng.random()),
                    "ExpectedShortageBytes": 0.0,
                    "FillRate": 0.9,
                    "RecommendedSafetyStockBytes": 2e11,
                }
            )
        for t in range(T + 6):
            beyond = t >= T
            p50 = 1e11 * (k + 1)
            fc.append(
                {
                    "Product": p,
                    "Week": f"+{t - T + 1}" if beyond else f"WW_{t % 52 + 1:02d}",
                    "WeekIndex": t + 1,
                    "WeekStart": start + timedelta(weeks=t),
                    "Model": "XGBoost",
                    "P10": np.nan if beyond else 0.7 * p50,
                    "P50": p50,
                    "P90": np.nan if beyond else 1.4 * p50,
                    "Actual": np.nan if beyond else p50 * 1.1,
                }
            )
    now = datetime(2026, 1, 5, 8, 30)
    alerts = pd.DataFrame(
        [
            ("A1", "critical", "stockout", products[1], "Q1 25 WW_01", 1e12, 0.0, "short", now, now, "new"),
            (
                "A2",
                "warning",
                "stockout_risk",
                products[0],
                "Q1 25 WW_03",
                0.5,
                0.2,
                "risk",
                now,
                now,
                "open",
            ),
            (
                "A3",
                "warning",
                "stockout_risk",
                products[0],
                "Q1 25 WW_05",
                0.4,
                0.2,
                "risk",
                now,
                now,
                "closed",
            ),
            ("A4", "info", "capacity", None, None, None, None, "plan-wide", now, now, "OPEN"),
        ],
        columns=[
            "AlertId",
            "Severity",
            "Type",
            "Product",
            "Week",
            "Value",
            "Threshold",
            "Message",
            "FirstSeen",
            "LastSeen",
            "Status",
        ],
    )
    runs = pd.DataFrame(
        [{"RunId": "20260105-083000-abcdef", "Time": now, "Workbook": "synthetic.xlsx", "Status": "optimal"}]
    )
    insights = pd.DataFrame(
        [(1, products[1], "shortage", f"{products[1]} is short.", 1e12)],
        columns=["Rank", "Product", "Kind", "Message", "Value"],
    )
    return {
        "LL_Plan": pd.DataFrame(rows),
        "LL_Forecast": pd.DataFrame(fc),
        "LL_Risk": pd.DataFrame(risk),
        "LL_Alerts": alerts,
        "LL_Runs": runs,
        "LL_Insights": insights,
    }


def book_with(tables: dict[str, pd.DataFrame], first_sheet: str = "Inputs") -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.active.title = first_sheet
    book.active["A1"] = "planner's data"
    for name, frame in tables.items():
        write_table(book, name, frame)
    return book


def dashboard_formulas(ws) -> list[str]:
    return [
        c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")
    ]


# --------------------------------------------------------------------------- structure
def test_dashboard_has_charts_selector_cards_and_formulas_over_the_tables():
    tables = synthetic_tables()
    book = book_with(tables)
    write_dashboard(book, tables)
    ws = book[DASHBOARD]
    assert is_own_dashboard(book) and ws["A1"].value == TITLE
    # plan by quarter, stock by week, capacity, forecast band, stock-out risk
    assert len(ws._charts) == 5
    # the drop-down offers "All products" and every product, and the selection is one of them
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and str(dv.sqref) == dashboard.SELECTOR
    assert not dv.formula1.startswith("=")  # OOXML stores it without "="
    cells = ws[dv.formula1.replace("$", "")]
    assert [c[0].value for c in cells] == [ALL_PRODUCTS, *tables["LL_Plan"]["Product"].unique()]
    # opens on the whole plan (it used to open on the product with the biggest backlog)
    assert ws[dashboard.SELECTOR].value == ALL_PRODUCTS
    formulas = dashboard_formulas(ws)
    assert len(formulas) > 100
    # Structured references only: the formulas survive the tables growing or shrinking.
    assert not any("LL_Plan!" in f or "LL_Forecast!" in f for f in formulas)
    assert any("tblLL_Forecast[P90]" in f for f in formulas) and any(
        "tblLL_Alerts[Status]" in f for f in formulas
    )
    # the all-products card values are plain numbers, equal to kpis()
    total = kpis(tables)
    row = [ws.cell(row=dashboard.CARD_ROW + 2, column=1 + k * dashboard.CARD_COLS).value for k in range(7)]
    assert row[0] == pytest.approx(total["wafers"])
    assert row[1] == pytest.approx(total["service_level"])
    assert row[5] == total["open_alerts"] == 3  # new, open, OPEN; not closed
    # only the dashboard area prints
    assert ws.print_area.endswith(f"$N${dashboard.CHART_TOP - 1 + 3 * dashboard.CHART_ROWS}")


def _chart_axes(ws, k: int) -> tuple[list[str], list[str]]:
    """Series names on chart ``k``'s left axis and on its secondary (right) axis."""
    chart = ws._charts[k]

    def names(part) -> list[str]:
        return [ws[str(x.tx.strRef.f).split("!")[-1].replace("$", "")].value for x in part.series]

    left = [c for c in chart._charts if c.y_axis.axId == chart.y_axis.axId]
    right = [c for c in chart._charts if c.y_axis.axId != chart.y_axis.axId]
    return [n for c in left for n in names(c)], [n for c in right for n in names(c)]


def test_a_backlog_far_above_stock_gets_its_own_axis():
    tables = synthetic_tables()  # the second product's backlog ends many times its stock
    book = book_with(tables)
    write_dashboard(book, tables)
    ws = book[DASHBOARD]
    assert _chart_axes(ws, 1) == (["Stock", "Safety stock target"], ["Backlog"])
    assert _chart_axes(ws, 0) == (
        ["Demand", "Yielded supply", "Stock (quarter end)", "Safety stock target"],
        ["Backlog (quarter end)"],
    )
    assert ws._charts[1]._charts[1].y_axis.crosses == "max"
    # a backlog of the size of the stock stays on the stock's axis
    plan = tables["LL_Plan"]
    tables["LL_Plan"] = plan.assign(
        BacklogBytes=np.minimum(plan["BacklogBytes"], plan["StockBytes"].max() / 10)
    )
    book = book_with(tables)
    write_dashboard(book, tables)
    ws = book[DASHBOARD]
    assert _chart_axes(ws, 1) == (["Stock", "Safety stock target", "Backlog"], [])
    assert _chart_axes(ws, 0)[1] == []


def _anchor_rows(ws) -> list[tuple[int, int]]:
    """First and last sheet row (1-based) each chart covers."""
    out = []
    for chart in ws._charts:
        a = chart.anchor
        last = a.to.row + (1 if a.to.rowOff > 0 else 0)  # "to" row (0-based) at offset 0: ends above it
        out.append((a._from.row + 1, last))
    return out


def test_prints_one_landscape_page_per_block_without_cutting_a_chart():
    tables = synthetic_tables()
    book = book_with(tables)
    write_dashboard(book, tables)
    ws = book[DASHBOARD]
    breaks = [b.id for b in ws.row_breaks.brk]
    # cards + findings, then the three rows of charts: a break after each block but the last
    assert breaks == [dashboard.CHART_TOP - 1 + k * dashboard.CHART_ROWS for k in range(3)]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    for first, last in _anchor_rows(ws):
        assert not any(first <= b < last for b in breaks), (first, last, breaks)
        assert last <= dashboard.CHART_TOP - 1 + 3 * dashboard.CHART_ROWS


def test_charts_of_absent_tables_are_left_out():
    tables = {k: v for k, v in synthetic_tables().items() if k in ("LL_Plan", "LL_Runs")}
    book = book_with(tables)
    write_dashboard(book, tables)
    ws = book[DASHBOARD]
    assert len(ws._charts) == 3
    formulas = dashboard_formulas(ws)
    assert not any("LL_Forecast" in f or "LL_Risk" in f or "LL_Alerts" in f for f in formulas)
    assert (
        ws.cell(row=dashboard.CARD_ROW + 2, column=1 + 5 * dashboard.CARD_COLS).value == "no LL_Alerts table"
    )


def test_kpis_follow_the_documented_definitions():
    tables = synthetic_tables()
    plan = tables["LL_Plan"]
    p = "A*B?"
    rows = plan[plan["Product"] == p]
    got = kpis(tables, p)
    demand, backlog = rows["DemandBytes"], rows["BacklogBytes"]
    assert got["service_level"] == pytest.approx(1 - np.minimum(demand, backlog).sum() / demand.sum())
    assert got["shortage_bytes"] == pytest.approx(rows["BacklogBytes"].iloc[-1])
    ends = rows.groupby("Quarter", sort=False)["WeekIndex"].max()
    at_end = rows[rows["WeekIndex"].isin(ends)]
    assert got["quarter_ends_below_ss"] == int(
        (at_end["StockBytes"] < at_end["SafetyStockBytes"] * (1 - 1e-6) - 64).sum()
    )
    assert got["capacity_use"] == pytest.approx(rows["Wafers"].sum() / rows["CapacityWafers"].sum())
    assert got["open_alerts"] == 1
    assert got["max_stockout_probability"] == pytest.approx(
        tables["LL_Risk"].query("Product == @p")["StockoutProbability"].max()
    )


def test_rebuilding_keeps_place_and_the_planners_active_sheet():
    tables = synthetic_tables()
    book = book_with(tables)
    book.active = 0
    write_dashboard(book, tables)
    order = book.sheetnames
    assert order.index(DASHBOARD) == order.index("LL_Plan") - 1  # before the tool's tables
    write_dashboard(book, tables)
    assert book.sheetnames == order
    assert book.active.title == "Inputs"
    assert sum(1 for n in book.sheetnames if n.startswith(DASHBOARD) or "dashboard" in n) == 1


def test_a_planners_own_dashboard_sheet_is_never_touched():
    tables = synthetic_tables()
    book = book_with(tables)
    mine = book.create_sheet(DASHBOARD, 1)
    mine["A1"] = "My own charts"
    with pytest.raises(DashboardError, match="own sheet"):
        write_dashboard(book, tables)
    assert book[DASHBOARD] is mine and mine["A1"].value == "My own charts"


def test_a_failure_leaves_the_previous_dashboard_in_place(monkeypatch):
    tables = synthetic_tables()
    book = book_with(tables)
    write_dashboard(book, tables)
    before, order = book[DASHBOARD], book.sheetnames

    def boom(ws, layout):
        ws["A1"] = TITLE
        raise RuntimeError("chart trouble")

    monkeypatch.setattr(dashboard, "_render", boom)
    with pytest.raises(RuntimeError, match="chart trouble"):
        write_dashboard(book, tables)
    assert book.sheetnames == order and book[DASHBOARD] is before and len(before._charts) == 5


def test_no_plan_no_dashboard():
    book = openpyxl.Workbook()
    with pytest.raises(DashboardError, match="LL_Plan"):
        write_dashboard(book, {})
    assert DASHBOARD not in book.sheetnames


def test_the_file_writer_writes_the_plan_even_when_the_dashboard_fails(monkeypatch, tmp_path):
    from linealytics_xl import jobs
    from linealytics_xl.adapters import workbook_file

    def broken(tables):
        raise DashboardError("deliberately broken")

    monkeypatch.setattr(workbook_file, "dashboard_layout", broken)
    src = tmp_path / "plan.xlsx"
    shutil.copyfile(TEMPLATE, src)
    job = jobs.plan(src, overrides={"forecast": False, "simulate": False})
    book = openpyxl.load_workbook(job.path)
    assert "LL_Plan" in book.sheetnames and DASHBOARD not in book.sheetnames
    assert not any("deliberately" in p for p in job.lost_parts)


# --------------------------------------------------------------------------- LibreOffice
def _plan_copy(src: Path, dst: Path) -> Path:
    from linealytics_xl import jobs

    shutil.copyfile(src, dst)
    return jobs.plan(dst).path


@pytest.fixture(scope="module")
def template_planned(tmp_path_factory) -> Path:
    return _plan_copy(TEMPLATE, tmp_path_factory.mktemp("dashboard") / "template.xlsx")


def _check_rendering(path: Path, png: Path) -> np.ndarray:
    """The Dashboard has its charts (one per table present) and renders to a non-blank image."""
    book = openpyxl.load_workbook(path)
    assert is_own_dashboard(book), f"{path.name}: no dashboard written"
    expected = 3 + ("LL_Forecast" in book.sheetnames) + ("LL_Risk" in book.sheetnames)
    charts = list_charts(path)
    assert charts[DASHBOARD] == expected
    assert all(n == 0 for name, n in charts.items() if name != DASHBOARD)  # nothing added elsewhere
    render_png(path, png, DASHBOARD)
    img = read_png(png)[..., :3].astype(int)
    h, w, _ = img.shape
    assert h > 600 and w > 800
    ink = (img.min(axis=2) < 200).mean()  # share of pixels that are not near-white
    assert 0.03 < ink < 0.6, f"{ink:.1%} of the image is drawn"
    assert len(np.unique(img.reshape(-1, 3) // 16, axis=0)) > 20  # colours, not one flat tone

    def near(rgb: str, tol: int = 40) -> int:
        target = np.array([int(rgb[i : i + 2], 16) for i in (0, 2, 4)])
        return int((np.abs(img - target).max(axis=2) < tol).sum())

    # Data reached the charts: the supply bars (blue) and the backlog of the shortage (red).
    assert near(dashboard._C_SUPPLY) > 500, "no yielded-supply bars drawn"
    assert near(dashboard._C_BACKLOG) > 100, "no backlog line drawn"
    return img


@requires_libreoffice
def test_real_workbook_dashboard_renders(real_planned, tmp_path):
    path = tmp_path / "real.xlsx"
    shutil.copyfile(real_planned.path, path)
    png = tmp_path / "dashboard.png"
    _check_rendering(path, png)
    ws = openpyxl.load_workbook(path)[DASHBOARD]
    assert ws[dashboard.SELECTOR].value == ALL_PRODUCTS
    # 23C's backlog is many times its stock: the weekly chart gives the backlog its own axis
    with zipfile.ZipFile(path) as z:
        stock = [
            z.read(n)
            for n in z.namelist()
            if n.startswith("xl/charts/chart") and b"Inventory vs safety stock" in z.read(n)
        ]
    assert len(stock) == 1 and len(re.findall(rb"<(?:c:)?valAx>", stock[0])) == 2
    with zipfile.ZipFile(path) as z:
        quarterly = [
            z.read(n)
            for n in z.namelist()
            if n.startswith("xl/charts/chart") and b"Demand, yielded supply and stock by quarter" in z.read(n)
        ]
    assert len(quarterly) == 1 and len(re.findall(rb"<(?:c:)?valAx>", quarterly[0])) == 2
    _check_pdf(path, tmp_path / "dashboard.pdf")
    if os.environ.get("LL_UPDATE_DOCS_PNG") == "1":
        assert _docs_png_tool().shrink_png(png, DOCS_PNG, max_bytes=DOCS_PNG_MAX_BYTES) < DOCS_PNG_MAX_BYTES


@requires_libreoffice
def test_template_dashboard_renders(template_planned, tmp_path):
    _check_rendering(template_planned, tmp_path / "dashboard.png")


def _check_pdf(path: Path, pdf: Path) -> None:
    """LibreOffice prints the Dashboard on one landscape page per block, each chart whole."""
    ws = openpyxl.load_workbook(path)[DASHBOARD]
    breaks = [b.id for b in ws.row_breaks.brk]
    n_charts = len(ws._charts)
    assert len(breaks) == (n_charts + 1) // 2
    for first, last in _anchor_rows(ws):
        assert not any(first <= b < last for b in breaks), (first, last, breaks)
    pages = pdf_pages(export_pdf(path, pdf, DASHBOARD))
    assert len(pages) == 1 + (n_charts + 1) // 2
    assert all(w > h > 0 for w, h in pages), pages


@requires_libreoffice
def test_template_dashboard_prints_a_page_per_block(template_planned, tmp_path):
    _check_pdf(template_planned, tmp_path / "dashboard.pdf")


@requires_libreoffice
def test_synthetic_dashboard_prints_a_page_per_block(tmp_path):
    tables = synthetic_tables()
    book = book_with(tables)
    write_dashboard(book, tables)
    book.save(tmp_path / "synthetic.xlsx")
    _check_pdf(tmp_path / "synthetic.xlsx", tmp_path / "synthetic.pdf")


def _docs_png_tool():
    """docs/make_dashboard_png.py, the one place that downsizes the README's picture."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_dashboard_png", ROOT / "docs" / "make_dashboard_png.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_png_shrinks_under_its_limit(tmp_path):
    """The tool's downsizing on a large synthetic rendering: within the size and byte limits."""
    from PIL import Image

    rng = np.random.default_rng(0)
    big = tmp_path / "big.png"
    img = np.full((1800, 2600, 3), 255, dtype=np.uint8)
    for k in range(40):  # bars of colour, as a chart has
        img[400 + 20 * k : 1600, 100 + 60 * k : 140 + 60 * k] = rng.integers(0, 255, 3, dtype=np.uint8)
    Image.fromarray(img).save(big)
    out = tmp_path / "small.png"
    size = _docs_png_tool().shrink_png(big, out)
    assert size == out.stat().st_size < DOCS_PNG_MAX_BYTES
    with Image.open(out) as small:
        assert max(small.size) == 1200 and small.size[0] > small.size[1]


def test_docs_png_is_small():
    if not DOCS_PNG.exists():
        pytest.skip("docs/dashboard.png not generated (LL_UPDATE_DOCS_PNG=1 pytest tests/test_dashboard.py)")
    data = DOCS_PNG.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < DOCS_PNG_MAX_BYTES


def _recalculated_cards(path: Path, tmp: Path) -> tuple[list, list]:
    out = recalculate(path, tmp / f"{path.stem}-recalc.xlsx")
    ws = openpyxl.load_workbook(out, data_only=True)[DASHBOARD]
    cols = [1 + k * dashboard.CARD_COLS for k in range(len(KPI_KEYS))]
    return (
        [ws.cell(row=dashboard.CARD_ROW + 1, column=c).value for c in cols],
        [ws.cell(row=dashboard.CARD_ROW + 2, column=c).value for c in cols],
    )


def _expected(tables: dict[str, pd.DataFrame], product: str | None, unit: float) -> list[float]:
    k = kpis(tables, product)
    return [k[key] / unit if key == "shortage_bytes" else k[key] for key in KPI_KEYS]


@requires_libreoffice
def test_template_cards_recalculate_to_the_table_figures(template_planned, tmp_path):
    book = openpyxl.load_workbook(template_planned)
    unit = book[DASHBOARD].cell(row=2, column=dashboard.DATA_COL + 1).value
    tables = pd.read_excel(template_planned, sheet_name=[n for n in book.sheetnames if n.startswith("LL_")])
    selected = book[DASHBOARD][dashboard.SELECTOR].value
    selected = None if selected == ALL_PRODUCTS else selected
    cards, totals = _recalculated_cards(template_planned, tmp_path)
    present = [k for k, v in zip(KPI_KEYS, totals) if v is not None]
    expected, all_products = _expected(tables, selected, unit), _expected(tables, None, unit)
    for key, got, want, total, want_total in zip(KPI_KEYS, cards, expected, totals, all_products):
        if key in present:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key
            assert total == pytest.approx(want_total, rel=1e-9, abs=1e-9), key


@requires_libreoffice
@pytest.mark.parametrize("product", [ALL_PRODUCTS, "<b>&23C</b>", "A*B?", "P~1"])
def test_selector_drives_the_cards_and_chart_data(product, tmp_path):
    """SUMIFS criteria with wildcard characters, a leading '<' and '~' pick exactly one product."""
    tables = synthetic_tables()
    book = book_with(tables)
    write_dashboard(book, tables)
    book[DASHBOARD][dashboard.SELECTOR] = product
    path = tmp_path / "synthetic.xlsx"
    book.save(path)
    unit = book[DASHBOARD].cell(row=2, column=dashboard.DATA_COL + 1).value
    cards, _ = _recalculated_cards(path, tmp_path)
    chosen = None if product == ALL_PRODUCTS else product
    for key, got, want in zip(KPI_KEYS, cards, _expected(tables, chosen, unit)):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key
    # the chart data: the quarterly demand column sums to the selection's demand
    ws = openpyxl.load_workbook(tmp_path / "synthetic-recalc.xlsx", data_only=True)[DASHBOARD]
    col = dashboard.DATA_COL + 2 + dashboard.QUARTER_COLUMNS.index("Demand")
    demand = [ws.cell(row=r, column=col).value for r in range(6, 6 + 4)]
    plan = tables["LL_Plan"]
    rows = plan if chosen is None else plan[plan["Product"] == chosen]
    assert sum(demand) * unit == pytest.approx(rows["DemandBytes"].sum(), rel=1e-9)


def test_card_labels_shrink_to_fit_their_card(real_planned):
    """ "Quarter ends below safety stock" is longer than its card: it used to be cut off at
    "Quarter ends below safety s"; the label cells shrink their text to fit instead."""
    ws = openpyxl.load_workbook(real_planned.path)[DASHBOARD]
    labels = [ws.cell(row=dashboard.CARD_ROW, column=1 + k * dashboard.CARD_COLS) for k in range(7)]
    assert "Quarter ends below safety stock" in [c.value for c in labels]
    assert all(c.alignment.shrink_to_fit for c in labels)
    value = ws.cell(row=dashboard.CARD_ROW + 1, column=1)
    assert not value.alignment.shrink_to_fit  # the figures keep their size
