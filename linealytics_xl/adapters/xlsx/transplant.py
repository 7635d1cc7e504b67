"""The Dashboard sheet written straight into the planner's package, from its layout.

``adapters.dashboard_layout`` describes the sheet as data (cells, styles, merges, drop-down, print
blocks, chart kinds).  This module renders that description as SpreadsheetML: the sheet XML is
written as text (inline strings, so the planner's ``sharedStrings.xml`` is not touched; formats
appended to the planner's ``styles.xml``), the drawing from a small template, and each chart's XML
from openpyxl's chart model (``dashboard_charts.chart_xml``) -- no scratch workbook is built,
saved and parsed again, which made the Dashboard most of a write's time.  Parts get unused
names, and the print area becomes a name local to the sheet's position in the planner's workbook.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from xml.sax.saxutils import escape, quoteattr

import pandas as pd
from lxml import etree

from ..dashboard_cells import DASHBOARD, GRID_COLS, Cell, Layout, Style, chart_anchor
from ..dashboard_charts import chart_xml, charts
from .book_xml import NS_MAIN, NS_R
from .package import XML_DECL, Package, relative, rels_name
from .styles import Styles

_M = f"{{{NS_MAIN}}}"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
# characters XML 1.0 cannot hold (a text cell keeps everything else)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def build(
    frames: Mapping[str, pd.DataFrame],
    sheet_name: str,
    make_layout: Callable[[Mapping[str, pd.DataFrame]], Layout],
) -> Layout:
    """The Dashboard's layout over ``frames`` (output tables by name); raises when it cannot be made."""
    if sheet_name != DASHBOARD:
        raise ValueError(
            f"the Dashboard's formulas and charts name the sheet {DASHBOARD!r}, not {sheet_name!r}"
        )
    return make_layout(frames)


class _StyleIds:
    """`Style` -> index of the same format in the planner's ``cellXfs`` (appended when new)."""

    def __init__(self, styles: Styles):
        self.styles = styles
        self.done: dict[Style, str | None] = {Style(): None}

    def __call__(self, style: Style) -> str | None:
        try:
            return self.done[style]
        except KeyError:
            self.done[style] = found = str(self._index(style))
            return found

    def _index(self, s: Style) -> int:
        font = etree.Element(f"{_M}font", nsmap={None: NS_MAIN})
        if s.bold:
            etree.SubElement(font, f"{_M}b")
        if s.italic:
            etree.SubElement(font, f"{_M}i")
        if s.size is not None:
            etree.SubElement(font, f"{_M}sz", val=f"{s.size:g}")
        if s.color is not None:
            etree.SubElement(font, f"{_M}color", rgb="FF" + s.color)
        fill = None
        if s.fill is not None:
            fill = etree.Element(f"{_M}fill", nsmap={None: NS_MAIN})
            pattern = etree.SubElement(fill, f"{_M}patternFill", patternType="solid")
            etree.SubElement(pattern, f"{_M}fgColor", rgb="FF" + s.fill)
            etree.SubElement(pattern, f"{_M}bgColor", indexed="64")
        border = None
        if s.edges:
            border = etree.Element(f"{_M}border", nsmap={None: NS_MAIN})
            for side in ("left", "right", "top", "bottom", "diagonal"):
                e = etree.SubElement(border, f"{_M}{side}")
                if side in s.edges:
                    e.set("style", "thin")
                    etree.SubElement(e, f"{_M}color", rgb="FF" + s.edge_color)
        flags: dict[str, str] = {}
        children = []
        if s.align is not None or s.shrink:
            alignment = etree.Element(f"{_M}alignment", nsmap={None: NS_MAIN})
            if s.align is not None:
                alignment.set("horizontal", s.align)
            if s.shrink:
                alignment.set("shrinkToFit", "1")
            children.append(alignment)
            flags["applyAlignment"] = "1"
        for name, on in (
            ("applyFont", len(font)),
            ("applyFill", fill is not None),
            ("applyBorder", border is not None),
        ):
            if on:
                flags[name] = "1"
        return self.styles.cell_format(
            number_format=s.number_format,
            font=font if len(font) else None,
            fill=fill,
            border=border,
            children=children,
            flags=flags,
        )


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


