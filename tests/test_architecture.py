"""The architecture as docs/architecture.md draws it, checked: imports point inward only, and the
document names every module (so it cannot silently fall behind the code)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "linealytics_xl"
DOC = ROOT / "docs" / "architecture.md"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every linealytics_xl module the file imports, relative imports resolved."""
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
                names = [f"{name}.{a.name}" for a in node.names] if not node.module else [name]
            else:
                names = [node.module or ""]
            found.update(n for n in names if n.startswith("linealytics_xl"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("linealytics_xl"))
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("core", "adapters") else "outer"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_imports_point_inward_only() -> None:
    allowed = {"core": {"core"}, "adapters": {"core", "adapters"}}
    wrong = []
    for path in _modules():
        module = _module(path)
        layer = _layer(module)
        if layer not in allowed:
            continue
        for dep in _imports(path):
            if dep == "linealytics_xl" or dep == "linealytics_xl.__version__":
                continue  # the version string lives in the package root
            if _layer(dep) not in allowed[layer]:
                wrong.append(f"{module} imports {dep}")
    assert not wrong, "imports must point inward (entry points -> adapters -> core):\n" + "\n".join(wrong)


def test_the_architecture_document_names_every_module() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"[\w/]+\.py", text))
    missing = []
    for path in _modules():
        if path.name == "__init__.py":
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        if rel not in named and path.name not in named:
            missing.append(rel)
    assert not missing, f"docs/architecture.md does not mention {missing}"
