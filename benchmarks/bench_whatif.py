"""What-if cost: ten cases on the real workbook against one plan-only run (issue 15).

Target: `linealytics whatif` with 10 cases in at most 3x the time of one plan-only `plan` (the
cases share reading and settings; each is one optimisation).  Both are timed in process after
imports, on copies of ../shared/data/micron_hackathon_2025.xlsx, medians of ``--repeat`` runs.
Run:  python benchmarks/bench_whatif.py [--repeat 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
PLAN_ONLY = {"forecast": False, "simulate": False}


def cases_sheet(path: Path) -> None:
    from linealytics_xl.core.whatif import HEADER

    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("WhatIf")
    ws.append(list(HEADER))
    for k in range(10):
        if k % 2:
            ws.append([f"case {k}", "yield", "all", "", "", "times", 1 - 0.01 * k])
        else:
            ws.append([f"case {k}", "capacity", "23C", "Q1 97", "", "times", 1 + 0.1 * k])
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="parallel cases (default: one per core)")
    args = ap.parse_args()
    if not REAL.exists():
        raise SystemExit(f"real workbook not found at {REAL}")
    from linealytics_xl import jobs

    work = Path(tempfile.mkdtemp())
    plan_s, whatif_s = [], []
    for _ in range(args.repeat):
        a, b = work / "plan.xlsx", work / "whatif.xlsx"
        shutil.copyfile(REAL, a)
        shutil.copyfile(REAL, b)
        cases_sheet(b)
        t = time.perf_counter()
        jobs.plan(a, overrides=PLAN_ONLY)
        plan_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        job = jobs.whatif(b, overrides=PLAN_ONLY, n_jobs=args.jobs)
        whatif_s.append(time.perf_counter() - t)
        assert len(job.plans) == 11
    p, w = statistics.median(plan_s), statistics.median(whatif_s)
    print(
        f"| run | median s |\n|---|---|\n| plan (plan only) | {p:.2f} |\n| whatif, 10 cases + base | {w:.2f} |"
    )
    print(f"ratio whatif / plan: {w / p:.2f} (target <= 3)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
