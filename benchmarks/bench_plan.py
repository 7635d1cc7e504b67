"""Stage timings of `linealytics plan` (read, validate, forecast, build, solve, risk, write).

Cases: the real workbook (../shared/data, skipped when absent) and generated workbooks of 50 and
500 products x 443 weeks.  Each case runs in its own process (so peak memory is that case's),
``--repeat`` times; the table shows medians.  Run:  python benchmarks/bench_plan.py [--repeat 3]

Targets (from the issues): the real workbook planned (plan only, no forecast) under 1.5 s wall;
the full pipeline (forecast, 1000 scenarios, plan, risk, tables written) under 3 s; at 500
products the model build no slower than the solve and peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"

CHILD = r"""
import json, resource, shutil, sys, time
t_start = time.perf_counter()
from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.core.layout import output_blocks, read_planning_data
from linealytics_xl.core.pipeline import run
from linealytics_xl.core import tables
t_import = time.perf_counter() - t_start
src, work, full, solver = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
shutil.copyfile(src, work)
marks = {}
t = time.perf_counter(); book = WorkbookFile(work); sheets = book.sheets(); marks["read"] = time.perf_counter() - t
t = time.perf_counter(); data, settings = jobs.load(book, sheets, {"solver": solver}); marks["validate"] = time.perf_counter() - t
if not full:
    settings = settings.model_copy(update={"forecast": False, "simulate": False})
t = time.perf_counter(); outcome = run(data, settings); marks["pipeline"] = time.perf_counter() - t
timings = outcome.result.timings
marks["build"] = timings["build"]
marks["solve"] = sum(v for k, v in timings.items() if k.startswith("solve"))
marks["forecast+risk+tables"] = marks["pipeline"] - marks["build"] - marks["solve"]
t = time.perf_counter()
blocks = output_blocks(sheets, data, outcome.result.wafers, outcome.result.supply)
book.write(blocks, outcome.tables, settings)
marks["write"] = time.perf_counter() - t
marks["total_in_process"] = time.perf_counter() - t_start - t_import
marks["import"] = t_import
marks["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(marks))
"""


def make_case(n_products: int, folder: Path) -> Path:
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook

    path = folder / f"generated_{n_products}.xlsx"
    if not path.exists():
        write_demo_workbook(
            path, n_products=n_products, n_quarters=34, long_quarter=5, seed=1, capacity_bound=("P3",)
        )
    return path


def run_case(src: Path, full: bool, solver: str, repeat: int, folder: Path) -> dict[str, float]:
    runs = []
    for i in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(src),
                str(folder / f"work_{i}.xlsx"),
                "1" if full else "0",
                solver,
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise SystemExit(f"case {src.name} failed:\n{out.stderr[-3000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def wall_cli(src: Path, folder: Path, repeat: int) -> float:
    """Median wall time of the real command, start-up included."""
    import time

    times = []
    for i in range(repeat):
        work = folder / f"cli_{i}.xlsx"
        work.write_bytes(src.read_bytes())
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "linealytics_xl.cli", "plan", str(work)], capture_output=True, check=True
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="50,500", help="generated case sizes (products)")
    ap.add_argument("--solver", default="cbc", choices=["cbc", "highs"])
    args = ap.parse_args()
    cols = [
        "read",
        "validate",
        "build",
        "solve",
        "forecast+risk+tables",
        "write",
        "total_in_process",
        "import",
        "peak_mb",
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = []
        if REAL.exists():
            cases += [("real, plan only", REAL, False), ("real, full pipeline", REAL, True)]
        else:
            print(f"(real workbook not found at {REAL}: skipped)")
        for n in (int(s) for s in args.sizes.split(",") if s):
            path = make_case(n, folder)
            cases += [(f"{n} products x 443 weeks, plan only", path, False)]
            if n <= 50:
                cases += [(f"{n} products x 443 weeks, full pipeline", path, True)]
        for name, src, full in cases:
            rows.append((name, run_case(src, full, args.solver, args.repeat, folder)))
        cli = wall_cli(REAL, folder, args.repeat) if REAL.exists() else None
    print(f"\nMedians of {args.repeat} runs, solver {args.solver}, seconds (peak memory in MB):\n")
    print(f"{'case':42s}" + "".join(f"{c:>12s}" for c in cols))
    for name, m in rows:
        print(f"{name:42s}" + "".join(f"{m[c]:12.2f}" for c in cols))
    if cli is not None:
        print(
            f"\n`linealytics plan` on the real workbook (full pipeline, wall clock incl. start-up): {cli:.2f} s"
        )
    for name, m in rows:
        if "500" in name:
            print(f"{name}: build/solve = {m['build'] / m['solve']:.2f}, peak memory {m['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
