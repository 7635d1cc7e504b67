"""The package as it was at an older git revision, for the "before" figures of the benchmarks."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unpack(rev: str, folder: Path) -> Path:
    """``linealytics_xl`` at ``rev`` (``git archive``) under ``folder/before``; put it on PYTHONPATH."""
    out = folder / "before"
    out.mkdir()
    archive = folder / "before.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "linealytics_xl"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(out)
    return out
