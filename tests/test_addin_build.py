"""The add-in build (linealytics_xl/addin/, entry point addin_build.py), checked with independent
readers: oletools and olefile for the VBA project, the zip/XML parts directly (LibreOffice:
tests/test_addin_libreoffice.py). Excel itself cannot be run here."""

from __future__ import annotations

import importlib
import io
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:  # pytest puts it there unless tests/ becomes a package
    sys.path.insert(0, str(REPO / "tests"))

import fake_udfs_module  # noqa: E402
from addin_helpers import (  # noqa: E402
    BUILT_MODULES,
    SOURCES,
    WIN_INTERPRETER,
    expected_ribbon_module,
    macros,
    oletools_decompress,
)

from linealytics_xl import addin_build as ab  # noqa: E402
from linealytics_xl.addin import build as addin_build_module  # noqa: E402
from linealytics_xl.addin import vba_project, vba_source  # noqa: E402

CUI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RIBBON_FUNCTIONS = {"run_all", "validate", "forecast", "simulate", "optimize", "whatif", "send_alerts"}
BUTTONS = [
    "Run all",
    "Validate",
    "Forecast",
    "Simulate",
    "Optimize",
    "What-if",
    "Send alerts",
    "Restart Python",
]
RESTART = "LinealyticsRestartPython"  # the one callback that is not a RunPython: it stops the warm Python


