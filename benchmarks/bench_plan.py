"""Stage timings of `linealytics plan` and how they grow with the number of products (issue 13).

Cases: the real workbook (3 products; ../shared/data, skipped when absent) and generated
workbooks of 50, 500 and 1000 products x 443 weeks (``write_demo_workbook``, one capacity-bound
product in ten).  Each case runs in its own process (so peak memory is that case's),
``--repeat`` times; medians are shown.  Stages: read (openpyxl), validate, forecast (backtest,
gate, refit, 1000 scenarios), build and solve (the three priority stages), risk, tables
(summaries, insights, alerts, all LL_ tables), write (workbook layout, tables, Dashboard),
other (the rest: the forecasting stack's lazy import, about 0.6 s, and glue).

    python benchmarks/bench_plan.py                       # growth table: 3, 50, 500, 1000 products
    python benchmarks/bench_plan.py --sizes 50 --plan-only-sizes 1000 --repeat 3
    python benchmarks/bench_plan.py --process 500         # ONE `linealytics plan` run, wall + peak RSS

``--process N`` runs the real command (``python -m linealytics_xl.cli plan COPY --output OUT``)
on the generated N-product workbook as a child process and reports its wall clock and its peak
resident memory (``os.wait4``): the whole-process figure of the 500-product target.

Targets (issue 13): 500 products x 443 weeks, full pipeline (forecast, 1000 scenarios, plan,
risk, all tables, Dashboard) at most 60 s wall and 2 GB peak as one process; 1000 products plan
only at most 60 s.  Generated workbooks are kept in ``--cache`` between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "linealytics-bench"

CHILD = r"""
import json, resource, shutil, sys, time
t_start = time.perf_counter()
from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.core.layout import output_blocks
from linealytics_xl.core.pipeline import run
t_import = time.perf_counter() - t_start
src, work, full, solver = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
shutil.copyfile(src, work)
marks = {}
t = time.perf_counter(); book = WorkbookFile(work); sheets = book.sheets(); marks["read"] = time.perf_counter() - t
overrides = {} if solver == "default" else {"solver": solver}
t = time.perf_counter(); data, settings = jobs.load(book, sheets, overrides); marks["validate"] = time.perf_counter() - t
settings = settings.model_copy(update={"forecast": full, "simulate": full})
stamps = []
t0 = time.perf_counter()
outcome = run(data, settings, progress=lambda msg: stamps.append((msg, time.perf_counter())))
t_end = time.perf_counter()
at = {msg.split()[0]: ts for msg, ts in stamps}  # Forecasting, Optimising, Measuring, Building
timings = outcome.result.timings
marks["forecast"] = at["Optimising"] - at.get("Forecasting", at["Optimising"])
marks["build"] = timings["build"]
marks["solve"] = sum(v for k, v in timings.items() if k.startswith("solve"))
marks["risk"] = at["Building"] - at.get("Measuring", at["Building"])
marks["tables"] = t_end - at["Building"]
t = time.perf_counter()
blocks = output_blocks(sheets, data, outcome.result.wafers, outcome.result.supply)
book.write(blocks, outcome.tables, settings)
marks["write"] = time.perf_counter() - t
marks["total_in_process"] = time.perf_counter() - t_start - t_import
stages = ("read", "validate", "forecast", "build", "solve", "risk", "tables", "write")
marks["other"] = marks["total_in_process"] - sum(marks[k] for k in stages)  # lazy imports (xgboost), glue
marks["import"] = t_import
marks["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(marks))
"""
COLS = [
    "read",
    "validate",
    "forecast",
    "build",
    "solve",
    "risk",
    "tables",
    "write",
    "other",
    "total_in_process",
    "import",
]


def make_case(n_products: int, folder: Path) -> Path:
    """The generated ``n_products`` x 443-week workbook, written once into ``folder``."""
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"generated_{n_products}.xlsx"
    if not path.exists():
        write_demo_workbook(
            path, n_products=n_products, n_quarters=34, long_quarter=5, seed=1, capacity_bound=("P3",)
        )
    return path


def child_env() -> dict[str, str]:
    """The environment of the children: this checkout's code first on the path."""
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), extra]))}


