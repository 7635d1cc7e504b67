"""A small SpreadsheetML (xlsx) package writer for the demo workbooks.

Written directly rather than through openpyxl because the 500-product demo takes about 2 s this
way and ten times longer with openpyxl (without lxml).  It knows only what the demo layout needs:
shared strings, a styles part with number formats, bold and solid fills, merged cells, frozen
panes, column widths, hidden sheets and formulas without cached values (``fullCalcOnLoad``, so
Excel computes them on opening).  The sheet layout itself is in :mod:`.demo_workbook`.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

__all__ = ["HEADER", "Book", "Sheet", "Style", "column"]

# --------------------------------------------------------------------------- writing
# The workbook is written as SpreadsheetML directly: openpyxl (without lxml) needs ~25 s for the
# 500-product case, this writer about 2 s.  The output is a plain xlsx that Excel, LibreOffice and
# openpyxl read: shared strings, a styles part with the real number formats, formulas without
# cached values and ``fullCalcOnLoad`` so that Excel computes them on opening.

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _esc(text: str) -> str:
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class Style:
    number_format: str | None = None
    bold: bool = False
    fill: str | None = None  # ARGB of a solid fill
    align: str | None = None  # horizontal alignment


HEADER = Style(bold=True, fill="FFA9C4E9")


class _Styles:
    """A minimal styles part: the cell formats used, in order of first use."""

    def __init__(self) -> None:
        self._xfs: dict[Style, int] = {Style(): 0}
        self._fmts: dict[str, int] = {}
        self._fills: dict[str, int] = {}

    def __call__(self, style: Style) -> int:
        if style not in self._xfs:
            code = style.number_format
            if code and code not in BUILTIN_FORMATS_REVERSE and code not in self._fmts:
                self._fmts[code] = 164 + len(self._fmts)
            if style.fill and style.fill not in self._fills:
                self._fills[style.fill] = 2 + len(self._fills)
            self._xfs[style] = len(self._xfs)
        return self._xfs[style]

    def xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_esc(code)}"/>' for code, i in self._fmts.items()
        )
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/>'
            f"</patternFill></fill>"
            for rgb in self._fills
        )
        xfs = []
        for st in self._xfs:
            code = st.number_format
            num = BUILTIN_FORMATS_REVERSE.get(code, self._fmts.get(code, 0)) if code else 0
            fill = self._fills.get(st.fill, 0) if st.fill else 0
            attrs = f'numFmtId="{num}" fontId="{1 if st.bold else 0}" fillId="{fill}" borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if num else ""
            attrs += ' applyFont="1"' if st.bold else ""
            attrs += ' applyFill="1"' if fill else ""
            if st.align:
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment horizontal="{st.align}"/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        return (
            f'{_XML_HEAD}<styleSheet xmlns="{_NS_MAIN}">'
            + (f'<numFmts count="{len(self._fmts)}">{fmts}</numFmts>' if self._fmts else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            f'<fills count="{2 + len(self._fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class Book:
    """Collects sheets, shared strings and styles; :meth:`save` writes the xlsx package."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self.styles = _Styles()
        self._strings: dict[str, int] = {}

    def sheet(
        self,
        name: str,
        *,
        state: str = "visible",
        freeze: str | None = None,
        widths: dict[str, float] | None = None,
        default_width: float | None = None,
    ) -> Sheet:
        """A new sheet at the end of the book (see :class:`Sheet` for the options)."""
        ws = Sheet(self, name, state=state, freeze=freeze, widths=widths, default_width=default_width)
        self.sheets.append(ws)
        return ws

    def string(self, text: str) -> int:
        idx = self._strings.get(text)
        if idx is None:
            idx = self._strings[text] = len(self._strings)
        return idx

    def save(self, path: Path, *, creator: str) -> None:
        """Write the package to ``path`` atomically (a temporary file beside it, then renamed)."""
        parts = [
            ("[Content_Types].xml", _content_types(len(self.sheets))),
            ("_rels/.rels", _ROOT_RELS),
            ("docProps/core.xml", _core_properties(creator)),
            ("xl/workbook.xml", self._workbook_xml()),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
        ]
        tmp = path.with_name(path.name + ".tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                for name, xml in parts:
                    zf.writestr(name, xml)
                for i, ws in enumerate(self.sheets, 1):
                    zf.writestr(f"xl/worksheets/sheet{i}.xml", ws.xml(selected=i == 1))
                zf.writestr("xl/styles.xml", self.styles.xml())
                zf.writestr("xl/sharedStrings.xml", self._shared_strings())
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)

    def _workbook_xml(self) -> str:
        sheets_xml = "".join(
            f'<sheet name="{_esc(ws.name)}" sheetId="{i}"'
            + ("" if ws.state == "visible" else f' state="{ws.state}"')
            + f' r:id="rId{i}"/>'
            for i, ws in enumerate(self.sheets, 1)
        )
        return (
            f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets_xml}</sheets>"
            '<calcPr calcId="191029" fullCalcOnLoad="1"/>'
            "</workbook>"
        )

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        wb_rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        return (
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">{wb_rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_NS_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        )

    def _shared_strings(self) -> str:
        strings = "".join(
            f'<si><t xml:space="preserve">{_esc(s)}</t></si>'
            if s != s.strip() or not s
            else f"<si><t>{_esc(s)}</t></si>"
            for s in self._strings
        )
        return (
            f'{_XML_HEAD}<sst xmlns="{_NS_MAIN}" count="{len(self._strings)}" '
            f'uniqueCount="{len(self._strings)}">{strings}</sst>'
        )


def _content_types(n_sheets: int) -> str:
    n = n_sheets
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheet_types}"
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    )


