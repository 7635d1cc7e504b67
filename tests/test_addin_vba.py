"""The add-in as a planner meets it (issue 11), read from the built .xlam with oletools/olefile:

* every ``LL_*`` function has Insert Function wizard help (description, category, one line per
  argument) registered by ``Workbook_Open``, from the same metadata xlwings' decorators record;
* the config sheet switches on xlwings' UDF server, and the xlwings VBA really reads that key;
* no name clash: the ribbon module and callbacks are this project's own, and no worksheet function
  shares a name with a VBA module or another procedure;
* the ribbon's Python entry point stays light, so a warm server's first click is fast.

What Excel itself does with MacroOptions cannot be run here (no Excel): see install/addin/README.md.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

from addin_helpers import macros, oletools_decompress  # noqa: E402

from linealytics_xl import addin_build as ab  # noqa: E402
from linealytics_xl import udfs  # noqa: E402
from linealytics_xl.addin import udf_meta, vba_source  # noqa: E402

CUI_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
VBA_STRING = r'"(?:[^"]|"")*"'


def unquote(literal: str) -> str:
    assert literal[0] == literal[-1] == '"', literal
    return literal[1:-1].replace('""', '"')


def procedures(source: str) -> list[str]:
    """Procedure names, found independently of the build's own parser."""
    names = []
    for line in source.splitlines():
        words = line.split("(")[0].split()
        while words and words[0].lower() in ("public", "private", "friend", "static", "declare", "ptrsafe"):
            words = words[1:]
        if len(words) >= 2 and words[0].lower() in ("sub", "function"):
            names.append(words[1])
        elif len(words) >= 3 and words[0].lower() == "property" and words[1].lower() in ("get", "let", "set"):
            names.append(words[2])
    return names


def registrations(ribbon_source: str) -> dict[str, tuple[str, str, list[str]]]:
    """function -> (description, category, argument help) from the built registration Sub."""
    joined = re.sub(r" _\r?\n\s*", " ", ribbon_source)  # VBA line continuations
    body = joined[joined.index("Public Sub LinealyticsRegisterFunctions()") :]
    body = body[: body.index("End Sub")]
    found = {}
    call = rf'^\s*LinealyticsDescribeFunction "(\w+)", ({VBA_STRING}), ({VBA_STRING}), Array\((.*)\)\s*$'
    for match in re.finditer(call, body, re.M):
        name, description, category, args = match.groups()
        found[name] = (
            unquote(description),
            unquote(category),
            [unquote(a) for a in re.findall(VBA_STRING, args)],
        )
    return found


@pytest.fixture(scope="module")
def real_addin(tmp_path_factory) -> Path:
    return ab.build_addin(tmp_path_factory.mktemp("real") / "linealytics_xl.xlam")


# ---------------------------------------------------------------------------------------------
# Function wizard help
# ---------------------------------------------------------------------------------------------


def test_every_function_has_wizard_help_from_its_signature_and_docs(real_addin):
    registered = registrations(macros(real_addin)["LinealyticsRibbon"])
    functions = [n for n in udfs.__all__ if n.startswith("LL_")]
    assert sorted(registered) == sorted(functions)
    for name in functions:
        func = getattr(udfs, name)
        description, category, args = registered[name]
        assert description == inspect.getdoc(func).splitlines()[0].strip()
        assert category == udfs.CATEGORY == "Linealytics"
        params = [p for p in inspect.signature(func).parameters if p != "caller"]
        assert len(args) == len(params), name
        for param, text in zip(params, args):
            assert text.strip() and len(text) <= 255, (name, param)
            if inspect.signature(func).parameters[param].default is not inspect.Parameter.empty:
                assert text.startswith("Optional"), (name, param, text)  # the wizard shows no [brackets]


def test_workbook_open_runs_the_registration_guarded(real_addin):
    code = macros(real_addin)
    workbook_open = re.search(
        r"Private Sub Workbook_Open\(\)\r\n(.*?)End Sub", code["ThisWorkbook"], re.S
    ).group(1)
    lines = [ln.split("'")[0].strip() for ln in workbook_open.splitlines() if ln.split("'")[0].strip()]
    assert lines == [
        "On Error Resume Next",
        "LinealyticsRibbon.LinealyticsRegisterFunctions",
        "ThisWorkbook.Saved = True",
    ]
    describe = re.search(
        r"Private Sub LinealyticsDescribeFunction\((.*?)End Sub", code["LinealyticsRibbon"], re.S
    ).group(1)
    assert describe.lstrip().split("\r\n")[2].strip().startswith("On Error Resume Next")
    assert '"\'" & ThisWorkbook.Name & "\'!" & functionName' in describe  # the add-in's own function
    assert "Val(Application.Version) >= 14" in describe  # ArgumentDescriptions needs Excel 2010+
    with zipfile.ZipFile(real_addin) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
        project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000\r\n" in project  # still the workbook's document module


