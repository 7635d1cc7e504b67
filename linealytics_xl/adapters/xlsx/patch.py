"""Cells patched in place in a planner's sheet XML; every other byte of the part is kept.

The tool owns a few rows of the planner's own sheets (``Wafer Plan``, ``Scheduled Capacity``,
``Yielded Supply``...).  Re-serialising such a sheet would rewrite namespace prefixes, spacing and
extension elements the tool knows nothing about, so the sheet text is spliced instead: only the
``<row>`` elements that hold a patched cell (or a formula whose cached value must change) are
rebuilt, and in them only those ``<c>`` elements; the rest of the text is copied as it was.

A patched cell keeps its style (``s``) and any other attribute but ``t``/``cm``/``vm``; a value
replaces a formula the planner put in a cell the tool owns, as it always has.  If that formula
was the master of a shared formula, the cells sharing it get their own translated formula, so
that they keep computing what they computed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl.formula.translate import Translator

from ...core.cells import address, column_index, column_letter

_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_ENTITIES = {"lt": "<", "gt": ">", "quot": '"', "apos": "'", "amp": "&"}
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|quot|apos|amp);")


@functools.cache
def _letters(col: int) -> str:
    return column_letter(col)


@functools.cache
def _column(letters: str) -> int:
    return column_index(letters)


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _ENTITIES[name]
    return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))


def unescape(text: str) -> str:
    """XML character data as text: the five named entities and numeric character references
    (``&#26230;``: openpyxl writes non-ASCII text that way), in one pass."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(slots=True)
class Cell:
    """One ``<c>`` element of the source text (positions into the whole sheet text)."""

    col: int
    start: int
    end: int
    attrs: dict[str, str]
    f_attrs: dict[str, str] | None = None  # None: no formula
    f_text: str | None = None  # formula as stored (XML-escaped), None for a shared dependant
    v: str | None = None

    @property
    def formula(self) -> bool:
        return self.f_attrs is not None


@dataclass
class Row:
    number: int
    start: int
    end: int
    open_tag: str  # ``<row ...>`` (or the whole self-closing element)
    cells: list[Cell] | None = None
    by_col: dict[int, Cell] | None = None
    style: str | None = None  # the row's own style, for new cells (customFormat)
    edits: dict[int, str] = field(default_factory=dict)  # col -> new cell XML


class SheetText:
    """A worksheet part as text, with its rows indexed; cells parsed on demand."""

    def __init__(self, xml: bytes):
        self.text = xml.decode("utf-8")
        m = re.search(r"<(\w+:)?worksheet\b", self.text)
        self.p = (m.group(1) or "") if m else ""
        p = re.escape(self.p)
        self._cell_re = re.compile(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", re.S)
        self._f_re = re.compile(rf"<{p}f\b([^>]*?)(?:/>|>(.*?)</{p}f>)", re.S)
        self._v_re = re.compile(rf"<{p}v>(.*?)</{p}v>", re.S)
        sd = re.search(rf"<{p}sheetData\s*/>|<{p}sheetData\b[^>]*>", self.text)
        if sd is None:
            raise ValueError("not a worksheet: no sheetData")
        if sd.group().endswith("/>"):
            self.text = (
                self.text[: sd.start()] + f"<{self.p}sheetData></{self.p}sheetData>" + self.text[sd.end() :]
            )
            sd = re.search(rf"<{p}sheetData\b[^>]*>", self.text)
        if sd is None:  # cannot happen: the element was just written
            raise ValueError("not a worksheet: no sheetData")
        self.data_start = sd.end()
        self.data_end = self.text.index(f"</{self.p}sheetData>", self.data_start)
        self.rows: dict[int, Row] = {}
        row_re = re.compile(rf"<{p}row\b([^>]*?)(/>|>)", re.S)
        close = f"</{self.p}row>"
        pos, number = self.data_start, 0
        while True:
            m = row_re.search(self.text, pos, self.data_end)
            if m is None:
                break
            r = re.search(r'(?:^|\s)r="(\d+)"', m.group(1))
            number = int(r.group(1)) if r else number + 1
            end = m.end() if m.group(2) == "/>" else self.text.index(close, m.end()) + len(close)
            self.rows[number] = Row(number, m.start(), end, m.group())
            pos = end
        self.formula_removed = False
        self.removed_formulas: set[tuple[int, int]] = set()  # (row, col) of formulas replaced by values
        self._col_styles: dict[int, str] | None = None
        self._added: dict[int, dict[int, str]] = {}  # rows the sheet did not have

    # -- reading ------------------------------------------------------------------------------
    def cells(self, number: int) -> list[Cell]:
        row = self.rows.get(number)
        if row is None:
            return []
        if row.cells is None:
            row.cells = []
            col = -1
            body_start = row.start + len(row.open_tag)
            for m in self._cell_re.finditer(self.text, body_start, row.end):
                attrs = dict(_ATTR.findall(m.group(1)))
                ref = _REF.match(attrs.get("r", ""))
                col = _column(ref.group(1)) if ref else col + 1
                cell = Cell(col, m.start(), m.end(), attrs)
                inner = m.group(2) or ""
                if inner:
                    f = self._f_re.search(inner)
                    if f:
                        cell.f_attrs = dict(_ATTR.findall(f.group(1)))
                        cell.f_text = f.group(2)
                    v = self._v_re.search(inner)
                    cell.v = v.group(1) if v else None
                row.cells.append(cell)
            row.by_col = {c.col: c for c in row.cells}
        return row.cells

    def cell(self, number: int, col: int) -> Cell | None:
        row = self.rows.get(number)
        if row is None:
            return None
        if row.by_col is None:
            self.cells(number)
        return (row.by_col or {}).get(col)

    def has_formulas(self, number: int) -> bool:
        row = self.rows[number]
        return f"<{self.p}f" in self.text[row.start : row.end]

    @staticmethod
    def plain_value(cell: Cell | None) -> Any:
        """The stored value of a cell (the cached value for a formula): float, bool, str or None."""
        if cell is None or cell.v is None:
            return None
        kind = cell.attrs.get("t", "n")
        if kind == "n":
            try:
                return float(cell.v)
            except ValueError:
                return None
        if kind == "b":
            return cell.v.strip() == "1"
        return unescape(cell.v)

    def default_style(self, number: int, col: int) -> str | None:
        """The style Excel gives a new cell: its row's (a formatted row), else its column's."""
        row = self.rows.get(number)
        if row is not None:
            if row.style is None:
                m = re.search(r'(?:^|\s)s="(\d+)"', row.open_tag)
                custom = re.search(r'customFormat="(1|true)"', row.open_tag)
                row.style = m.group(1) if m and custom else ""
            if row.style:
                return row.style
        if self._col_styles is None:
            self._col_styles = {}
            for m in re.finditer(rf"<{re.escape(self.p)}col\b([^>]*)/?>", self.text[: self.data_start]):
                a = dict(_ATTR.findall(m.group(1)))
                if "style" in a and "min" in a and "max" in a:
                    for c in range(int(a["min"]) - 1, min(int(a["max"]), 16384)):
                        self._col_styles[c] = a["style"]
        return self._col_styles.get(col)

    # -- editing ------------------------------------------------------------------------------
    def set_number(self, number: int, col: int, value: float, style: str | None = None) -> None:
        """Write ``value`` into a cell the tool owns (its style kept; a formula there replaced)."""
        old = self.cell(number, col)
        p = self.p
        if old is None:
            style = style if style is not None else self.default_style(number, col)
            s_attr = f' s="{style}"' if style is not None else ""
            self._edit(
                number, col, f'<{p}c r="{_letters(col)}{number}"{s_attr}><{p}v>{value!r}</{p}v></{p}c>'
            )
            return
        attrs = {"r": f"{_letters(col)}{number}"}
        attrs.update({k: v for k, v in old.attrs.items() if k not in ("r", "t", "cm", "vm")})
        if old.formula:
            self.formula_removed = True
            self.removed_formulas.add((number, col))
            if old.f_attrs is not None and "ref" in old.f_attrs and old.f_attrs.get("t") == "shared":
                self._unshare(number, col, old)
        text = "".join(f' {k}="{v}"' for k, v in attrs.items())
        self._edit(number, col, f"<{p}c{text}><{p}v>{value!r}</{p}v></{p}c>")

    def set_numbers(self, number: int, first_col: int, values: list[float]) -> None:
        """``set_number`` for a run of cells of one row (the writer's bulk path)."""
        row = self.rows.get(number)
        if row is not None and row.by_col is None:
            self.cells(number)
        by_col = row.by_col if row is not None and row.by_col is not None else {}
        p = self.p
        edits = row.edits if row is not None else self._added.setdefault(number, {})
        self.default_style(number, 0)  # fills the row's and the columns' default styles
        row_style = row.style if row is not None else None
        col_styles = self._col_styles or {}
        # the constant pieces of the cell text, once per run (hundreds of thousands of cells)
        start, mid, end = f'<{p}c r="', f"{number}", f"</{p}v></{p}c>"
        attrs: dict[str | None, str] = {None: f'"><{p}v>'}
        letters = _letters
        for k, value in enumerate(values):
            col = first_col + k
            if col in by_col:
                self.set_number(number, col, value)
                continue
            style = row_style or col_styles.get(col)
            head = attrs.get(style)
            if head is None:
                head = attrs[style] = f'" s="{style}"><{p}v>'
            edits[col] = f"{start}{letters(col)}{mid}{head}{value!r}{end}"

    def set_cached(self, number: int, col: int, value: float | None) -> None:
        """Replace the cached value of a formula cell (``None`` removes it)."""
        cell = self.cell(number, col)
        if cell is None:
            raise KeyError(f"no cell at row {number}, column {col}")
        attrs = {k: v for k, v in cell.attrs.items() if not (k == "t" and v in ("str", "b", "e", "n"))}
        f_attrs = "".join(f' {k}="{v}"' for k, v in (cell.f_attrs or {}).items())
        f = (
            f"<{self.p}f{f_attrs}/>"
            if cell.f_text is None
            else f"<{self.p}f{f_attrs}>{cell.f_text}</{self.p}f>"
        )
        v = "" if value is None else f"<{self.p}v>{value!r}</{self.p}v>"
        text = "".join(f' {k}="{v_}"' for k, v_ in attrs.items())
        self._edit(number, col, f"<{self.p}c{text}>{f}{v}</{self.p}c>")

    def _edit(self, number: int, col: int, xml: str) -> None:
        if number in self.rows:
            self.rows[number].edits[col] = xml
        else:
            self._added.setdefault(number, {})[col] = xml

    def _unshare(self, number: int, col: int, master: Cell) -> None:
        """Give every cell sharing ``master``'s formula its own formula text."""
        formula = "=" + unescape(master.f_text or "")
        origin = address(number - 1, col)
        master_attrs = master.f_attrs or {}
        si = master_attrs.get("si")
        first, _, last = master_attrs["ref"].partition(":")
        m0, m1 = _REF.match(first), _REF.match(last or first)
        if m0 is None or m1 is None:
            return  # not a range: nothing shares it
        r0, r1 = int(m0.group(2)), int(m1.group(2))
        for rn in range(r0, r1 + 1):
            for c in self.cells(rn):
                if (
                    c.f_attrs is not None
                    and c.f_text is None
                    and c.f_attrs.get("si") == si
                    and (rn, c.col) != (number, col)
                ):
                    text = Translator(formula, origin=origin).translate_formula(address(rn - 1, c.col))[1:]
                    c.f_attrs = {k: v for k, v in c.f_attrs.items() if k not in ("t", "si", "ref")}
                    c.f_text = xml_escape(text)
                    self.set_cached(rn, c.col, self.plain_value(c))

    def dimension_cover(self, max_row: int, max_col: int) -> None:
        m = re.search(rf'<{re.escape(self.p)}dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', self.text)
        if m is None:
            return
        c1 = max(column_index(m.group(3) or m.group(1)), max_col)
        r1 = max(int(m.group(4) or m.group(2)), max_row)
        new = f'<{self.p}dimension ref="{m.group(1)}{m.group(2)}:{address(r1 - 1, c1)}"'
        if new != m.group():
            self.text = self.text[: m.start()] + new + self.text[m.end() :]
            shift = len(new) - len(m.group())
            self.data_start += shift
            self.data_end += shift
            for row in self.rows.values():
                row.start += shift
                row.end += shift
                for c in row.cells or []:
                    c.start += shift
                    c.end += shift

    # -- output -------------------------------------------------------------------------------
    def render(self) -> bytes:
        out = [self.text[: self.data_start]]
        pos = self.data_start
        added = sorted(self._added.items())
        for number in sorted(self.rows):
            row = self.rows[number]
            while added and added[0][0] < number:
                out.append(self._new_row(*added.pop(0)))
            if not row.edits:
                continue
            out.append(self.text[pos : row.start])
            out.append(self._rebuilt(row))
            pos = row.end
        out.append(self.text[pos : self.data_end])
        out += [self._new_row(n, cells) for n, cells in added]
        out.append(self.text[self.data_end :])
        return "".join(out).encode("utf-8")

    def _new_row(self, number: int, cells: dict[int, str]) -> str:
        return f'<{self.p}row r="{number}">' + "".join(cells[c] for c in sorted(cells)) + f"</{self.p}row>"

    def _rebuilt(self, row: Row) -> str:
        """The row with its edited cells replaced and its new cells inserted in column order."""
        cells = self.cells(row.number)
        edits = row.edits
        open_tag = row.open_tag
        if open_tag.endswith("/>"):
            open_tag = open_tag[:-2].rstrip() + ">"
        spans = re.search(r'spans="(\d+):(\d+)"', open_tag)
        if spans:
            lo = min(int(spans.group(1)), min(edits) + 1)
            hi = max(int(spans.group(2)), max(edits) + 1)
            open_tag = open_tag.replace(spans.group(), f'spans="{lo}:{hi}"')
        parts = [open_tag]
        pos = row.start + len(row.open_tag)
        by_col = row.by_col or {}
        new = sorted(c for c in edits if c not in by_col)
        k = 0
        for cell in cells:
            while k < len(new) and new[k] < cell.col:
                parts.append(edits[new[k]])
                k += 1
            parts.append(self.text[pos : cell.start])
            edited = edits.get(cell.col)
            parts.append(edited if edited is not None else self.text[cell.start : cell.end])
            pos = cell.end
        end = row.end if row.open_tag.endswith("/>") else row.end - len(f"</{self.p}row>")
        parts.append(self.text[pos:end] if pos <= end else "")
        parts += [edits[c] for c in new[k:]]
        parts.append(f"</{self.p}row>")
        return "".join(parts)
