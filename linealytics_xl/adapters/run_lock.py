"""One run at a time per workbook: an advisory lock file beside it, with its owner inside.

Two headless runs on the same workbook (a scheduled run and a planner's, two Task Scheduler
entries) would both read the file, plan, and replace it: the later replace silently drops the
earlier run's results and its LL_Runs row.  So a run holds ``<name>.linealytics.lock`` beside
the workbook from before reading it until after writing it.  The file is created atomically
(``O_CREAT | O_EXCL``, on every file system Excel workbooks live on, network shares included)
and holds JSON: process id, host, since when, the command and a random token.  A second run
waits (polling) up to a timeout and then stops with a :class:`WorkbookError` that names the run
holding the lock.  A lock whose process is gone (same host, process id no longer alive) is stale:
the next run takes it over.  A lock from another host is never taken over (its process cannot be
checked from here); the message says which file to delete when that run is known to be gone.

Why not the ``filelock`` package: its lock file does not say who holds it, and its soft lock does
not take over a lock of a killed process; both are the point here.  OS byte-range locks
(``fcntl``/``msvcrt``) free themselves on a crash but are unreliable on network shares and
cannot name the owner either.

The name is deliberately unlike Excel's owner file (``~$name.xlsx``) and LibreOffice's
(``.~lock.name#``): those mean "open in an editor" and are checked separately.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .safe_files import process_alive
from .workbook_file import WorkbookError

__all__ = ["DEFAULT_WAIT_S", "LOCK_SUFFIX", "lock_path", "read_owner", "workbook_lock"]

LOCK_SUFFIX = ".linealytics.lock"
DEFAULT_WAIT_S = 60.0
POLL_S = 0.2
#: A lock file without readable content this old was left by a run killed while creating it.
UNREADABLE_STALE_S = 30.0


def lock_path(workbook: Path) -> Path:
    """The run lock of ``workbook``: ``<name>.linealytics.lock`` beside it."""
    return workbook.with_name(workbook.name + LOCK_SUFFIX)


def read_owner(lock: Path) -> dict[str, Any] | None:
    """The lock's content; None when there is no lock, ``{}`` when it cannot be read (yet)."""
    try:
        text = lock.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        owner = json.loads(text)
    except ValueError:
        return {}
    return owner if isinstance(owner, dict) else {}


def _is_stale(lock: Path, owner: dict[str, Any]) -> bool:
    if not owner:
        try:
            return time.time() - lock.stat().st_mtime > UNREADABLE_STALE_S
        except OSError:
            return False
    if owner.get("host") != socket.gethostname():
        return False
    try:
        return not process_alive(int(owner.get("pid", 0)))
    except (TypeError, ValueError):
        return True


def _create(lock: Path, info: dict[str, Any]) -> bool:
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as exc:
        raise WorkbookError(
            f"cannot create the run lock {lock} ({exc.strerror or exc}); the run needs "
            f"to write in {lock.parent}"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(info))
        f.flush()
        os.fsync(f.fileno())
    return True


def _take_over(lock: Path, owner: dict[str, Any]) -> None:
    """Remove a stale lock -- only the very one judged stale, not one another run made meanwhile:
    it is renamed aside first and put back when its token shows it is not the stale one."""
    aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(lock, aside)
    except OSError:  # gone already (another run took it over), or not ours to move
        return
    moved = read_owner(aside) or {}
    if moved.get("token") == owner.get("token"):
        aside.unlink(missing_ok=True)
        return
    try:  # a live lock made between our look and the rename: put it back unless replaced
        if hasattr(os, "link"):
            os.link(aside, lock)
        elif not lock.exists():
            os.rename(aside, lock)
    except OSError:
        pass
    aside.unlink(missing_ok=True)


def describe(owner: dict[str, Any]) -> str:
    """The run holding a lock, in words."""
    if not owner:
        return "a run whose lock file cannot be read"
    since = str(owner.get("since", ""))[:19].replace("T", " ")
    command = owner.get("command") or "linealytics"
    host = owner.get("host")
    where = "" if host == socket.gethostname() else f" on {host}"
    return f"process {owner.get('pid')}{where}, running since {since}: {command}"


def _acquire(
    workbook: Path, timeout_s: float, command: str, on_wait: Callable[[str], None] | None
) -> tuple[Path, str]:
    lock = lock_path(workbook)
    token = uuid.uuid4().hex
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now().isoformat(timespec="seconds"),
        "command": command,
        "token": token,
    }
    deadline = time.monotonic() + max(0.0, timeout_s)
    waiting = False
    while True:
        if _create(lock, info):
            return lock, token
        owner = read_owner(lock)
        if owner is None:
            continue  # released between the two looks: try again
        if _is_stale(lock, owner):
            _take_over(lock, owner)
            continue
        if time.monotonic() >= deadline:
            raise WorkbookError(
                f"{workbook.name} is being planned by another run ({describe(owner)}); waited "
                f"{timeout_s:g} s. Try again when it has finished, or wait longer with --wait SECONDS. "
                f"If that run is gone, delete {lock}"
            )
        if not waiting and on_wait is not None:
            on_wait(f"Waiting for the other run on {workbook.name} ({describe(owner)})")
        waiting = True
        time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())) or POLL_S / 10)


def _release(lock: Path, token: str) -> None:
    owner = read_owner(lock)
    if owner and owner.get("token") == token:
        lock.unlink(missing_ok=True)


def _command() -> str:
    args = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    return " ".join(args)[:300]


@contextmanager
def workbook_lock(
    workbooks: Iterable[Path],
    timeout_s: float = DEFAULT_WAIT_S,
    *,
    command: str | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the run lock of every workbook in ``workbooks`` (e.g. input and ``--output``).

    Locks are taken in one order (by resolved path) so that two runs over the same pair never wait
    for each other; each wait is up to ``timeout_s`` seconds.  Raises :class:`WorkbookError`
    naming the other run when a lock stays taken."""
    paths = sorted({Path(p).resolve() for p in workbooks}, key=lambda p: str(p).lower())
    held: list[tuple[Path, str]] = []
    try:
        for path in paths:
            held.append(_acquire(path, timeout_s, command or _command(), on_wait))
        yield
    finally:
        for lock, token in reversed(held):
            _release(lock, token)
