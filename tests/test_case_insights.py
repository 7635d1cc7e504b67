"""What-if insights (issue 15): which case closes which gap, at what cost in wafers, checked
against the what-if table on the real workbook."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from linealytics_xl import jobs
from linealytics_xl.core.case_insights import WHATIF_KIND, best_cases, case_effects, with_whatif
from linealytics_xl.core.explain import ProductSummary
from linealytics_xl.core.insights import Insight, insights_table
from linealytics_xl.core.whatif import HEADER

PLAN_ONLY = {"forecast": False, "simulate": False}
MORE_23C = "23C capacity x1.2"
LESS_21A = "21A capacity x0.5"


def _summary(product: str, shortage: float, quarter_ends_below: int, wafers: float) -> ProductSummary:
    return ProductSummary(
        product, 1e12, 1e12 - shortage, wafers, shortage, shortage / 1e12, 1.0, 0, quarter_ends_below,
        13 * quarter_ends_below, 0.5, 0, "", None, 0.0, "",
    )  # fmt: skip


class _Plan:
    def __init__(self, name: str, *summaries: ProductSummary) -> None:
        self.name = name
        self.summaries = summaries


def test_effects_name_closing_reducing_worsening_and_the_best_case():
    base = _Plan("Base", _summary("A", 4e9, 3, 100.0), _summary("B", 0.0, 0, 50.0))
    half = _Plan("Half", _summary("A", 2e9, 3, 120.0), _summary("B", 0.0, 0, 50.0))
    full = _Plan("Full", _summary("A", 0.0, 1, 180.0), _summary("B", 1e9, 2, 40.0))
    effects = case_effects([base, half, full])
    got = {(e.case, e.product, e.gap): e for e in effects}
    assert set(got) == {
        ("Half", "A", "shortage"),
        ("Full", "A", "shortage"),
        ("Full", "A", "safety_stock"),
        ("Full", "B", "shortage"),
        ("Full", "B", "safety_stock"),
    }
    assert got[("Half", "A", "shortage")].effect == "reduces"
    assert got[("Half", "A", "shortage")].wafers_per_gb == pytest.approx(20.0 / 2.0)
    assert got[("Full", "A", "shortage")].effect == "closes"
    assert got[("Full", "A", "shortage")].wafers_per_gb == pytest.approx(80.0 / 4.0)
    assert got[("Full", "A", "safety_stock")].effect == "reduces"
    assert got[("Full", "B", "shortage")].effect == "worsens"
    assert got[("Full", "B", "shortage")].closed == -1e9
    assert best_cases(effects)[("A", "shortage")].case == "Full"  # closes most, though dearer per GB


def test_a_whatif_run_replaces_only_the_previous_whatif_findings():
    plan = [Insight("A", "shortage", "A is short.", 4e9)]
    old = [Insight("A", WHATIF_KIND, "Old case: closes ...", 1.0)]
    new = [Insight("A", WHATIF_KIND, "New case: closes ...", 2.0)]
    table = with_whatif(insights_table(plan + old), new)
    assert list(table["Message"]) == ["A is short.", "New case: closes ..."]
    assert list(table["Rank"]) == [1, 2]
    assert list(with_whatif(None, new)["Message"]) == ["New case: closes ..."]


def test_whatif_insights_on_the_real_workbook_match_the_whatif_table(real_path, tmp_path):
    src = tmp_path / "cases.xlsx"
    shutil.copyfile(real_path, src)
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("WhatIf")
    for row in (
        HEADER,
        (MORE_23C, "capacity", "23C", "", "", "times", 1.2),
        (LESS_21A, "capacity", "21A", "", "", "times", 0.5),
    ):
        ws.append(list(row))
    wb.save(src)
    out = tmp_path / "out.xlsx"
    job = jobs.whatif(src, output=out, overrides=PLAN_ONLY, n_jobs=1)
    table = job.table.set_index(["Case", "Product"])
    assert table.loc[("Base", "23C"), "ShortageBytes"] > 1e11  # the base is short of 23C

    effects = {(e.case, e.product, e.gap): e for e in case_effects(job.plans)}
    more = effects[(MORE_23C, "23C", "shortage")]
    row = table.loc[(MORE_23C, "23C")]
    assert more.effect in ("closes", "reduces") and more.closed > 0
    assert more.closed == pytest.approx(-row["ShortageChangeBytes"], rel=1e-9)
    assert more.wafers_change == pytest.approx(row["WafersChange"], rel=1e-9, abs=1e-3)
    assert more.wafers_per_gb == pytest.approx(row["WafersChange"] / (-row["ShortageChangeBytes"] / 1e9))
    assert row["WafersChange"] > 0  # closing a gap costs wafers
    for (case, product, gap), e in effects.items():  # every effect is what the table says
        if gap == "shortage":
            assert e.closed == pytest.approx(-table.loc[(case, product), "ShortageChangeBytes"], rel=1e-9)
    less = effects.get((LESS_21A, "21A", "shortage"))
    assert less is not None and less.effect == "worsens"  # half the capacity leaves 21A short

    # the findings are in LL_Insights, worded with the figures, and in the command's summary
    rows = list(openpyxl.load_workbook(out, read_only=True)["LL_Insights"].iter_rows(values_only=True))
    header = rows[0]
    mine = [dict(zip(header, r)) for r in rows[1:] if r[header.index("Kind")] == WHATIF_KIND]
    messages = [r["Message"] for r in mine]
    assert messages == job.findings
    first = next(m for m in messages if m.startswith(f"{MORE_23C}: closes"))
    assert f"{round(row['WafersChange']):+,d} wafers" in first and "23C's shortage" in first
    assert f"{round(more.wafers_per_gb):,d} wafers per GB closed" in first
    assert any(m.startswith(f"{LESS_21A}: worsens 21A's shortage") for m in messages)


def test_safety_stock_is_judged_at_quarter_ends_where_the_target_is():
    """Mid-quarter weeks below the target move with capacity at no cost; they are no finding."""
    base = _Plan("Base", _summary("A", 0.0, 2, 100.0))
    moved = ProductSummary(**{**base.summaries[0].__dict__, "weeks_below_ss": 40})  # same quarter ends
    assert case_effects([base, _Plan("More capacity", moved)]) == []
    fixed = ProductSummary(**{**base.summaries[0].__dict__, "quarter_ends_below_ss": 0, "wafers": 130.0})
    (effect,) = case_effects([base, _Plan("Fixed", fixed)])
    assert (effect.gap, effect.effect, effect.base, effect.value) == ("safety_stock", "closes", 2.0, 0.0)