def run_case(src: Path, full: bool, solver: str, repeat: int, folder: Path) -> dict[str, float]:
    """Median stage timings of ``repeat`` in-process runs, each in a fresh child process."""
    runs = []
    for i in range(repeat):
        argv = [
            sys.executable,
            "-c",
            CHILD,
            str(src),
            str(folder / f"work_{i}.xlsx"),
            "1" if full else "0",
            solver,
        ]
        out = subprocess.run(argv, capture_output=True, text=True, env=child_env())
        if out.returncode != 0:
            raise SystemExit(f"case {src.name} failed:\n{out.stderr[-3000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def run_process(src: Path, folder: Path, plan_only: bool = False) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one `linealytics plan` child on a copy of ``src``."""
    work, out = folder / "process_input.xlsx", folder / "process_output.xlsx"
    if plan_only:
        import openpyxl

        wb = openpyxl.load_workbook(src)
        ws = wb["Settings"] if "Settings" in wb.sheetnames else wb.create_sheet("Settings")
        ws.delete_rows(1, ws.max_row)
        for row in (("Setting", "Value"), ("forecast", False), ("simulate", False)):
            ws.append(row)
        wb.save(work)
    else:
        work.write_bytes(src.read_bytes())
    out.unlink(missing_ok=True)
    import shutil

    # a cold run: no forecast kept from an earlier run of this benchmark (adapters.forecast_cache)
    shutil.rmtree(out.with_name(out.name + ".runs"), ignore_errors=True)
    cmd = [sys.executable, "-m", "linealytics_xl.cli", "plan", str(work), "--output", str(out)]
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    assert child.stderr is not None
    err = child.stderr.read()  # drained before waiting, so a chatty child cannot block on the pipe
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(err.decode(errors="replace")[-3000:], file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, child.returncode


def growth_table(rows: list[tuple[str, int, bool, dict[str, float]]]) -> None:
    """Each stage's cost per case, then its growth factor against the previous size (same mode)."""
    print(f"{'case':34s}" + "".join(f"{c[:9]:>10s}" for c in COLS) + f"{'peak MB':>10s}")
    for name, _, _, m in rows:
        print(f"{name:34s}" + "".join(f"{m[c]:10.2f}" for c in COLS) + f"{m['peak_mb']:10.0f}")
    print("\nGrowth per stage (ratio to the next smaller case of the same mode; products ratio first):")
    for full in (False, True):
        same = [(n, m) for _, n, f, m in rows if f == full]
        for (n0, m0), (n1, m1) in pairwise(same):
            ratios = "".join(f"{(m1[c] / m0[c] if m0[c] > 1e-4 else float('nan')):10.1f}" for c in COLS)
            label = f"{'full' if full else 'plan only'} {n0}->{n1} (x{n1 / n0:.0f})"
            print(f"{label:34s}" + ratios + f"{m1['peak_mb'] / m0['peak_mb']:10.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--sizes", default="50,500", help="generated sizes run plan only and full pipeline")
    ap.add_argument("--plan-only-sizes", default="1000", help="generated sizes run plan only")
    ap.add_argument("--solver", default="default", help="default (the Settings default), cbc, highs, auto")
    ap.add_argument("--process", type=int, default=0, metavar="N", help="one whole `linealytics plan` run")
    ap.add_argument("--process-plan-only", action="store_true", help="with --process: forecast/simulate off")
    ap.add_argument("--cache", type=Path, default=CACHE, help="folder of the generated workbooks")
    args = ap.parse_args()
    work = args.cache / "work"
    work.mkdir(parents=True, exist_ok=True)
    if args.process:
        src = make_case(args.process, args.cache)
        wall, peak, code = run_process(src, work, args.process_plan_only)
        mode = "plan only" if args.process_plan_only else "full pipeline"
        print(f"`linealytics plan`, {args.process} products x 443 weeks, {mode}, one process:")
        print(
            f"  wall {wall:.1f} s (target <= 60), peak RSS {peak:.0f} MB (target <= 2048), exit code {code}"
        )
        return
    cases: list[tuple[str, Path, int, bool]] = []
    if REAL.exists():
        cases += [("real (3), plan only", REAL, 3, False), ("real (3), full pipeline", REAL, 3, True)]
    else:
        print(f"(real workbook not found at {REAL}: skipped)")
    sizes = [int(x) for x in args.sizes.split(",") if x]
    for n in sizes:
        cases += [(f"{n} x 443, plan only", make_case(n, args.cache), n, False)]
        cases += [(f"{n} x 443, full pipeline", make_case(n, args.cache), n, True)]
    for n in (int(x) for x in args.plan_only_sizes.split(",") if x):
        cases += [(f"{n} x 443, plan only", make_case(n, args.cache), n, False)]
    cases.sort(key=lambda c: (c[3], c[2]))
    rows = [
        (name, n, full, run_case(src, full, args.solver, args.repeat, work)) for name, src, n, full in cases
    ]
    print(
        f"\nMedians of {args.repeat} run(s), solver {args.solver}, seconds in process (peak memory in MB):\n"
    )
    growth_table(rows)


if __name__ == "__main__":
    main()
