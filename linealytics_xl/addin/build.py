"""Build ``linealytics_xl.xlam`` from xlwings' ``quickstart_addin_ribbon.xlam`` and install/addin.

What changes against the template (read from the installed xlwings, so its VBA always matches the
installed xlwings and its DLL):

* ``customUI/customUI.xml``: replaced by ``install/addin/customUI.xml`` (the Linealytics tab);
* the ribbon module ``RibbonMyAddin`` becomes ``LinealyticsRibbon`` (renamed: every quickstart
  add-in has a ``RibbonMyAddin``), with ``LinealyticsRibbon.bas`` + generated UDF wrappers + the
  function-wizard registration;
* ``ThisWorkbook`` gets a ``Workbook_Open`` that runs that registration;
* the VBA project ``MyAddin`` -> ``Linealytics`` and ``PROJECT_NAME`` ``"myaddin"`` ->
  ``"linealytics"``: the add-in reads the sheet/file ``linealytics.conf``, not the ``myaddin``
  ones every quickstart add-in shares;
* the config sheet ``_myaddin.conf`` -> ``linealytics.conf`` (active, see `config_rows`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from . import (
    ADDIN_FILE_NAME,
    CONFIG_NAME,
    DEFAULT_UDF_MODULE,
    RIBBON_MODULE,
    VBA_PROJECT_NAME,
    AddinBuildError,
)
from .sources import (
    TEMPLATE_CONFIG_NAME,
    TEMPLATE_PROJECT_NAME,
    TEMPLATE_RIBBON_MODULE,
    sources_dir,
    template_path,
)
from .udf_meta import resolve_module, udf_functions
from .vba_project import read_project, write_project
from .vba_source import (
    check_names,
    check_ribbon,
    ribbon_module_source,
    this_workbook_source,
    xlwings_module_source,
)

__all__ = ["build_addin", "config_rows", "interpreter_key", "main"]

_CUSTOM_UI_PART = "customUI/customUI.xml"
_VBA_PART = "xl/vbaProject.bin"


def interpreter_key(interpreter: str) -> str:
    """``Interpreter_Win`` or ``Interpreter_Mac``: by the path's style, else by this OS."""
    if (
        re.match(r"^[A-Za-z]:[\\/]", interpreter)
        or "\\" in interpreter
        or interpreter.lower().endswith(".exe")
    ):
        return "Interpreter_Win"
    if interpreter.startswith("/") or sys.platform == "darwin":
        return "Interpreter_Mac"
    return "Interpreter_Win"


def config_rows(udf_module_name: str, interpreter: str | None) -> list[tuple[str, str | bool]]:
    """The add-in's ``linealytics.conf`` sheet.

    The sheet is active (no leading underscore), and xlwings' ``GetConfig`` stops at the first
    layer that *has* a key, even with an empty value: so only keys with a value are written, and
    everything else (Show Console, PYTHONPATH, ...) can still come from the config files.
    ``Use UDF Server`` = TRUE (a boolean cell, as in xlwings' template): on Windows, RunPython then
    runs each ribbon click in the one warm Python COM server that also serves the worksheet
    functions, instead of starting (and importing into) a fresh Python per click. xlwings reads it
    on Windows only; on macOS every click starts a new Python whatever it says.
    """
    rows: list[tuple[str, str | bool]] = []
    if interpreter:
        rows.append((interpreter_key(interpreter), interpreter))
    rows.append(("UDF Modules", udf_module_name))
    rows.append(("Use UDF Server", True))
    return rows


def _config_sheet_xml(template: str, rows: list[tuple[str, str | bool]]) -> tuple[str, str]:
    strings: list[str] = []

    def cell(ref: str, value: str | bool) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" s="1" t="b"><v>{int(value)}</v></c>'
        strings.append(value)
        return f'<c r="{ref}" s="1" t="s"><v>{len(strings) - 1}</v></c>'

    cells = [
        f'<row r="{r}" spans="1:2">{cell(f"A{r}", key)}{cell(f"B{r}", value)}</row>'
        for r, (key, value) in enumerate(rows, start=1)
    ]
    sheet, n = re.subn(
        r"<sheetData>.*</sheetData>|<sheetData\s*/>",
        "<sheetData>" + "".join(cells) + "</sheetData>",
        template,
        flags=re.S,
    )
    sheet, m = re.subn(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{len(rows)}" />', sheet)
    if n != 1 or m != 1:
        raise AddinBuildError("unexpected config sheet XML in the template")
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{_xml_escape(s)}</t></si>' for s in strings)
        + "</sst>"
    )
    return sheet, sst


