"""Bad-input corpus: files that are not workbooks, destinations that cannot be written, busy files.

Every case is exit code 2 with one plain sentence, no traceback, the input's bytes unchanged and
nothing written: no output file, no run-record folder, no temporary file, no lock left behind.
The tests run as root here and in CI; the read-only cases hold for root too because the tool
reads the permission bits, not only ``os.access`` (which lets root write anything).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from linealytics_xl.adapters.run_lock import lock_path
from linealytics_xl.cli import app

runner = CliRunner()


@dataclass
class Case:
    args: list[str]
    message: str  # a fragment of the sentence the planner reads
    files: list[Path]  # inputs whose bytes must not change
    absent: list[Path] = field(default_factory=list)  # must not exist afterwards


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def leftovers(folder: Path) -> list[str]:
    """Files a run would leave beside a workbook: temporary files, run locks, record folders."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".~linealytics-") or p.name.endswith((".linealytics.lock", ".runs"))
    )


def rewrite_zip(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    with zipfile.ZipFile(src) as z:
        items = {n: z.read(n) for n in z.namelist()}
    for name, data in change.items():
        if data is None:
            items.pop(name, None)
        else:
            items[name] = data
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)


# --- the corpus: each builder makes its files in tmp and returns the case ----------------------


def csv_file(tmp: Path, real: Path) -> Case:
    p = tmp / "plan.csv"
    p.write_text("Product ID,Attribute,Q2 95\n21A,EffectiveDemand,100\n", encoding="utf-8")
    return Case(["plan", str(p)], "plan.csv is a text (CSV) file, not an Excel workbook", [p])


def csv_named_xlsx(tmp: Path, real: Path) -> Case:
    p = tmp / "export.xlsx"
    p.write_text("Product ID;Attribute\n21A;Yield\n", encoding="utf-8")
    return Case(["plan", str(p)], "export.xlsx is a text (CSV) file", [p])


def directory(tmp: Path, real: Path) -> Case:
    p = tmp / "folder.xlsx"
    p.mkdir()
    return Case(["plan", str(p)], "folder.xlsx is a folder, not a workbook file", [])


def encrypted(tmp: Path, real: Path) -> Case:
    from msoffcrypto.format.ooxml import OOXMLFile

    p = tmp / "locked.xlsx"
    with open(real, "rb") as f, open(p, "wb") as out:
        OOXMLFile(f).encrypt("secret", out)
    return Case(
        ["plan", str(p)], "the workbook is encrypted; save it without a password or plan it from Excel", [p]
    )


def old_xls(tmp: Path, real: Path) -> Case:
    xlwt = pytest.importorskip("xlwt")
    p = tmp / "plan.xls"
    book = xlwt.Workbook()
    book.add_sheet("Supply_Demand").write(0, 0, "Product ID")
    book.save(str(p))
    return Case(["plan", str(p)], "plan.xls is an Excel 97-2003 workbook (.xls)", [p])


def truncated(tmp: Path, real: Path) -> Case:
    p = tmp / "cut.xlsx"
    data = real.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return Case(["plan", str(p)], "cut.xlsx is damaged or incomplete", [p])


def corrupt_sheet_xml(tmp: Path, real: Path) -> Case:
    p = tmp / "broken.xlsx"
    rewrite_zip(real, p, {"xl/worksheets/sheet3.xml": b"<worksheet><sheetData><row><c r='A1'>"})
    return Case(
        ["plan", str(p)],
        "broken.xlsx is damaged: the sheet 'Weekly Demand Ratio' (part xl/worksheets/sheet3.xml) cannot be read",
        [p],
    )


def no_workbook_part(tmp: Path, real: Path) -> Case:
    p = tmp / "nobook.xlsx"
    rewrite_zip(real, p, {"xl/workbook.xml": None})
    return Case(["plan", str(p)], "nobook.xlsx is a zip file but not an Excel workbook", [p])


def empty(tmp: Path, real: Path) -> Case:
    p = tmp / "empty.xlsx"
    p.write_bytes(b"")
    return Case(["plan", str(p)], "empty.xlsx is empty (0 bytes)", [p])


def missing(tmp: Path, real: Path) -> Case:
    return Case(["plan", str(tmp / "nope.xlsx")], "nope.xlsx: no such file", [])


def output_is_folder(tmp: Path, real: Path) -> Case:
    out = tmp / "out.xlsx"
    out.mkdir()
    return Case(
        ["plan", str(real), "--output", str(out)],
        "out.xlsx is a folder; give the path of a workbook file",
        [real],
    )


def output_folder_read_only(tmp: Path, real: Path) -> Case:
    folder = tmp / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    return Case(
        ["plan", str(real), "--output", str(folder / "out.xlsx")],
        f"the folder {folder} cannot be written (read-only)",
        [real],
        [folder / "out.xlsx"],
    )


def output_parent_is_file(tmp: Path, real: Path) -> Case:
    blocker = tmp / "notes.txt"
    blocker.write_text("a file, not a folder")
    return Case(
        ["plan", str(real), "--output", str(blocker / "out.xlsx")],
        "is a file, so the folder cannot be created",
        [real, blocker],
    )


def output_not_a_workbook_name(tmp: Path, real: Path) -> Case:
    out = tmp / "plan.csv"
    return Case(
        ["plan", str(real), "--output", str(out)],
        "--output plan.csv: expected a workbook file name ending in .xlsx or .xlsm",
        [real],
        [out],
    )


def input_read_only(tmp: Path, real: Path) -> Case:
    real.chmod(0o444)
    return Case(["plan", str(real)], "plan.xlsx is read-only, so nothing was written", [real])


