"""The plan command's summary at scale: every product up to 30, above that the ones that need
attention, a total row and where the rest is (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_notify import add_settings
from typer.testing import CliRunner

from linealytics_xl import jobs
from linealytics_xl.adapters.demo_workbook import write_demo_workbook
from linealytics_xl.cli import app
from linealytics_xl.cli_console import out
from linealytics_xl.cli_report import FULL_TABLE_PRODUCTS, needs_attention, print_plan_summary
from linealytics_xl.core.kpis import plan_kpis

runner = CliRunner()


@pytest.fixture(scope="module")
def big_job(tmp_path_factory) -> jobs.PlanJob:
    """A 36-product demo workbook (two products capacity-bound), planned without forecast."""
    folder = tmp_path_factory.mktemp("big")
    path = write_demo_workbook(
        folder / "planning.xlsx", n_products=36, n_quarters=4, seed=2, capacity_bound=("P3", "P17")
    )
    add_settings(path, forecast=False, simulate=False)
    return jobs.plan(path, output=folder / "planned.xlsx")


def printed(job: jobs.PlanJob) -> str:
    with out.capture() as captured:
        print_plan_summary(job)
    return captured.get()


def first_cells(text: str) -> list[str]:
    """The first cell of every table line of the summary."""
    cells = [re.split(r"[│┃]", line) for line in text.splitlines()]
    return [c[1].strip() for c in cells if len(c) > 2]


def test_above_30_products_only_those_needing_attention_are_listed(big_job) -> None:
    summaries = big_job.outcome.summaries
    assert len(summaries) == 36 > FULL_TABLE_PRODUCTS
    flagged = {str(s.product) for s in summaries if needs_attention(s)}
    assert 0 < len(flagged) < 36  # the probe is live: some products need attention, not all
    text = printed(big_job)
    listed = [c for c in first_cells(text) if re.fullmatch(r"P\d+", c)]
    assert set(listed) == flagged and len(listed) == len(flagged)
    short = [
        str(s.product) for s in sorted(summaries, key=lambda s: -s.shortage_bytes) if s.shortage_bytes > 0
    ]
    assert listed[: len(short)] == short  # the worst shortage first
    flat = " ".join(text.split())
    assert f"{len(flagged)} of 36 products need attention" in flat
    assert f"{36 - len(flagged)} products are not shown: every product is in LL_Plan" in flat
    totals = plan_kpis(big_job.outcome.tables["LL_Plan"])
    total_line = next(line for line in text.splitlines() if "Total (36 products)" in line)
    assert f"{totals['wafers']:,.0f}" in total_line


def test_up_to_30_products_every_product_is_listed(real_copy: Path) -> None:
    result = runner.invoke(app, ["plan", str(real_copy)])
    assert result.exit_code == 0, result.output
    assert [c for c in first_cells(result.output) if c in ("21A", "22B", "23C")] == ["21A", "22B", "23C"]
    flat = " ".join(result.output.split())
    assert "Total (" not in flat and "not shown" not in flat
