"""Did ``xlwings addin install`` (or ``remove``) really do it? The installers ask this module.

``xlwings addin install -f FILE`` prints its error and still exits 0 when the copy fails (Excel
running with the add-in open, no permission, no Excel), so an installer that trusts its exit code
says "Done" for an add-in that is not there. This check looks at the file itself: it must be in
the folder xlwings copies to (``xlwings.cli.get_addin_dir``: Excel's own startup folder, XLSTART
on Windows) and be byte for byte the add-in just built. ``--absent`` checks the opposite, after
``xlwings addin remove``.

    python -m linealytics_xl.addin.install_check BUILT.xlam [--addin-dir DIR] [--absent]

Exit 0 when it is as expected; 1 with a message naming the file and what to do otherwise.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
from pathlib import Path

__all__ = ["excel_addin_dir", "install_problem", "main", "removal_problem"]


def excel_addin_dir() -> Path:
    """The folder ``xlwings addin install`` copies to (asks Excel, as xlwings does; may start it hidden)."""
    from xlwings.cli import get_addin_dir

    return Path(get_addin_dir())


def install_problem(built: Path, addin_dir: Path) -> str | None:
    """Why the installed copy of ``built`` in ``addin_dir`` is missing or stale, or None when it is fine."""
    target = addin_dir / built.name
    if not target.is_file():
        return (
            f"{target} was not written: xlwings could not install the add-in. Quit Excel (the add-in "
            f"may be open in it) and run the installer again."
        )
    if not filecmp.cmp(built, target, shallow=False):
        return (
            f"{target} is not the add-in just built ({built}): the copy failed, probably because Excel "
            f"has the old one open. Quit Excel and run the installer again."
        )
    return None


def removal_problem(name: str, addin_dir: Path) -> str | None:
    target = addin_dir / name
    if target.exists():
        return f"{target} is still there: quit Excel and delete it, or run the uninstaller again."
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linealytics_xl.addin.install_check",
        description="Check that xlwings really installed (or removed) the add-in.",
    )
    parser.add_argument("addin", type=Path, help="the .xlam that was built (for --absent: its file name)")
    parser.add_argument(
        "--addin-dir",
        type=Path,
        default=None,
        help="the folder to look in (default: Excel's startup folder, as xlwings finds it)",
    )
    parser.add_argument("--absent", action="store_true", help="check that the add-in was removed")
    args = parser.parse_args(argv)
    try:
        addin_dir = args.addin_dir or excel_addin_dir()
    except Exception as exc:  # no Excel, or xlwings cannot reach it: say so, do not guess a folder
        print(
            f"error: could not ask Excel for its add-in folder ({type(exc).__name__}: {exc})", file=sys.stderr
        )
        return 1
    if args.absent:
        problem = removal_problem(args.addin.name, addin_dir)
    elif not args.addin.is_file():
        problem = f"{args.addin} does not exist: the build did not write it"
    else:
        problem = install_problem(args.addin, addin_dir)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    print(addin_dir / args.addin.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