def output_read_only(tmp: Path, real: Path) -> Case:
    out = tmp / "out.xlsx"
    shutil.copyfile(real, out)
    out.chmod(0o444)
    return Case(["plan", str(real), "--output", str(out)], "out.xlsx is read-only", [real, out])


def folder_read_only_in_place(tmp: Path, real: Path) -> Case:
    folder = tmp / "share"
    folder.mkdir()
    p = folder / "plan.xlsx"
    shutil.copyfile(real, p)
    folder.chmod(0o555)
    return Case(["plan", str(p)], f"the folder {folder} cannot be written", [p])


def excel_lock_in_place(tmp: Path, real: Path) -> Case:
    owner = real.with_name("~$" + real.name)
    owner.write_bytes(b"planner")
    return Case(
        ["plan", str(real)], "plan.xlsx is open in Excel (lock file ~$plan.xlsx exists)", [real, owner]
    )


def excel_lock_at_output(tmp: Path, real: Path) -> Case:
    out = tmp / "out.xlsx"
    owner = tmp / "~$out.xlsx"
    owner.write_bytes(b"planner")
    return Case(["plan", str(real), "--output", str(out)], "out.xlsx is open in Excel", [real, owner], [out])


@pytest.fixture()
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def locked_by_live_run(tmp: Path, real: Path, pid: int) -> Case:
    lock = lock_path(real)
    lock.write_text(
        json.dumps(
            {
                "pid": pid,
                "host": socket.gethostname(),
                "since": "2026-12-01T08:00:00",
                "command": "linealytics plan plan.xlsx",
                "token": "x",
            }
        )
    )
    return Case(
        ["plan", str(real), "--wait", "0"],
        f"plan.xlsx is being planned by another run (process {pid}, running since 2026-12-01 08:00:00: "
        f"linealytics plan plan.xlsx); waited 0 s",
        [real, lock],
    )


CASES = [
    csv_file,
    csv_named_xlsx,
    directory,
    encrypted,
    old_xls,
    truncated,
    corrupt_sheet_xml,
    no_workbook_part,
    empty,
    missing,
    output_is_folder,
    output_folder_read_only,
    output_parent_is_file,
    output_not_a_workbook_name,
    input_read_only,
    output_read_only,
    folder_read_only_in_place,
    excel_lock_in_place,
    excel_lock_at_output,
    locked_by_live_run,
]


@pytest.mark.parametrize("build", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_exits_2_with_one_plain_sentence_and_writes_nothing(build, real_copy, tmp_path, request):
    if build is locked_by_live_run:
        case = build(tmp_path, real_copy, request.getfixturevalue("sleeper"))
    else:
        case = build(tmp_path, real_copy)
    before = {p: digest(p) for p in case.files}
    listing = sorted(p.name for p in tmp_path.iterdir())
    try:
        result = runner.invoke(app, case.args)
    finally:
        for p in tmp_path.rglob("*"):
            if p.is_dir():
                p.chmod(0o755)  # let pytest clean up the read-only folders
    text = " ".join(result.output.split())
    assert result.exit_code == 2, text
    assert case.message in text, text
    assert "Traceback" not in result.output and "Internal error" not in text
    assert text.count("Cannot use the workbook:") == 1
    assert {p: digest(p) for p in case.files} == before
    for p in case.absent:
        assert not p.exists(), p
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing added beside the files
    for sub in (p for p in tmp_path.iterdir() if p.is_dir()):
        assert leftovers(sub) == [], sub


def test_the_read_only_file_keeps_its_mode(real_copy):
    real_copy.chmod(0o444)
    assert runner.invoke(app, ["plan", str(real_copy)]).exit_code == 2
    assert stat.S_IMODE(os.stat(real_copy).st_mode) == 0o444


def test_demo_refuses_to_overwrite_unless_forced(tmp_path):
    assert runner.invoke(app, ["demo", str(tmp_path)]).exit_code == 0
    target = tmp_path / "planning.xlsx"
    before = digest(target)
    refused = runner.invoke(app, ["demo", str(tmp_path), "--seed", "3"])
    text = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "planning.xlsx already exists and was left as it is" in text, text
    assert "--force" in text and "Traceback" not in refused.output
    assert digest(target) == before
    forced = runner.invoke(app, ["demo", str(tmp_path), "--seed", "3", "--force"])
    assert forced.exit_code == 0 and digest(target) != before


def test_demo_refuses_a_file_as_folder(tmp_path):
    blocker = tmp_path / "demo"
    blocker.write_text("x")
    result = runner.invoke(app, ["demo", str(blocker)])
    assert result.exit_code == 2 and "is a file, not a folder" in " ".join(result.output.split())
    assert blocker.read_text() == "x"


def test_validate_reports_the_same_sentences(tmp_path):
    p = tmp_path / "plan.xlsx"
    p.write_bytes(b"")
    result = runner.invoke(app, ["validate", str(p)])
    assert result.exit_code == 2 and "plan.xlsx is empty (0 bytes)" in " ".join(result.output.split())


def test_validate_does_not_claim_it_wrote_nothing(real_copy):
    """validate never writes: its list of problems is headed as such, not "nothing was written"."""
    wb = openpyxl.load_workbook(real_copy)
    wb["Supply_Demand"]["E5"] = -5
    wb.save(real_copy)
    text = " ".join(runner.invoke(app, ["validate", str(real_copy)]).output.split())
    assert "The workbook has 1 problem(s). ✗ Supply_Demand!E5" in text and "nothing was written" not in text
    plan = " ".join(runner.invoke(app, ["plan", str(real_copy)]).output.split())
    assert "The workbook has 1 problem(s); nothing was written." in plan
