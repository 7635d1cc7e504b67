"""The synthetic workbook generator: real layout, working formulas, sensible data.

The layout is checked against the documented format always, and against the real hackathon
workbook (``../shared/data/micron_hackathon_2025.xlsx``) when it is present.  The formulas are
checked by letting LibreOffice compute them (skipped where LibreOffice is not installed) and
comparing with independent numpy arithmetic on the generator's data.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from libreoffice import (
    list_charts,
    read_png,
    recalculate,
    render_png,
    requires_libreoffice,
)
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from linealytics_xl.adapters.demo_workbook import (
    CAPACITY_ATTRIBUTES,
    SHEETS,
    SUPPLY_DEMAND_ATTRIBUTES,
    generate_demo_data,
    write_demo_workbook,
)

REPO = Path(__file__).resolve().parents[1]
REAL_WORKBOOK = REPO.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
NO_REAL = f"real workbook not found at {REAL_WORKBOOK}; layout checked against the documented format only"
QUARTER = re.compile(r"^Q[1-4] \d{2}$")
WEEK = re.compile(r"^WW_\d{2}$")


# --------------------------------------------------------------------------- helpers
def _relative(formula: str, at: str) -> str:
    """A formula with its A1 references made relative to cell ``at`` (R1C1-like), to compare the
    *kind* of formula between cells of different workbooks."""
    col0, row0 = coordinate_from_string(at)
    c0 = column_index_from_string(col0)

    def rel(m: re.Match) -> str:
        c, r = column_index_from_string(m.group(1)), int(m.group(2))
        return f"R[{r - row0}]C[{c - c0}]"

    return re.sub(r"\$?\b([A-Z]{1,3})\$?(\d+)\b", rel, formula)


def _refs(formula: str) -> set[tuple[str, int]]:
    return {(c, int(r)) for c, r in re.findall(r"\$?\b([A-Z]{1,3})\$?(\d+)\b", formula)}


def _layout(path: Path) -> dict:
    """The structural facts of a planning workbook (no numbers)."""
    wb = openpyxl.load_workbook(path)
    sd, bc, wp = wb["Supply_Demand"], wb["Boundary Conditions"], wb["Wafer Plan"]
    yl, dens, ratio = wb["Yield"], wb["Density per Wafer"], wb["Weekly Demand Ratio"]
    products = [dens.cell(1, c).value for c in range(1, dens.max_column + 1)]
    n_p = len(products)
    quarters = [sd.cell(1, c).value for c in range(3, sd.max_column + 1)]
    return {
        "sheets": wb.sheetnames,
        "states": [ws.sheet_state for ws in wb.worksheets],
        "sd_header": [sd["A1"].value, sd["B1"].value],
        "sd_quarter_labels_ok": all(isinstance(q, str) and QUARTER.match(q) for q in quarters),
        "sd_attributes": [sd.cell(r, 2).value for r in range(2, 8)],
        "sd_products": [sd.cell(2 + 6 * i, 1).value for i in range(n_p)],
        "sd_rows": sd.max_row,
        # formulas of the first product in the first planning quarter column (D), as kinds
        "sd_formulas": {r: _relative(sd.cell(r, 4).value, f"D{r}") for r in (3, 6, 7)},
        "sd_opening": [sd.cell(r, 3).value for r in (2, 3, 4, 5, 7)],
        "bc_header": [bc["A2"].value, bc["B2"].value],
        "bc_b1": bc["B1"].value,
        "bc_total_rows": [(bc.cell(r, 1).value, bc.cell(r, 2).value) for r in (3, 4, 5)],
        "bc_product_rows": [(bc.cell(r, 1).value, bc.cell(r, 2).value) for r in range(6, 6 + 3 * n_p)],
        "bc_total_refs": _refs(bc["C3"].value) if bc["C3"].value.startswith("=+C") else None,
        "bc_week_labels_ok": all(WEEK.match(bc.cell(2, c).value) for c in range(3, bc.max_column + 1)),
        "wp_labels": [wp["A2"].value, wp["A3"].value] + [wp.cell(4 + i, 1).value for i in range(n_p)],
        "wp_total": _relative(wp["B3"].value, "B3"),
        "wp_weeks_equal_bc": [wp.cell(2, c).value for c in range(2, wp.max_column + 1)]
        == [bc.cell(2, c).value for c in range(3, bc.max_column + 1)],
        "wp_quarters_in_sd": {wp.cell(1, c).value for c in range(2, wp.max_column + 1)} <= set(quarters[1:]),
        "yield_labels": [yl["A2"].value, yl["B3"].value, yl.cell(3 + n_p - 1, 2).value],
        "yield_rows": [yl.cell(3 + i, 1).value for i in range(n_p)],
        "yield_merged_row1": all(m.min_row == m.max_row == 1 for m in yl.merged_cells.ranges),
        "yield_quarter_starts": [
            yl.cell(1, c).value for c in range(3, yl.max_column + 1) if yl.cell(1, c).value not in (None, "")
        ],
        "ratio_labels": [ratio.cell(1, c).value for c in range(1, ratio.max_column + 1)],
        "definitions": [wb["Definitions"].cell(r, 1).value for r in range(1, 7)],
        "density_row2_numeric": all(
            isinstance(dens.cell(2, c).value, (int, float)) for c in range(1, n_p + 1)
        ),
        "formats": {
            "bytes": sd["D5"].number_format,
            "wos": sd["D4"].number_format,
            "yield": yl["C3"].number_format,
            "ratio": ratio["A2"].number_format,
            "density": dens["A2"].number_format,
            "capacity": bc["C6"].number_format,
        },
        "products": products,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, object]:
    """A 3-product workbook with a 14-week quarter and a baseline Yielded Supply."""
    settings = dict(n_products=3, n_quarters=8, seed=7, long_quarter=3, baseline_supply=True)
    path = write_demo_workbook(tmp_path_factory.mktemp("demo") / "demo.xlsx", **settings)
    return path, generate_demo_data(**settings)


# --------------------------------------------------------------------------- layout
def test_layout_is_the_documented_one(demo):
    path, data = demo
    lay = _layout(path)
    assert (
        lay["sheets"]
        == list(SHEETS)
        == [
            "Supply_Demand",
            "Density per Wafer",
            "Weekly Demand Ratio",
            "Wafer Plan",
            "Boundary Conditions",
            "Yield",
            "Definitions",
            "Solution and Notes",
        ]
    )
    assert lay["sd_header"] == ["Product ID", "Attribute"]
    assert lay["sd_quarter_labels_ok"]
    assert lay["sd_attributes"] == list(SUPPLY_DEMAND_ATTRIBUTES)
    assert lay["sd_products"] == ["P1", "P2", "P3"] == lay["products"]
    assert lay["sd_rows"] == 1 + 6 * 3
    assert lay["sd_formulas"] == {
        3: "=(R[2]C[1]/13)*R[1]C[0]",  # =(E5/13)*D4
        6: "=R[0]C[-1]+R[-4]C[0]-R[-1]C[0]",  # =C6+D2-D5
        7: "=R[-1]C[-1]+R[-5]C[0]-R[-4]C[0]-R[-2]C[0]",  # =C6+D2-D3-D5
    }
    assert lay["sd_opening"] == [0, 0, 0, 0, 0]
    assert lay["bc_header"] == ["Product ID", "Attribute"]
    assert lay["bc_total_rows"] == [("Total", a) for a in CAPACITY_ATTRIBUTES]
    assert lay["bc_product_rows"] == [(p, a) for p in data.products for a in CAPACITY_ATTRIBUTES]
    assert lay["bc_total_refs"] == {("C", 6), ("C", 9), ("C", 12)}
    assert lay["bc_week_labels_ok"] and lay["wp_weeks_equal_bc"] and lay["wp_quarters_in_sd"]
    assert lay["wp_labels"] == ["Design Handle", "Total", "P1", "P2", "P3"]
    assert lay["wp_total"] == "=+SUM(R[1]C[0]:R[3]C[0])"
    assert lay["yield_labels"] == ["Product ID", "Yield", "Yield"]
    assert lay["yield_rows"] == ["P1", "P2", "P3"]
    assert lay["yield_merged_row1"]
    assert lay["yield_quarter_starts"] == list(data.quarters)
    assert lay["ratio_labels"] == [f"Wk{k}" for k in range(1, 14)]
    assert lay["definitions"] == list(SUPPLY_DEMAND_ATTRIBUTES)
    assert lay["density_row2_numeric"]
    assert lay["states"][-1] == "hidden"


def test_calendar_quarters_weeks_and_dates(demo):
    path, _data = demo
    wb = openpyxl.load_workbook(path)
    sd, bc, yl = wb["Supply_Demand"], wb["Boundary Conditions"], wb["Yield"]
    assert [sd.cell(1, c).value for c in range(3, sd.max_column + 1)] == [
        "Q1 25",
        "Q2 25",
        "Q3 25",
        "Q4 25",
        "Q1 26",
        "Q2 26",
        "Q3 26",
        "Q4 26",
        "Q1 27",
    ]
    n_weeks = bc.max_column - 2
    assert n_weeks == 8 * 13 + 1  # quarter index 3 has 14 weeks
    week_q = [bc.cell(1, c).value for c in range(3, bc.max_column + 1)]
    assert {q: week_q.count(q) for q in set(week_q)}["Q1 26"] == 14
    # Yield: merged label over each quarter's weeks, real dates one week apart.
    merged = sorted((m.min_col, m.max_col) for m in yl.merged_cells.ranges)
    assert [hi - lo + 1 for lo, hi in merged] == [13, 13, 13, 14, 13, 13, 13, 13]
    for lo, hi in merged:
        assert {bc.cell(1, c).value for c in range(lo, hi + 1)} == {yl.cell(1, lo).value}
    dates = [yl.cell(2, c).value for c in range(3, yl.max_column + 1)]
    assert all(hasattr(d, "year") for d in dates)
    assert {(b - a).days for a, b in itertools.pairwise(dates)} == {7}
    assert dates[0].weekday() == 0
    # Week labels count the fiscal year's weeks: Q2 starts at WW_14, Q1 restarts at WW_01, and the
    # fiscal year with the 14-week quarter (Q1 26) has a WW_53.
    labels = [bc.cell(2, c).value for c in range(3, bc.max_column + 1)]
    assert labels[0] == "WW_14"
    assert labels[week_q.index("Q1 26")] == "WW_01"
    assert labels[week_q.index("Q2 26")] == "WW_15"
    assert labels[week_q.index("Q1 27") - 1] == "WW_53"
    assert labels[week_q.index("Q1 27")] == "WW_01"
    assert labels.count("WW_53") == 1


@pytest.mark.skipif(not REAL_WORKBOOK.exists(), reason=NO_REAL)
def test_layout_matches_the_real_workbook(demo):
    path, _ = demo
    ours, real = _layout(path), _layout(REAL_WORKBOOK)
    same = [
        "sheets",
        "states",
        "sd_header",
        "sd_quarter_labels_ok",
        "sd_attributes",
        "sd_formulas",
        "bc_header",
        "bc_b1",
        "bc_total_rows",
        "bc_week_labels_ok",
        "wp_labels",
        "wp_total",
        "yield_labels",
        "yield_merged_row1",
        "ratio_labels",
        "definitions",
        "density_row2_numeric",
        "formats",
        "wp_weeks_equal_bc",
    ]
    for key in same:
        if key == "wp_labels":  # product ids differ; the row labels around them do not
            assert ours[key][:2] == real[key][:2], key
        else:
            assert ours[key] == real[key], key
    # Same row structure per product (ids differ: synthetic P1.. instead of the real ones).
    strip = lambda rows: [a for _, a in rows]  # noqa: E731
    assert strip(ours["bc_product_rows"]) == strip(real["bc_product_rows"])
    assert ours["sd_rows"] == real["sd_rows"]
    # The Total capacity row sums exactly the products' Available Capacity rows, as in the real file.
    assert {r for _, r in ours["bc_total_refs"]} == {r for _, r in real["bc_total_refs"]}


# --------------------------------------------------------------------------- data
def test_data_is_deterministic_and_seeded(tmp_path):
    a = write_demo_workbook(tmp_path / "a.xlsx", seed=3)
    b = write_demo_workbook(tmp_path / "b.xlsx", seed=3)
    c = write_demo_workbook(tmp_path / "c.xlsx", seed=4)

    def values(p):
        wb = openpyxl.load_workbook(p)
        return {ws.title: [[cell.value for cell in row] for row in ws.iter_rows()] for ws in wb}

    assert values(a) == values(b)
    assert values(a)["Supply_Demand"] != values(c)["Supply_Demand"]
    # A product's data do not depend on how many other products are generated.
    small, large = generate_demo_data(n_products=3), generate_demo_data(n_products=40)
    np.testing.assert_array_equal(small.demand, large.demand[:3])
    np.testing.assert_array_equal(small.capacity, large.capacity[:3])


def test_data_ranges_and_capacity_binding():
    data = generate_demo_data(
        n_products=60, n_quarters=34, seed=1, long_quarter=5, capacity_bound=("P3", "P17")
    )
    assert len(data.week_labels) == 443 == 33 * 13 + 14
    assert data.density.min() >= 50_000 and data.density.max() <= 100_000
    assert data.yields.min() >= 0.85 and data.yields.max() <= 0.95
    assert 500 <= data.capacity.mean() <= 10_000
    assert data.week_ratios.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(data.week_ratios) >= 0) and data.week_ratios[-1] > 2 * data.week_ratios[0]
    served = data.demand.sum(axis=1) / data.full_capacity_supply.sum(axis=1)
    bound = np.isin(data.products, data.capacity_bound)
    assert np.all((served[bound] >= 1.5) & (served[bound] <= 2.0))
    assert np.all((served[~bound] >= 0.55) & (served[~bound] <= 0.92))
    assert 0.6 <= np.median(served[~bound]) <= 0.9
    # Trend + seasonality + noise: quarterly demand is not flat.
    assert np.all(data.demand.std(axis=1) / data.demand.mean(axis=1) > 0.02)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown products"):
        write_demo_workbook(tmp_path / "x.xlsx", n_products=2)  # P3 does not exist
    with pytest.raises(ValueError, match="long_quarter"):
        write_demo_workbook(tmp_path / "x.xlsx", long_quarter=8)
    assert not (tmp_path / "x.xlsx").exists()


def test_scales_to_500_products_and_443_weeks(tmp_path):
    path = write_demo_workbook(tmp_path / "big.xlsx", n_products=500, n_quarters=34, long_quarter=5)
    wb = openpyxl.load_workbook(path, read_only=True)
    bc, sd = wb["Boundary Conditions"], wb["Supply_Demand"]
    assert bc.max_column == 2 + 443 and bc.max_row == 5 + 3 * 500
    assert sd.max_column == 2 + 35 and sd.max_row == 1 + 6 * 500
    total = next(bc.iter_rows(min_row=3, max_row=3, min_col=3, max_col=3, values_only=True))[0]
    assert total.startswith("=+C6+C9+") and total.endswith(f"+C{6 + 3 * 499}")
    wb.close()


def test_shipped_template_is_current(tmp_path):
    """workbook/planning.xlsx is what workbook/make_template.py writes (same values)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_template", REPO / "workbook" / "make_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = tmp_path / "planning.xlsx"
    assert module.main(["--output", str(fresh)]) == 0
    shipped = REPO / "workbook" / "planning.xlsx"
    assert shipped.exists(), "run: python workbook/make_template.py"

    def values(p):
        wb = openpyxl.load_workbook(p)
        return {ws.title: [[cell.value for cell in row] for row in ws.iter_rows()] for ws in wb}

    assert values(shipped) == values(fresh)
    settings = module.TEMPLATE_SETTINGS
    assert 3 <= settings["n_products"] <= 4 and settings["n_quarters"] == 8 and settings["capacity_bound"]