def test_wizard_help_is_what_xlwings_decorators_record(monkeypatch):
    """The build reads @xw.func/@xw.arg from the source; xlwings' own decorators must agree."""
    specs = {s.name: s for s in udf_meta.udf_functions(udfs)}
    recorded: dict[str, dict] = {}

    def func(f=None, **kwargs):
        def inner(f):
            recorded.setdefault(f.__name__, {"args": {}})["category"] = kwargs.get("category")
            return f

        return inner(f) if f is not None else inner

    def arg(name, convert=None, **kwargs):
        def inner(f):
            recorded.setdefault(f.__name__, {"args": {}})["args"][name] = kwargs.get("doc")
            return f

        return inner

    monkeypatch.setattr(xlwings, "func", func)
    monkeypatch.setattr(xlwings, "arg", arg)
    spec = importlib.util.spec_from_file_location("linealytics_xl._udfs_recorded", udfs.__file__)
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert sorted(recorded) == sorted(specs)
    for name, meta in recorded.items():
        assert meta["category"] == specs[name].category
        assert meta["args"] == {p.python: p.doc for p in specs[name].arguments}


def _module_from(tmp_path: Path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "decorators, message",
    [
        (f'@xw.arg("x", doc="{"y" * 256}")', "256 characters"),
        ('@xw.arg("x", doc=f"{HELP}")', "not a literal"),
        ('@xw.arg("z", doc="no such parameter")', r"documents \['z'\]"),
        ("@xw.func(category=3)", "category must be a name"),
        ('@xw.arg("x", doc="\u2265 0")', "code page"),
    ],
)
def test_help_the_wizard_cannot_show_fails_the_build(tmp_path, decorators, message):
    module = _module_from(
        tmp_path,
        f"bad_help_{abs(hash(decorators))}",
        f'''
        import xlwings as xw
        __all__ = ["LL_X"]
        HELP = "help"
        {decorators}
        def LL_X(x):
            """Does x."""
            return x
    ''',
    )
    with pytest.raises(ab.AddinBuildError, match=message):
        vba_source.generate_function_registration(module)


def test_a_function_without_decorators_gets_the_default_category_and_empty_help(tmp_path):
    module = _module_from(
        tmp_path,
        "plain_udfs",
        '''
        __all__ = ["LL_ECHO", "LL_NONE"]
        def LL_ECHO(value, caller, times=1):
            """Echo a value."""
            return value
        def LL_NONE():
            """No arguments."""
            return 0
    ''',
    )
    found = registrations(vba_source.generate_function_registration(module))
    assert found == {
        "LL_ECHO": ("Echo a value.", "Linealytics", ["", ""]),  # caller is not an argument
        "LL_NONE": ("No arguments.", "Linealytics", []),
    }


def test_decorators_are_found_however_xlwings_is_imported(tmp_path):
    module = _module_from(
        tmp_path,
        "import_styles",
        '''
        import xlwings
        from xlwings import arg, func
        __all__ = ["LL_A", "LL_B"]
        @xlwings.func(category="Fab")
        @xlwings.arg("x", doc="An x.")
        def LL_A(x):
            """A."""
            return x
        @func(category="Fab")
        @arg("y", doc="A y.")
        def LL_B(y):
            """B."""
            return y
    ''',
    )
    found = registrations(vba_source.generate_function_registration(module))
    assert found == {"LL_A": ("A.", "Fab", ["An x."]), "LL_B": ("B.", "Fab", ["A y."])}


# ---------------------------------------------------------------------------------------------
# Warm Python: the UDF server
# ---------------------------------------------------------------------------------------------


