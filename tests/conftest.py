"""Shared fixtures: the real hackathon workbook (from ../shared, never copied into the repo)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_WORKBOOK = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"


@pytest.fixture(scope="session")
def real_path() -> Path:
    if not REAL_WORKBOOK.exists():
        pytest.skip(f"real workbook not found at {REAL_WORKBOOK} (../shared is absent on this checkout)")
    return REAL_WORKBOOK


@pytest.fixture()
def real_copy(real_path: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "plan.xlsx"
    shutil.copyfile(real_path, dst)
    return dst


@pytest.fixture(scope="session")
def real_data(real_path: Path):
    from linealytics_xl.adapters.workbook_file import WorkbookFile
    from linealytics_xl.core.layout import read_planning_data

    return read_planning_data(WorkbookFile(real_path).sheets())


@pytest.fixture(scope="session")
def real_planned(real_path: Path, tmp_path_factory):
    """The real workbook planned once by the command-line job (CBC), shared by read-only tests."""
    from linealytics_xl import jobs

    out = tmp_path_factory.mktemp("planned") / "planned.xlsx"
    job = jobs.plan(real_path, output=out)
    return job
