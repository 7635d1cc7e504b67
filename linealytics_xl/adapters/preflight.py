"""Checks before a run does any work: can it read the input and write the destination?

A refusal that comes only after a two-minute plan wastes the run and reads as a failure; one that
comes from ``os.replace`` is a traceback.  These checks run first (and again once the run lock is
held, since the situation may change while a run waits) and raise :class:`WorkbookError` with a
plain sentence: exit code 2, nothing written, not even a run-record folder.
"""

from __future__ import annotations

from pathlib import Path

from .file_kind import not_a_workbook
from .safe_files import folder_writable, is_read_only
from .workbook_file import WorkbookError, check_writable

__all__ = ["WORKBOOK_SUFFIXES", "check_destination", "check_input"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def check_input(path: Path) -> None:
    """The input exists, is a file, can be read and is a workbook."""
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    problem = not_a_workbook(path)
    if problem:
        raise WorkbookError(problem)
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise WorkbookError(f"{path.name} cannot be read ({exc.strerror or exc})") from None


def _existing_folder(folder: Path) -> Path:
    """``folder`` or, when it does not exist yet, the nearest parent that does (it is created)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_destination(dest: Path, *, in_place: bool) -> None:
    """The file the run will write: not a folder, not open in Excel, not read-only, in a folder
    that can be written (the temporary file, the run lock and the run records go there)."""
    what = dest.name if in_place else f"--output {dest}"
    if dest.is_dir():
        raise WorkbookError(
            f"{what} is a folder; give the path of a workbook file, e.g. {dest / 'planned.xlsx'}"
        )
    if not in_place and dest.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"--output {dest.name}: expected a workbook file name ending in .xlsx or .xlsm")
    check_writable(dest)  # Excel's owner file ~$name beside it
    if dest.exists() and is_read_only(dest):
        raise WorkbookError(
            f"{dest.name} is read-only, so nothing was written; make it writable, or "
            f"write the plan to another file with --output"
        )
    folder = _existing_folder(dest.parent if str(dest.parent) else Path("."))
    if not folder.is_dir():
        raise WorkbookError(f"{what}: {folder} is a file, so the folder cannot be created")
    if not folder_writable(folder):
        raise WorkbookError(
            f"the folder {folder} cannot be written (read-only), so nothing was written; "
            f"write the plan to another folder with --output"
        )
