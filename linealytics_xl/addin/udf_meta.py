"""What the worksheet functions are: names, parameters, help text, from one source of truth.

The source of truth is ``linealytics_xl.udfs`` itself: the Python signatures, the docstrings
(first line = the function's description) and the ``@xw.func(category=...)`` /
``@xw.arg("name", doc=...)`` decorators, which are what xlwings' own ``import_udfs`` reads on
Windows. Off Windows those decorators are pass-through and record nothing, so this module reads
them from the module's source (``ast``): the build then gives the same add-in on every OS. Only
literals and module-level names are accepted as decorator values; anything else is refused rather
than guessed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from dataclasses import dataclass, field
from typing import Any

from . import DEFAULT_UDF_MODULE, FUNCTION_CATEGORY, AddinBuildError
from .vba_reserved import VBA_RESERVED

__all__ = ["MAX_HELP", "Param", "UdfSpec", "resolve_module", "udf_functions"]

#: Excel's limit for a function's description and for each argument description (MacroOptions).
MAX_HELP = 255

VBA_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")


@dataclass
class Param:
    """One Python parameter as Excel sees it."""

    python: str
    vba: str  # the VBA parameter name, or "Nothing" for xlwings' reserved ``caller``
    kind: str  # required | optional | vararg | caller
    doc: str = ""


@dataclass
class UdfSpec:
    """What the VBA wrapper and the function-wizard registration of one worksheet function need."""

    name: str
    params: list[Param]
    description: str
    category: str = FUNCTION_CATEGORY
    volatile: bool = False
    call_in_wizard: bool = True

    @property
    def arguments(self) -> list[Param]:
        """The parameters Excel shows (``caller`` is filled in by xlwings, not by the planner)."""
        return [p for p in self.params if p.kind != "caller"]


@dataclass
class _Decorated:
    func: dict[str, Any] = field(default_factory=dict)
    docs: dict[str, str] = field(default_factory=dict)


def resolve_module(udf_module) -> types.ModuleType:
    if udf_module is None:
        udf_module = DEFAULT_UDF_MODULE
    if isinstance(udf_module, str):
        return importlib.import_module(udf_module)
    if isinstance(udf_module, types.ModuleType):
        return udf_module
    raise TypeError(f"udf_module must be a module, a module name or None, not {type(udf_module).__name__}")


def _decorator_kind(node: ast.expr, module: types.ModuleType) -> str | None:
    """``"func"`` or ``"arg"`` when ``node`` names ``xlwings.func`` / ``xlwings.arg`` in ``module``."""
    import xlwings

    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and getattr(module, node.value.id, None) is xlwings
        and node.attr in ("func", "arg")
    ):
        return node.attr
    if isinstance(node, ast.Name):
        obj = getattr(module, node.id, None)
        for kind in ("func", "arg"):
            if obj is not None and obj is getattr(xlwings, kind):
                return kind
    return None


def _value(node: ast.expr, module: types.ModuleType, where: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and hasattr(module, node.id):
        return getattr(module, node.id)
    raise AddinBuildError(
        f"{where}: decorator value {ast.unparse(node)!r} is not a literal or a module-level name"
    )


def _decorators(module: types.ModuleType) -> dict[str, _Decorated]:
    """``@xw.func``/``@xw.arg`` keyword values per function of the module's source (empty without source)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    found: dict[str, _Decorated] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        meta = found.setdefault(node.name, _Decorated())
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            kind = _decorator_kind(call.func if call else dec, module)
            if kind is None or call is None:
                continue
            where = f"{module.__name__}.{node.name}"
            keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
            if kind == "func":
                for key in ("category", "volatile", "call_in_wizard"):
                    if key in keywords:
                        meta.func[key] = _value(keywords[key], module, where)
            elif call.args and "doc" in keywords:
                arg = str(_value(call.args[0], module, where)).lstrip("*")
                if arg in meta.docs:
                    raise AddinBuildError(f"{where}: two @xw.arg decorators document {arg!r}")
                meta.docs[arg] = str(_value(keywords["doc"], module, where))
    return found


