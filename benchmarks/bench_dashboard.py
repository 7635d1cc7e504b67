"""The Dashboard part of a write on the real workbook: layout + rendering into the package.

Plans the real workbook (plan only) once, then times ``dashboard_layout`` followed by
``xlsx.transplant.transplant`` into a fresh package, ``--repeat`` times; prints the median.
Target (issue 10): at most 0.03 s.

    python benchmarks/bench_dashboard.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from linealytics_xl import jobs
from linealytics_xl.adapters.dashboard import dashboard_layout
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.adapters.xlsx import transplant
from linealytics_xl.adapters.xlsx.package import Package
from linealytics_xl.adapters.xlsx.styles import Styles

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "micron_hackathon_2025.xlsx"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "bench.xlsx"
        shutil.copyfile(REAL, work)
        book = WorkbookFile(work)
        book.sheets()
        prepared = jobs.prepare_plan(book, "bench.xlsx", {"forecast": False, "simulate": False})
        frames = book._dashboard_frames(prepared.tables)
        times = []
        for _ in range(args.repeat + 1):
            package = Package(REAL)
            styles = Styles(package)
            t = time.perf_counter()
            transplant.transplant(
                dashboard_layout(frames), package, styles, "xl/worksheets/sheet99.xml", False
            )
            times.append(time.perf_counter() - t)
        print(f"dashboard layout + XML: median {statistics.median(times[1:]):.4f} s over {args.repeat} runs")


if __name__ == "__main__":
    main()
