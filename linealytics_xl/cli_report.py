"""What the `linealytics` commands print: the plan summary, the what-if and forecast tables, the
list of runs and the diff of two runs.

Figures are shown under the KPI names and formats of `core.kpis`, table names come from
`core.tables`; everything that comes from the workbook is escaped for rich markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.markup import escape
from rich.table import Table

from .cli_console import console, out, print_wide
from .core import tables
from .core.contract import Col
from .core.kpis import KPIS, format_kpi, format_measure, plan_kpis

if TYPE_CHECKING:  # jobs imports the solver: the command line loads it only when a command runs
    from .adapters.runlog import RunDiff
    from .core.explain import ProductSummary
    from .jobs import ForecastJob, PlanJob, WhatIfJob
    from .sites import SiteResult

__all__ = [
    "FULL_TABLE_PRODUCTS",
    "needs_attention",
    "print_diff",
    "print_forecast",
    "print_plan_summary",
    "print_runs",
    "print_whatif",
]

# ProductSummary's fields carry the KPI keys (core.kpis): one name per figure everywhere
_SUMMARY_KPIS = (
    "service_level",
    "shortage_bytes",
    "weeks_with_backlog",
    "quarter_ends_below_ss",
    "weeks_below_ss",
    "capacity_use",
)


def _kpi_cell(key: str, value: float) -> str:
    """A KPI for a table cell: bytes as GB numbers (under a "GB" heading), the rest as formatted."""
    return f"{value / 1e9:,.2f}" if KPIS[key].unit == "bytes" else format_kpi(key, value)


#: Above this many products the summary lists only those that need attention (a table of
#: hundreds of rows is for the workbook's LL_Plan, not for a terminal; rich took 2.9 s for 500).
FULL_TABLE_PRODUCTS = 30
#: At most this many products needing attention are listed, the worst first.
ATTENTION_ROWS = 30


def needs_attention(s: ProductSummary) -> bool:
    """A product a planner must look at: a shortage, or a quarter that ends below its safety stock
    (the workbook's rule; a week inside a quarter below it is common while stock builds up, and
    stays in the table's column rather than flagging nearly every product)."""
    return s.shortage_bytes > 0 or s.weeks_with_backlog > 0 or s.quarter_ends_below_ss > 0


def _summary_row(table: Table, name: str, demand: float, values: dict[str, float], style: str) -> None:
    table.add_row(
        name,
        f"{demand / 1e9:,.1f}",
        f"{values['wafers']:,.0f}",
        *(_kpi_cell(k, values[k]) for k in _SUMMARY_KPIS),
        style=style,
    )


def print_plan_summary(job: PlanJob) -> None:
    """The plan's figures per product, the shortages, insights and alerts, and where it went.

    Up to ``FULL_TABLE_PRODUCTS`` products every product is shown; above, only the products that
    need attention (the worst ``ATTENTION_ROWS``), a total row, and how many are in LL_Plan only."""
    o = job.outcome
    table = Table(
        title=f"Plan for {escape(job.path.name)} ({o.result.solver}, {o.result.status}, "
        f"{job.wall_time_s:.2f} s)",
        title_justify="left",
    )
    table.add_column(Col.PRODUCT, no_wrap=True)
    for col in (
        "Demand GB",
        Col.WAFERS,
        *(KPIS[k].short + (" GB" if KPIS[k].unit == "bytes" else "") for k in _SUMMARY_KPIS),
    ):
        table.add_column(col, justify="right")
    shown = list(o.summaries)
    flagged: list[ProductSummary] = []
    if len(shown) > FULL_TABLE_PRODUCTS:
        flagged = sorted(
            (s for s in shown if needs_attention(s)),
            key=lambda s: (-s.shortage_bytes, -s.weeks_with_backlog, -s.weeks_below_ss, str(s.product)),
        )
        shown = flagged[:ATTENTION_ROWS]
    for s in shown:
        _summary_row(
            table,
            escape(str(s.product)),
            s.demand_bytes,
            {k: getattr(s, k) for k in ("wafers", *_SUMMARY_KPIS)},
            "bold red" if s.shortage_bytes > 0 else "",
        )
    n_all = len(o.summaries)
    if n_all > FULL_TABLE_PRODUCTS:
        totals = plan_kpis(o.tables[tables.PLAN])
        demand = sum(s.demand_bytes for s in o.summaries)
        table.add_section()
        _summary_row(table, f"Total ({n_all:,} products)", demand, totals, "bold")
    print_wide(table)
    if n_all > FULL_TABLE_PRODUCTS:
        out.print(
            f"{len(flagged):,} of {n_all:,} products need{'s' if len(flagged) == 1 else ''} attention (shortage, or a quarter ending below safety stock)"
            + (f"; the worst {len(shown)} are shown" if len(flagged) > len(shown) else "")
            + f". {n_all - len(shown):,} products are not shown: every product is in {tables.PLAN}.",
            highlight=False,
        )
    for s in shown:
        if s.weeks_with_backlog:
            out.print(f"[bold red]Shortage[/] {escape(s.message)}", highlight=False)
    others = [i for i in o.insights if i.kind != "shortage"][:5]
    if others:
        out.print(f"[bold]Insights[/] (all in {tables.INSIGHTS}):")
        for i in others:
            out.print(f"  • {escape(i.message)}", highlight=False)
    alerts = o.tables.get(tables.ALERTS)
    if alerts is not None and len(alerts):
        active = alerts[alerts[Col.STATUS].isin(["new", "open"])]
        new = active[active[Col.STATUS] == "new"]
        crit = int((new[Col.SEVERITY] == "critical").sum())
        out.print(
            f"Alerts: {len(new)} new ({crit} critical), {len(active) - len(new)} open ({tables.ALERTS}).",
            highlight=False,
        )
    out.print(escape(f"Written to {job.path} (run {job.run_id})."), highlight=False)
    if job.record:
        out.print(escape(f"Run record: {job.record}"), highlight=False)
    for note in job.notes:
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)


