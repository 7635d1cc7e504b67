"""Where the build's inputs are: our text sources and xlwings' add-in template."""

from __future__ import annotations

from pathlib import Path

from . import AddinBuildError

__all__ = [
    "TEMPLATE_CONFIG_NAME",
    "TEMPLATE_NAME",
    "TEMPLATE_PROJECT_NAME",
    "TEMPLATE_RIBBON_MODULE",
    "sources_dir",
    "template_path",
]

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
#: Names inside xlwings' template that the build replaces.
TEMPLATE_PROJECT_NAME = "MyAddin"
TEMPLATE_CONFIG_NAME = "myaddin"
TEMPLATE_RIBBON_MODULE = "RibbonMyAddin"


def sources_dir() -> Path:
    """The folder with ``customUI.xml`` and the ribbon module's ``.bas``.

    Installed package: ``linealytics_xl/addin_sources`` (pyproject maps it to ``install/addin``).
    Source checkout: ``<repo>/install/addin``.
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "addin_sources", package.parent / "install" / "addin"):
        if (candidate / "customUI.xml").is_file():
            return candidate
    raise AddinBuildError(
        f"add-in sources not found: neither {package / 'addin_sources'} nor {package.parent / 'install' / 'addin'}"
    )


def template_path() -> Path:
    """xlwings' ribbon add-in template inside the installed xlwings package (its VBA matches its DLL)."""
    import xlwings

    path = Path(xlwings.__file__).resolve().parent / TEMPLATE_NAME
    if not path.is_file():
        raise AddinBuildError(f"{TEMPLATE_NAME} not found in the xlwings package ({path.parent})")
    return path