def test_config_sheet_switches_on_the_udf_server_that_runpython_uses(real_addin):
    with zipfile.ZipFile(real_addin) as z:
        strings = [si.findtext(f"{CUI_NS}t") for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = {}
    for row in sheet.iter(f"{CUI_NS}row"):
        key, value = list(row.iter(f"{CUI_NS}c"))
        rows[strings[int(key.findtext(f"{CUI_NS}v"))].upper()] = (
            value.get("t"),
            value.findtext(f"{CUI_NS}v"),
        )
    assert rows["USE UDF SERVER"] == ("b", "1")  # a TRUE cell, as xlwings' template writes its booleans
    # ...and the xlwings VBA in this add-in reads that key (upper-cased) to run RunPython in the server.
    xlwings_vba = macros(real_addin)["xlwings"]
    assert 'OPTIMIZED_CONNECTION = GetConfig("USE UDF SERVER", False)' in xlwings_vba
    branch = xlwings_vba[xlwings_vba.index("If OPTIMIZED_CONNECTION = True Then") :]
    assert branch.index("XLPy.Exec") < branch.index("ExecuteWindows(")
    assert "d.Add UCase(cell.Value)" in xlwings_vba  # sheet keys are compared upper-cased


def test_the_ribbon_entry_point_imports_nothing_heavy(tmp_path):
    """A click imports linealytics_xl.ribbon first; the heavy stacks wait for the step that needs them."""
    heavy = ("xlwings", "numpy", "pandas", "openpyxl", "pulp", "xgboost", "sklearn", "matplotlib")
    code = f"import json, sys; import linealytics_xl.ribbon; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert json.loads(done.stdout) == []


# ---------------------------------------------------------------------------------------------
# Names: own module and callbacks, no clash with the worksheet functions
# ---------------------------------------------------------------------------------------------


def xlwings_shipped_procedures() -> set[str]:
    """Every procedure name in the VBA xlwings ships: its templates, its add-in and its .bas/.cls files."""
    root = Path(xlwings.__file__).parent
    names: set[str] = set()
    for path in [*root.glob("*.xlam"), *root.glob("addin/*.xlam")]:
        for source in macros(path).values():
            names |= {n.lower() for n in procedures(source)}
    for path in [*root.glob("*.bas"), *root.glob("addin/*.bas"), *root.glob("addin/*.cls")]:
        names |= {n.lower() for n in procedures(path.read_text(encoding="cp1252", errors="replace"))}
    return names


def test_ribbon_module_and_callbacks_are_owned_by_this_project(real_addin):
    with zipfile.ZipFile(real_addin) as z:
        ui = ET.fromstring(z.read("customUI/customUI.xml"))
        vba_bin = z.read("xl/vbaProject.bin")
    code = macros(real_addin)
    everywhere = [n.lower() for source in code.values() for n in procedures(source)]
    shipped = xlwings_shipped_procedures()
    assert "runpython" in shipped and "runmain" in shipped  # the scan does find xlwings' own names
    actions = [el.get("onAction") for el in ui.iter() if el.get("onAction")]
    assert len(actions) == 8 and "LinealyticsRibbon.LinealyticsWhatIf" in actions
    for action in actions:
        module, sub = action.split(".")
        assert module == "LinealyticsRibbon" and sub.startswith("Linealytics"), action
        assert everywhere.count(sub.lower()) == 1, f"{sub} is declared {everywhere.count(sub.lower())} times"
        assert sub.lower() not in shipped, f"{sub} is also a procedure in xlwings' VBA"
    # The quickstart's module name is gone from every place the VBA project names its modules.
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    streams = {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}
    assert "VBA/LinealyticsRibbon" in streams and "VBA/RibbonMyAddin" not in streams
    texts = [oletools_decompress(streams["VBA/dir"]), streams["PROJECT"], streams["PROJECTwm"]]
    texts += [
        oletools_decompress(data)
        for name, data in streams.items()
        if name.startswith("VBA/") and name not in ("VBA/dir", "VBA/_VBA_PROJECT")
    ]
    for data in texts:
        assert b"RibbonMyAddin" not in data and "RibbonMyAddin".encode("utf-16-le") not in data
    assert b"LinealyticsRibbon\0" + "LinealyticsRibbon".encode("utf-16-le") + b"\0\0" in streams["PROJECTwm"]
    assert "Module=LinealyticsRibbon\r\n" in streams["PROJECT"].decode("cp1252")


def test_no_worksheet_function_shares_a_name_with_another_vba_name(real_addin):
    code = macros(real_addin)
    modules = {name.lower() for name in code}
    for fname in (n for n in udfs.__all__ if n.startswith("LL_")):
        assert fname.lower() not in modules
        declared = [
            (module, p)
            for module, source in code.items()
            for p in procedures(source)
            if p.lower() == fname.lower()
        ]
        assert declared == [("LinealyticsRibbon", fname)], declared  # its own wrapper, nothing else


def test_the_build_refuses_a_clashing_name():
    sources = {
        "LinealyticsRibbon": "Function LL_PLAN()\r\nEnd Function\r\n",
        "xlwings": "Public Function ll_plan(x)\r\nEnd Function\r\n",
    }
    with pytest.raises(ab.AddinBuildError, match="clashes with procedure ll_plan in xlwings"):
        vba_source.check_names(sources, ["LL_PLAN"])
    with pytest.raises(ab.AddinBuildError, match="name of the VBA module"):
        vba_source.check_names({"LL_Plan": ""}, ["LL_PLAN"])
    twice = {"LinealyticsRibbon": "Function LL_PLAN()\r\nEnd Function\r\nSub LL_Plan()\r\nEnd Sub\r\n"}
    with pytest.raises(ab.AddinBuildError, match="clashes"):
        vba_source.check_names(twice, ["LL_PLAN"])
    vba_source.check_names({"LinealyticsRibbon": sources["LinealyticsRibbon"]}, ["LL_PLAN"])
