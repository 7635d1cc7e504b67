"""The `linealytics` command line.

Exit codes: 0 a plan was written (shortages included: they are reported, not failures),
2 the input is invalid (nothing written), 1 anything else (a mail that could not be sent
included).  Tracebacks only with ``--debug``.  ``--log-file`` appends one line per start, success
and failure (with the exit code), for scheduled runs.

The commands are here (their options are their --help); what they share is in `cli_console`,
what they print in `cli_report`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from . import __version__
from .cli_console import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_OK,
    CliState,
    command,
    console,
    errors,
    fail,
    log,
    log_to,
    out,
    print_warnings,
    progress,
    settle_heap,
)

if TYPE_CHECKING:
    from .jobs import PlanJob

__all__ = ["app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    invoke_without_command=True,
    help="Linealytics XL: weekly wafer-start planning on the planning workbook.",
)
addin_app = typer.Typer(no_args_is_help=True, help="Build the Excel add-in.")
app.add_typer(addin_app, name="addin")

Workbook = Annotated[Path, typer.Argument(help="The planning workbook (.xlsx).", show_default=False)]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the workbook.")
]
Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        metavar="SECONDS",
        help="When another run is planning the same workbook, wait this long for it, then stop with exit code 2.",
    ),
]


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
    ctx.obj = CliState(debug=debug)
    if version:
        out.print(f"linealytics {__version__}")
        raise typer.Exit(EXIT_OK)
    if ctx.invoked_subcommand is None:  # options but no command (`linealytics --debug`): show the help
        out.print(ctx.get_help())
        raise typer.Exit(EXIT_INVALID)
    log_to(log_file)
    if log_file is not None:
        log.info(
            "start: linealytics %s (version %s, process %d)", ctx.invoked_subcommand, __version__, os.getpid()
        )


def _print_summary(job: PlanJob) -> None:
    """The plan command's summary; `cli_report` (and with it the core) loads only when it prints."""
    from .cli_report import print_plan_summary

    print_plan_summary(job)


@command(app)
def plan(
    ctx: typer.Context,
    workbook: Workbook,
    output: Output = None,
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
    wait: Wait = 60.0,
) -> None:
    """Plan weekly wafer starts and write the plan and tables into the workbook.

    One run at a time per workbook: a run holds <workbook>.linealytics.lock beside it while it
    reads, plans and writes; a second run waits (--wait) and then exits 2 naming the first.
    """
    from . import jobs

    settle_heap()

    if solver is not None and solver not in ("auto", "cbc", "highs"):
        console.print(f"[red]--solver: expected auto, cbc or highs, found {solver!r}[/]", highlight=False)
        raise fail(EXIT_INVALID, f"--solver: expected auto, cbc or highs, found {solver!r}")
    with errors(ctx):
        with progress() as say:
            job = jobs.plan(workbook, output, {"solver": solver}, progress=say, wait_s=wait)
        print_warnings(job.outcome.warnings)
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
        _notify(ctx, job.path, to, dry_run=False, out_dir=None, after_plan=True)


@command(app)
def sites(
    ctx: typer.Context,
    workbooks: Annotated[
        list[Path],
        typer.Argument(
            help="The sites' planning workbooks (.xlsx), or folders: every workbook in them.",
            show_default=False,
        ),
    ],
    jobs_: Annotated[
        int | None,
        typer.Option("--jobs", min=1, help="Workbooks planned at once (default: one per core)."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", help="Write each plan to this folder under its workbook's name, not in place."
        ),
    ] = None,
    wait: Wait = 60.0,
) -> None:
    """Plan several workbooks (one per site) side by side, each in place, as `plan` plans it alone.

    A workbook with a problem is named with it and left untouched; the others are planned.
    Exit code 2 when any workbook had a problem, 1 on an internal error.
    """
    from . import sites as site_jobs
    from .adapters.workbook_file import WorkbookError

    settle_heap()
    from .cli_report import print_sites

    with errors(ctx):
        workbooks = site_jobs.expand(workbooks)
        if not workbooks:
            raise WorkbookError("no workbook (.xlsx or .xlsm) in the folder(s) given")
        with progress() as say:
            say(f"Planning {len(workbooks)} workbook(s)")
            results = site_jobs.plan_sites(workbooks, n_jobs=jobs_, wait_s=wait, output_dir=output_dir)
        print_sites(results)
    code = site_jobs.exit_code(results)
    log.info("sites: %d planned, %d not", sum(r.ok for r in results), sum(not r.ok for r in results))
    if code != 0:
        raise typer.Exit(code)