def print_whatif(job: WhatIfJob) -> None:
    """Each case's figures per product and their change against the base plan."""
    t = Table(title=f"What-if cases of {escape(job.path.name)}", title_justify="left", box=box.SIMPLE_HEAD)
    heads = (
        Col.CASE,
        Col.PRODUCT,
        KPIS["wafers"].short,
        "Short GB",
        KPIS["service_level"].short,
        KPIS["weeks_below_ss"].short,
        "Wafers vs base",
        "Short GB vs base",
    )
    for h in heads:
        t.add_column(h, justify="left" if h in (Col.CASE, Col.PRODUCT) else "right")
    for r in job.table.to_dict("records"):
        t.add_row(
            escape(str(r[Col.CASE])),
            escape(str(r[Col.PRODUCT])),
            f"{r['Wafers']:,.0f}",
            f"{r['ShortageBytes'] / 1e9:,.2f}",
            f"{r['ServiceLevel']:.1%}",
            f"{r['WeeksBelowSafetyStock']:,.0f}",
            f"{r['WafersChange']:+,.0f}",
            f"{r['ShortageChangeBytes'] / 1e9:+,.2f}",
        )
    print_wide(t)
    for line in job.findings:
        out.print(f"  • {escape(line)}", highlight=False)
    if job.created_sheet:
        out.print("No WhatIf sheet: planned the example cases and wrote the sheet; edit it and run again.")
    out.print(escape(f"Written to {job.path} (table {tables.WHATIF})."), highlight=False)


def print_forecast(job: ForecastJob) -> None:
    """The models the backtest chose over the whole horizon, with their median errors."""
    backtest = job.tables[tables.BACKTEST]
    chosen = backtest[backtest[Col.CHOSEN].astype(bool)]
    whole = chosen[chosen[Col.HORIZON_WEEKS] == chosen[Col.HORIZON_WEEKS].iloc[-1]] if len(chosen) else chosen
    t = Table(
        title=f"Forecast models of {escape(job.path.name)} (backtest, whole horizon)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for h in (Col.MODEL, "Products", "WAPE (median)", "Bias (median)"):
        t.add_column(h, justify="left" if h == Col.MODEL else "right")
    for model, rows in whole.groupby(Col.MODEL, sort=True):
        wape = float(pd.to_numeric(rows[Col.WAPE]).median())
        bias = float(pd.to_numeric(rows[Col.BIAS]).median())
        t.add_row(escape(str(model)), f"{len(rows):,}", f"{wape:.1%}", f"{bias:+.1%}")
    print_wide(t)
    if job.reused:
        out.print("The forecast kept by an earlier run on the same inputs was reused (no model fitted).")
    out.print(
        escape(f"Written to {job.path} (tables {tables.FORECAST}, {tables.BACKTEST})."), highlight=False
    )
    for note in job.notes:
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)


