"""Writing a file in place without surprises: temporary names, kept permissions, stale leftovers.

A written workbook first goes to a temporary file beside its destination and is then renamed over
it (``os.replace``: atomic on POSIX and Windows), so a reader sees the old file or the new one,
never half of one.  This module owns the three details around that rename:

* temporary names say whose they are: ``.~linealytics-<pid>-<random>-<destination name>``, so the
  next run on the same destination can recognise and remove what a killed run left behind;
* the file that replaces an existing one gets its permission bits (and owner and group where the
  process may set them); a new file gets the usual mode under the umask, not ``mkstemp``'s 0600;
* whether a file or folder may be written is decided from its mode bits as well as ``os.access``:
  root may write a 0444 file, but a file that nobody may write is read-only for this tool, for
  root too, so a run behaves the same under any account.

No workbook knowledge here; the callers turn the answers into messages for the planner.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys
from pathlib import Path

__all__ = [
    "TEMP_PREFIX",
    "folder_writable",
    "is_read_only",
    "process_alive",
    "remove_stale_temps",
    "replace_preserving",
    "temp_path",
]

TEMP_PREFIX = ".~linealytics-"
_TEMP = re.compile(r"^\.~linealytics-(\d+)-[0-9a-f]{8}-(.+)$")
_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def process_alive(pid: int) -> bool:
    """True when process ``pid`` runs on this machine (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel.GetLastError() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: a killed child that its parent has not reaped yet is a zombie, not a run
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except (OSError, IndexError):
        return True


def temp_path(dest: Path) -> Path:
    """A new, empty temporary file beside ``dest``, named after this process and ``dest``."""
    while True:
        path = dest.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{dest.name}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return path
        except FileExistsError:
            continue


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_preserving(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` over ``dest``; the result keeps ``dest``'s permission bits (and, where the
    process may set them, its owner and group); a new ``dest`` gets 0666 under the umask."""
    try:
        st = os.stat(dest)
    except FileNotFoundError:
        st = None
    if st is None:
        os.chmod(tmp, 0o666 & ~_umask())
    else:
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:  # only root may give a file away; a group may be out of reach
                pass
    os.replace(tmp, dest)


def remove_stale_temps(dest: Path) -> list[Path]:
    """Remove the temporary files for ``dest`` that runs no longer alive left beside it; returns them.

    Callers hold the run lock of ``dest``: no other run is writing it, so a temporary file of a
    process that is gone is a leftover of a killed run."""
    removed: list[Path] = []
    try:
        entries = list(dest.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if not m or m.group(2) != dest.name or process_alive(int(m.group(1))):
            continue
        try:
            entry.unlink()
            removed.append(entry)
        except OSError:
            pass
    return removed


def is_read_only(path: Path) -> bool:
    """True when ``path`` has no write permission bit (chmod a-w; Windows' read-only attribute)
    or this account may not write it."""
    return not (os.stat(path).st_mode & _ANY_WRITE) or not os.access(path, os.W_OK)


def folder_writable(folder: Path) -> bool:
    """True when new files can be made in ``folder``: by ``os.access`` and, on POSIX, by its mode
    bits (a folder that nobody may write counts as read-only, for root too).  Windows' read-only
    attribute on a folder does not stop writing into it, so there only ``os.access`` counts."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return sys.platform == "win32" or bool(os.stat(folder).st_mode & _ANY_WRITE)
