"""Label cells that repeat another cell's text: ``=A6``, ``=+C1``, ``='Boundary Conditions'!A6``.

Planners link labels instead of retyping them: the product ids of `Yield` and `Wafer Plan` point
at `Boundary Conditions`, a quarter label repeats the one on its left.  Excel shows the text the
reference reaches; the tool never trusts cached values, so it follows the reference itself (through
chains of them) to a cell of text and reads that text.  Only text is taken so: a reference to a
number stays a formula, evaluated where the number is read (`core.cells.evaluate_sum_formula`,
which also reports blanks, errors and circular references); a reference to a blank, an error value
or a formula of another kind, or a cycle, is left as written, and the reader reports it there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .cells import Text, column_index, is_error_value, is_formula
from .grid import Cells

__all__ = ["resolve_text_references"]

_REF = re.compile(r"^=\+?(?:(?:'((?:[^']|'')+)'|([^\s'!()+\-*/&=<>,;]+))!)?\$?([A-Za-z]{1,3})\$?(\d+)$")


def resolve_text_references(sheets: Mapping[str, Cells | Sequence[Sequence[Any]]]) -> dict[str, Cells]:
    """``sheets`` as `Cells`, every cell that holds only a reference to a cell of text given that
    text; a sheet without such a cell is returned as it was."""
    grids = {name: Cells.of(grid) for name, grid in sheets.items()}
    names = {name.strip().casefold(): name for name in grids}
    out: dict[str, Cells] = {}
    for name, cells in grids.items():
        changes: dict[tuple[int, int], str] = {}
        for r in cells.row_indices():
            for c, v in cells.row(r).items():
                # exact type: a `Text` is no formula; the pattern first, it rejects most formulas
                if v.__class__ is str and v[:1] == "=" and _REF.match(v.strip()):
                    found = _follow(grids, names, name, (r, c), v)
                    if found is not None:
                        changes[(r, c)] = found
        out[name] = Cells({**cells.values(), **changes}, cells.merged) if changes else cells
    return out


def _follow(
    grids: Mapping[str, Cells],
    names: Mapping[str, str],
    sheet: str,
    at: tuple[int, int],
    formula: str,
) -> str | None:
    """The text that the reference ``formula`` (in ``sheet`` at ``at``) reaches, or None."""
    seen = {(sheet, at)}
    while True:
        m = _REF.match(formula.strip())
        if m is None:
            return None
        quoted, bare, letters, row = m.groups()
        target = quoted.replace("''", "'") if quoted is not None else bare
        if target is not None:
            found = names.get(target.strip().casefold())
            if found is None:
                return None
            sheet = found
        at = (int(row) - 1, column_index(letters.upper()))
        if (sheet, at) in seen:
            return None  # a cycle: the reader reports it where the value is read
        seen.add((sheet, at))
        value = grids[sheet].get(*at)
        if isinstance(value, Text):
            return value
        if not isinstance(value, str) or is_error_value(value):
            return None  # a number, a blank, an error value, a date: evaluated or reported where read
        if not is_formula(value):
            return value
        formula = value
