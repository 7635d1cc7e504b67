"""The VBA text of the add-in: generated from `udf_meta` (one source of truth) and install/addin.

* `generate_udf_wrappers`: one VBA ``Function`` per ``LL_*`` function, as xlwings'
  ``udfs.generate_vba_wrapper`` writes them for an add-in;
* `generate_function_registration`: ``LinealyticsRegisterFunctions``, which tells Excel's Insert
  Function wizard each function's description, category and per-argument help
  (``Application.MacroOptions``, as xlwings' ``import_udfs`` does from Python);
* `this_workbook_source`: the ``ThisWorkbook`` document module with a ``Workbook_Open`` that calls it;
* `ribbon_module_source`: ``LinealyticsRibbon.bas`` + the wrappers + the registration.

Why ``Workbook_Open`` and not the file: Excel keeps the function category and argument help in
memory only (``MacroOptions`` persists nothing in a VBA project written without Excel), so the
add-in registers them each time it loads. ``On Error Resume Next`` there: a locked-down Excel
that refuses the call still loads the add-in, it only loses the help texts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from . import CONFIG_NAME, RIBBON_MODULE, VBA_PREFIX, AddinBuildError
from .sources import TEMPLATE_CONFIG_NAME, sources_dir
from .udf_meta import UdfSpec, resolve_module, udf_functions

__all__ = [
    "MAC_MESSAGE",
    "REGISTER_SUB",
    "check_names",
    "check_ribbon",
    "generate_function_registration",
    "generate_udf_wrappers",
    "procedures",
    "ribbon_actions",
    "ribbon_module_source",
    "this_workbook_source",
    "xlwings_module_source",
]

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"  # the template's ribbon schema
REGISTER_SUB = f"{VBA_PREFIX}RegisterFunctions"
_DESCRIBE_SUB = f"{VBA_PREFIX}DescribeFunction"
_UDF_HEADER = (
    "' ---- Worksheet functions: generated from {module} by linealytics_xl.addin_build, do not edit ----"
)
_REGISTER_HEADER = "' ---- Insert Function wizard help: generated from {module} by linealytics_xl.addin_build, do not edit ----"
_MAX_CONTINUATIONS = 24  # VBA's limit of " _" line continuations in one statement
#: What an ``=LL_*`` cell says on a Mac, where xlwings has no worksheet functions (instead of the
#: DLL-loading error text xlwings' wrapper would show there).
MAC_MESSAGE = (
    "{name}: worksheet functions need Excel for Windows. On a Mac, the Linealytics ribbon's "
    "Run all writes the same results as values (tables LL_Plan, LL_Forecast, LL_Risk)."
)


def vba_string(text: str, codepage: str) -> str:
    """A VBA string literal; refuses text the project's code page cannot hold (never a silent ``?``)."""
    text = " ".join(text.split())
    try:
        text.encode(codepage)
    except UnicodeEncodeError as exc:
        raise AddinBuildError(f"text not in the VBA project's code page {codepage}: {text!r}") from exc
    return '"' + text.replace('"', '""') + '"'


def _check_lines(text: str) -> str:
    for line in text.split("\n"):
        if len(line) > 1023:
            raise AddinBuildError(f"VBA line longer than 1023 characters: {line[:60]}...")
    return text


def generate_udf_wrappers(udf_module=None, *, codepage: str = "cp1252") -> str:
    """VBA ``Function`` wrappers (LF line ends) for the worksheet functions of ``udf_module``.

    The text follows what xlwings' ``udfs.generate_vba_wrapper`` writes for an add-in (its
    ``import_udfs`` run by ``ImportPythonUDFsToAddin``): ``XLPy.CallUDF(module, name, Array(args),
    ActiveWorkbook, Application.Caller)``, the error text as the cell's value, ``ParamArray`` for
    ``*args`` and ``Nothing`` for a ``caller`` parameter. The docstring's first line becomes the
    function's ``VB_Description``. One addition: on a Mac (no xlwings worksheet functions there)
    the cell says so, and where the same results come from, in `MAC_MESSAGE`. Conversions (``ndim=2``, DataFrames, dynamic-array results)
    happen in Python, from the ``@xw.func``/``@xw.arg`` decorators: ``xlwings.udfs.call_udf`` needs
    them on every wrapped function.
    """
    module = resolve_module(udf_module)
    lines = [_UDF_HEADER.format(module=module.__name__), ""]
    for spec in udf_functions(module):
        lines += _wrapper(module.__name__, spec, codepage)
    return _check_lines("\n".join(lines) + "\n")


