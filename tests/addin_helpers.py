"""What the add-in tests share: independent readers of a built .xlam (oletools) and what its
ribbon module must hold. Not a test module."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

with warnings.catch_warnings():  # oletools' pyparsing grammar warns at import time
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "install" / "addin"
WIN_INTERPRETER = r"C:\Users\planner\linealytics\.venv\Scripts\python.exe"
BUILT_MODULES = {"ThisWorkbook", "Dictionary", "LinealyticsRibbon", "Sheet2", "xlwings"}

if str(REPO / "tests") not in sys.path:  # pytest puts it there unless tests/ becomes a package
    sys.path.insert(0, str(REPO / "tests"))

from linealytics_xl import addin_build as ab  # noqa: E402


def oletools_decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def macros(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def expected_ribbon_module(udf_module) -> str:
    bas = (SOURCES / "LinealyticsRibbon.bas").read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n")
    return (
        bas
        + "\n\n"
        + ab.generate_udf_wrappers(udf_module)
        + "\n"
        + ab.generate_function_registration(udf_module)
    ).replace("\n", "\r\n")
