"""Sheets the tool owns, streamed as SpreadsheetML straight from DataFrames.

No per-cell Python objects: each column is turned into cell text in slices of rows (numbers by
``repr``, the shortest text that reads back as the same double; dates as serial numbers with a
date style; text as inline strings, so the planner's ``sharedStrings.xml`` is never touched).
Text is never a formula: a string starting with ``=`` is still a string cell.  Characters XML 1.0
cannot carry are written with the OOXML ``_xHHHH_`` escape, which Excel reads back as the
character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd

from ...core.cells import column_letter
from .package import Writable

NS_DECL = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
SLICE_ROWS = 20_000
DAY_NS = 86_400 * 10**9

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPE_LOOKALIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


@dataclass(frozen=True)
class Formula:
    """A formula the planner wrote in a tool sheet (a calculated column, a total), carried into
    the rewritten sheet.  Its own type, so that no text from a table's data can ever become one."""

    text: str

    def cell(self, ref: str) -> str:
        return f'<c r="{ref}"><f>{self.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</f></c>'


@dataclass
class SheetExtras:
    """The planner's elements of a tool sheet (``kept.sheet_extras``), as XML text, where the
    sheet writer places them in CT_Worksheet's order; ``lost`` names what could not be kept."""

    before_dimension: str = ""  # sheetPr (tab colour)
    cols: str | None = None  # the planner's column widths, in place of the tool's
    after_data: str = ""  # sheetProtection
    formats: str = ""  # conditionalFormatting, dataValidations, hyperlinks within the workbook
    page: str | None = None  # print settings, in place of the default page margins
    drawing: str | None = None  # the part of the planner's drawing on the sheet
    ext: str = ""  # extLst: newer conditional formats, validations, sparklines (not slicers)
    lost: list[str] = field(default_factory=list)


def escape_text(text: str) -> str:
    """``text`` as XML character data: OOXML-escaped where XML 1.0 cannot carry it, then XML-escaped.

    A literal ``_x0041_`` in the text is protected as ``_x005F_x0041_`` so that it reads back as
    itself rather than as ``A`` (ECMA-376 Part 1, 22.9.2.19).
    """
    text = _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", text)
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def string_cell(ref: str, text: str, style: str = "") -> str:
    """An inline-string cell (never a formula, whatever the text starts with)."""
    return f'<c r="{ref}"{style}{_string_tail(text)}'


def _string_tail(text: str) -> str:
    body = escape_text(text)
    space = ' xml:space="preserve"' if body != body.strip() or "\n" in body else ""
    return f' t="inlineStr"><is><t{space}>{body}</t></is></c>'


def excel_serial(value: Any, epoch: datetime) -> float | None:
    """Excel's serial day number of a date or time stamp, counted from ``epoch`` (the workbook's
    date system, ``Book.epoch``: 1899-12-30 or 1904-01-01); a time of day is a day fraction."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - epoch
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if isinstance(value, date):
        return float((value - epoch.date()).days)
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    return None


def _is_date(v: Any) -> bool:
    return isinstance(v, (date, datetime, pd.Timestamp)) and v is not pd.NaT


def is_date_column(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_datetime64_any_dtype(series)
        or (series.dtype == object and series.map(_is_date).any())
    )


def _object_cell(ref: str, v: Any, style: str, date_style: str, epoch: datetime) -> str:
    """One cell of any Python value (``style`` is the `` s="N"`` attribute or ''; a date gets
    ``date_style`` when given, and its serial from ``epoch``)."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f'<c r="{ref}"{style}><v>{int(v)}</v></c>'
    if isinstance(v, (float, np.floating)):
        return f'<c r="{ref}"{style}><v>{float(v)!r}</v></c>' if np.isfinite(v) else ""
    if _is_date(v) or isinstance(v, time):
        return f'<c r="{ref}"{date_style or style}><v>{excel_serial(v, epoch)!r}</v></c>'
    return string_cell(ref, str(v), style)