def _wrapper(module_name: str, spec: UdfSpec, codepage: str) -> list[str]:
    sig = []
    for p in spec.params:
        if p.kind == "optional":
            sig.append(f"Optional {p.vba}")
        elif p.kind == "vararg":
            sig.append(f"ParamArray {p.vba}()")
        elif p.kind == "required":
            sig.append(p.vba)
    fname = spec.name
    lines = [f"Function {fname}({', '.join(sig)})"]
    if spec.description:
        lines.append(f"Attribute {fname}.VB_Description = {vba_string(spec.description, codepage)}")
    body: list[str] = [
        "#If Mac Then",
        f"    {fname} = {vba_string(MAC_MESSAGE.format(name=fname), codepage)}",
        "    Exit Function",
        "#End If",
    ]
    if not spec.call_in_wizard:
        body.append('If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function')
    if spec.volatile:
        body.append("Application.Volatile")
    vararg = next((p.vba for p in spec.params if p.kind == "vararg"), None)
    if vararg:
        fixed = [p.vba for p in spec.params if p.kind != "vararg"]
        n = len(fixed)
        body += [
            "Dim argsArray() As Variant",
            f"argsArray = Array({', '.join(fixed)})",
            f"ReDim Preserve argsArray(0 to UBound({vararg}) - LBound({vararg}) + {n})",
            f"For k = LBound({vararg}) To UBound({vararg})",
            f"argsArray({n} + k - LBound({vararg})) = {vararg}(k)",
            "Next k",
        ]
        args = "argsArray"
    else:
        args = f"Array({', '.join(p.vba for p in spec.params)})"
    call = f'XLPy.CallUDF("{module_name}", "{fname}", {args}'
    body += [
        '#If App = "Microsoft Excel" Then',
        "    If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f"    {fname} = {call}, ActiveWorkbook, Application.Caller)",
        "    Exit Function",
        "#Else",
        f"    {fname} = {call})",
        "    Exit Function",
        "#End If",
    ]
    return (
        lines
        + ["    " + line for line in body]
        + ["failed:", f"    {fname} = Err.Description", "End Function", ""]
    )


def generate_function_registration(udf_module=None, *, codepage: str = "cp1252") -> str:
    """``Sub LinealyticsRegisterFunctions``: description, category and argument help of every function.

    ``Macro:`` is qualified with the add-in's own name (``'linealytics_xl.xlam'!LL_PLAN``), as
    xlwings' ``import_udfs`` does, so it cannot describe another open workbook's function of the
    same name. ``ArgumentDescriptions`` needs Excel 2010 (version 14) or later; older versions get
    the description and category only. Skipped on macOS, where xlwings has no worksheet functions.
    """
    module = resolve_module(udf_module)
    lines = [
        _REGISTER_HEADER.format(module=module.__name__),
        "",
        f"Public Sub {REGISTER_SUB}()",
        "    ' Called by ThisWorkbook's Workbook_Open: Excel keeps this help in memory only.",
        "    #If Mac Then",
        "        Exit Sub  ' xlwings' worksheet functions need Windows (its COM server)",
        "    #End If",
    ]
    for spec in udf_functions(module):
        head = (
            f'    {_DESCRIBE_SUB} "{spec.name}", {vba_string(spec.description, codepage)}, '
            f"{vba_string(spec.category, codepage)}, Array("
        )
        docs = [vba_string(p.doc, codepage) for p in spec.arguments]
        if len(docs) + 1 > _MAX_CONTINUATIONS:
            raise AddinBuildError(f"{spec.name}: more arguments than one VBA statement can describe")
        if not docs:
            lines.append(head + ")")
        else:
            lines.append(head + " _")
            lines += [f"        {d}, _" for d in docs[:-1]] + [f"        {docs[-1]})"]
    lines += [
        "End Sub",
        "",
        f"Private Sub {_DESCRIBE_SUB}(ByVal functionName As String, ByVal functionHelp As String, _",
        "        ByVal categoryName As String, ByVal argumentHelp As Variant)",
        "    On Error Resume Next  ' a locked-down or older Excel loses the help, never the add-in",
        "    Dim target As String",
        '    target = "\'" & ThisWorkbook.Name & "\'!" & functionName',
        "    If Val(Application.Version) >= 14 And UBound(argumentHelp) >= LBound(argumentHelp) Then",
        "        Application.MacroOptions Macro:=target, Description:=functionHelp, Category:=categoryName, _",
        "            ArgumentDescriptions:=argumentHelp",
        "    Else",
        "        Application.MacroOptions Macro:=target, Description:=functionHelp, Category:=categoryName",
        "    End If",
        "End Sub",
        "",
    ]
    return _check_lines("\n".join(lines) + "\n")


def this_workbook_source(template_source: str) -> str:
    """The template's ``ThisWorkbook`` (a document module: only its Attribute lines) + ``Workbook_Open``."""
    text = template_source.replace("\r\n", "\n").rstrip("\n")
    if not text.startswith('Attribute VB_Name = "ThisWorkbook"') or any(
        line and not line.startswith("Attribute ") for line in text.split("\n")
    ):
        raise AddinBuildError("the template's ThisWorkbook module is not the empty document module expected")
    event = [
        "",
        "Private Sub Workbook_Open()",
        "    ' Linealytics: describe the LL_* worksheet functions in Excel's Insert Function wizard.",
        "    On Error Resume Next  ' never let the help texts stop the add-in from loading",
        f"    {RIBBON_MODULE}.{REGISTER_SUB}",
        "    ThisWorkbook.Saved = True  ' registering help is not a change to the add-in",
        "End Sub",
    ]
    return _crlf(text + "\n" + "\n".join(event) + "\n")


