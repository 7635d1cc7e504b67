"""Several workbooks (sites, fabs) planned side by side: ``linealytics sites A.xlsx B.xlsx ...``
(or a folder of them).

Each workbook is planned by the command line's own runner (`jobs.plan`), in place, under its own
lock, in a process of its own (joblib), so a site's plan is the one ``linealytics plan`` gives it
alone.  A workbook with a problem gets its message and is left untouched; the others are planned
all the same.

The same code runs on a cluster through joblib's backends, when the workbooks sit in a folder
every worker can reach (the lock and the run records live beside each workbook):

    from joblib import parallel_config
    from dask.distributed import Client      # pip install "dask[distributed]"
    client = Client("tcp://scheduler:8786")
    with parallel_config(backend="dask"):
        results = plan_sites(paths, n_jobs=-1)

and for Ray, ``from ray.util.joblib import register_ray; register_ray()`` and
``parallel_config(backend="ray")``.  Neither is a dependency: planning scale fits one machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .failures import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, failure
from .jobs import DEFAULT_WAIT_S, Overrides


@dataclass(frozen=True)
class SiteResult:
    """One workbook's outcome: planned (exit code 0) or why not (2: its input, 1: an internal error)."""

    path: Path
    exit_code: int
    message: str  # the plan's status, or the problem in Excel's words
    run_id: str | None = None
    wafers: float | None = None
    shortage_bytes: float | None = None
    wall_time_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


def plan_site(
    path: Path,
    overrides: Overrides | None = None,
    wait_s: float = DEFAULT_WAIT_S,
    output: Path | None = None,
) -> SiteResult:
    """Plan one workbook, in place or into ``output``; never raises for a workbook's own problem."""
    from . import jobs
    from .adapters.safe_files import folder_writable, is_read_only
    from .adapters.workbook_file import WorkbookError

    started = time.perf_counter()
    try:
        job = jobs.plan(path, output, overrides=overrides, wait_s=wait_s)
    except Exception as exc:  # reported per site: the other sites' plans still count
        told = failure(exc)
        message = told.summary()
        unwritable = path.is_file() and (is_read_only(path) or not folder_writable(path.parent))
        if isinstance(exc, WorkbookError) and output is None and unwritable:
            # the plan command's advice names its --output; here the way out is --output-dir
            message = (
                f"{path.name} cannot be written here (read-only), so nothing was written; make it "
                "writable, or write the plans to another folder with --output-dir"
            )
        return SiteResult(path, told.exit_code, message, wall_time_s=time.perf_counter() - started)
    result = job.outcome.result
    return SiteResult(
        job.path,
        EXIT_OK,
        result.status,
        job.run_id,
        float(result.wafers.sum()),
        float(job.outcome.shortage_bytes),
        time.perf_counter() - started,
    )


def expand(paths: Sequence[Path]) -> list[Path]:
    """The workbooks named, a folder standing for every workbook in it (by name; Excel's ``~$``
    owner files left out)."""
    from .adapters.preflight import WORKBOOK_SUFFIXES

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.iterdir()
                if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES and not f.name.startswith("~$")
            )
        else:
            out.append(p)
    return out


def outputs(paths: Sequence[Path], output_dir: Path | None) -> list[Path | None]:
    """Where each site's plan goes: its own file (None), or ``output_dir`` / its file name."""
    return [None if output_dir is None else output_dir / Path(p).name for p in paths]


def check_sites(paths: Sequence[Path], output_dir: Path | None = None) -> None:
    """Refuse a workbook named twice (its second run would only wait for the first's lock), and
    two workbooks of one name when both would be written into ``output_dir``."""
    from .adapters.workbook_file import WorkbookError

    seen: dict[Path, Path] = {}
    for p in paths:
        key = Path(os.path.realpath(p))
        if key in seen:
            raise WorkbookError(f"{p} is the same workbook as {seen[key]}: name each workbook once")
        seen[key] = p
    if output_dir is not None:
        if output_dir.exists() and not output_dir.is_dir():
            raise WorkbookError(f"--output-dir {output_dir} is a file, not a folder")
        names: dict[str, Path] = {}
        for p in paths:
            name = Path(p).name.lower()
            if name in names:
                raise WorkbookError(
                    f"{p} and {names[name]} would both be written to {output_dir / Path(p).name}: "
                    "rename one, or plan them in place"
                )
            names[name] = p


def plan_sites(
    paths: Sequence[Path],
    n_jobs: int | None = None,
    overrides: Overrides | None = None,
    wait_s: float = DEFAULT_WAIT_S,
    output_dir: Path | None = None,
) -> list[SiteResult]:
    """Every workbook planned, in the order given, in place or into ``output_dir`` (same file
    names; the sources untouched); ``n_jobs`` processes (default: one per workbook up to the
    cores; 1 plans them one after another in this process)."""
    check_sites(paths, output_dir)
    work = list(zip((Path(p) for p in paths), outputs(paths, output_dir), strict=True))
    n = n_jobs if n_jobs is not None else max(1, min(len(paths), os.cpu_count() or 1))
    if n == 1 or len(paths) <= 1:
        return [plan_site(p, overrides, wait_s, out) for p, out in work]
    from joblib import Parallel, delayed

    found = Parallel(n_jobs=n)(delayed(plan_site)(p, overrides, wait_s, out) for p, out in work)
    return [r for r in found if r is not None]


def exit_code(results: Sequence[SiteResult]) -> int:
    """1 when any site hit an internal error, else 2 when any had a problem, else 0."""
    codes = {r.exit_code for r in results}
    return EXIT_FAILURE if EXIT_FAILURE in codes else (EXIT_INVALID if EXIT_INVALID in codes else EXIT_OK)