def _column_cells(
    letter: str, col: pd.Series, rows: Sequence[str], style: str, date_style: str, epoch: datetime
) -> list[str]:
    """Cell XML of one column slice ('' for an empty cell); ``rows`` are the row numbers as text,
    ``style`` the column's `` s="N"`` attribute (or ''), ``date_style`` that of the dates in a
    column of mixed values, ``epoch`` day 0 of the workbook's date system."""
    if pd.api.types.is_bool_dtype(col):
        return [f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>' for r, v in zip(rows, col.tolist())]
    if (
        pd.api.types.is_integer_dtype(col)
        and not isinstance(col.dtype, pd.CategoricalDtype)
        and not col.hasnans
    ):
        return [f'<c r="{letter}{r}"{style}><v>{v}</v></c>' for r, v in zip(rows, col.tolist())]
    if pd.api.types.is_float_dtype(col):
        arr = col.to_numpy(dtype=float)
        finite = np.isfinite(arr).tolist()
        if all(finite):
            return [f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>' for r, v in zip(rows, arr.tolist())]
        return [
            f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>' if ok else ""
            for r, v, ok in zip(rows, arr.tolist(), finite)
        ]
    if pd.api.types.is_datetime64_any_dtype(col):
        values = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        ns = values.to_numpy(dtype="datetime64[ns]")
        ok = (~np.isnat(ns)).tolist()
        serial = ((ns - np.datetime64(epoch, "ns")).astype(np.int64) / DAY_NS).tolist()
        style = date_style or style
        return [
            f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>' if good else ""
            for r, v, good in zip(rows, serial, ok)
        ]
    cache: dict[Any, str] = {}
    out = []
    for r, v in zip(rows, col.tolist()):
        if isinstance(v, str):
            body = cache.get(v)
            if body is None:
                body = cache[v] = _string_tail(v)
            out.append(f'<c r="{letter}{r}"{style}{body}')
        else:
            out.append(_object_cell(f"{letter}{r}", v, style, date_style, epoch))
    return out


def sheet_writer(
    frame: pd.DataFrame,
    *,
    column_styles: dict[int, int],
    widths: Sequence[float],
    freeze_header: bool,
    table_rel: str | None,
    min_rows: int = 1,
    header: bool = True,
    date_styles: dict[int, int] | None = None,
    epoch: datetime,
    formula_columns: Sequence[tuple[str, Formula]] = (),
    total_row: Sequence[str | Formula] = (),
    extras: SheetExtras | None = None,
    drawing_rel: str | None = None,
) -> Callable[[Writable], None]:
    """A function that streams ``frame`` (its column names as row 1 when ``header``) as a
    worksheet part.

    ``column_styles`` maps column positions to the cell format of their data cells (a number or
    date format); ``date_styles`` those of the date values in columns of mixed values;
    ``table_rel`` is the relationship id of the sheet's table part (None for none); ``epoch`` is
    day 0 of the workbook's date system (``Book.epoch``), from which dates are counted.
    ``formula_columns`` (header, formula) follow the frame's columns, the formula in every row;
    ``total_row`` is a row after the data (text or formulas, one per column); ``extras`` the
    planner's elements kept from the previous sheet, ``drawing_rel`` the id of a kept drawing.
    """
    n, k = len(frame), len(frame.columns)
    width = k + len(formula_columns)
    last_row = max(min_rows, n + 1) + (1 if total_row else 0)
    dimension = f"A1:{column_letter(max(width, 1) - 1)}{last_row}"
    extras = extras or SheetExtras()

    def write(stream: Writable) -> None:
        head = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS_DECL}>',
            extras.before_dimension,
            f'<dimension ref="{dimension}"/>',
            '<sheetViews><sheetView workbookViewId="0">',
        ]
        if freeze_header:
            head.append(
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            )
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if extras.cols is not None:
            head.append(extras.cols)
        elif widths:
            head.append(
                "<cols>"
                + "".join(
                    f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
                    for i, w in enumerate(widths)
                )
                + "</cols>"
            )
        head.append("<sheetData>")
        if header:
            head.append('<row r="1">')
            head += [string_cell(f"{column_letter(i)}1", str(c)) for i, c in enumerate(frame.columns)]
            head += [string_cell(f"{column_letter(k + j)}1", c) for j, (c, _) in enumerate(formula_columns)]
            head.append("</row>")
        stream.write("".join(head).encode("utf-8"))
        letters = [column_letter(i) for i in range(k)]
        styles = [f' s="{column_styles[i]}"' if i in column_styles else "" for i in range(k)]
        dates = [f' s="{date_styles[i]}"' if date_styles and i in date_styles else "" for i in range(k)]
        first = 2 if header else 1
        for start in range(0, n, SLICE_ROWS):
            part = frame.iloc[start : start + SLICE_ROWS]
            rows = [str(r) for r in range(start + first, start + first + len(part))]
            cols = [
                _column_cells(letters[i], part.iloc[:, i], rows, styles[i], dates[i], epoch) for i in range(k)
            ]
            cols += [
                [f.cell(f"{column_letter(k + j)}{r}") for r in rows]
                for j, (_, f) in enumerate(formula_columns)
            ]
            body = "".join(
                f'<row r="{r}">{"".join(cells)}</row>' for r, cells in zip(rows, zip(*cols)) if any(cells)
            )
            stream.write(body.encode("utf-8"))
        if total_row:
            r = str(last_row)
            cells = [
                v.cell(f"{column_letter(i)}{r}")
                if isinstance(v, Formula)
                else string_cell(f"{column_letter(i)}{r}", v)
                for i, v in enumerate(total_row)
                if v
            ]
            stream.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
        tail = ["</sheetData>", extras.after_data, extras.formats]
        tail.append(
            extras.page
            if extras.page is not None
            else '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        )
        if drawing_rel:
            tail.append(f'<drawing r:id="{drawing_rel}"/>')
        if table_rel:
            tail.append(f'<tableParts count="1"><tablePart r:id="{table_rel}"/></tableParts>')
        tail.append(extras.ext)
        tail.append("</worksheet>")
        stream.write("".join(tail).encode("utf-8"))

    return Streamed(write, 64 * (n + 2) * max(width, 1) + 4096 + len(extras.formats) + len(extras.cols or ""))


class Streamed:
    """A part written to a stream, with an upper estimate of its size (for the zip64 decision:
    zip64 headers only where a part may pass 2 GiB)."""

    def __init__(self, write: Callable[[Writable], None], estimated_bytes: int):
        self.write, self.estimated_bytes = write, estimated_bytes

    def __call__(self, stream: Writable) -> None:
        self.write(stream)