def dir_records(vba_bin: bytes) -> list[tuple[int, bytes]]:
    """Records of the VBA/dir stream, decompressed by oletools and walked here."""
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    data = oletools_decompress(ole.openstream("VBA/dir").read())
    records, pos = [], 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        size = 6 if rid == 0x0009 else size
        records.append((rid, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def expected_xlwings_module() -> str:
    reference = Path(xlwings.__file__).parent / "xlwings_custom_addin.bas"
    text = reference.read_text(encoding="cp1252").replace("\r\n", "\n")
    old = 'Public Const PROJECT_NAME As String = "myaddin"'
    assert text.count(old) == 1
    return text.replace(old, 'Public Const PROJECT_NAME As String = "linealytics"')


def config_sheet(xlam: Path) -> dict[str, str | bool]:
    """The config sheet's rows: shared strings as str, boolean cells (t="b") as bool."""
    with zipfile.ZipFile(xlam) as z:
        strings = [si.findtext(f"{MAIN_NS}t") for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = {}
    for row in sheet.iter(f"{MAIN_NS}row"):
        cells = []
        for c in row.iter(f"{MAIN_NS}c"):
            value = c.findtext(f"{MAIN_NS}v")
            assert c.get("t") in ("s", "b"), c.get("t")
            cells.append(strings[int(value)] if c.get("t") == "s" else value == "1")
        rows[cells[0]] = cells[1]
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return ab.build_addin(
        tmp_path_factory.mktemp("addin") / "linealytics_xl.xlam",
        udf_module=fake_udfs_module,
        interpreter=WIN_INTERPRETER,
    )


@pytest.fixture(scope="module")
def template_streams() -> dict[str, bytes]:
    with zipfile.ZipFile(ab.template_path()) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
        return {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


# ---------------------------------------------------------------------------------------------
# MS-OVBA compression and MS-CFB, against oletools and olefile
# ---------------------------------------------------------------------------------------------


def test_compression_round_trips_through_oletools(template_streams):
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(13000))
    text = (REPO / "linealytics_xl" / "addin" / "cfb.py").read_bytes()
    real_dir = oletools_decompress(template_streams["VBA/dir"])  # the 2,121-byte stream of the notes' trap
    samples = [
        b"",
        b"a",
        b"abc" * 5000,
        b"a" * 4096,
        b"ab" * 2048 + b"c",
        noise[:4096],
        noise[:8192] + b"x" * 9,
        noise[:3000],
        noise[:3640],
        noise[:12288],
        text,
        real_dir,
    ]
    for data in samples:
        container = ab.ovba_compress(data)
        assert oletools_decompress(container) == data, len(data)
        assert ab.ovba_decompress(container) == data, len(data)
    assert len(ab.ovba_compress(text)) < len(text) // 2  # real LZ77, not only literal tokens
    with pytest.raises(ValueError):  # a short, incompressible last chunk has no valid encoding
        ab.ovba_compress(noise[:3900])


def test_our_decompressor_reads_the_template(template_streams):
    for name in ("VBA/dir", "VBA/xlwings"):  # the xlwings module's source starts at offset 0
        data = template_streams[name]
        assert ab.ovba_decompress(data) == oletools_decompress(data)


def test_compound_file_round_trips_through_olefile(template_streams):
    assert ab.read_cfb(ab.write_cfb(template_streams)) == template_streams
    rng = random.Random(3)
    streams = dict(template_streams)
    streams.update(
        {
            "Big": bytes(rng.randrange(256) for _ in range(70000)),  # more than one FAT sector
            "A/B/C/deep": b"deep",
            "A/empty": b"",
            "A/cutoff-1": b"x" * 4095,
            "A/cutoff": b"y" * 4096,
        }
    )
    streams.update({f"Many/s{i:02d}": bytes([i]) * (i * 37) for i in range(40)})  # several dir sectors
    data = ab.write_cfb(streams)
    ole = olefile.OleFileIO(io.BytesIO(data))
    assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams
    assert ab.read_cfb(data) == streams


# ---------------------------------------------------------------------------------------------
# The built add-in, read by oletools/olefile
# ---------------------------------------------------------------------------------------------


def test_built_vba_holds_exactly_our_sources(built, template_streams):
    code = macros(built)
    assert set(code) == BUILT_MODULES
    assert code["LinealyticsRibbon"] == expected_ribbon_module(fake_udfs_module)
    assert code["xlwings"].replace("\r\n", "\n") == expected_xlwings_module()
    template = macros(ab.template_path())
    for name in ("Dictionary", "Sheet2"):
        assert code[name] == template[name]
    # ThisWorkbook: the template's (Attribute lines only) + a Workbook_Open that registers the help.
    assert code["ThisWorkbook"].startswith(template["ThisWorkbook"].rstrip("\r\n") + "\r\n")
    added = code["ThisWorkbook"][len(template["ThisWorkbook"].rstrip("\r\n")) :].split("\r\n")
    assert [line.strip() for line in added if line.strip() and not line.strip().startswith("'")] == [
        "Private Sub Workbook_Open()",
        "On Error Resume Next  ' never let the help texts stop the add-in from loading",
        "LinealyticsRibbon.LinealyticsRegisterFunctions",
        "ThisWorkbook.Saved = True  ' registering help is not a change to the add-in",
        "End Sub",
    ]


def test_every_module_is_source_only_and_round_trips(built):
    with zipfile.ZipFile(built) as z:
        vba_bin = z.read("xl/vbaProject.bin")
    records = dir_records(vba_bin)
    offsets = [struct.unpack("<I", body)[0] for rid, body in records if rid == 0x0031]
    assert offsets == [0] * len(BUILT_MODULES)
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    code = macros(built)
    codepage = "cp1252"
    for rid, body in records:
        if rid == 0x001A:
            name = body.decode(codepage)
            stream = ole.openstream(f"VBA/{name}").read()
            assert oletools_decompress(stream).decode(codepage) == code[name]
            assert ab.ovba_decompress(stream) == oletools_decompress(stream)
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"  # no p-code cache


def test_project_is_renamed_and_tied_to_the_installed_xlwings(built):
    with zipfile.ZipFile(built) as z:
        vba_bin = z.read("xl/vbaProject.bin")
        workbook = z.read("xl/workbook.xml").decode()
    names = [body.decode("cp1252") for rid, body in dir_records(vba_bin) if rid == 0x0004]
    assert names == ["Linealytics"]
    project = olefile.OleFileIO(io.BytesIO(vba_bin)).openstream("PROJECT").read().decode("cp1252")
    assert 'Name="Linealytics"\r\n' in project and 'Name="MyAddin"' not in project
    xlwings_module = macros(built)["xlwings"]
    assert 'Public Const PROJECT_NAME As String = "linealytics"' in xlwings_module
    assert set(re.findall(r"xlwings(?:32|64)-([\d.]+)\.dll", xlwings_module)) == {xlwings.__version__}
    assert 'name="linealytics.conf"' in workbook and "myaddin" not in workbook


def test_a_template_for_another_xlwings_version_is_refused():
    with zipfile.ZipFile(ab.template_path()) as z:
        source = vba_project.read_project(z.read("xl/vbaProject.bin")).sources["xlwings"]
    vba_source.xlwings_module_source(source)  # the real one passes
    with pytest.raises(ab.AddinBuildError, match="DLL version"):
        vba_source.xlwings_module_source(source.replace(f"-{xlwings.__version__}.dll", "-0.0.1.dll"))


def test_a_module_rename_that_would_clash_or_is_invalid_is_refused():
    with zipfile.ZipFile(ab.template_path()) as z:
        project = vba_project.read_project(z.read("xl/vbaProject.bin"))
    sources = dict(project.sources)
    for new, message in (
        ("xlwings", "would clash"),
        ("Ribbon Module", "not a usable VBA module name"),
        ("R" * 32, "at most 31"),
    ):
        renamed = {k: v for k, v in sources.items() if k != "RibbonMyAddin"} | {new: ""}
        with pytest.raises(ab.AddinBuildError, match=message):
            vba_project.write_project(project, renamed, name="Linealytics", renames={"RibbonMyAddin": new})
    with pytest.raises(ab.AddinBuildError, match="no VBA module 'Nope'"):
        vba_project.write_project(project, sources, name="Linealytics", renames={"Nope": "Other"})
    with pytest.raises(ab.AddinBuildError, match="sources for"):
        vba_project.write_project(project, {"xlwings": ""}, name="Linealytics")


# ---------------------------------------------------------------------------------------------
# Ribbon
# ---------------------------------------------------------------------------------------------


def ribbon_callbacks(source: str) -> dict[str, list[str]]:
    """Sub name -> body lines of every ribbon callback in a VBA module."""
    subs = {}
    for match in re.finditer(
        r"^Sub (\w+)\(control As IRibbonControl\)\r?\n(.*?)^End Sub", source, re.M | re.S
    ):
        subs[match.group(1)] = [line.strip() for line in match.group(2).splitlines() if line.strip()]
    return subs


def test_custom_ui_is_ours_and_every_button_resolves(built):
    with zipfile.ZipFile(built) as z:
        custom_ui = z.read("customUI/customUI.xml")
        rels = z.read("_rels/.rels").decode()
    assert custom_ui == (SOURCES / "customUI.xml").read_bytes()
    assert 'Target="customUI/customUI.xml"' in rels
    root = ET.fromstring(custom_ui)
    tabs = list(root.iter(f"{CUI_NS}tab"))
    assert [t.get("label") for t in tabs] == ["Linealytics"]
    buttons = list(root.iter(f"{CUI_NS}button"))
    assert [b.get("label") for b in buttons] == BUTTONS
    assert len({b.get("id") for b in buttons}) == len(buttons)
    for b in buttons:
        assert b.get("imageMso") and b.get("screentip"), b.get("id")
    callbacks = ribbon_callbacks(macros(built)["LinealyticsRibbon"])
    actions = [b.get("onAction") for b in buttons]
    for action in actions:
        module, _, sub = action.partition(".")
        assert module == "LinealyticsRibbon" and sub in callbacks, action
    assert len(set(actions)) == len(actions) == len(callbacks)


def test_every_callback_is_one_runpython_naming_a_ribbon_function(built):
    callbacks = ribbon_callbacks(macros(built)["LinealyticsRibbon"])
    restart = callbacks.pop(RESTART)
    assert "KillPy" in restart and "#If Mac Then" in restart  # xlwings' KillPy exists on Windows only
    called = set()
    for sub, body in callbacks.items():
        assert len(body) == 1, sub
        match = re.fullmatch(
            r'RunPython "import linealytics_xl\.ribbon as r; r\.([a-z_][a-z0-9_]*)\(\)"', body[0]
        )
        assert match, body[0]
        called.add(match.group(1))
    assert called == RIBBON_FUNCTIONS


def test_linealytics_xl_ribbon_has_the_called_functions():
    try:
        ribbon = importlib.import_module("linealytics_xl.ribbon")
    except ImportError as exc:
        pytest.skip(
            f"linealytics_xl.ribbon is not importable yet ({exc}); the buttons call {sorted(RIBBON_FUNCTIONS)}"
        )
    missing = sorted(name for name in RIBBON_FUNCTIONS if not callable(getattr(ribbon, name, None)))
    assert not missing, f"linealytics_xl.ribbon lacks {missing}"


def test_a_button_without_callback_fails_the_build():
    source = ab.ribbon_module_source(fake_udfs_module)
    ui = (SOURCES / "customUI.xml").read_bytes()
    for bad in (b"LinealyticsRibbon.LinealyticsNothing", b"RibbonMyAddin.LinealyticsRunAll"):
        with pytest.raises(ab.AddinBuildError, match=bad.decode().replace(".", r"\.")):
            vba_source.check_ribbon(ui.replace(b"LinealyticsRibbon.LinealyticsRunAll", bad), source)
    vba_source.check_ribbon(ui, source)  # the real one passes


def test_a_button_without_onaction_or_sharing_one_fails_the_build():
    source = ab.ribbon_module_source(fake_udfs_module)
    ui = (SOURCES / "customUI.xml").read_bytes()
    silent = ui.replace(b'onAction="LinealyticsRibbon.LinealyticsWhatIf"', b"")
    with pytest.raises(ab.AddinBuildError, match="button 'llWhatIf' has no onAction"):
        vba_source.check_ribbon(silent, source)
    copied = ui.replace(b"LinealyticsRibbon.LinealyticsWhatIf", b"LinealyticsRibbon.LinealyticsRunAll")
    with pytest.raises(ab.AddinBuildError, match=r"LinealyticsRunAll' is used by more than one control"):
        vba_source.check_ribbon(copied, source)


# ---------------------------------------------------------------------------------------------
# UDF wrappers and the config sheet
# ---------------------------------------------------------------------------------------------


def test_udf_wrappers_follow_xlwings_and_the_signatures():
    vba = ab.generate_udf_wrappers(fake_udfs_module)
    functions = re.findall(r"^Function (\w+)\((.*)\)$", vba, re.M)
    assert functions == [
        ("LL_PLAN", "demand, capacity, Optional horizon_days, Optional start"),
        ("LL_SUM", "ParamArray values()"),
        ("LL_WHERE", "table, Optional end_, Optional Date_"),  # caller is not an Excel argument
        ("LL_NO_DOC", "x"),
    ]
    assert (
        'LL_PLAN = XLPy.CallUDF("fake_udfs_module", "LL_PLAN", Array(demand, capacity, horizon_days, start), '
        "ActiveWorkbook, Application.Caller)"
    ) in vba
    assert "Array(table, Nothing, end_, Date_), ActiveWorkbook, Application.Caller)" in vba
    assert (
        'LL_SUM = XLPy.CallUDF("fake_udfs_module", "LL_SUM", argsArray, ActiveWorkbook, Application.Caller)'
        in vba
    )
    assert 'Attribute LL_PLAN.VB_Description = "Plan wafer starts for the ""demand"" table."' in vba
    assert "LL_NO_DOC.VB_Description" not in vba
    assert vba.count("On Error GoTo failed") == 4 and vba.count("= Err.Description") == 4
    # On a Mac (no xlwings UDFs) the cell says so instead of a DLL-loading error, before any call.
    plan = vba[vba.index("Function LL_PLAN(") : vba.index("End Function")]
    assert plan.index("#If Mac Then") < plan.index("XLPy.CallUDF")
    assert 'LL_PLAN = "LL_PLAN: worksheet functions need Excel for Windows. On a Mac' in plan
    assert "LL_NOT_EXPORTED" not in vba and "helper" not in vba


def test_udf_module_errors_are_reported():
    no_all = types.ModuleType("no_all")
    with pytest.raises(ab.AddinBuildError, match="__all__"):
        ab.generate_udf_wrappers(no_all)
    kwonly = types.ModuleType("kwonly")
    exec("__all__ = ['LL_K']\ndef LL_K(a, *, b=1):\n    return a\n", kwonly.__dict__)
    with pytest.raises(ab.AddinBuildError, match="keyword-only"):
        ab.generate_udf_wrappers(kwonly)


def test_config_sheet_holds_the_udf_module_and_interpreter(built):
    assert config_sheet(built) == {
        "Interpreter_Win": WIN_INTERPRETER,
        "UDF Modules": "fake_udfs_module",
        "Use UDF Server": True,
    }


def test_config_sheet_without_interpreter_and_deterministic_output(tmp_path):
    out = ab.build_addin(tmp_path / "a.xlam", udf_module=fake_udfs_module)
    again = ab.build_addin(tmp_path / "b.xlam", udf_module="fake_udfs_module")
    assert out.read_bytes() == again.read_bytes()
    assert config_sheet(out) == {"UDF Modules": "fake_udfs_module", "Use UDF Server": True}
    assert addin_build_module.interpreter_key("/Users/me/.venv/bin/python") == "Interpreter_Mac"
    assert addin_build_module.interpreter_key(r"%USERPROFILE%\ll\python.exe") == "Interpreter_Win"


def test_default_udf_module_is_linealytics_xl_udfs(tmp_path):
    try:
        importlib.import_module("linealytics_xl.udfs")
    except ImportError as exc:
        pytest.skip(f"linealytics_xl.udfs is not importable yet ({exc})")
    out = ab.build_addin(tmp_path / "a.xlam")
    assert config_sheet(out) == {"UDF Modules": "linealytics_xl.udfs", "Use UDF Server": True}
    assert macros(out)["LinealyticsRibbon"] == expected_ribbon_module("linealytics_xl.udfs")


def test_command_line_entry_point(tmp_path):
    out = tmp_path / "cli.xlam"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO)]))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "linealytics_xl.addin_build",
            "--output",
            str(out),
            "--udf-module",
            "fake_udfs_module",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert macros(out)["LinealyticsRibbon"] == expected_ribbon_module(fake_udfs_module)