# --------------------------------------------------------------------------- LibreOffice
@requires_libreoffice
def test_libreoffice_computes_the_formulas(demo, tmp_path):
    path, data = demo
    out = recalculate(path, tmp_path / "calc.xlsx")
    wb = openpyxl.load_workbook(out, data_only=True)
    sd, bc, wp = wb["Supply_Demand"], wb["Boundary Conditions"], wb["Wafer Plan"]
    n_q = len(data.quarters)
    assert wb.sheetnames == list(SHEETS)
    for i in range(len(data.products)):
        r = 2 + 6 * i
        row = lambda k: np.array([sd.cell(r + k, c).value for c in range(4, 4 + n_q)], float)  # noqa: E731
        supply, sst, _wos, demand, inv, excess = (row(k) for k in range(6))
        # Independent arithmetic on the generator's arrays.
        exp_supply, exp_demand = data.yielded_supply[i], data.demand[i]
        exp_sst = np.append(data.wos[i] * exp_demand[1:] / 13, 0.0)
        exp_inv = data.initial_stock[i] + np.cumsum(exp_supply - exp_demand)
        prev_inv = np.concatenate([[data.initial_stock[i]], exp_inv[:-1]])
        exp_excess = prev_inv + exp_supply - exp_sst - exp_demand
        np.testing.assert_array_equal(supply, exp_supply)
        np.testing.assert_array_equal(demand, exp_demand)
        np.testing.assert_allclose(sst, exp_sst, rtol=1e-12, atol=1e-3)
        np.testing.assert_allclose(inv, exp_inv, rtol=1e-12, atol=1e-3)
        np.testing.assert_allclose(excess, exp_excess, rtol=1e-12, atol=1e-3)
        assert sd.cell(r + 4, 3).value == data.initial_stock[i]
    n_w = len(data.week_labels)
    total = np.array([bc.cell(3, c).value for c in range(3, 3 + n_w)], float)
    np.testing.assert_array_equal(total, data.capacity.sum(axis=0))
    assert [wp.cell(3, c).value for c in range(2, 2 + n_w)] == [0] * n_w  # empty plan sums to 0


