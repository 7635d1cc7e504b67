"""What a ribbon click pays before any work: a fresh Python (no UDF server) against a warm one.

Without ``Use UDF Server`` every RunPython starts ``python -c "import linealytics_xl.ribbon as r;
r.run_all()"`` in a new process, which imports xlwings (and with it pandas and matplotlib), the
job, the live-book adapter, the optimiser's PuLP and, for a forecast, XGBoost (as the forecaster
imports it, without scikit-learn: issue 13).
With the UDF server (set by the add-in's config sheet on Windows) those imports happen once, in
the server; later clicks pay only the ``import`` statement of an already imported module.

This measures, in fresh interpreters started like RunPython starts them: the interpreter alone,
the imports of a plan-only click, the imports of a click that forecasts, and the same imports a
second time in one process (the warm case). Excel's own COM overhead is not included (no Excel
here). Prints medians of ``--repeat`` runs.  Run:  python benchmarks/bench_addin_start.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

PLAN_ONLY = (
    "xlwings",
    "linealytics_xl.ribbon",
    "linealytics_xl.jobs",
    "linealytics_xl.adapters.live_book",
    "linealytics_xl.core.optimize",
    "pulp",
)
#: "module:function" entries are called after the import: xgboost is loaded the way a fit loads it
FORECAST = PLAN_ONLY + (
    "linealytics_xl.core.forecasting.gate",
    "linealytics_xl.core.forecasting.boosted:_import_xgboost",
)

CHILD = r"""
import importlib, json, sys, time
names = json.loads(sys.argv[1])
t0 = time.perf_counter()
def load(names):
    for n in names:
        module, _, function = n.partition(":")
        m = importlib.import_module(module)
        if function:
            getattr(m, function)()
load(names)
cold = time.perf_counter() - t0
t0 = time.perf_counter()
load(names)
print(json.dumps({"cold": cold, "warm": time.perf_counter() - t0}))
"""


def fresh(names: tuple[str, ...]) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(list(names))], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    result["process"] = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bare = [fresh(())["process"] for _ in range(args.repeat)]
    print(f"fresh interpreter, no imports:          {statistics.median(bare):6.2f} s")
    for label, names in (("plan-only click", PLAN_ONLY), ("click that forecasts", FORECAST)):
        runs = [fresh(names) for _ in range(args.repeat)]
        print(
            f"{label:22s} fresh Python: {statistics.median(r['process'] for r in runs):6.2f} s "
            f"(imports {statistics.median(r['cold'] for r in runs):.2f} s); "
            f"warm server: {1000 * statistics.median(r['warm'] for r in runs):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
