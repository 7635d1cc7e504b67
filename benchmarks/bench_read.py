"""Read and validate timings of the label-driven reader, with and without stray cells.

Cases: the real workbook as it is; with one stray cell at ``Boundary Conditions!XFD1048576``
(before the sparse reader this took minutes to validate and ended in MemoryError on plan); and
the in-memory reader alone on the loaded grids (what the fuzz test runs per mutation).  Each case
runs in its own process so peak memory is that case's.  Run:  python benchmarks/bench_read.py

Targets (issue 9): the stray cell costs no more than a few tenths of a second and a few MB;
one in-memory read well under 5 s (the fuzz test's limit per mutation).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"

CHILD = r"""
import json, resource, shutil, sys, time
import openpyxl
from linealytics_xl import jobs
from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.core.layout import read_planning_data
src, work, stray = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
shutil.copyfile(src, work)
if stray:
    wb = openpyxl.load_workbook(work)
    wb["Boundary Conditions"]["XFD1048576"] = "stray"
    wb.save(work)
t = time.perf_counter(); book = WorkbookFile(work); load = time.perf_counter() - t
t = time.perf_counter(); sheets = book.sheets(); grids = time.perf_counter() - t
t = time.perf_counter(); jobs.load(book, sheets); validate = time.perf_counter() - t
reads = []
for _ in range(5):
    t = time.perf_counter(); read_planning_data(sheets); reads.append(time.perf_counter() - t)
print(json.dumps({"openpyxl_load_s": load, "grids_s": grids, "validate_s": validate,
                  "read_in_memory_s": sorted(reads)[2],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    if not REAL.exists():
        print(f"real workbook not found at {REAL}; nothing to measure")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, stray in (("real workbook", "0"), ("with a stray cell at XFD1048576", "1")):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(REAL), str(Path(tmp) / "w.xlsx"), stray],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            m = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{name:34s} " + "  ".join(f"{k} {v:.3f}" for k, v in m.items()))


if __name__ == "__main__":
    main()