def _cell_xml(cell: Cell, style: str | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    v = cell.value
    if cell.formula and isinstance(v, str):
        return f'<c r="{cell.ref}"{s}><f>{_text(v[1:] if v.startswith("=") else v)}</f></c>'
    if isinstance(v, str):
        return f'<c r="{cell.ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(v)}</t></is></c>'
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return f'<c r="{cell.ref}"{s}><v>{int(v) if isinstance(v, int) else repr(float(v))}</v></c>'
    return f'<c r="{cell.ref}"{s}/>'


def sheet_xml(
    out: Layout, style: Callable[[Style], str | None], tab_selected: bool, drawing_rid: str | None
) -> bytes:
    """The worksheet part of the layout (elements in the order the schema wants them)."""
    parts = [
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">',
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
        '<sheetViews><sheetView showGridLines="0"'
        + (' tabSelected="1"' if tab_selected else "")
        + ' workbookViewId="0"/></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        "<cols>"
        + "".join(
            f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>' for c, w in sorted(out.widths.items())
        )
        + "</cols>",
        "<sheetData>",
    ]
    for row in out.rows():
        r = row[0].row
        height = out.heights.get(r)
        ht = f' ht="{height:g}" customHeight="1"' if height is not None else ""
        parts.append(f'<row r="{r}"{ht}>' + "".join(_cell_xml(c, style(c.style)) for c in row) + "</row>")
    parts.append("</sheetData>")
    if out.merges:
        parts.append(
            f'<mergeCells count="{len(out.merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in out.merges)
            + "</mergeCells>"
        )
    v = out.validation
    if v is not None:
        attrs = (
            f'type="list" allowBlank="0" showInputMessage="1" showErrorMessage="1" errorTitle={quoteattr(v.error_title)} '
            f"error={quoteattr(v.error)} promptTitle={quoteattr(v.prompt_title)} prompt={quoteattr(v.prompt)} "
            f'sqref="{v.sqref}"'
        )
        parts.append(
            f'<dataValidations count="1"><dataValidation {attrs}><formula1>{escape(v.formula1)}</formula1></dataValidation></dataValidations>'
        )
    parts += [
        '<printOptions horizontalCentered="1"/>',
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.2" footer="0.2"/>',
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>',
    ]
    breaks = out.print_ends[:-1]
    if breaks:
        parts.append(
            f'<rowBreaks count="{len(breaks)}" manualBreakCount="{len(breaks)}">'
            + "".join(f'<brk id="{b}" max="16383" man="1"/>' for b in breaks)
            + "</rowBreaks>"
        )
    if drawing_rid is not None:
        parts.append(f'<drawing r:id="{drawing_rid}"/>')
    parts.append("</worksheet>")
    return XML_DECL + "".join(parts).encode("utf-8")


def drawing_xml(out: Layout) -> bytes:
    """The drawing part: one cell-anchored graphic frame per chart (``rId{k}`` -> chart ``k``)."""
    anchors = []
    for slot in range(len(out.charts)):
        c0, r0, c1, r1 = chart_anchor(slot, out.chart_top)
        k = slot + 1
        anchors.append(
            f"<xdr:twoCellAnchor><xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>38100</xdr:colOff>"
            f"<xdr:row>{r0}</xdr:row><xdr:rowOff>38100</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row>"
            f'<xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{k}" name="Chart {k}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
            f'<a:graphicData uri="{NS_C}"><c:chart xmlns:c="{NS_C}" xmlns:r="{NS_R}" r:id="rId{k}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        )
    body = f'<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">' + "".join(anchors) + "</xdr:wsDr>"
    return XML_DECL + body.encode("utf-8")


def _rels(targets: list[tuple[str, str]], source: str) -> bytes:
    items = "".join(
        f'<Relationship Id="rId{k}" Type="{REL_DOC}/{kind}" Target="{relative(source, target)}"/>'
        for k, (kind, target) in enumerate(targets, 1)
    )
    ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    return XML_DECL + f'<Relationships xmlns="{ns}">{items}</Relationships>'.encode()


def transplant(
    out: Layout, package: Package, styles: Styles, sheet_part: str, tab_selected: bool
) -> list[etree._Element]:
    """Write the Dashboard ``out`` into ``package`` as ``sheet_part``; returns its local names."""
    drawing_rid = None
    if out.charts:
        drawing = package.free_name("xl/drawings/drawing{}.xml")
        taken: list[str] = [drawing]
        chart_parts = []
        for chart in charts(out):
            part = package.free_name("xl/charts/chart{}.xml", taken)
            taken.append(part)
            chart_parts.append(part)
            package.write(part, chart_xml(chart), CT_CHART)
        package.write(drawing, drawing_xml(out), CT_DRAWING)
        package.write(rels_name(drawing), _rels([("chart", p) for p in chart_parts], drawing))
        package.write(rels_name(sheet_part), _rels([("drawing", drawing)], sheet_part))
        drawing_rid = "rId1"
    package.write(sheet_part, sheet_xml(out, _StyleIds(styles), tab_selected, drawing_rid), CT_WORKSHEET)
    area = etree.Element(f"{_M}definedName", nsmap={None: NS_MAIN}, name="_xlnm.Print_Area")
    area.text = f"'{DASHBOARD}'!$A$1:${_letter(GRID_COLS)}${out.print_ends[-1]}"
    return [area]


def _letter(col: int) -> str:
    return Cell(1, col).ref[:-1]