# ---------------------------------------------------------------------------------------------
# Packaging: the sources ship with the package and the build works from an installed copy
# ---------------------------------------------------------------------------------------------


def test_pyproject_lists_every_package():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "linealytics_xl").rglob("__init__.py")
    }
    missing = sorted(on_disk - listed)
    assert not missing, (
        f"add {missing} to [tool.setuptools] packages in pyproject.toml, or they are not installed"
    )
    assert config["package-dir"]["linealytics_xl.addin_sources"] == "install/addin"
    patterns = config["package-data"]["linealytics_xl.addin_sources"]
    for f in SOURCES.iterdir():
        assert any(Path(f.name).match(p) for p in patterns), f"{f.name} would not be installed"


NETWORK_TROUBLE = (
    "Could not find a version that satisfies",
    "No matching distribution",
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeout",
)


def test_build_from_an_installed_copy(tmp_path):
    src = tmp_path / "src"  # a copy, so that the build leaves no build/ folder in the work tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "linealytics_xl", src / "linealytics_xl", ignore=ignore)
    shutil.copytree(SOURCES, src / "install" / "addin", ignore=ignore)
    target = tmp_path / "site"
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if pip.returncode != 0 and any(s in pip.stderr for s in NETWORK_TROUBLE):
        pytest.skip(f"pip could not fetch the build backend (no package index?): {pip.stderr[-500:]}")
    assert pip.returncode == 0, pip.stderr[-3000:]
    assert sorted(p.name for p in (target / "linealytics_xl" / "addin_sources").iterdir()) == sorted(
        p.name for p in SOURCES.iterdir()
    )
    out = tmp_path / "installed.xlam"
    code = (
        "import sys, linealytics_xl.addin_build as ab, fake_udfs_module as m;"
        "print(ab.__file__); print(ab.sources_dir()); ab.build_addin(sys.argv[1], m)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(REPO / "tests")]))
    run = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    module_file, sources = run.stdout.split("\n")[:2]
    assert (
        Path(module_file).is_relative_to(target)
        and Path(sources) == target / "linealytics_xl" / "addin_sources"
    )
    assert macros(out)["LinealyticsRibbon"] == expected_ribbon_module(fake_udfs_module)
