"""The `linealytics` command line.

Exit codes: 0 a plan was written (shortages included: they are reported, not failures),
2 the input is invalid (nothing written), 1 anything else (a mail that could not be sent
included).  Tracebacks only with ``--debug``.  ``--log-file`` appends one line per start, success
and failure (with the exit code), for scheduled runs.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    invoke_without_command=True,
    help="Linealytics XL: weekly wafer-start planning on the planning workbook.",
)
addin_app = typer.Typer(no_args_is_help=True, help="Build the Excel add-in.")
app.add_typer(addin_app, name="addin")
console = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
_state = {"debug": False}
log = logging.getLogger("linealytics")
log.addHandler(logging.NullHandler())  # lines go to --log-file only; stderr has the plain messages

Workbook = Annotated[Path, typer.Argument(help="The planning workbook (.xlsx).", show_default=False)]


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file", help="Append a line per start, success and failure (with exit code) to this file."
        ),
    ] = None,
) -> None:
    _state["debug"] = debug
    if version:
        out.print(f"linealytics {__version__}")
        raise typer.Exit(EXIT_OK)
    if ctx.invoked_subcommand is None:  # options but no command (`linealytics --debug`): show the help
        out.print(ctx.get_help())
        raise typer.Exit(EXIT_INVALID)
    _log_to(log_file)
    if log_file is not None:
        log.info(
            "start: linealytics %s (version %s, process %d)", ctx.invoked_subcommand, __version__, os.getpid()
        )


def _log_to(path: Path | None) -> None:
    """Send the ``linealytics`` log to ``path`` (appending; None: nowhere), instead of any earlier
    log file (the command line can run more than once in one process, as in tests)."""
    for h in [h for h in log.handlers if isinstance(h, logging.FileHandler)]:
        log.removeHandler(h)
        h.close()
    if path is None:
        return
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def _fail(code: int, message: str) -> typer.Exit:
    """Log a failure with its exit code; the caller raises the returned Exit."""
    log.error("failed (exit %d): %s", code, " ".join(str(message).split()))
    return typer.Exit(code)


@contextmanager
def _errors():
    """Map failures to exit codes and plain messages."""
    from .adapters.workbook_file import WorkbookError
    from .core.model import InputError

    try:
        yield
    except typer.Exit:
        raise
    except InputError as exc:
        console.print(f"[bold red]The workbook has {len(exc.issues)} problem(s); nothing was written.[/]")
        for issue in exc.issues:
            console.print(f"  [red]✗[/] {escape(str(issue))}", markup=True, highlight=False)
        raise _fail(EXIT_INVALID, f"invalid input: {'; '.join(map(str, exc.issues[:5]))}") from None
    except WorkbookError as exc:
        console.print(f"[bold red]Cannot use the workbook:[/] {escape(str(exc))}", highlight=False)
        raise _fail(EXIT_INVALID, f"cannot use the workbook: {exc}") from None
    except Exception as exc:
        if _state["debug"]:
            console.print_exception()
        else:
            console.print(
                f"[bold red]Internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                f"Run again with --debug for the traceback.",
                highlight=False,
            )
        raise _fail(EXIT_FAILURE, f"{type(exc).__name__}: {exc}") from None


@contextmanager
def _progress():
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Starting", total=None)
        yield lambda msg: progress.update(task, description=escape(msg))


def _print_warnings(warnings, limit: int = 8) -> None:
    if not warnings:
        return
    console.print(f"[yellow]{len(warnings)} data-quality warning(s)[/] (all in the LL_DataQuality table):")
    for w in warnings[:limit]:
        console.print(f"  [yellow]![/] {escape(str(w))}", highlight=False)
    if len(warnings) > limit:
        console.print(f"  … and {len(warnings) - limit} more")


@app.command()
def plan(
    workbook: Workbook,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the workbook.")
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(help="LP solver: auto, cbc or highs (default: the Settings sheet, where it is auto)."),
    ] = None,
    notify: Annotated[
        bool, typer.Option("--notify", help="Then mail the report and new alerts (as `linealytics notify`).")
    ] = False,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="With --notify: recipient (repeatable; default: the mail_to setting)."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="When another run is planning the same workbook, wait this long for it, then stop with exit code 2.",
        ),
    ] = 60.0,
) -> None:
    """Plan weekly wafer starts and write the plan and tables into the workbook.

    One run at a time per workbook: a run holds <workbook>.linealytics.lock beside it while it
    reads, plans and writes; a second run waits (--wait) and then exits 2 naming the first.
    """
    from . import jobs

    if solver is not None and solver not in ("auto", "cbc", "highs"):
        console.print(f"[red]--solver: expected auto, cbc or highs, found {solver!r}[/]", highlight=False)
        raise _fail(EXIT_INVALID, f"--solver: expected auto, cbc or highs, found {solver!r}")
    with _errors():
        with _progress() as say:
            job = jobs.plan(workbook, output, {"solver": solver}, progress=say, wait_s=wait)
        _print_warnings(job.outcome.warnings)
        if job.lost_parts:
            console.print(
                "[yellow]Not carried over by the file writer (content kept where possible, e.g. "
                f"threaded comments as notes):[/] {', '.join(job.lost_parts)}",
                highlight=False,
            )
        _print_summary(job)
        log.info(
            "planned %s: run %s, %s, shortage %.0f bytes, record %s",
            job.path,
            job.run_id,
            job.outcome.result.status,
            job.outcome.shortage_bytes,
            job.record,
        )
    if notify:
        _notify(job.path, to, dry_run=False, out_dir=None, after_plan=True)


def _print_summary(job) -> None:
    from .core.kpis import KPIS, format_kpi

    o = job.outcome
    table = Table(
        title=f"Plan for {escape(job.path.name)} ({o.result.solver}, {o.result.status}, "
        f"{job.wall_time_s:.2f} s)",
        title_justify="left",
    )
    # ProductSummary's fields carry the KPI keys (core.kpis): one name per figure everywhere
    shown = (
        "service_level",
        "shortage_bytes",
        "weeks_with_backlog",
        "quarter_ends_below_ss",
        "weeks_below_ss",
        "capacity_use",
    )
    table.add_column("Product", no_wrap=True)
    for col in (
        "Demand GB",
        "Wafers",
        *(KPIS[k].short + (" GB" if KPIS[k].unit == "bytes" else "") for k in shown),
    ):
        table.add_column(col, justify="right")

    def cell(key: str, value: float) -> str:  # bytes as GB numbers under a "GB" heading
        return f"{value / 1e9:,.2f}" if KPIS[key].unit == "bytes" else format_kpi(key, value)

    for s in o.summaries:
        style = "bold red" if s.shortage_bytes > 0 else ""
        table.add_row(
            escape(str(s.product)),
            f"{s.demand_bytes / 1e9:,.1f}",
            f"{s.wafers:,.0f}",
            *(cell(k, getattr(s, k)) for k in shown),
            style=style,
        )
    _print_wide(table)
    for s in o.summaries:
        if s.weeks_with_backlog:
            out.print(f"[bold red]Shortage[/] {escape(s.message)}", highlight=False)
    others = [i for i in o.insights if i.kind != "shortage"][:5]
    if others:
        out.print("[bold]Insights[/] (all in LL_Insights):")
        for i in others:
            out.print(f"  • {escape(i.message)}", highlight=False)
    alerts = o.tables.get("LL_Alerts")
    if alerts is not None and len(alerts):
        active = alerts[alerts["Status"].isin(["new", "open"])]
        new = active[active["Status"] == "new"]
        crit = int((new["Severity"] == "critical").sum())
        out.print(
            f"Alerts: {len(new)} new ({crit} critical), {len(active) - len(new)} open (LL_Alerts).",
            highlight=False,
        )
    out.print(escape(f"Written to {job.path} (run {job.run_id})."), highlight=False)
    if getattr(job, "record", None):
        out.print(escape(f"Run record: {job.record}"), highlight=False)
    for note in getattr(job, "notes", []):
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)


@app.command()
def whatif(
    workbook: Workbook,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the workbook.")
    ] = None,
    jobs_: Annotated[
        int | None, typer.Option("--jobs", min=1, help="Cases planned at once (default: one per core).")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="When another run is planning the same workbook, wait this long for it, then stop with exit code 2.",
        ),
    ] = 60.0,
) -> None:
    """Plan the base and every case of the WhatIf sheet and compare them (LL_WhatIf).

    Each row of the WhatIf sheet changes one input (capacity, total_capacity, demand, yield,
    density, initial_stock, wos) of one product or all, from a week or quarter to another, by a
    factor (times), an amount (add) or a value (set); rows with the same case name form a case.
    Without a WhatIf sheet, the example cases are planned and the sheet is written for you to edit.
    """
    from . import jobs
    from .core.kpis import KPIS

    with _errors():
        with _progress() as say:
            job = jobs.whatif(workbook, output, progress=say, n_jobs=jobs_, wait_s=wait)
        t = Table(
            title=f"What-if cases of {escape(job.path.name)}", title_justify="left", box=box.SIMPLE_HEAD
        )
        heads = (
            "Case",
            "Product",
            KPIS["wafers"].short,
            "Short GB",
            KPIS["service_level"].short,
            KPIS["weeks_below_ss"].short,
            "Wafers vs base",
            "Short GB vs base",
        )
        for h in heads:
            t.add_column(h, justify="left" if h in ("Case", "Product") else "right")
        for r in job.table.itertuples(index=False):
            t.add_row(
                escape(str(r.Case)),
                escape(str(r.Product)),
                f"{r.Wafers:,.0f}",
                f"{r.ShortageBytes / 1e9:,.2f}",
                f"{r.ServiceLevel:.1%}",
                f"{r.WeeksBelowSafetyStock:,.0f}",
                f"{r.WafersChange:+,.0f}",
                f"{r.ShortageChangeBytes / 1e9:+,.2f}",
            )
        _print_wide(t)
        for line in job.findings:
            out.print(f"  • {escape(line)}", highlight=False)
        if job.created_sheet:
            out.print(
                "No WhatIf sheet: planned the example cases and wrote the sheet; edit it and run again."
            )
        out.print(escape(f"Written to {job.path} (table LL_WhatIf)."), highlight=False)


@app.command()
def forecast(
    workbook: Workbook,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the workbook.")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="When another run is planning the same workbook, wait this long for it, then stop with exit code 2.",
        ),
    ] = 60.0,
) -> None:
    """Forecast demand with its P10-P90 band and backtest the models (LL_Forecast, LL_Backtest); no plan.

    The weeks after the workbook's last week (horizon_weeks on the Settings sheet) are forecast by
    the model that won the rolling-origin backtest for each product; the plan, if any, is left as
    it was.
    """
    from . import jobs

    with _errors():
        with _progress() as say:
            job = jobs.forecast(workbook, output, progress=say, wait_s=wait)
        _print_warnings(job.warnings)
        backtest = job.tables["LL_Backtest"]
        chosen = backtest[backtest["Chosen"].astype(bool)]
        whole = chosen[chosen["HorizonWeeks"] == chosen["HorizonWeeks"].iloc[-1]] if len(chosen) else chosen
        t = Table(
            title=f"Forecast models of {escape(job.path.name)} (backtest, whole horizon)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for h in ("Model", "Products", "WAPE (median)", "Bias (median)"):
            t.add_column(h, justify="left" if h == "Model" else "right")
        for model, rows in whole.groupby("Model", sort=True):
            t.add_row(
                escape(str(model)),
                f"{len(rows):,}",
                f"{rows['WAPE'].median():.1%}",
                f"{rows['Bias'].median():+.1%}",
            )
        _print_wide(t)
        out.print(escape(f"Written to {job.path} (tables LL_Forecast, LL_Backtest)."), highlight=False)
        log.info("forecast %s: %d products", job.path, len(job.models))


@app.command()
def validate(workbook: Workbook) -> None:
    """Check the workbook and list every problem with its sheet and cell; writes nothing."""
    from . import jobs

    with _errors():
        warnings = jobs.validate(workbook)
        _print_warnings(warnings, limit=len(warnings))
        out.print(f"[green]✓[/] {escape(workbook.name)} is valid ({len(warnings)} warning(s)).")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder to write planning.xlsx into.")] = Path("."),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing planning.xlsx.")] = False,
) -> None:
    """Write the template workbook with synthetic demo data (never over an existing file without --force)."""
    from .adapters.demo_workbook import write_demo_workbook
    from .adapters.workbook_file import WorkbookError

    with _errors():
        target = directory / "planning.xlsx"
        if directory.exists() and not directory.is_dir():
            raise WorkbookError(
                f"{directory} is a file, not a folder; give the folder to write planning.xlsx into"
            )
        if target.exists() and not force:
            raise WorkbookError(
                f"{target} already exists and was left as it is; use another folder, "
                f"or --force to replace it with the demo workbook"
            )
        directory.mkdir(parents=True, exist_ok=True)
        path = write_demo_workbook(target, seed=seed)
        out.print(escape(f"Wrote {path}. Try: linealytics plan {path}"), highlight=False)


@addin_app.command("build")
def addin_build(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlam to write.")] = Path(
        "linealytics_xl.xlam"
    ),
    interpreter: Annotated[
        str | None,
        typer.Option(
            help="Python interpreter to preset in the add-in (default: none; the installer writes it to the user's config file)."
        ),
    ] = None,
) -> None:
    """Build linealytics_xl.xlam (ribbon, macros, worksheet functions) from the text sources."""
    from .addin_build import build_addin

    with _errors():
        path = build_addin(output, interpreter=interpreter)
        out.print(escape(f"Wrote {path}."), highlight=False)


def _notify(
    workbook: Path, to: list[str] | None, dry_run: bool, out_dir: Path | None, after_plan: bool = False
) -> None:
    """The notify job with its messages; after a plan, every failure is exit 1 (the plan was written)."""
    from .adapters.mail import MailError
    from .adapters.workbook_file import WorkbookError
    from .notify import NotifyError, NotifyFailed
    from .notify import notify as notify_job

    with _errors():
        try:
            result = notify_job(workbook, to, dry_run=dry_run, out_dir=out_dir)
        except (NotifyError, WorkbookError) as exc:
            console.print(f"[bold red]Cannot mail:[/] {escape(str(exc))}", highlight=False)
            raise _fail(EXIT_FAILURE if after_plan else EXIT_INVALID, f"cannot mail: {exc}") from None
        except NotifyFailed as exc:
            for subject in exc.result.sent:
                out.print(escape(f"Sent: {subject}"), highlight=False)
            console.print(f"[bold red]Mail failed:[/] {escape(str(exc))}", highlight=False)
            raise _fail(EXIT_FAILURE, f"mail failed: {exc}") from None
        except MailError as exc:
            console.print(f"[bold red]Mail failed:[/] {escape(str(exc))}", highlight=False)
            raise _fail(EXIT_FAILURE, f"mail failed: {exc}") from None
    for note in result.notes:
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)
    m = result.mailing
    for msg in (m.alert, m.report):
        if msg is not None:
            out.print(escape(f"{'Would send' if dry_run else 'Sent'}: {msg['Subject']}"), highlight=False)
    for path in result.files:
        out.print(escape(f"Wrote {path}"), highlight=False)
    out.print(escape(result.summary()), highlight=False)
    log.info("mailed %s%s: %s", workbook, " (dry run)" if dry_run else "", result.summary())


@app.command()
def notify(
    workbook: Workbook,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the mails as .eml files and send nothing.")
    ] = False,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Recipient (repeatable; default: the mail_to setting).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="With --dry-run: folder for the .eml files (default: <workbook>.runs/mail-<time>)."
        ),
    ] = None,
) -> None:
    """Mail the planned workbook's report and, for new critical alerts, an alert mail.

    SMTP settings come from the environment (LINEALYTICS_SMTP_HOST, _PORT, _USER, _PASSWORD,
    _STARTTLS, LINEALYTICS_MAIL_FROM). Alerts mailed are marked in LL_Alerts and not mailed again;
    a failed send exits 1 and leaves them unsent for the next run.
    """
    _notify(workbook, to, dry_run, out_dir)


@app.command()
def runs(
    workbook: Workbook,
    diff: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--diff",
            metavar="A B",
            help="Compare two runs (ids, unique id prefixes, 'latest' or 'previous').",
        ),
    ] = None,
) -> None:
    """List the workbook's planning runs, or show what changed between two of them."""
    from .adapters import runlog
    from .adapters.workbook_file import WorkbookFile

    with _errors():
        if diff is not None:
            try:
                a, b = (runlog.load_record(workbook, ref) for ref in diff)
            except runlog.RunLogError as exc:
                console.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
                raise _fail(EXIT_INVALID, str(exc)) from None
            _print_diff(runlog.diff_records(a, b))
            return
        if not workbook.is_file():
            console.print(f"[bold red]Cannot use the workbook:[/] {workbook}: no such file", highlight=False)
            raise _fail(EXIT_INVALID, f"{workbook}: no such file")
        table = WorkbookFile(workbook).table("LL_Runs")
        frame = runlog.list_runs(workbook, table)
        if frame.empty:
            out.print(escape(f"No runs recorded for {workbook.name} yet."), highlight=False)
            return
        t = Table(
            title=f"Runs of {workbook.name} (records in {runlog.runs_dir(workbook).name})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        t.add_column("Run", no_wrap=True, min_width=22)
        t.add_column("Time", no_wrap=True)
        for col in ("Inputs", "Status", "Short GB", "Wafers", "Secs", "Warn", "Record"):
            t.add_column(col, justify="right" if col in ("Short GB", "Wafers", "Secs", "Warn") else "left")

        def num(v, fmt):
            return "" if v is None or v != v else format(v, fmt)

        for r in frame.itertuples(index=False):
            t.add_row(
                r.RunId,
                "" if r.Time is None or r.Time != r.Time else str(r.Time)[:16],
                str(r.InputFingerprint or "")[:8],
                f"{r.Solver or ''} {r.Status or ''}".strip(),
                num(None if r.ShortageBytes is None else r.ShortageBytes / 1e9, ",.2f"),
                num(r.Wafers, ",.0f"),
                num(r.WallTimeS, ".1f"),
                str(r.Warnings if r.Warnings == r.Warnings and r.Warnings is not None else ""),
                "yes" if r.Record else "no",
            )
        _print_wide(t)


def _print_wide(renderable) -> None:
    """Tables at their natural width when the output is a file or a pipe (rich assumes 80 columns)."""
    if out.is_terminal:
        out.print(renderable)
        return
    natural = out.width
    out.width = 140
    try:
        out.print(renderable)
    finally:
        out.width = natural


def _print_diff(d) -> None:
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

    from .core.kpis import format_measure

    for name, va, vb in d.solver:
        measure = name.removeprefix("objective ")
        unit = {"backlog": "backlog_byte_weeks", "safety_stock": "bytes", "wafers": "wafers"}.get(
            measure, measure
        )
        out.print(f"Solver {name}: {format_measure(unit, va)} -> {format_measure(unit, vb)}", highlight=False)

    changed = d.totals[d.totals["A"].ne(d.totals["B"])]
    if changed.empty:
        out.print(f"Plan totals: unchanged for all {d.totals['Product'].nunique()} products")
        return
    t = Table(
        title=f"Plan totals per product that changed ({len(d.totals) - len(changed)} figures unchanged)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("Product", "Measure", "A", "B", "Change"):
        t.add_column(col, justify="left" if col in ("Product", "Measure") else "right", no_wrap=True)
    for r in changed.itertuples(index=False):
        t.add_row(
            escape(str(r.Product)), r.Measure, *(format_measure(r.Measure, v) for v in (r.A, r.B, r.Change))
        )
    _print_wide(t)


if __name__ == "__main__":  # pragma: no cover
    app()
