"""Floats written by openpyxl with their exact text, for the one openpyxl write the tool does.

openpyxl writes floats as ``%.16g``, which changes the 17th significant digit
(3920865476.2527657 -> 3920865476.252766); ``repr`` is the shortest text that reads back as the
same double.  The planner's cells never pass through openpyxl any more (the package writer patches
them), but the Dashboard is built in an openpyxl scratch workbook (``transplant``), so its numbers
are written exactly by applying the change for that call only -- not on import, where it would
change openpyxl for every other user of the process (issue 14).

``install`` applies it for the whole process: the test suite does (tests/conftest.py), because
its tests play the planner with openpyxl (edit a workbook, save it, plan it) and compare the plan
with the inputs to the last bit, which only holds when openpyxl writes floats as Excel does.  The
tool itself never installs it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl.cell._writer as _cell_writer


@contextmanager
def exact_floats() -> Iterator[None]:
    """Within the block, openpyxl writes finite floats as ``repr``."""
    fallback = _cell_writer.safe_string

    def exact(value: Any) -> str:
        if isinstance(value, float) and math.isfinite(value):
            return repr(float(value))  # np.float64 is a float whose repr is "np.float64(...)"
        return str(fallback(value))

    _cell_writer.safe_string = exact
    try:
        yield
    finally:
        _cell_writer.safe_string = fallback


def install() -> None:
    """Make openpyxl write exact float text for the rest of the process (see the module doc)."""
    global _installed
    if _installed:
        return
    fallback = _cell_writer.safe_string

    def exact(value: Any) -> str:
        if isinstance(value, float) and math.isfinite(value):
            return repr(float(value))
        return str(fallback(value))

    _cell_writer.safe_string = exact
    _installed = True


_installed = False
