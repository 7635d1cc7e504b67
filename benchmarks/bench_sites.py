"""`linealytics sites`: several workbooks planned side by side against one after another.

``--sites`` copies of the real workbook (../shared/data) or of the template, each a site, planned
by one ``python -m linealytics_xl.cli sites`` process with ``--jobs 1`` (one after another, in
that process) and with ``--jobs N`` (N processes, joblib), alternated over ``--repeat`` rounds on
fresh copies; medians and the ratio are printed.  On 2 cores the ideal ratio is 0.5 plus the cost
of starting the worker processes (each imports the package).  Measured on 2 cores: 4 sites of 50
generated products 17.8 s -> 11.7 s (0.66); 4 copies of the real 3-product workbook 3.07 s ->
3.10 s (1.01): a small site is done before a worker has imported the package, and the forecast's
backtest already keeps both cores busy.

    python benchmarks/bench_sites.py [--sites 4] [--jobs 2] [--repeat 3] [--workbook PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_process import environment

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
TEMPLATE = ROOT / "workbook" / "planning.xlsx"


def run(src: Path, folder: Path, n_sites: int, jobs: int, env: dict[str, str]) -> float:
    """One `sites` run over fresh copies (outside the clock); its exit code must be 0."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    paths = []
    for k in range(n_sites):
        path = folder / f"site_{k}.xlsx"
        shutil.copyfile(src, path)
        path.chmod(0o644)
        paths.append(str(path))
    cmd = [sys.executable, "-m", "linealytics_xl.cli", "sites", *paths, "--jobs", str(jobs)]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workbook", type=Path, default=None, help="the site workbook (default: the real one)")
    args = ap.parse_args()
    src = args.workbook or (REAL if REAL.exists() else TEMPLATE)
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp))  # this checkout, bytecode cached as when installed
        folder = Path(tmp) / "sites"
        run(src, folder, args.sites, 1, env)  # untimed: file cache and bytecode
        times: dict[int, list[float]] = {1: [], args.jobs: []}
        for _ in range(args.repeat):
            for jobs in times:
                times[jobs].append(run(src, folder, args.sites, jobs, env))
    med = {jobs: statistics.median(t) for jobs, t in times.items()}
    print(f"\n`linealytics sites`, {args.sites} copies of {src.name}, medians of {args.repeat} rounds:\n")
    for jobs, t in times.items():
        print(f"  --jobs {jobs}: {med[jobs]:6.2f} s   runs: {', '.join(f'{x:.2f}' for x in t)}")
    print(f"\n  ratio --jobs {args.jobs} / --jobs 1 = {med[args.jobs] / med[1]:.2f}")


if __name__ == "__main__":
    main()
