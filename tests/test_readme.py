"""The README's quick start is what CI runs: the two Linux commands stand verbatim in `.ci/run`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("## Quick start") : readme.index("\n## ", readme.index("## Quick start") + 1)
    ]
    return [b.strip() for b in re.findall(r"```\n(.*?)\n```", section, flags=re.S)]


def test_quick_start_has_two_commands_per_platform() -> None:
    blocks = _quick_start_commands()
    assert len(blocks) == 4, blocks
    linux, windows = blocks[:2], blocks[2:]
    for unix, win in zip(linux, windows):
        assert unix.startswith("python3 -m venv .venv && ")  # no activated environment assumed
        assert win.startswith("py -m venv .venv && ")
        assert "\n" not in unix and "\n" not in win
    assert "linealytics plan workbook/planning.xlsx" in linux[0]
    assert linux[1].endswith("-m pytest")


def test_ci_runs_the_readme_commands_verbatim() -> None:
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for command in _quick_start_commands()[:2]:
        assert command in ci_lines, f".ci/run does not run the README command {command!r}"
