"""Safe runs on a shared file: the run lock, concurrent runs, kept permissions, killed runs.

The concurrency and kill tests start real ``linealytics plan`` processes on copies of the real
workbook; the kill test takes about a minute (20 kills spread over a run, each followed by a
normal run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from linealytics_xl import jobs
from linealytics_xl.adapters import runlog
from linealytics_xl.adapters.run_lock import lock_path, read_owner, workbook_lock
from linealytics_xl.adapters.safe_files import process_alive
from linealytics_xl.adapters.workbook_file import WorkbookError
from linealytics_xl.core import tables

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "linealytics_xl.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def runs_rows(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path, read_only=True)[tables.RUNS]
    return [r[0] for r in list(ws.values)[1:]]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not process_alive(proc.pid)
    return proc.pid


def leftovers(folder: Path) -> list[str]:
    found = [
        p.name for p in folder.iterdir() if p.name.startswith(".~linealytics-") or p.name.endswith(".lock")
    ]
    for runs in folder.glob("*.runs"):
        found += [
            f"{runs.name}/{p.name}"
            for p in runs.iterdir()
            if p.name.startswith(".") and p.name != ".forecast-cache"
        ]
        found += [
            f"{runs.name}/{p.name} (no run.json)"
            for p in runs.iterdir()
            if p.is_dir() and not p.name.startswith((".", "mail-")) and not (p / "run.json").is_file()
        ]
    return sorted(found)


# --- the lock itself ----------------------------------------------------------------------------


def test_lock_file_names_its_owner_and_goes_away(tmp_path):
    book = tmp_path / "plan.xlsx"
    book.write_bytes(b"x")
    with workbook_lock([book], 0, command="linealytics plan plan.xlsx"):
        owner = read_owner(lock_path(book))
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        assert owner["command"] == "linealytics plan plan.xlsx" and owner["since"][:4].isdigit()
        with pytest.raises(WorkbookError, match=rf"being planned by another run \(process {os.getpid()}, "):
            with workbook_lock([book], 0.3):
                pass
    assert not lock_path(book).exists()
    with pytest.raises(RuntimeError), workbook_lock([book], 0):
        raise RuntimeError("the run failed")
    assert not lock_path(book).exists()  # released on failure too


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    book = tmp_path / "plan.xlsx"
    lock = lock_path(book)
    lock.write_text(
        json.dumps(
            {
                "pid": dead_pid(),
                "host": socket.gethostname(),
                "since": "2026-01-01T00:00:00",
                "command": "linealytics plan",
                "token": "old",
            }
        )
    )
    with workbook_lock([book], 0):
        assert read_owner(lock)["pid"] == os.getpid()
    assert not lock.exists()


def test_unreadable_lock_is_stale_only_when_old(tmp_path):
    book = tmp_path / "plan.xlsx"
    lock = lock_path(book)
    lock.write_text("")  # a run killed between creating and filling it, or one filling it now
    with pytest.raises(WorkbookError, match="a run whose lock file cannot be read"):
        with workbook_lock([book], 0):
            pass
    old = time.time() - 3600
    os.utime(lock, (old, old))
    with workbook_lock([book], 0):
        assert read_owner(lock)["pid"] == os.getpid()


def test_lock_from_another_host_is_never_taken_over(real_copy):
    lock = lock_path(real_copy)
    lock.write_text(
        json.dumps(
            {
                "pid": dead_pid(),
                "host": "planning-server-7",
                "since": "2026-12-01T07:00:00",
                "command": "linealytics plan plan.xlsx",
                "token": "t",
            }
        )
    )
    with pytest.raises(WorkbookError) as err:
        jobs.plan(real_copy, wait_s=0)
    assert "on planning-server-7" in str(err.value) and f"delete {lock}" in str(err.value)
    assert lock.exists() and not runlog.runs_dir(real_copy).exists()


def test_a_waiting_run_goes_on_when_the_other_run_ends(real_copy):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = lock_path(real_copy)
    lock.write_text(
        json.dumps(
            {
                "pid": holder.pid,
                "host": socket.gethostname(),
                "since": "2026-12-01T07:00:00",
                "command": "linealytics plan",
                "token": "t",
            }
        )
    )
    waiting = cli("plan", str(real_copy), "--wait", "120")
    time.sleep(1.0)
    assert waiting.poll() is None and runlog.runs_dir(real_copy).exists() is False  # still waiting
    holder.kill()
    holder.wait()  # the holder is gone: its lock is stale and is taken over
    out, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, out
    assert len(runs_rows(real_copy)) == 1 and not lock.exists()


# --- two runs at once ---------------------------------------------------------------------------


def test_two_concurrent_plans_never_lose_a_run(real_copy):
    a, b = cli("plan", str(real_copy)), cli("plan", str(real_copy))
    outs = [p.communicate(timeout=300)[0] for p in (a, b)]
    codes = sorted(p.returncode for p in (a, b))
    rows = runs_rows(real_copy)
    if codes == [0, 0]:
        assert len(rows) == 2 and len(set(rows)) == 2  # the second waited and appended its row
        records = [p for p in runlog.runs_dir(real_copy).iterdir() if not p.name.startswith(".")]
        assert sorted(p.name for p in records) == sorted(rows)
    else:
        assert codes == [0, 2] and len(rows) == 1
        refused = " ".join(outs[[a.returncode, b.returncode].index(2)].split())
        assert "being planned by another run (process" in refused
    assert leftovers(real_copy.parent) == []


# --- permissions --------------------------------------------------------------------------------


def test_in_place_plan_keeps_the_files_mode_and_owner(real_copy):
    real_copy.chmod(0o664)
    owner = (os.stat(real_copy).st_uid, os.stat(real_copy).st_gid)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may give the file to another account
        owner = (1234, 1234)
        os.chown(real_copy, *owner)
    jobs.plan(real_copy)
    st = os.stat(real_copy)
    assert stat.S_IMODE(st.st_mode) == 0o664 and (st.st_uid, st.st_gid) == owner


def test_a_new_output_gets_the_usual_mode_not_0600(real_copy, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "new" / "out.xlsx"
        jobs.plan(real_copy, output=out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644


# --- leftovers of killed runs -------------------------------------------------------------------


def test_next_run_removes_what_killed_runs_left(real_copy):
    folder = real_copy.parent
    gone = dead_pid()
    stale = folder / f".~linealytics-{gone}-0badc0de-{real_copy.name}"
    stale.write_bytes(b"half a zip")
    live = folder / f".~linealytics-{os.getpid()}-0badc0de-{real_copy.name}"  # a live process's
    live.write_bytes(b"being written")
    other = folder / f".~linealytics-{gone}-0badc0de-other.xlsx"  # another workbook's
    other.write_bytes(b"not ours to judge")
    partial = runlog.runs_dir(real_copy) / ".20260101-000000-abcdef.partial"
    partial.mkdir(parents=True)
    (partial / "settings.json").write_text("{}")
    job = jobs.plan(real_copy)
    assert not stale.exists() and not partial.exists()
    assert live.exists() and other.exists()
    assert (job.record / "run.json").is_file()


def test_a_plan_killed_anywhere_leaves_the_original_or_a_complete_result(real_copy):
    """SIGKILL at 20 points spread over a run (measured first); after each, the workbook is the
    original or a complete planned workbook, and the next normal run succeeds and leaves nothing
    behind.  About a minute (more on a busy machine)."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    book = openpyxl.load_workbook(real_copy)  # no forecast and no scenarios: a shorter run, same writes
    settings = book.create_sheet("Settings")
    for row in (["Name", "Value", "Description"], ["forecast", False, ""], ["simulate", False, ""]):
        settings.append(row)
    book.save(real_copy)
    started = time.perf_counter()
    probe = cli("plan", str(real_copy))
    assert probe.wait(timeout=300) == 0, probe.stdout.read()
    length = time.perf_counter() - started
    expected_rows = len(runs_rows(real_copy))
    outcomes = {"original": 0, "complete": 0}
    # 10 points over the whole run, 10 more over its last 40 % (writing the workbook and the record)
    points = [length * (k + 0.5) / 10 for k in range(10)] + [
        length * (0.6 + 0.45 * k / 10) for k in range(10)
    ]
    for k, delay in enumerate(points):
        before = real_copy.read_bytes()
        proc = cli("plan", str(real_copy))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        outcomes["temp files left"] = outcomes.get("temp files left", 0) + bool(
            list(real_copy.parent.glob(".~linealytics-*"))
        )
        after = real_copy.read_bytes()
        if after == before:
            outcomes["original"] += 1
        else:  # the new file is complete: it opens and has one more run
            expected_rows += 1
            assert len(runs_rows(real_copy)) == expected_rows, k
            assert tables.PLAN in openpyxl.load_workbook(real_copy, read_only=True).sheetnames
            outcomes["complete"] += 1
        job = jobs.plan(real_copy, wait_s=5)  # the next run: takes over the lock, cleans up
        expected_rows += 1
        assert len(runs_rows(real_copy)) == expected_rows and (job.record / "run.json").is_file()
        assert leftovers(real_copy.parent) == [], (k, outcomes)
    assert outcomes["original"] >= 1, outcomes
    print(f"kill points over {length:.2f} s: {outcomes}")
