"""openpyxl writing floats with their exact text, for the tests that play the planner.

openpyxl writes floats as ``%.16g``, which changes the 17th significant digit
(3920865476.2527657 -> 3920865476.252766); ``repr`` is the shortest text that reads back as the
same double.  The tests edit workbooks with openpyxl, save them, plan them and compare the plan with
the inputs to the last bit, which only holds when openpyxl writes floats as Excel does.  The tool
itself writes no cell with openpyxl (the package writer patches the planner's cells and streams its
own sheets), so this lives with the tests: `tests/conftest.py` installs it for the session.
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
