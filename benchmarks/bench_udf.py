"""Time of the worksheet function ``=LL_PLAN(...)`` on an input the size of the real workbook.

3 products x 443 weeks, passed as Excel hands them (lists of row lists, product names in the
first column, density as a Name | Value range), in process and after every import (what a
recalculation costs once the add-in's Python is running).  Prints the median of ``--repeat``
runs, and the medians of its two parts timed on their own: argument parsing and the optimiser
(three staged CBC/HiGHS solves); the spill layout is the small rest.
Target: under 0.5 s.  Run:  python benchmarks/bench_udf.py [--repeat 7] [--solver highs]

The input is the real workbook's (../shared/data, read with openpyxl) when it is there, else a
generated workbook of the same shape (3 products, 34 quarters, one of 14 weeks: 443 weeks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
TARGET_S = 0.5


def planning_data():
    from linealytics_xl.adapters.workbook_file import WorkbookFile
    from linealytics_xl.core.layout import read_planning_data

    if REAL.exists():
        return read_planning_data(WorkbookFile(REAL).sheets()), "the real workbook"
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook

    with tempfile.TemporaryDirectory() as tmp:
        path = write_demo_workbook(
            Path(tmp) / "demo.xlsx",
            n_products=3,
            n_quarters=34,
            long_quarter=5,
            seed=1,
            capacity_bound=("P3",),
        )
        return read_planning_data(WorkbookFile(path).sheets()), "a generated workbook (real one not found)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--solver", default="cbc", choices=["cbc", "highs"])
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from linealytics_xl import udf_args as X
    from linealytics_xl import udfs
    from linealytics_xl.core.optimize import optimize

    data, source = planning_data()
    P, T = data.demand.shape
    demand = [[p, *row] for p, row in zip(data.products, data.demand.tolist())]
    yields = [[p, *row] for p, row in zip(data.products, data.yields.tolist())]
    density = [[p, v] for p, v in zip(data.products, data.density.tolist())]
    capacity = [[p, *row] for p, row in zip(data.products, data.capacity.tolist())]
    initial = data.initial_stock.tolist()
    safety = data.safety_stock[:, data.week_quarter].tolist()
    options = [["solver", args.solver], ["show", "stock, backlog"]]
    call = (demand, yields, density, capacity, initial, safety, options)

    first = udfs.LL_PLAN(*call)  # warm-up: solver binary, caches
    if len(first) != 1 + 3 * P:
        raise SystemExit(f"LL_PLAN failed: {first[0][0]}")
    total, parse, solve = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        udfs.LL_PLAN(*call)
        total.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        req = X.plan_request(*call)
        parse.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        optimize(req.data, options=req.options)
        solve.append(time.perf_counter() - t0)
    med = statistics.median(total)
    print(
        f"LL_PLAN, {P} products x {T} weeks from {source}, solver {args.solver}, "
        f"median of {args.repeat} runs (in process, after imports):"
    )
    print(f"  total      {med:.3f} s   (min {min(total):.3f}, max {max(total):.3f})")
    print(
        f"  of which, timed separately on the same input: parsing {statistics.median(parse):.3f} s, "
        f"optimiser {statistics.median(solve):.3f} s"
    )
    print(f"  target     {TARGET_S:.1f} s: {'met' if med < TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