_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)


def _core_properties(creator: str) -> str:
    return (
        f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>{_esc(creator)}</dc:creator>"
        "</cp:coreProperties>"
    )


_COLS: list[str] = []


def column(index: int) -> str:
    """Column letters of a 1-based column index (cached)."""
    try:
        return _COLS[index - 1]
    except IndexError:
        while len(_COLS) < index:
            _COLS.append(get_column_letter(len(_COLS) + 1))
        return _COLS[index - 1]


class Sheet:
    """One worksheet, built row by row (rows are appended in order, starting at row 1)."""

    def __init__(
        self,
        book: Book,
        name: str,
        *,
        state: str = "visible",
        freeze: str | None = None,
        widths: dict[str, float] | None = None,
        default_width: float | None = None,
    ):
        self.book, self.name, self.state, self.freeze = book, name, state, freeze
        self.widths = dict(widths or {})
        self.default_width = default_width
        self.merges: list[str] = []
        self._rows: list[str] = []
        self._max_col = 0

    def append(self, *segments: tuple[Iterable[object], Style | None]) -> None:
        """Append one row made of ``(values, style)`` segments placed side by side."""
        r = len(self._rows) + 1
        cells: list[str] = []
        c = 0
        for values, style in segments:
            s = f' s="{self.book.styles(style)}"' if style is not None and style != Style() else ""
            for v in values:
                c += 1
                if v is None:
                    continue
                if type(v) is float and -1e15 < v < 1e15:  # the common cases first (exact types: fast)
                    text = str(int(v)) if v.is_integer() else repr(v)
                    cells.append(f'<c r="{column(c)}{r}"{s}><v>{text}</v></c>')
                elif type(v) is int:
                    cells.append(f'<c r="{column(c)}{r}"{s}><v>{v}</v></c>')
                else:
                    cells.append(self._cell(f"{column(c)}{r}", s, v))
        self._max_col = max(self._max_col, c)
        self._rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')

    def _cell(self, ref: str, s: str, v: object) -> str:
        if isinstance(v, str):
            if v.startswith("="):
                return f'<c r="{ref}"{s}><f>{_esc(v[1:])}</f></c>'
            return f'<c r="{ref}"{s} t="s"><v>{self.book.string(v)}</v></c>'
        if isinstance(v, (bool, np.bool_)):
            return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, (int, np.integer)):
            return f'<c r="{ref}"{s}><v>{int(v)}</v></c>'
        if isinstance(v, (float, np.floating)):
            x = float(v)
            if not np.isfinite(x):
                raise ValueError(f"{self.name}!{ref}: cannot write {x!r}")
            text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
            return f'<c r="{ref}"{s}><v>{text}</v></c>'
        if isinstance(v, dt.datetime):
            serial = (v - _EXCEL_EPOCH) / dt.timedelta(days=1)
            return f'<c r="{ref}"{s}><v>{serial:.10g}</v></c>'
        raise TypeError(f"{self.name}!{ref}: cannot write {type(v).__name__}")

    def merge(self, first_col: int, last_col: int, row: int) -> None:
        self.merges.append(f"{column(first_col)}{row}:{column(last_col)}{row}")

    def xml(self, *, selected: bool) -> str:
        n_rows = len(self._rows)
        dim = f"A1:{column(max(self._max_col, 1))}{max(n_rows, 1)}"
        tab = ' tabSelected="1"' if selected else ""
        if self.freeze:
            cell = CellRange(self.freeze)
            x, y = cell.min_col - 1, cell.min_row - 1
            split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
            pane = "bottomRight" if x and y else ("topRight" if x else "bottomLeft")
            view = (
                f'<sheetView workbookViewId="0"{tab}><pane{split} topLeftCell="{self.freeze}" '
                f'activePane="{pane}" state="frozen"/><selection pane="{pane}"/></sheetView>'
            )
        else:
            view = f'<sheetView workbookViewId="0"{tab}/>'
        cols = []
        explicit = {CellRange(f"{k}1").min_col: w for k, w in self.widths.items()}
        last = max([*explicit, self._max_col if self.default_width else 0, 0])
        for idx in range(1, last + 1):
            w = explicit.get(idx, self.default_width)
            if w is not None:
                cols.append(f'<col min="{idx}" max="{idx}" width="{w}" customWidth="1"/>')
        cols_xml = f"<cols>{''.join(cols)}</cols>" if cols else ""
        merges = (
            f'<mergeCells count="{len(self.merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
            + "</mergeCells>"
            if self.merges
            else ""
        )
        return (
            f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            f'<dimension ref="{dim}"/><sheetViews>{view}</sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols_xml}'
            f"<sheetData>{''.join(self._rows)}</sheetData>{merges}"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            "</worksheet>"
        )
