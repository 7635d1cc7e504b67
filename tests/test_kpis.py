"""One definition per KPI: each figure recomputed here from the written LL_Plan / LL_Risk tables,
by a separate implementation, and compared with every place that shows it (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from linealytics_xl import cli, jobs
from linealytics_xl.adapters.dashboard import kpis as dashboard_kpis
from linealytics_xl.core.kpis import KPIS, format_kpi, plan_kpis
from linealytics_xl.notify import report_kpis

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "planning.xlsx"


def read_table(path: Path, name: str) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[1:], columns=rows[0])


def independent(plan: pd.DataFrame, risk: pd.DataFrame | None, product: str) -> dict[str, float]:
    """The definitions of docs/tables.md, written out again with plain numpy."""
    g = plan[plan["Product"] == product].sort_values("WeekIndex")
    d, b = g["DemandBytes"].to_numpy(float), g["BacklogBytes"].to_numpy(float)
    s, ss = g["StockBytes"].to_numpy(float), g["SafetyStockBytes"].to_numpy(float)
    tol = max(64.0, 1e-9 * d.sum())
    low = s < ss * (1 - 1e-6) - 64.0
    is_end = (g["WeekIndex"] == g.groupby("Quarter")["WeekIndex"].transform("max")).to_numpy()
    out = {
        "wafers": g["Wafers"].sum(),
        "service_level": 1 - sum(min(x, y) for x, y in zip(d, b) if y > tol) / d.sum(),
        "shortage_bytes": b[-1] if b[-1] > tol else 0.0,
        "weeks_with_backlog": float((b > tol).sum()),
        "quarter_ends_below_ss": float((low & is_end).sum()),
        "weeks_below_ss": float(low.sum()),
        "capacity_use": g["Wafers"].sum() / g["CapacityWafers"].sum(),
    }
    if risk is not None:
        r = risk[risk["Product"] == product]
        out["stockout_probability"] = r["StockoutProbability"].max()
        out["fill_rate"] = r["FillRate"].iloc[0]
    return out


@pytest.fixture(scope="module")
def planned_template(tmp_path_factory) -> jobs.PlanJob:
    return jobs.plan(TEMPLATE, output=tmp_path_factory.mktemp("kpi") / "planned.xlsx")


@pytest.fixture(params=["real", "template"])
def job(request) -> jobs.PlanJob:
    return request.getfixturevalue("real_planned" if request.param == "real" else "planned_template")


def test_docs_list_every_kpi_as_the_code_defines_it() -> None:
    doc = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2).split(" | ") for m in re.finditer(r"^\| `(\w+)` \| (.*) \|$", doc, re.M)}
    for key, k in KPIS.items():
        assert key in rows, f"KPI {key} is not documented in docs/tables.md"
        name, unit, grain, formula, fmt = rows[key]
        assert (name, unit, grain, formula, fmt) == (
            k.name,
            k.unit,
            k.grain,
            k.formula,
            f"`{k.number_format}`",
        )


def test_every_place_shows_the_kpis_of_the_tables(job: jobs.PlanJob) -> None:
    plan, risk = read_table(job.path, "LL_Plan"), read_table(job.path, "LL_Risk")
    tables = {"LL_Plan": plan, "LL_Risk": risk}
    summaries = {s.product: s for s in job.outcome.summaries}
    for product in dict.fromkeys(plan["Product"]):
        want = independent(plan, risk, product)
        got = plan_kpis(plan, risk, product)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), (product, key)
        s = summaries[product]  # the command line, insights, alerts and the run record use these
        for key in (
            "service_level",
            "shortage_bytes",
            "weeks_with_backlog",
            "quarter_ends_below_ss",
            "weeks_below_ss",
            "capacity_use",
            "wafers",
        ):
            assert getattr(s, key) == pytest.approx(want[key], rel=1e-9, abs=1e-6), (product, key)
        shown = dashboard_kpis(tables, product)
        for key in ("service_level", "shortage_bytes", "quarter_ends_below_ss", "capacity_use", "wafers"):
            assert shown[key] == pytest.approx(want[key], rel=1e-12, abs=1e-9), (product, key)
        assert shown["max_stockout_probability"] == pytest.approx(want["stockout_probability"])


def test_command_line_summary_prints_the_kpis(job: jobs.PlanJob) -> None:
    plan = read_table(job.path, "LL_Plan")
    with cli.out.capture() as captured:
        cli._print_summary(job)
    text = captured.get()
    for product in dict.fromkeys(plan["Product"]):
        want = independent(plan, None, product)
        row = next(
            line for line in text.splitlines() if re.search(rf"[│|]\s*{re.escape(product)}\s*[│|]", line)
        )
        cells = [c.strip() for c in re.split(r"[│|]", row) if c.strip()]
        assert cells[3] == format_kpi("service_level", want["service_level"])
        assert cells[4] == f"{want['shortage_bytes'] / 1e9:,.2f}"
        assert cells[5:8] == [
            format_kpi(k, want[k]) for k in ("weeks_with_backlog", "quarter_ends_below_ss", "weeks_below_ss")
        ]
        assert cells[8] == format_kpi("capacity_use", want["capacity_use"])


def test_report_mail_figures_are_the_all_products_kpis(job: jobs.PlanJob) -> None:
    plan = read_table(job.path, "LL_Plan")
    figures = report_kpis(plan)
    per = [independent(plan, None, p) for p in dict.fromkeys(plan["Product"])]
    demand = plan["DemandBytes"].sum()
    late = sum(
        (1 - k["service_level"]) * plan.loc[plan["Product"] == p, "DemandBytes"].sum()
        for k, p in zip(per, dict.fromkeys(plan["Product"]))
    )
    assert figures[KPIS["service_level"].name] == format_kpi("service_level", 1 - late / demand)
    assert figures[KPIS["wafers"].name] == format_kpi("wafers", sum(k["wafers"] for k in per))
    assert figures[KPIS["quarter_ends_below_ss"].name + " (product-quarters)"] == format_kpi(
        "quarter_ends_below_ss", sum(k["quarter_ends_below_ss"] for k in per)
    )
    shortage = sum(k["shortage_bytes"] for k in per)
    assert figures[KPIS["shortage_bytes"].name].startswith(f"{shortage / 1e9:,.2f} GB")
    short = [p for p, k in zip(dict.fromkeys(plan["Product"]), per) if k["shortage_bytes"] > 0]
    assert figures["Products short"] == (", ".join(short) or "none")


def test_served_products_show_no_backlog_and_findings_state_only_what_is_true(job: jobs.PlanJob) -> None:
    plan, insights = read_table(job.path, "LL_Plan"), read_table(job.path, "LL_Insights")
    for product in dict.fromkeys(plan["Product"]):
        want = independent(plan, None, product)
        rows = plan[plan["Product"] == product]
        if want["weeks_with_backlog"] == 0:  # served in full: not a byte of round-off shows
            assert (rows["BacklogBytes"] == 0).all(), product
        found = insights[(insights["Product"] == product) & (insights["Kind"] == "shortage")]["Message"]
        if want["shortage_bytes"] > 0:
            assert any("cannot be served in full" in m for m in found), product
        else:
            assert not any("cannot be served" in m for m in found), (product, list(found))
        if want["weeks_with_backlog"] == 0:
            assert found.empty, (product, list(found))
