"""Whole-process wall time of `linealytics plan` against two peer scripts (issue 13, first target).

Commands on copies of the real workbook, each a fresh ``python`` process, alternated in one run so
that machine load hits all alike (paired), ``--repeat`` rounds, medians shown:

* peer, lean: ``benchmarks/peer_quarterly.py`` -- openpyxl load, quarterly PuLP model without
  capacity, CBC, openpyxl save: the floor of what such a script can cost;
* peer, pandas: ``benchmarks/peer_pandas.py`` -- the same model and answer, written the way team
  scripts usually are (``pd.read_excel(sheet_name=None)``, pandas reshaping, ``pd.ExcelWriter``
  in append mode);
* plan only: ``python -m linealytics_xl.cli plan COPY --output OUT`` on a copy whose `Settings`
  sheet says ``forecast`` FALSE and ``simulate`` FALSE (the command has no flag for it);
* full pipeline, cold: the same on an unchanged copy (forecast, 1000 scenarios, plan, risk,
  all tables, Dashboard: the defaults) with no kept forecast: ``<out>.runs`` is removed before
  each run, so the forecast is fitted (XGBoost imported) every time;
* full pipeline, warm: the same with the forecast kept by the previous run
  (``<out>.runs/.forecast-cache``, setting ``reuse_forecast``): no fit, no XGBoost import.  This
  is what a planner's second run on unchanged demand costs; it is never the cold figure;
* with ``--before REV``, also plan only with the package as it was at ``REV`` (``git archive``),
  to compare machines: at the issue's filing (``11a0e73``) plan only took 1.96 s and the issue's
  peer 1.56 s.

Every process runs with bytecode caches, as an installed package does (pip compiles the package
when it installs it): ``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX`` points
into the temporary folder, which the untimed first round fills.  Without caches every run of the
package compiles its ~70 modules again (about 0.07 s here).

Targets: plan only <= 1.0x the peer, full pipeline <= 1.3x (shown for cold and warm apart, against
both peers).  ``--importtime`` also prints the slowest imports of a plan-only run
(``python -X importtime``), to find what to make lazy.

    python benchmarks/bench_process.py [--repeat 5] [--workbook PATH] [--importtime] [--before REV]

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
from revisions import unpack

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
PEERS = {
    "peer, lean": Path(__file__).with_name("peer_quarterly.py"),
    "peer, pandas": Path(__file__).with_name("peer_pandas.py"),
}
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


def commands(src: Path, folder: Path, before: Path | None) -> dict[str, tuple[Path, list[str]]]:
    """Per case: the pristine input to copy before each run, and the command (COPY, OUT filled in)."""
    lin = [sys.executable, "-m", "linealytics_xl.cli", "plan", "{copy}", "--output", "{out}"]
    plan_only = plan_only_copy(src, folder / "plan_only_input.xlsx")
    cases = {name: (src, [sys.executable, str(script), "{copy}", "{out}"]) for name, script in PEERS.items()}
    cases |= {"plan only": (plan_only, lin), "full, cold": (src, lin), "full, warm": (src, lin)}
    if before is not None:  # the old package first on the path; -m finds it there
        cases["plan only, before"] = (plan_only, [*lin[:1], "-c", OLD_CLI.format(str(before)), *lin[3:]])
    return cases


OLD_CLI = "import sys, runpy; sys.path.insert(0, {!r}); sys.argv[0] = 'linealytics'; runpy.run_module('linealytics_xl.cli', run_name='__main__')"


def environment(folder: Path) -> dict[str, str]:
    """The children's environment: this checkout importable, bytecode cached as when installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


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
    ap.add_argument(
        "--before", default=None, help="also time plan only with the package at this git revision"
    )
    args = ap.parse_args()
    if not args.workbook.exists():
        raise SystemExit(f"workbook not found: {args.workbook}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = environment(folder)
        before = unpack(args.before, folder) if args.before else None
        cases = commands(args.workbook, folder, before)
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
        print(f"  {name:18s} {med[name]:6.2f}   runs: {', '.join(f'{x:.2f}' for x in t)}")
    print("\n  cold: no kept forecast (fitted, XGBoost imported); warm: forecast reused from the last run")
    if before is not None:
        print(f"  before: the package at {args.before}")
    for peer in PEERS:
        print()
        for name, target in TARGETS.items():
            ratio = med[name] / med[peer]
            verdict = "met" if ratio <= target else "MISSED"
            print(f"  {name:12s} / {peer:12s} = {ratio:4.2f}x   target <= {target:.1f}x   {verdict}")
    if report:
        print("\nplan only, " + report)


if __name__ == "__main__":
    main()
