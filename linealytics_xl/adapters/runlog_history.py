"""Reading run records back: the list of runs (``LL_Runs`` rows and record folders), one record,
and what changed between two runs."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.contract import Col
from ..core.kpis import same_figure
from .runlog_folder import RECORD_FILE, TOTAL_KEYS, RunLogError, finite, runs_dir

__all__ = ["LIST_COLUMNS", "RunDiff", "diff_records", "list_runs", "load_record", "resolve_run"]


def _records(workbook: Path) -> dict[str, dict[str, Any]]:
    base = runs_dir(workbook)
    out = {}
    if base.is_dir():
        for folder in sorted(base.iterdir()):
            f = folder / RECORD_FILE
            if folder.name.startswith(".") or not f.is_file():
                continue
            try:
                out[folder.name] = json.loads(f.read_text(encoding="utf-8"))
                # the record file's write time orders two runs of the same second
                out[folder.name]["_written_ns"] = f.stat().st_mtime_ns
            except (OSError, ValueError):
                continue
    return out


LIST_COLUMNS = [
    Col.RUN_ID,
    Col.TIME,
    Col.INPUT_FINGERPRINT,
    Col.SOLVER,
    Col.STATUS,
    Col.SHORTAGE_BYTES,
    Col.WAFERS,
    Col.WALL_TIME_S,
    Col.WARNINGS,
    "Record",
]


def list_runs(workbook: str | os.PathLike[str], runs_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every known run, oldest first: the ``LL_Runs`` rows (``runs_table``) and the record folders,
    matched by run id; ``Record`` says whether the run has a record folder."""
    records = _records(Path(workbook))
    rows: dict[str, dict[str, Any]] = {}
    if runs_table is not None and Col.RUN_ID in runs_table.columns:
        for r in runs_table.to_dict("records"):
            rid = str(r.get(Col.RUN_ID) or "").strip()
            if not rid:
                continue
            rows[rid] = {
                Col.RUN_ID: rid,
                Col.TIME: pd.Timestamp(r[Col.TIME]) if r.get(Col.TIME) is not None else pd.NaT,
                Col.INPUT_FINGERPRINT: r.get(Col.INPUT_FINGERPRINT),
                Col.SOLVER: r.get(Col.SOLVER),
                Col.STATUS: r.get(Col.STATUS),
                Col.SHORTAGE_BYTES: finite(r.get(Col.SHORTAGE_BYTES)),
                Col.WAFERS: finite(r.get(Col.WAFERS)),
                Col.WALL_TIME_S: finite(r.get(Col.WALL_TIME_S)),
                Col.WARNINGS: r.get(Col.WARNINGS),
                "Record": rid in records,
            }
    for rid, rec in records.items():
        if rid in rows:
            continue
        rows[rid] = {
            Col.RUN_ID: rid,
            Col.TIME: pd.Timestamp(rec["time"]) if rec.get("time") is not None else pd.NaT,
            Col.INPUT_FINGERPRINT: rec.get("input", {}).get("fingerprint"),
            Col.SOLVER: rec.get("solver", {}).get("name"),
            Col.STATUS: rec.get("solver", {}).get("status"),
            Col.SHORTAGE_BYTES: finite(rec.get("shortage_bytes")),
            Col.WAFERS: finite(rec.get("solver", {}).get("objectives", {}).get("wafers")),
            Col.WALL_TIME_S: finite(rec.get("wall_time_s")),
            Col.WARNINGS: rec.get("warnings"),
            "Record": True,
        }
    frame = pd.DataFrame(list(rows.values()), columns=LIST_COLUMNS)
    # Times have whole seconds and two runs can fall in one: the stable sort keeps LL_Runs' own
    # (chronological) order for them; a run id's random suffix says nothing about order.
    return frame.sort_values(Col.TIME, kind="stable").reset_index(drop=True)


def resolve_run(workbook: str | os.PathLike[str], ref: str) -> str:
    """The run id that ``ref`` names: an id, a unique prefix of one, ``latest`` or ``previous``."""
    records = _records(Path(workbook))
    ids = sorted(
        records, key=lambda r: (str(records[r].get("time", "")), records[r].get("_written_ns", 0), r)
    )
    if not ids:
        raise RunLogError(f"no run records in {runs_dir(workbook)}; plan the workbook first")
    ref = ref.strip()
    if ref == "latest":
        return ids[-1]
    if ref == "previous":
        if len(ids) < 2:
            raise RunLogError("there is only one run record, so no previous run")
        return ids[-2]
    if ref in ids:
        return ref
    hits = [i for i in ids if i.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise RunLogError(f"no run record {ref!r} in {runs_dir(workbook)} (see `linealytics runs`)")
    raise RunLogError(f"{ref!r} matches {len(hits)} runs ({', '.join(hits[:4])}); give more of the id")


def load_record(workbook: str | os.PathLike[str], ref: str) -> dict[str, Any]:
    """The record (``run.json`` plus its settings) of run ``ref`` (see :func:`resolve_run`)."""
    rid = resolve_run(workbook, ref)
    folder = runs_dir(workbook) / rid
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        settings_file = folder / "settings.json"
        record["settings"] = (
            json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
        )
    except (OSError, ValueError) as exc:
        raise RunLogError(f"cannot read the run record {folder}: {exc}") from None
    record["folder"] = str(folder)
    return record


@dataclass
class RunDiff:
    a: str
    b: str
    fingerprint: tuple[str, str]
    file_sha256: tuple[str, str]
    settings: list[tuple[str, Any, Any]]  # (name, a, b) of every setting that differs
    solver: list[tuple[str, Any, Any]]  # status and objectives that differ
    totals: pd.DataFrame  # Product, Measure, A, B, Change, Changed (beyond round-off: kpis.same_figure)

    @property
    def same_inputs(self) -> bool:
        return self.fingerprint[0] == self.fingerprint[1]


def diff_records(a: Mapping[str, Any], b: Mapping[str, Any]) -> RunDiff:
    """What changed from run ``a`` to run ``b``: input fingerprint, settings, solver results and
    the plan's totals per product."""
    sa, sb = a.get("settings", {}), b.get("settings", {})
    settings = [(k, sa.get(k), sb.get(k)) for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    solver = []
    if a["solver"].get("status") != b["solver"].get("status"):
        solver.append(("status", a["solver"].get("status"), b["solver"].get("status")))
    oa, ob = a["solver"].get("objectives", {}), b["solver"].get("objectives", {})
    for k in sorted(set(oa) | set(ob)):
        if not same_figure(oa.get(k), ob.get(k)):
            solver.append((f"objective {k}", oa.get(k), ob.get(k)))
    rows = []
    ta, tb = a.get("plan_totals", {}), b.get("plan_totals", {})
    for product in list(dict.fromkeys([*ta, *tb])):
        pa, pb = ta.get(product, {}), tb.get(product, {})
        for k in TOTAL_KEYS:
            va, vb = pa.get(k), pb.get(k)
            change = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            same = same_figure(va, vb)
            rows.append(
                {Col.PRODUCT: product, "Measure": k, "A": va, "B": vb, "Change": change, "Changed": not same}
            )
    totals = pd.DataFrame(rows, columns=[Col.PRODUCT, "Measure", "A", "B", "Change", "Changed"])
    return RunDiff(
        a=a["run_id"],
        b=b["run_id"],
        fingerprint=(a["input"]["fingerprint"], b["input"]["fingerprint"]),
        file_sha256=(a["input"].get("file_sha256", ""), b["input"].get("file_sha256", "")),
        settings=settings,
        solver=solver,
        totals=totals,
    )
