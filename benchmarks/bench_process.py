"""Whole-process wall time of `linealytics plan` against a peer team's script (issue 13, first target).

Three commands on copies of the real workbook, each a fresh ``python`` process, alternated in
one run so that machine load hits all alike (paired), ``--repeat`` rounds, medians shown:

* peer: ``benchmarks/peer_quarterly.py`` -- openpyxl load, quarterly PuLP model without capacity,
  CBC, openpyxl save (what the hackathon teams' scripts do);
* plan only: ``python -m linealytics_xl.cli plan COPY --output OUT`` on a copy whose `Settings`
  sheet says ``forecast`` FALSE and ``simulate`` FALSE (the command has no flag for it);
* full pipeline: the same on an unchanged copy (forecast, 1000 scenarios, plan, risk, all
  tables, Dashboard: the defaults).

Targets: plan only <= 1.0x the peer, full pipeline <= 1.3x.  ``--importtime`` also prints the
slowest imports of a plan-only run (``python -X importtime``), to find what to make lazy.

    python benchmarks/bench_process.py [--repeat 5] [--workbook PATH] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
PEER = Path(__file__).with_name("peer_quarterly.py")
TARGETS = {"plan only": 1.0, "full pipeline": 1.3}


def plan_only_copy(src: Path, dst: Path) -> Path:
    """A copy of ``src`` whose `Settings` sheet turns the forecast and the simulation off."""
    wb = openpyxl.load_workbook(src)
    if "Settings" in wb.sheetnames:
        del wb["Settings"]
    ws = wb.create_sheet("Settings")
    for row in (("Setting", "Value"), ("forecast", False), ("simulate", False)):
        ws.append(row)
    wb.save(dst)
    return dst


def commands(src: Path, folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """Per case: the pristine input to copy before each run, and the command (COPY, OUT filled in)."""
    lin = [sys.executable, "-m", "linealytics_xl.cli", "plan", "{copy}", "--output", "{out}"]
    return {
        "peer": (src, [sys.executable, str(PEER), "{copy}", "{out}"]),
        "plan only": (plan_only_copy(src, folder / "plan_only_input.xlsx"), lin),
        "full pipeline": (src, lin),
    }


def wall(pristine: Path, argv: list[str], folder: Path, env: dict[str, str]) -> float:
    """One run on a fresh copy (outside the clock); exit code 0 required."""
    copy, out = folder / "copy.xlsx", folder / "out.xlsx"
    copy.write_bytes(pristine.read_bytes())
    out.unlink(missing_ok=True)
    cmd = [a.format(copy=copy, out=out) for a in argv]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=folder, env=env)
    elapsed = time.perf_counter() - t
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def slowest_imports(pristine: Path, argv: list[str], folder: Path, env: dict[str, str], n: int = 15) -> str:
    """The ``n`` top-level imports of a run with the largest cumulative time (``-X importtime``)."""
    copy, out = folder / "copy.xlsx", folder / "out.xlsx"
    copy.write_bytes(pristine.read_bytes())
    cmd = [argv[0], "-X", "importtime", *(a.format(copy=copy, out=out) for a in argv[1:])]
    err = subprocess.run(cmd, capture_output=True, text=True, cwd=folder, env=env).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cum, raw = line.removeprefix("import time:").split("|")
            if cum.strip().isdigit():  # raw is " " + two spaces per nesting level + the module
                rows.append((int(cum), raw[1:].rstrip()))
    top = sorted(rows, reverse=True)[:n]
    total = sum(c for c, name in rows if not name.startswith(" "))
    lines = [f"  {c / 1e6:6.3f} s  {name.strip()}" for c, name in top]
    return f"imports in total {total / 1e6:.3f} s; the largest (cumulative):\n" + "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workbook", type=Path, default=REAL)
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports of plan only")
    args = ap.parse_args()
    if not args.workbook.exists():
        raise SystemExit(f"workbook not found: {args.workbook}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = commands(args.workbook, folder)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for pristine, argv in cases.values():  # warm the file cache and .pyc files, untimed
            wall(pristine, argv, folder, env)
        for _ in range(args.repeat):
            for name, (pristine, argv) in cases.items():
                times[name].append(wall(pristine, argv, folder, env))
        report = slowest_imports(*cases["plan only"], folder, env) if args.importtime else ""
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"\nWhole process, {args.workbook.name}, medians of {args.repeat} paired rounds (seconds):\n")
    for name, t in times.items():
        print(f"  {name:14s} {med[name]:6.2f}   runs: {', '.join(f'{x:.2f}' for x in t)}")
    print()
    for name, target in TARGETS.items():
        ratio = med[name] / med["peer"]
        print(
            f"  {name:14s} / peer = {ratio:4.2f}x   target <= {target:.1f}x   {'met' if ratio <= target else 'MISSED'}"
        )
    if report:
        print("\nplan only, " + report)


if __name__ == "__main__":
    main()
