"""Shared fixtures: the real hackathon workbook (from ../shared, never copied into the repo)."""

from __future__ import annotations

import shutil
from pathlib import Path

import exact_floats
import pytest

# The tests play the planner with openpyxl (edit a workbook, save it, plan it) and compare plans
# with the inputs to the last bit: openpyxl must write floats as exactly as Excel does.  The tool
# itself never patches openpyxl; only the test process does, here.
exact_floats.install()

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


# --------------------------------------------------------------------------- markers
# Markers are given from what a test uses, so a new test is marked without anyone remembering to:
#   real_workbook  needs ../shared's workbook;   libreoffice  starts LibreOffice;
#   smtp           talks to a local SMTP server; slow         plans a workbook or starts LibreOffice.
# The fast selection (`pytest -m "not slow"`) is in the README beside the full one.
REAL_FIXTURES = {"real_path", "real_copy", "real_data", "real_planned"}
PLANNING_FIXTURES = {
    "real_planned",
    "real_copy",
    "planned",
    "template_planned",
    "planned_template",
    "book",
    "job",
}
LIBREOFFICE_WORDS = (
    "require_libreoffice(",
    "recalculate(",
    "render_png(",
    "list_charts(",
    "soffice",
    "lo_uno",
)


def _source(item) -> str:
    import inspect

    try:
        return inspect.getsource(item.function)
    except (OSError, TypeError, AttributeError):
        return ""


def pytest_configure(config) -> None:
    for name, what in (
        ("real_workbook", "needs the real workbook from ../shared"),
        ("libreoffice", "runs LibreOffice headless"),
        ("smtp", "talks to an SMTP server on localhost"),
        ("slow", "plans a workbook or runs LibreOffice: left out by -m 'not slow'"),
    ):
        config.addinivalue_line("markers", f"{name}: {what}")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        source = _source(item)
        skipif_reasons = {m.kwargs.get("reason", "") for m in item.iter_markers("skipif")}
        lo = any(w in source for w in LIBREOFFICE_WORDS) or any("LibreOffice" in r for r in skipif_reasons)
        if fixtures & REAL_FIXTURES:
            item.add_marker(pytest.mark.real_workbook)
        if lo:
            item.add_marker(pytest.mark.libreoffice)
        if "smtp_server(" in source:
            item.add_marker(pytest.mark.smtp)
        if (
            lo
            or fixtures & PLANNING_FIXTURES
            or "jobs.plan(" in source
            or '"plan"' in source
            or "'plan'" in source
        ):
            item.add_marker(pytest.mark.slow)
