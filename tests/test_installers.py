"""The installers, run for real where this machine can run them (issue 11).

* ``install/install.sh`` (bash): its Python selection, with a PATH of stub interpreters that
  answer like Apple's 3.9 or a python.org 3.12 would; its uninstall, on a real config file in a
  scratch HOME: only the line it wrote goes.
* ``linealytics_xl.addin.install_check``, which both installers run after ``xlwings addin
  install`` (that command exits 0 when it fails): on real folders and files.
* ``install/install.ps1`` cannot run here (no PowerShell on Debian): only what it must call is
  checked, by reading it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linealytics_xl.addin import install_check

REPO = Path(__file__).resolve().parents[1]
INSTALL_SH = REPO / "install" / "install.sh"
TOOLS = ("bash", "uname", "dirname", "sed", "grep", "head", "mktemp", "mv", "mkdir", "rm", "tr", "cat")


@pytest.fixture()
def bin_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(stubs, tools): a PATH with the shell tools install.sh uses and no real Python at all."""
    tools, stubs = tmp_path / "tools", tmp_path / "stubs"
    tools.mkdir()
    stubs.mkdir()
    for tool in TOOLS:
        real = shutil.which(tool)
        assert real, f"{tool} is needed to run install.sh"
        (tools / tool).symlink_to(real)
    return stubs, tools


def stub_python(folder: Path, name: str, version: str) -> Path:
    """An executable that answers the installer's version question the way that Python would."""
    path = folder / name
    path.write_text(f'#!/bin/sh\n[ "$1" = "-c" ] && {{ echo "{version}"; exit 0; }}\nexit 1\n')
    path.chmod(0o755)
    return path


def run_sh(args: list[str], path: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL_SH), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": path, "HOME": str(home), **env},
    )