def udf_functions(module: types.ModuleType) -> list[UdfSpec]:
    """The worksheet functions of ``module``: the names in ``module.__all__`` that start with ``LL_``."""
    names = getattr(module, "__all__", None)
    if names is None:
        raise AddinBuildError(f"{module.__name__} has no __all__: it must list its worksheet functions")
    decorated = _decorators(module)
    specs: list[UdfSpec] = []
    seen: set[str] = set()
    for name in names:
        if not name.startswith("LL_"):
            continue
        if not VBA_IDENTIFIER.match(name):
            raise AddinBuildError(f"{module.__name__}.{name}: not a valid VBA/Excel function name")
        if name.lower() in seen:
            raise AddinBuildError(f"{module.__name__}.{name}: listed twice in __all__ (VBA ignores case)")
        seen.add(name.lower())
        func = getattr(module, name, None)
        if not callable(func):
            raise AddinBuildError(f"{module.__name__}.{name} is in __all__ but is not a function")
        specs.append(_udf_spec(module.__name__, name, func, decorated.get(name, _Decorated())))
    return specs


def _vba_param_name(name: str, taken: set[str]) -> str:
    vba = name
    if not vba[:1].isalpha():
        vba = "p" + vba
    if not VBA_IDENTIFIER.match(vba) or not vba.isascii():
        raise AddinBuildError(f"parameter {name!r} cannot be written as a VBA identifier")
    while vba.lower() in VBA_RESERVED or vba.lower() in taken:
        vba += "_"
    taken.add(vba.lower())
    return vba


def _help(text: str, what: str) -> str:
    text = " ".join(str(text).split())
    if len(text) > MAX_HELP:
        raise AddinBuildError(f"{what} is {len(text)} characters; Excel shows at most {MAX_HELP}")
    return text


def _udf_spec(module_name: str, name: str, func, decorated: _Decorated) -> UdfSpec:
    where = f"{module_name}.{name}"
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise AddinBuildError(f"{where}: no signature ({exc})") from exc
    unknown = sorted(set(decorated.docs) - set(signature.parameters))
    if unknown:
        raise AddinBuildError(f"{where}: @xw.arg documents {unknown}, which are not parameters")
    taken = {name.lower()}
    params: list[Param] = []
    has_default = False
    for p in signature.parameters.values():
        if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
            raise AddinBuildError(
                f"{where}: keyword-only and **kwargs parameters cannot be called from Excel"
            )
        doc = _help(decorated.docs.get(p.name, ""), f"{where}: the help of argument {p.name}")
        if p.name == "caller":  # xlwings passes the calling Range; VBA sends Nothing in its place
            params.append(Param(p.name, "Nothing", "caller"))
        elif p.kind == p.VAR_POSITIONAL:
            params.append(Param(p.name, _vba_param_name(p.name, taken), "vararg", doc))
        elif p.default is not p.empty:
            has_default = True
            params.append(Param(p.name, _vba_param_name(p.name, taken), "optional", doc))
        else:
            params.append(Param(p.name, _vba_param_name(p.name, taken), "required", doc))
    if any(p.kind == "vararg" for p in params) and has_default:
        raise AddinBuildError(f"{where}: xlwings does not support optional and *args parameters together")
    doc = inspect.getdoc(func) or ""
    description = _help(
        next((line.strip() for line in doc.splitlines() if line.strip()), ""),
        f"{where}: the first docstring line",
    )
    # From the source, not from xlwings' __xlfunc__ (recorded on Windows only): same add-in on every OS.
    meta = decorated.func
    category = meta.get("category", FUNCTION_CATEGORY)
    if not isinstance(category, str) or not category.strip():
        raise AddinBuildError(
            f"{where}: the category must be a name (a built-in category number is not supported)"
        )
    return UdfSpec(
        name,
        params,
        description,
        category=_help(category, f"{where}: the category"),
        volatile=bool(meta.get("volatile", False)),
        call_in_wizard=bool(meta.get("call_in_wizard", True)),
    )