@command(app)
def whatif(
    ctx: typer.Context,
    workbook: Workbook,
    output: Output = None,
    jobs_: Annotated[
        int | None, typer.Option("--jobs", min=1, help="Cases planned at once (default: one per core).")
    ] = None,
    wait: Wait = 60.0,
) -> None:
    """Plan the base and every case of the WhatIf sheet and compare them (LL_WhatIf).

    Each row of the WhatIf sheet changes one input (capacity, total_capacity, demand, yield,
    density, initial_stock, wos) of one product or all, from a week or quarter to another, by a
    factor (times), an amount (add) or a value (set); rows with the same case name form a case.
    Without a WhatIf sheet, the example cases are planned and the sheet is written for you to edit.
    """
    from . import jobs

    settle_heap()
    from .cli_report import print_whatif

    with errors(ctx):
        with progress() as say:
            job = jobs.whatif(workbook, output, progress=say, n_jobs=jobs_, wait_s=wait)
        print_whatif(job)


@command(app)
def forecast(ctx: typer.Context, workbook: Workbook, output: Output = None, wait: Wait = 60.0) -> None:
    """Forecast demand with its P10-P90 band and backtest the models (LL_Forecast, LL_Backtest); no plan.

    The weeks after the workbook's last week (horizon_weeks on the Settings sheet) are forecast by
    the model that won the rolling-origin backtest for each product; the plan, if any, is left as
    it was.
    """
    from . import jobs

    settle_heap()
    from .cli_report import print_forecast

    with errors(ctx):
        with progress() as say:
            job = jobs.forecast(workbook, output, progress=say, wait_s=wait)
        print_warnings(job.warnings)
        print_forecast(job)
        log.info("forecast %s: %d products", job.path, len(job.models))


@command(app)
def validate(ctx: typer.Context, workbook: Workbook) -> None:
    """Check the workbook and list every problem with its sheet and cell; writes nothing."""
    from . import jobs

    settle_heap()

    with errors(ctx, writes=False):
        warnings = jobs.validate(workbook)
        print_warnings(warnings, limit=len(warnings))
        out.print(f"[green]✓[/] {escape(workbook.name)} is valid ({len(warnings)} warning(s)).")


@command(app)
def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write planning.xlsx into.")] = Path("."),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing planning.xlsx.")] = False,
) -> None:
    """Write the template workbook with synthetic demo data (never over an existing file without --force)."""
    from .adapters.demo_workbook import write_demo_workbook
    from .adapters.workbook_file import WorkbookError

    with errors(ctx):
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


@command(addin_app, "build")
def addin_build(
    ctx: typer.Context,
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

    with errors(ctx):
        path = build_addin(output, interpreter=interpreter)
        out.print(escape(f"Wrote {path}."), highlight=False)


def _notify(
    ctx: typer.Context,
    workbook: Path,
    to: list[str] | None,
    dry_run: bool,
    out_dir: Path | None,
    after_plan: bool = False,
) -> None:
    """The notify job with its messages; after a plan, every failure is exit 1 (the plan was written)."""
    from .adapters.mail import MailError
    from .adapters.workbook_file import WorkbookError
    from .notify import NotifyError, NotifyFailed
    from .notify import notify as notify_job

    with errors(ctx):
        try:
            result = notify_job(workbook, to, dry_run=dry_run, out_dir=out_dir)
        except (NotifyError, WorkbookError) as exc:
            console.print(f"[bold red]Cannot mail:[/] {escape(str(exc))}", highlight=False)
            raise fail(EXIT_FAILURE if after_plan else EXIT_INVALID, f"cannot mail: {exc}") from None
        except NotifyFailed as exc:
            for subject in exc.result.sent:
                out.print(escape(f"Sent: {subject}"), highlight=False)
            console.print(f"[bold red]Mail failed:[/] {escape(str(exc))}", highlight=False)
            raise fail(EXIT_FAILURE, f"mail failed: {exc}") from None
        except MailError as exc:
            console.print(f"[bold red]Mail failed:[/] {escape(str(exc))}", highlight=False)
            raise fail(EXIT_FAILURE, f"mail failed: {exc}") from None
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


@command(app)
def notify(
    ctx: typer.Context,
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
    _notify(ctx, workbook, to, dry_run, out_dir)


@command(app)
def runs(
    ctx: typer.Context,
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
    from .cli_report import print_diff, print_runs
    from .core import tables

    with errors(ctx):
        if diff is not None:
            try:
                a, b = (runlog.load_record(workbook, ref) for ref in diff)
            except runlog.RunLogError as exc:
                console.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
                raise fail(EXIT_INVALID, str(exc)) from None
            print_diff(runlog.diff_records(a, b))
            return
        if not workbook.is_file():
            console.print(f"[bold red]Cannot use the workbook:[/] {workbook}: no such file", highlight=False)
            raise fail(EXIT_INVALID, f"{workbook}: no such file")
        frame = runlog.list_runs(workbook, WorkbookFile(workbook).table(tables.RUNS))
        if frame.empty:
            out.print(escape(f"No runs recorded for {workbook.name} yet."), highlight=False)
            return
        print_runs(frame, f"Runs of {workbook.name} (records in {runlog.runs_dir(workbook).name})")


if __name__ == "__main__":  # pragma: no cover
    app()
