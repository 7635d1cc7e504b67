"""In-process timings of the core stages: build, each solve stage, forecast, scenarios, risk, tables.

What a warm ribbon click costs: every case runs in its own process (so its peak RSS is that
case's), imports first, then ``--repeat`` runs of the plan-only and the full pipeline
(forecast, 1000 scenarios, plan, risk, all tables) on PlanningData in memory -- reading and
writing workbooks is not timed here (see bench_plan.py).  Medians of the repeats are shown.

Cases: the real workbook (3 products; ../shared/data, skipped when absent) and generated data of
50, 500 and 1000 products x 443 weeks (tests/synth.py's ``make_data``, one capacity-bound product
in ten); ``--coupled`` adds a binding total capacity (the products then share one LP).

``--code DIR`` times the code in DIR instead of this checkout (e.g. an export of main:
``git archive main | tar -x -C /tmp/base``), so before and after run on the same machine in the
same session; ``--compare DIR`` runs both and prints the ratios before/after.

    python benchmarks/bench_core.py --sizes 50 --repeat 5 --compare /tmp/base
    python benchmarks/bench_core.py --sizes 500,1000 --repeat 1 --plan-only-sizes 1000

Targets (issue 13): real workbook full pipeline <= 0.5 s and plan only <= 0.15 s; 500 products
full pipeline <= 60 s and 2 GB peak; 1000 products plan only <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"

CHILD = r"""
import json, resource, statistics, sys, time
case, n, reps, full, solver, coupled, tests_dir = sys.argv[1:8]
n, reps, full, coupled = int(n), int(reps), full == "1", coupled == "1"
t0 = time.perf_counter()
from linealytics_xl.core import pipeline, demand as dm
from linealytics_xl.core.settings import Settings
import_s = time.perf_counter() - t0
if case == "real":
    from linealytics_xl.adapters.workbook_file import WorkbookFile
    from linealytics_xl.core.layout import read_planning_data
    data = read_planning_data(WorkbookFile(sys.argv[8]).sheets())
else:
    sys.path.insert(0, tests_dir)
    from synth import make_data
    data = make_data(n_products=n, n_quarters=34, long_quarter=5, seed=1,
                     short=tuple(range(0, n, 10)), total_factor=0.8 if coupled else None)

marks = {}
def timed(name, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            marks[name] = marks.get(name, 0.0) + time.perf_counter() - t
    return wrapper
dm._fit = timed("forecast", dm._fit)
dm.bootstrap_scenarios = timed("scenarios", dm.bootstrap_scenarios)
pipeline.simulate_plan = timed("risk", pipeline.simulate_plan)
pipeline.optimize = timed("plan", pipeline.optimize)

base = Settings() if solver == "default" else Settings(solver=solver)
if not full:
    base = base.model_copy(update={"forecast": False, "simulate": False})
runs = []
for _ in range(reps):
    marks.clear()
    t = time.perf_counter()
    out = pipeline.run(data, base)
    total = time.perf_counter() - t
    row = dict(marks, total=total, **{k: v for k, v in out.result.timings.items()})
    row["other"] = total - sum(row.get(k, 0.0) for k in ("forecast", "scenarios", "risk", "plan"))
    runs.append(row)
med = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}
med["import"] = import_s
med["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
med["objectives"] = out.result.objectives
med["solver"] = out.result.solver
med["choices"] = out.demand.model_by_product if out.demand is not None and n <= 3 else {}
print(json.dumps(med))
"""

COLS = [
    "build",
    "solve_backlog",
    "solve_safety_stock",
    "solve_wafers",
    "plan",
    "forecast",
    "scenarios",
    "risk",
    "other",
    "total",
    "peak_mb",
]


def run_case(code: Path, case: str, n: int, reps: int, full: bool, solver: str, coupled: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS="1")
    args = [
        sys.executable,
        "-c",
        CHILD,
        case,
        str(n),
        str(reps),
        "1" if full else "0",
        solver,
        "1" if coupled else "0",
        str(code / "tests"),
        str(REAL),
    ]
    out = subprocess.run(args, capture_output=True, text=True, env=env, cwd=str(code))
    if out.returncode != 0:
        raise SystemExit(f"case {case} {n} failed ({code}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="50", help="generated case sizes (products), e.g. 50,500,1000")
    ap.add_argument("--plan-only-sizes", default="", help="sizes run plan only (no full pipeline)")
    ap.add_argument("--solver", default="default", help="default (the Settings default), cbc, highs, auto")
    ap.add_argument("--before-solver", default=None, help="solver of the --compare run (default: --solver)")
    ap.add_argument("--coupled", action="store_true", help="generated cases with a binding total capacity")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose code is timed")
    ap.add_argument("--compare", type=Path, default=None, help="checkout timed as 'before'")
    ap.add_argument("--no-real", action="store_true")
    args = ap.parse_args()
    plan_only = {int(s) for s in args.plan_only_sizes.split(",") if s}
    cases = [] if args.no_real or not REAL.exists() else [("real", 3)]
    cases += [("synth", int(s)) for s in args.sizes.split(",") if s]
    rows = []
    for case, n in cases:
        for full in (False,) if n in plan_only else (False, True):
            label = f"{'real' if case == 'real' else f'{n} products'}, {'full' if full else 'plan only'}"
            after = run_case(args.code, case, n, args.repeat, full, args.solver, args.coupled)
            before = None
            if args.compare is not None:
                before = run_case(
                    args.compare, case, n, args.repeat, full, args.before_solver or args.solver, args.coupled
                )
            rows.append((label, before, after))
            print(json.dumps({"case": label, "before": before, "after": after}), flush=True)
    print(
        f"\nMedians of {args.repeat} in-process runs after imports, seconds (peak RSS in MB);"
        f" solver {args.solver}{', coupled' if args.coupled else ''}\n"
    )
    print(f"{'case':22s}{'':7s}" + "".join(f"{c[:12]:>13s}" for c in COLS))
    for label, before, after in rows:
        for tag, m in (("before", before), ("after", after)):
            if m is not None:
                print(f"{label:22s}{tag:>7s}" + "".join(f"{m.get(c, 0.0):13.3f}" for c in COLS))
        if before is not None:
            ratio = [before.get(c, 0.0) / after[c] if after.get(c) else float("nan") for c in COLS]
            print(f"{label:22s}{'ratio':>7s}" + "".join(f"{r:13.2f}" for r in ratio))
            for stage, v in after["objectives"].items():
                b = before["objectives"].get(stage)
                if b is not None and abs(v - b) > 1e-6 * max(abs(b), 1.0):
                    print(f"    objective {stage} differs: before {b!r}, after {v!r}")


if __name__ == "__main__":
    main()
