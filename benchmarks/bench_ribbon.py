"""Warm ``Run all`` from the ribbon: the very function the button calls (``ribbon.run_all``), on the
real workbook through the live-book adapter, as the warm UDF server runs it on a second click.

Each call gets a fresh xlwings JSON-engine book built from the real workbook (what xlwings' VBA
client sends; the same books tests/test_ribbon.py uses), set as the caller; the first call warms
imports, solver binaries and caches and is not counted.  Prints the median of ``--repeat`` later
calls with forecasting off and on, against the targets of issue 11 (0.5 s off, 1.0 s on), and with
``--profile`` the top of a cProfile of one warm call.

Run:  python benchmarks/bench_ribbon.py [--repeat 5] [--profile]
Needs ../shared/data/micron_hackathon_2025.xlsx.  The JSON engine needs xlwings' noncommercial
key; it is set for this process only.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
TARGETS_S = {False: 0.5, True: 1.0}  # forecast off / on


def _settings_sheet(forecast: bool) -> dict[str, Any]:
    rows = [["Name", "Value", "Description"], ["forecast", forecast, ""], ["simulate", forecast, ""]]
    return {"name": "Settings", "values": rows, "tables": [], "pictures": []}


def _call(data: dict[str, Any]) -> float:
    from json_books import make_book

    from linealytics_xl import ribbon

    book = make_book(data)  # copying the payload is not timed: Excel sends it, Python gets it
    t0 = time.perf_counter()
    ribbon.run_all()
    seconds = time.perf_counter() - t0
    alerts = [a for a in book.json()["actions"] if a["func"] == "alert"]
    if not alerts or "plan written" not in alerts[-1]["args"][0]:
        raise SystemExit(f"Run all failed: {alerts[-1]['args'][0] if alerts else 'no message'}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one warm call")
    args = ap.parse_args()
    if not REAL.exists():
        raise SystemExit(f"{REAL} not found: this benchmark needs the real workbook")
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from json_books import payload, use_json_engine  # the books tests/test_ribbon.py uses

    use_json_engine()

    base = payload(REAL)
    for forecast in (False, True):
        data = {**base, "sheets": base["sheets"] + [_settings_sheet(forecast)]}
        _call(data)  # the first click: imports, solver, caches
        times = [_call(data) for _ in range(args.repeat)]
        med, target = statistics.median(times), TARGETS_S[forecast]
        print(
            f"Run all, forecast {'on ' if forecast else 'off'}: median {med:.3f} s of {args.repeat} warm "
            f"calls (min {min(times):.3f}, max {max(times):.3f}); target {target:.1f} s: "
            f"{'met' if med <= target else 'NOT met'}"
        )
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            _call(data)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
