"""LibreOffice (Calc, headless, through python3-uno) opens the built add-in and sees our VBA and
config sheet: an office suite other than the build's own readers. Excel itself cannot be run here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

import fake_udfs_module  # noqa: E402
from addin_helpers import BUILT_MODULES, WIN_INTERPRETER, expected_ribbon_module, macros  # noqa: E402

from linealytics_xl import addin_build as ab  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return ab.build_addin(
        tmp_path_factory.mktemp("addin") / "linealytics_xl.xlam",
        udf_module=fake_udfs_module,
        interpreter=WIN_INTERPRETER,
    )


UNO_SCRIPT = textwrap.dedent("""
    import json, subprocess, sys, time, uuid
    import uno
    from com.sun.star.beans import PropertyValue

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    path, profile = sys.argv[1], sys.argv[2]
    pipe = "lltest" + uuid.uuid4().hex[:8]
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                             "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
                             "--accept=pipe,name=%s;urp;" % pipe],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 120
        while True:
            try:
                ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except Exception:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (
            prop("FilterName", "Calc MS Excel 2007 VBA XML"), prop("Hidden", True), prop("ReadOnly", True)))
        out = {"libraries": {}, "sheets": list(doc.Sheets.ElementNames), "config": []}
        libs = doc.BasicLibraries
        for name in libs.ElementNames:
            libs.loadLibrary(name)
            lib = libs.getByName(name)
            out["libraries"][name] = {m: lib.getByName(m) for m in lib.ElementNames}
        for sheet_name in out["sheets"]:
            if sheet_name.endswith(".conf"):
                sheet = doc.Sheets.getByName(sheet_name)
                for row in range(1, 10):
                    key = sheet.getCellRangeByName("A%d" % row).String
                    if key:
                        out["config"].append([key, sheet.getCellRangeByName("B%d" % row).String])
        doc.close(True)
        print(json.dumps(out))
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:
                pass
        try:
            proc.wait(30)
        except Exception:
            proc.kill()
""")


def libreoffice_missing() -> str | None:
    if not shutil.which("soffice"):
        return "soffice (LibreOffice) is not installed"
    if not Path("/usr/bin/python3").exists():
        return "/usr/bin/python3 (for python3-uno) is not installed"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        return "python3-uno is not installed for /usr/bin/python3"
    return None


def as_libreoffice_shows(vba_source: str) -> str:
    """LibreOffice drops Attribute lines and uses LF."""
    lines = vba_source.replace("\r\n", "\n").split("\n")
    return "\n".join(line for line in lines if not line.startswith("Attribute ")).rstrip("\n")


def test_libreoffice_opens_the_add_in_and_sees_our_vba(built, tmp_path):
    reason = libreoffice_missing()
    if reason:
        pytest.skip(f"LibreOffice check skipped: {reason}")
    copy = tmp_path / "linealytics_xl.xlsm"  # LibreOffice does not take .xlam by its name
    shutil.copyfile(built, copy)
    script = tmp_path / "list_basic.py"
    script.write_text(UNO_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        ["/usr/bin/python3", str(script), str(copy), str(tmp_path / "profile")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["sheets"] == ["linealytics.conf"]
    assert seen["config"] == [
        ["Interpreter_Win", WIN_INTERPRETER],
        ["UDF Modules", "fake_udfs_module"],
        ["Use UDF Server", "1"],
    ]  # LibreOffice has no boolean cell type: TRUE reads as 1
    assert "Linealytics" in seen["libraries"]
    modules = seen["libraries"]["Linealytics"]
    assert set(modules) == BUILT_MODULES
    expected = macros(built)
    for name, source in modules.items():
        # LibreOffice puts 2 lines (3 for a class module) of its own in front of the VBA source.
        lines = source.split("\n")
        assert lines[0].startswith("Rem Attribute VBA_ModuleType=") and lines[1] == "Option VBASupport 1", (
            name
        )
        skip = 3 if lines[2] == "Option ClassModule" else 2
        body = "\n".join(lines[skip:]).rstrip("\n")
        assert body == as_libreoffice_shows(expected[name]), name
    assert as_libreoffice_shows(expected_ribbon_module(fake_udfs_module)) in modules["LinealyticsRibbon"]
    assert "Private Sub Workbook_Open()" in modules["ThisWorkbook"]