def _num(value: object, fmt: str) -> str:
    """A number for a table cell; empty for a missing one (None or NaN)."""
    if value is None or value != value:
        return ""
    return format(value, fmt)


def print_runs(frame: pd.DataFrame, title: str) -> None:
    """The runs of a workbook (``runlog.list_runs``), one line each."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("Run", no_wrap=True, min_width=22)
    t.add_column(Col.TIME, no_wrap=True)
    for col in ("Inputs", Col.STATUS, "Short GB", Col.WAFERS, "Secs", "Warn", "Record"):
        t.add_column(col, justify="right" if col in ("Short GB", Col.WAFERS, "Secs", "Warn") else "left")
    for r in frame.to_dict("records"):
        shortage, warnings = r[Col.SHORTAGE_BYTES], r[Col.WARNINGS]
        t.add_row(
            r[Col.RUN_ID],
            "" if r[Col.TIME] is None or r[Col.TIME] != r[Col.TIME] else str(r[Col.TIME])[:16],
            str(r[Col.INPUT_FINGERPRINT] or "")[:8],
            f"{r['Solver'] or ''} {r['Status'] or ''}".strip(),
            _num(None if shortage is None else shortage / 1e9, ",.2f"),
            _num(r[Col.WAFERS], ",.0f"),
            _num(r[Col.WALL_TIME_S], ".1f"),
            str(warnings if warnings == warnings and warnings is not None else ""),
            "yes" if r["Record"] else "no",
        )
    print_wide(t)


def print_diff(d: RunDiff) -> None:
    """What changed between two runs: inputs, settings, solver results, plan totals."""
    out.print(f"Run {d.a} -> {d.b}", highlight=False)
    if d.same_inputs:
        out.print(f"Inputs: unchanged (fingerprint {d.fingerprint[0]})", highlight=False)
    else:
        out.print(
            f"[bold]Inputs: changed[/] (fingerprint {d.fingerprint[0]} -> {d.fingerprint[1]})",
            highlight=False,
        )
    if d.settings:
        out.print("Settings changed:")
        for name, va, vb in d.settings:
            out.print(f"  {name}: {va!r} -> {vb!r}", highlight=False)
    else:
        out.print("Settings: unchanged")
    for name, va, vb in d.solver:
        measure = name.removeprefix("objective ")
        unit = {"backlog": "backlog_byte_weeks", "safety_stock": "bytes", "wafers": "wafers"}.get(
            measure, measure
        )
        out.print(f"Solver {name}: {format_measure(unit, va)} -> {format_measure(unit, vb)}", highlight=False)

    changed = d.totals[d.totals["Changed"]]
    if changed.empty:
        out.print(f"Plan totals: unchanged for all {d.totals['Product'].nunique()} products")
        return
    t = Table(
        title=f"Plan totals per product that changed ({len(d.totals) - len(changed)} figures unchanged)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in (Col.PRODUCT, "Measure", "A", "B", "Change"):
        t.add_column(col, justify="left" if col in (Col.PRODUCT, "Measure") else "right", no_wrap=True)
    for r in changed.to_dict("records"):
        t.add_row(
            escape(str(r[Col.PRODUCT])),
            r["Measure"],
            *(format_measure(r["Measure"], v) for v in (r["A"], r["B"], r["Change"])),
        )
    print_wide(t)


def print_sites(results: Sequence[SiteResult]) -> None:
    """One row per site: planned (status, wafers, shortage, run) or the problem that stopped it."""
    t = Table(title="Sites", title_justify="left", box=box.SIMPLE_HEAD)
    for h in ("Workbook", "Result", "Wafers", "Short at end GB", "Run", "Seconds"):
        t.add_column(h, justify="right" if h in ("Wafers", "Short at end GB", "Seconds") else "left")
    for r in results:
        t.add_row(
            escape(str(r.path)),
            escape(r.message) if r.ok else f"[red]{escape(r.message)}[/]",
            f"{r.wafers:,.0f}" if r.wafers is not None else "",
            f"{r.shortage_bytes / 1e9:,.2f}" if r.shortage_bytes is not None else "",
            escape(r.run_id or ""),
            f"{r.wall_time_s:.1f}",
        )
    print_wide(t)
    bad = [r for r in results if not r.ok]
    out.print(f"{len(results) - len(bad)} of {len(results)} workbook(s) planned.", highlight=False)