def _vba_project(vba_bin: bytes, module) -> bytes:
    project = read_project(vba_bin)
    if project.name != TEMPLATE_PROJECT_NAME:
        raise AddinBuildError(f"template VBA project is {project.name!r}, not {TEMPLATE_PROJECT_NAME!r}")
    kinds = {m.name: m.document for m in project.modules}
    if (
        kinds.get(TEMPLATE_RIBBON_MODULE) is not False
        or "xlwings" not in kinds
        or kinds.get("ThisWorkbook") is not True
    ):
        raise AddinBuildError(
            f"template VBA modules are {sorted(kinds)}: expected a standard module "
            f"{TEMPLATE_RIBBON_MODULE}, xlwings and the document module ThisWorkbook"
        )
    sources = {name: text for name, text in project.sources.items() if name != TEMPLATE_RIBBON_MODULE}
    sources[RIBBON_MODULE] = ribbon_module_source(module, codepage=project.codepage)
    sources["xlwings"] = xlwings_module_source(sources["xlwings"])
    sources["ThisWorkbook"] = this_workbook_source(sources["ThisWorkbook"])
    check_names(sources, [spec.name for spec in udf_functions(module)])
    return write_project(
        project, sources, name=VBA_PROJECT_NAME, renames={TEMPLATE_RIBBON_MODULE: RIBBON_MODULE}
    )


def build_addin(output: Path, udf_module=None, interpreter: str | None = None) -> Path:
    """Write the Linealytics add-in to ``output`` and return its path.

    ``udf_module``: the module whose ``LL_*`` functions (from ``__all__``) get VBA wrappers, as a
    module object or dotted name; default ``linealytics_xl.udfs``. Its ``__name__`` is what the
    wrappers ask xlwings to import, and what the config sheet's ``UDF Modules`` holds.
    ``interpreter``: written to the config sheet as ``Interpreter_Win`` (Windows-style path, or a
    bare name when built on Windows) or ``Interpreter_Mac``; the sheet then takes precedence over
    the config files, so leave it out for an add-in meant for several machines.
    """
    output = Path(output)
    module = resolve_module(udf_module)
    src = sources_dir()
    custom_ui = (src / "customUI.xml").read_bytes()
    check_ribbon(custom_ui, ribbon_module_source(module, source_dir=src))

    with zipfile.ZipFile(template_path()) as template:
        infos = template.infolist()
        parts = {info.filename: template.read(info) for info in infos}

    workbook = parts["xl/workbook.xml"].decode("utf-8")
    old_sheet = f'name="_{TEMPLATE_CONFIG_NAME}.conf"'
    if workbook.count(old_sheet) != 1 or workbook.count("<sheet ") != 1:
        raise AddinBuildError(
            f"template workbook should have exactly one sheet, _{TEMPLATE_CONFIG_NAME}.conf"
        )
    parts["xl/workbook.xml"] = workbook.replace(old_sheet, f'name="{CONFIG_NAME}.conf"').encode("utf-8")
    sheet_xml, sst_xml = _config_sheet_xml(
        parts["xl/worksheets/sheet1.xml"].decode("utf-8"), config_rows(module.__name__, interpreter)
    )
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.encode("utf-8")
    parts["xl/sharedStrings.xml"] = sst_xml.encode("utf-8")
    if _CUSTOM_UI_PART not in parts:
        raise AddinBuildError(f"template has no {_CUSTOM_UI_PART}")
    parts[_CUSTOM_UI_PART] = custom_ui
    parts[_VBA_PART] = _vba_project(parts[_VBA_PART], module)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            out.writestr(new, parts[info.filename])
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")  # replaced in one step: never half-written
    try:
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linealytics_xl.addin_build", description="Build the Linealytics Excel add-in (.xlam)."
    )
    parser.add_argument("--output", "-o", type=Path, default=Path(ADDIN_FILE_NAME), help="the .xlam to write")
    parser.add_argument(
        "--interpreter",
        default=None,
        help="Python interpreter to preset in the add-in's config sheet (default: none, "
        "the config file decides)",
    )
    parser.add_argument(
        "--udf-module",
        default=DEFAULT_UDF_MODULE,
        help=f"module whose LL_* functions become worksheet functions (default {DEFAULT_UDF_MODULE})",
    )
    args = parser.parse_args(argv)
    try:
        path = build_addin(args.output, udf_module=args.udf_module, interpreter=args.interpreter)
    except (AddinBuildError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}")
    return 0
