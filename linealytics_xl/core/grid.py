"""A sheet's cells as the core reads them: sparse, so that size follows content, not extent.

A workbook with one stray cell at ``XFD1048576`` has a used range of 17 billion cells; a dense
list of rows of it does not fit in memory.  `Cells` keeps only the non-blank cells (``None`` and
whitespace-only text are blank, as Excel shows them) in a row -> column -> value map, so reading
it costs what it holds.  It is built from a list of rows (the live book, tests) or from a
``{(row, col): value}`` map (the file adapter reads openpyxl's sparse store); positions are
0-based.  The sheet's merged ranges travel with it, so output checks can see merged targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

#: A merged range as (first row, first col, last row, last col), 0-based and inclusive.
Span = tuple[int, int, int, int]


def is_blank(value: Any) -> bool:
    """Empty as Excel shows it: no value, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


class Cells:
    """The non-blank cells of one sheet, with its merged ranges."""

    __slots__ = ("_rows", "merged", "n_cols", "n_rows")

    def __init__(self, values: Mapping[tuple[int, int], Any] | None = None, merged: Iterable[Span] = ()):
        rows: dict[int, dict[int, Any]] = {}
        for (r, c), v in (values or {}).items():
            if not is_blank(v):
                rows.setdefault(r, {})[c] = v
        self._rows = {r: dict(sorted(cols.items())) for r, cols in sorted(rows.items())}
        self.merged: tuple[Span, ...] = tuple(sorted(merged))
        self.n_rows = max(self._rows, default=-1) + 1
        self.n_cols = max((max(cols) for cols in self._rows.values()), default=-1) + 1

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], merged: Iterable[Span] = ()) -> Cells:
        return cls(
            {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row or ()) if not is_blank(v)},
            merged,
        )

    @classmethod
    def of(cls, grid: Cells | Iterable[Sequence[Any]]) -> Cells:
        """``grid`` itself when it is `Cells`, else built from its rows."""
        return grid if isinstance(grid, Cells) else cls.from_rows(grid)

    def get(self, r: int, c: int) -> Any:
        row = self._rows.get(r)
        return None if row is None else row.get(c)

    def row(self, r: int) -> dict[int, Any]:
        """The non-blank cells of row ``r`` by column, in column order."""
        return self._rows.get(r, {})

    def row_indices(self) -> list[int]:
        """Rows with at least one non-blank cell, in order."""
        return list(self._rows)

    def items(self) -> Iterator[tuple[int, int, Any]]:
        """(row, col, value) of every non-blank cell, row by row."""
        for r, cols in self._rows.items():
            for c, v in cols.items():
                yield r, c, v

    def __len__(self) -> int:
        return sum(len(cols) for cols in self._rows.values())

    def values(self) -> dict[tuple[int, int], Any]:
        return {(r, c): v for r, c, v in self.items()}

    def merged_at(self, r: int, c: int) -> Span | None:
        """The merged range that covers (r, c), if any."""
        return next((m for m in self.merged if m[0] <= r <= m[2] and m[1] <= c <= m[3]), None)

    def to_rows(self) -> list[list[Any]]:
        """A dense copy from A1 to the last non-blank cell (only for small sheets: tests, tools)."""
        return [[self.get(r, c) for c in range(self.n_cols)] for r in range(self.n_rows)]