@requires_libreoffice
@pytest.mark.skipif(not REAL_WORKBOOK.exists(), reason=NO_REAL)
def test_libreoffice_recalculates_the_real_workbook(tmp_path):
    copy = tmp_path / "real.xlsx"
    shutil.copyfile(REAL_WORKBOOK, copy)
    out = recalculate(copy, tmp_path / "real_calc.xlsx")
    bc = openpyxl.load_workbook(out, data_only=True)["Boundary Conditions"]
    formulas = openpyxl.load_workbook(copy)["Boundary Conditions"]
    product_rows = [r for r in range(6, bc.max_row + 1) if bc.cell(r, 2).value == "Available Capacity"]
    assert len(product_rows) == 3
    # The Total row is formulas in its first columns and pasted values after: both must be sums.
    n_formulas = 0
    for c in range(3, bc.max_column + 1):
        n_formulas += str(formulas.cell(3, c).value or "").startswith("=")
        products = [bc.cell(r, c).value or 0 for r in product_rows]
        assert bc.cell(3, c).value == pytest.approx(sum(products), abs=1e-9), get_column_letter(c)
    assert n_formulas > 100


@requires_libreoffice
def test_render_and_count_charts(tmp_path):
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dashboard"
    ws.append(["Week", "Plan", "Capacity"])
    for k in range(1, 13):
        ws.append([f"WW_{k:02d}", 100 + 10 * k, 220])
    chart = BarChart()
    chart.title = "Wafer starts"
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=13), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=13))
    ws.add_chart(chart, "E2")
    wb.create_sheet("Data").append([1, 2, 3])
    src = tmp_path / "dash.xlsx"
    wb.save(src)

    assert list_charts(src) == {"Dashboard": 1, "Data": 0}
    png = render_png(src, tmp_path / "dash.png", "Dashboard")
    img = read_png(png)[..., :3].astype(int)
    h, w, _ = img.shape
    assert w > 800 and h > 500
    ink = (img.min(axis=2) < 200).mean()  # share of not-white pixels
    assert 0.005 < ink < 0.6
    colours = {tuple(p) for p in img[::4, ::4].reshape(-1, 3)}
    assert len(colours) > 8  # the chart's bars are coloured
    # The chart sits right of the table: there is ink in the right half too.
    assert (img[:, w // 4 :].min(axis=2) < 200).mean() > 0.002


@requires_libreoffice
def test_render_a_generated_sheet(demo, tmp_path):
    path, _ = demo
    img = read_png(render_png(path, tmp_path / "sd.png", "Supply_Demand"))[..., :3]
    assert (img.min(axis=2) < 200).mean() > 0.005
    with pytest.raises(Exception, match="no sheet named"):
        render_png(path, tmp_path / "x.png", "No such sheet")