def _crlf(text: str) -> str:
    return "\r\n".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def ribbon_module_source(udf_module=None, *, source_dir: Path | None = None, codepage: str = "cp1252") -> str:
    """The ribbon module as built: ``<RIBBON_MODULE>.bas`` + the wrappers + the registration, CRLF."""
    bas = (source_dir or sources_dir()) / f"{RIBBON_MODULE}.bas"
    text = bas.read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n")
    first = text.split("\n", 1)[0]
    if first != f'Attribute VB_Name = "{RIBBON_MODULE}"':
        raise AddinBuildError(f'{bas} must start with: Attribute VB_Name = "{RIBBON_MODULE}"')
    return _crlf(
        text
        + "\n\n"
        + generate_udf_wrappers(udf_module, codepage=codepage)
        + "\n"
        + generate_function_registration(udf_module, codepage=codepage)
    )


def procedures(source: str) -> list[str]:
    """Names of the Sub/Function/Property procedures a VBA module declares (Declare lines included)."""
    pattern = (
        r"^[ \t]*(?:(?:Public|Private|Friend|Static)[ \t]+)*(?:Sub|Function|Property[ \t]+(?:Get|Let|Set)|"
        r"Declare[ \t]+(?:PtrSafe[ \t]+)?(?:Sub|Function))[ \t]+(\w+)"
    )
    return re.findall(pattern, source, re.M | re.I)


def check_names(sources: dict[str, str], udf_names: list[str]) -> None:
    """No ``LL_*`` function may share a name (VBA ignores case) with a module or another procedure."""
    for fname in udf_names:
        for module, source in sources.items():
            if module.lower() == fname.lower():
                raise AddinBuildError(f"worksheet function {fname} has the name of the VBA module {module}")
            found = [p for p in procedures(source) if p.lower() == fname.lower()]
            if module == RIBBON_MODULE and len(found) == 1:
                continue  # its own wrapper
            if found:
                raise AddinBuildError(
                    f"worksheet function {fname} clashes with procedure {found[0]} in {module}"
                )


def ribbon_actions(custom_ui: bytes) -> list[str]:
    root = ET.fromstring(custom_ui)
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise AddinBuildError("customUI.xml must use the 2006/01 customui namespace (the template's part)")
    return [action for el in root.iter() if (action := el.get("onAction"))]


def check_ribbon(custom_ui: bytes, ribbon_source: str) -> None:
    """Every button has an ``onAction``, each ``onAction`` is ``<RIBBON_MODULE>.<prefix>X`` with a
    ``Sub X(control As IRibbonControl)``, and no two controls share one (a copied button would
    silently run the other button's action)."""
    root = ET.fromstring(custom_ui)
    for el in root.iter(f"{{{CUSTOMUI_NS}}}button"):
        if not el.get("onAction"):
            raise AddinBuildError(f"customUI.xml: button {el.get('id')!r} has no onAction callback")
    subs = set(re.findall(r"^Sub (\w+)\(control As IRibbonControl\)", ribbon_source, re.M))
    seen: set[str] = set()
    for action in ribbon_actions(custom_ui):
        module, _, sub = action.rpartition(".")
        if module != RIBBON_MODULE or sub not in subs or not sub.startswith(VBA_PREFIX):
            raise AddinBuildError(
                f"customUI.xml: onAction {action!r} is not a ribbon callback "
                f"{RIBBON_MODULE}.{VBA_PREFIX}... in {RIBBON_MODULE}.bas"
            )
        if action in seen:
            raise AddinBuildError(f"customUI.xml: onAction {action!r} is used by more than one control")
        seen.add(action)


def xlwings_module_source(template_source: str) -> str:
    """xlwings' VBA with our ``PROJECT_NAME``; refuses a template for another xlwings than the installed one."""
    import xlwings

    declared = set(re.findall(r"xlwings(?:32|64)-(\d+\.\d+\.\d+)\.dll", template_source))
    if declared != {xlwings.__version__}:
        raise AddinBuildError(
            f"the template's xlwings module declares DLL version(s) {sorted(declared)}, "
            f"not the installed xlwings {xlwings.__version__}"
        )
    old = f'Public Const PROJECT_NAME As String = "{TEMPLATE_CONFIG_NAME}"'
    if template_source.count(old) != 1:
        raise AddinBuildError("the template's xlwings module has no single PROJECT_NAME line")
    return template_source.replace(old, f'Public Const PROJECT_NAME As String = "{CONFIG_NAME}"')
