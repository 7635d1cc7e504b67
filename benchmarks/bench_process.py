"""Whole-process wall time of `linealytics plan` against a peer team's script (issue 13, first target).

Three commands on copies of the real workbook, each a fresh ``python`` process, alternated in
one run so that machine load hits all alike (paired), ``--repeat`` rounds, medians shown:

* peer: ``benchmarks/peer_quarterly.py`` -- openpyxl load, quarterly PuLP model without capacity,
  CBC, openpyxl save (what the hackathon teams' scripts do);
* plan only: ``python -m linealytics_xl.cli plan COPY --output OUT`` on a copy whose `Settings`
  sheet says ``forecast`` FALSE and ``simulate`` FALSE (the command has no flag for it);
* full pipeline, cold: the same on an unchanged copy (forecast, 1000 scenarios, plan, risk,
  all tables, Dashboard: the defaults) with no kept forecast: ``<out>.runs`` is removed before
  each run, so the forecast is fitted (XGBoost imported) every time;
* full pipeline, warm: the same with the forecast kept by the previous run
  (``<out>.runs/.forecast-cache``, setting ``reuse_forecast``): no fit, no XGBoost import.  This
  is what a planner's second run on unchanged demand costs; it is never the cold figure.

Targets: plan only <= 1.0x the peer, full pipeline <= 1.3x (shown for cold and warm apart).  ``--importtime`` also prints the
slowest imports of a plan-only run (``python -X importtime``), to find what to make lazy.

    python benchmarks/bench_process.py [--repeat 5] [--workbook PATH] [--importtime]

Run it on a quiet machine; figures taken while other work shares the cores are "under load".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
TARGETS = {"plan only": 1.0, "full, cold": 1.3, "full, warm": 1.3}
CACHE = ".forecast-cache"  # adapters.forecast_cache.CACHE_FOLDER (not imported: the bench runs the CLI)


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
        "full, cold": (src, lin),
        "full, warm": (src, lin),
    }


def reset_records(out: Path, keep_forecast: bool) -> None:
    """Remove the run records beside ``out``; with ``keep_forecast`` the kept forecast stays."""
    runs = out.with_name(out.name + ".runs")
    if not runs.is_dir():
        return
    for entry in runs.iterdir():
        if not (keep_forecast and entry.name == CACHE):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def wall(pristine: Path, argv: list[str], folder: Path, env: dict[str, str], case: str = "") -> float:
    """One run on a fresh copy (outside the clock); exit code 0 required.  Each case writes its
    own output file, so the warm case's kept forecast is never seen by the cold one."""
    copy, out = folder / "copy.xlsx", folder / f"out-{case.replace(', ', '-').replace(' ', '-')}.xlsx"
    copy.write_bytes(pristine.read_bytes())
    out.unlink(missing_ok=True)
    reset_records(out, keep_forecast=case == "full, warm")
    cmd = [a.format(copy=copy, out=out) for a in argv]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=folder, env=env)
    elapsed = time.perf_counter() - t
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    if case.startswith("full"):  # the run record says whether the forecast was fitted or reused
        reused = _forecast_reused(out)
        if reused != (case == "full, warm"):
            raise SystemExit(f"{case}: the run {'reused' if reused else 'fitted'} the forecast")
    return elapsed


def _forecast_reused(out: Path) -> bool:
    runs = out.with_name(out.name + ".runs")
    records = [p / "run.json" for p in runs.iterdir() if (p / "run.json").is_file()]
    data = json.loads(max(records, key=lambda p: p.stat().st_mtime_ns).read_text(encoding="utf-8"))
    return bool(data.get("forecast", {}).get("reused"))


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
        for name, (pristine, argv) in cases.items():  # warm the file cache and .pyc files, untimed
            if name == "full, warm":  # its first run fits and keeps the forecast
                reset_records(folder / "out-full-warm.xlsx", keep_forecast=False)
                wall(pristine, argv, folder, env, "full, cold")
                shutil.copytree(
                    folder / "out-full-cold.xlsx.runs" / CACHE, folder / "out-full-warm.xlsx.runs" / CACHE
                )
            wall(pristine, argv, folder, env, name)
        for _ in range(args.repeat):
            for name, (pristine, argv) in cases.items():
                times[name].append(wall(pristine, argv, folder, env, name))
        report = slowest_imports(*cases["plan only"], folder, env) if args.importtime else ""
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"\nWhole process, {args.workbook.name}, medians of {args.repeat} paired rounds (seconds):\n")
    for name, t in times.items():
        print(f"  {name:14s} {med[name]:6.2f}   runs: {', '.join(f'{x:.2f}' for x in t)}")
    print("\n  cold: no kept forecast (fitted, XGBoost imported); warm: forecast reused from the last run")
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
