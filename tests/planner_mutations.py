"""What the planner-mutation tests share: reading a workbook, editing a copy of it, and the check
that a refused file gets its sentence, exit 2, its bytes untouched and nothing written."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core.layout import read_planning_data
from linealytics_xl.core.model import PlanningData

runner = CliRunner()
SD, BC, YLD, DENS, RAT = (
    "Supply_Demand",
    "Boundary Conditions",
    "Yield",
    "Density per Wafer",
    "Weekly Demand Ratio",
)
FIELDS = (
    "products",
    "quarterly_demand",
    "demand",
    "yields",
    "density",
    "capacity",
    "total_capacity",
    "initial_stock",
    "wos",
    "safety_stock",
    "week_ratios",
    "week_quarter",
    "quarters",
)
Edit = Callable[[Workbook], None]


def read(path: Path) -> PlanningData:
    return read_planning_data(WorkbookFile(path).sheets())


def edited(path: Path, edit: Edit) -> Path:
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def messages(data: PlanningData) -> set[str]:
    return {f"{w.sheet}!{w.cell}: {w.message}" for w in data.warnings}


def rewrite_part(src: Path, dst: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            out.writestr(info, change(data) if info.filename == part else data)
    return dst


def refused(path: Path, tmp_path: Path, sentence: str) -> None:
    before = digest(path)
    out = tmp_path / "out.xlsx"
    for args in (["plan", str(path), "--output", str(out)], ["validate", str(path)]):
        result = runner.invoke(app, args)
        text = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert sentence in text and "Traceback" not in text
    assert digest(path) == before and not out.exists()