def test_install_sh_picks_the_newest_supported_python_not_apples_39(tmp_path, bin_dirs):
    stubs, tools = bin_dirs
    stub_python(stubs, "python3", "3.9")
    newest = stub_python(stubs, "python3.12", "3.12")
    stub_python(stubs, "python3.11", "3.11")
    done = run_sh(["--print-python"], f"{stubs}:{tools}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(newest)


def test_install_sh_says_what_to_install_when_only_39_is_there(tmp_path, bin_dirs):
    stubs, tools = bin_dirs
    old = stub_python(stubs, "python3", "3.9")
    stub_python(stubs, "python3.10", "3.10")  # not a name the installer tries
    done = run_sh(["--print-python"], f"{stubs}:{tools}", tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert f"no Python 3.11 or newer found (found: {old} (3.9))" in done.stderr
    assert (
        "https://www.python.org/downloads/macos/" in done.stderr and "brew install python@3.12" in done.stderr
    )
    # Ten is not more than nine here: "3.10" must compare as a number, and 3.10 is still too old.
    stub_python(stubs, "python3.11", "3.10")
    assert run_sh(["--print-python"], f"{stubs}:{tools}", tmp_path).returncode == 1


def test_install_sh_takes_only_the_python_it_is_given(tmp_path, bin_dirs):
    stubs, tools = bin_dirs
    stub_python(stubs, "python3.12", "3.12")
    given = stub_python(tmp_path, "python-3.9", "3.9")
    done = run_sh(["--print-python", "--python", str(given)], f"{stubs}:{tools}", tmp_path)
    assert done.returncode == 1
    assert f"error: {given} is not Python 3.11 or newer (found: {given} (3.9))" in done.stderr
    ok = stub_python(tmp_path, "python-3.13", "3.13")
    via_env = run_sh(["--print-python"], f"{stubs}:{tools}", tmp_path, PYTHON=str(ok))
    assert via_env.stdout.strip() == str(ok)


def config_path(home: Path) -> Path:
    return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "linealytics.conf"


@pytest.mark.parametrize("ours_case", ["INTERPRETER_MAC", "Interpreter_Mac"])
def test_install_sh_uninstall_removes_only_the_line_it_wrote(tmp_path, bin_dirs, ours_case):
    _, tools = bin_dirs
    venv = tmp_path / "venv"
    conf = config_path(tmp_path)
    conf.parent.mkdir(parents=True)
    user_lines = ['"PYTHONPATH","/Users/me/lib"', '"SHOW CONSOLE","True"', '"USE UDF SERVER","False"']
    conf.write_text("\n".join([user_lines[0], f'"{ours_case}","{venv}/bin/python"', *user_lines[1:]]) + "\n")
    done = run_sh(["--uninstall", "--skip-excel", "--venv", str(venv)], str(tools), tmp_path)
    assert done.returncode == 0, done.stderr
    assert conf.read_text().splitlines() == user_lines
    assert "Removing INTERPRETER_MAC" in done.stdout


def test_install_sh_uninstall_keeps_an_interpreter_someone_else_set(tmp_path, bin_dirs):
    _, tools = bin_dirs
    conf = config_path(tmp_path)
    conf.parent.mkdir(parents=True)
    text = '"INTERPRETER_MAC","/opt/conda/bin/python"\r\n'  # written by hand, with a Windows line end
    conf.write_bytes(text.encode())
    done = run_sh(["--uninstall", "--skip-excel", "--venv", str(tmp_path / "venv")], str(tools), tmp_path)
    assert done.returncode == 0, done.stderr
    assert conf.read_bytes() == text.encode()
    assert 'kept "INTERPRETER_MAC","/opt/conda/bin/python"' in done.stderr


def test_install_sh_uninstall_deletes_a_config_file_holding_only_its_line(tmp_path, bin_dirs):
    _, tools = bin_dirs
    venv = tmp_path / "venv"
    conf = config_path(tmp_path)
    conf.parent.mkdir(parents=True)
    conf.write_text(f'"INTERPRETER_MAC","{venv}/bin/python"')  # no final newline
    done = run_sh(["--uninstall", "--skip-excel", "--venv", str(venv)], str(tools), tmp_path)
    assert done.returncode == 0, done.stderr
    assert not conf.exists() and list(conf.parent.iterdir()) == []


def test_install_sh_parses():
    assert subprocess.run(["bash", "-n", str(INSTALL_SH)], capture_output=True).returncode == 0


# ---------------------------------------------------------------------------------------------
# install_check: what "xlwings addin install" should have written
# ---------------------------------------------------------------------------------------------


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "linealytics_xl.addin.install_check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_install_check_fails_when_the_copy_is_missing_or_stale(tmp_path):
    built = tmp_path / "build" / "linealytics_xl.xlam"
    built.parent.mkdir()
    built.write_bytes(b"PK new add-in")
    xlstart = tmp_path / "XLSTART"
    xlstart.mkdir()
    missing = check(str(built), "--addin-dir", str(xlstart))
    assert missing.returncode == 1 and missing.stdout == ""
    assert f"{xlstart / built.name} was not written" in missing.stderr
    (xlstart / built.name).write_bytes(b"PK old add-in")  # Excel had the old one open
    stale = check(str(built), "--addin-dir", str(xlstart))
    assert stale.returncode == 1 and "is not the add-in just built" in stale.stderr
    shutil.copyfile(built, xlstart / built.name)
    ok = check(str(built), "--addin-dir", str(xlstart))
    assert ok.returncode == 0 and ok.stdout.strip() == str(xlstart / built.name)
    still_there = check(built.name, "--addin-dir", str(xlstart), "--absent")
    assert still_there.returncode == 1 and "is still there" in still_there.stderr
    (xlstart / built.name).unlink()
    assert check(built.name, "--addin-dir", str(xlstart), "--absent").returncode == 0
    assert install_check.install_problem(built, xlstart) is not None


def test_install_check_without_excel_says_so_instead_of_guessing(tmp_path):
    built = tmp_path / "linealytics_xl.xlam"
    built.write_bytes(b"PK")
    done = check(str(built))  # no --addin-dir: asks Excel through xlwings, which Linux does not have
    assert done.returncode == 1
    assert "could not ask Excel for its add-in folder" in done.stderr


def test_install_ps1_checks_the_install_and_removes_only_its_line():
    """Read, not run (no PowerShell here): the two calls the fixes depend on are in place."""
    text = (REPO / "install" / "install.ps1").read_text(encoding="utf-8")
    after_install = text[text.index('@("addin", "install", "-f", $Addin)') :]
    assert after_install.index("Test-AddinInstalled $Addin") < after_install.index("Set-ConfigValue")
    assert "linealytics_xl.addin.install_check" in text
    uninstall = text[text.index("if ($Uninstall) {") :]
    uninstall = uninstall[: uninstall.index("exit 0")]
    assert 'Remove-ConfigValue $configFile "INTERPRETER_WIN" $VenvPython' in uninstall
    assert "Remove-Item -LiteralPath $configFile" not in uninstall
