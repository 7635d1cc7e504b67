"""The Dashboard's charts as openpyxl chart objects over the layout's chart data.

openpyxl's chart classes are a complete, well-kept model of DrawingML charts; they are used here
only to make the chart XML (`chart_xml`: no workbook is built or saved), and by the openpyxl
renderer of the Dashboard.  Ranges are absolute references to the Dashboard's data columns.
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.legend import LegendEntry
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
    RichTextProperties,
)
from openpyxl.xml.functions import tostring

from ..core.contract import Col
from .dashboard_cells import (
    C_BACKLOG,
    C_BAND,
    C_DEMAND,
    C_INK,
    C_SAFETY,
    C_STOCK,
    C_SUPPLY,
    Block,
    Layout,
    chart_anchor,
)

#: Each chart kind's title (the live renderer names its charts with them too).
TITLES = {
    "plan": "Demand, yielded supply and stock by quarter",
    "stock": "Inventory vs safety stock by week",
    "capacity": "Capacity: wafer starts planned vs available by quarter",
    "forecast": "Weekly demand: forecast P50 with P10-P90 band, and actual",
    "risk": "Stock-out probability by week (across demand scenarios)",
}
RIGHT_AXIS = " (backlog: right axis)"


def _ref(block: Block, *, with_header: bool = True, last: int | None = None) -> Reference:
    return Reference(range_string=block.ref(with_header=with_header, last=last))


def charts(out: Layout) -> list[ChartBase]:
    """The layout's charts, anchored on the grid below the cards (and the what-if block)."""
    made = []
    for slot, kind in enumerate(out.charts):
        chart = BUILDERS[kind](out)
        c0, r0, c1, r1 = chart_anchor(slot, out.chart_top)
        chart.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=c0, row=r0, colOff=38100, rowOff=38100),
            to=AnchorMarker(col=c1, row=r1, colOff=0, rowOff=0),
        )
        made.append(chart)
    return made


def chart_xml(chart: ChartBase) -> bytes:
    """The chart part's XML (``xl/charts/chartN.xml``)."""
    return b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n" + tostring(chart._write())


def _axes(chart: Any, y_title: str, y_format: str = "General") -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0  # bars and stock levels from zero: no truncated axis
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.legend.position = "b"


def _line(series: Any, color: str, width: int = 22000, dash: str | None = None) -> None:
    series.smooth = False
    series.marker.symbol = "none"
    series.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.width = width
    if dash:
        series.graphicalProperties.line.dashStyle = dash


def _fill(series: Any, color: str) -> None:
    series.graphicalProperties.solidFill = color
    series.graphicalProperties.line.solidFill = color


def _week_axis(chart: Any, n_weeks: int) -> None:
    """Weekly category axis labelled with quarters: one label per quarter, or per few quarters so
    that at most about twelve show (LibreOffice ignores this and picks its own spacing)."""
    skip = 13 * max(1, math.ceil(n_weeks / 13 / 12))
    chart.x_axis.tickLblSkip = skip
    chart.x_axis.tickMarkSkip = skip
    small = CharacterProperties(sz=800)
    chart.x_axis.txPr = RichText(
        bodyPr=RichTextProperties(rot=-2700000, vert="horz"),
        p=[Paragraph(pPr=ParagraphProperties(defRPr=small), endParaRPr=small)],
    )


def _title(chart: Any, text: str, size: int = 1100) -> None:
    props = CharacterProperties(sz=size, b=True, solidFill=C_INK)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _plan_chart(out: Layout) -> BarChart:
    qb, unit, backlog_apart = out.quarter, out.unit, out.backlog_apart
    bar = BarChart()
    bar.type, bar.grouping, bar.gapWidth, bar.overlap = "col", "clustered", 60, -10
    for name, color in (("Demand", C_DEMAND), ("Yielded supply", C_SUPPLY)):
        bar.add_data(_ref(qb[name]), titles_from_data=True)
        _fill(bar.series[-1], color)
    bar.set_categories(_ref(qb[Col.QUARTER], with_header=False))
    line = LineChart()
    lines = [("Stock (quarter end)", C_STOCK, None), ("Safety stock target", C_SAFETY, "dash")]
    for name, color, dash in lines + ([] if backlog_apart else [("Backlog (quarter end)", C_BACKLOG, None)]):
        line.add_data(_ref(qb[name]), titles_from_data=True)
        _line(line.series[-1], color, dash=dash)
    _title(
        bar,
        TITLES["plan"] + (RIGHT_AXIS if backlog_apart else ""),
    )
    _axes(bar, unit)
    line.x_axis.delete = line.y_axis.delete = False
    bar += line
    if backlog_apart:
        bar += _right_axis_line(_ref(qb["Backlog (quarter end)"]), unit)
    return bar


def _right_axis_line(ref: Reference, unit: str) -> LineChart:
    """The backlog as a line on a secondary axis on the right (see ``_backlog_apart``)."""
    right = LineChart()
    right.add_data(ref, titles_from_data=True)
    _line(right.series[-1], C_BACKLOG, width=15000)
    right.y_axis.axId = 200
    right.y_axis.title = f"backlog ({unit})"
    right.y_axis.crosses = "max"
    right.y_axis.delete = False
    right.y_axis.scaling.min = 0
    right.y_axis.majorGridlines = None
    return right


def _stock_chart(out: Layout) -> LineChart:
    wb, last, unit, n_weeks, backlog_apart = (
        out.week,
        out.plan_last,
        out.unit,
        out.plan_weeks,
        out.backlog_apart,
    )
    chart = LineChart()
    series = [("Stock", C_STOCK, None), ("Safety stock target", C_SAFETY, "dash")]
    if not backlog_apart:
        series.append(("Backlog", C_BACKLOG, None))
    for name, color, dash in series:
        chart.add_data(_ref(wb[name], last=last), titles_from_data=True)
        _line(chart.series[-1], color, width=15000, dash=dash)
    chart.set_categories(_ref(wb["Label"], with_header=False, last=last))
    _title(chart, TITLES["stock"] + (RIGHT_AXIS if backlog_apart else ""))
    _axes(chart, unit)
    _week_axis(chart, n_weeks)
    if backlog_apart:
        chart += _right_axis_line(_ref(wb["Backlog"], last=last), unit)
    return chart


def _capacity_chart(out: Layout) -> BarChart:
    qb = out.quarter
    bar = BarChart()
    bar.type, bar.grouping, bar.gapWidth = "col", "clustered", 60
    bar.add_data(_ref(qb["Wafers planned"]), titles_from_data=True)
    _fill(bar.series[-1], C_SUPPLY)
    bar.set_categories(_ref(qb[Col.QUARTER], with_header=False))
    line = LineChart()
    line.add_data(_ref(qb["Wafers available"]), titles_from_data=True)
    _line(line.series[-1], C_INK, dash="sysDash")
    _title(bar, TITLES["capacity"])
    _axes(bar, "wafers", "#,##0")
    line.x_axis.delete = line.y_axis.delete = False
    bar += line
    return bar


def _forecast_chart(out: Layout) -> AreaChart:
    wb, unit = out.week, out.unit
    n_weeks = next(iter(wb.values())).last - next(iter(wb.values())).first + 1
    # The band is a stacked area: an invisible P10 base with the P90 - P10 width on top.
    area = AreaChart()
    area.grouping = "stacked"
    area.add_data(_ref(wb["Forecast P10"]), titles_from_data=True)
    base = area.series[-1]
    base.graphicalProperties.noFill = True
    base.graphicalProperties.line.noFill = True
    area.add_data(_ref(wb["P10-P90 band"]), titles_from_data=True)
    _fill(area.series[-1], C_BAND)
    area.set_categories(_ref(wb["Label"], with_header=False))
    lines = LineChart()
    for name, color, width in (("Forecast P50", C_SUPPLY, 15000), ("Actual demand", C_INK, 9525)):
        lines.add_data(_ref(wb[name]), titles_from_data=True)
        _line(lines.series[-1], color, width=width)
    _title(area, TITLES["forecast"])
    _axes(area, unit)
    _week_axis(area, n_weeks)
    area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]
    lines.x_axis.delete = lines.y_axis.delete = False
    area += lines
    return area


def _risk_chart(out: Layout) -> LineChart:
    wb, last, n_weeks = out.week, out.plan_last, out.plan_weeks
    chart = LineChart()
    chart.add_data(_ref(wb["Stock-out probability"], last=last), titles_from_data=True)
    _line(chart.series[-1], C_BACKLOG, width=15000)
    chart.set_categories(_ref(wb["Label"], with_header=False, last=last))
    _title(chart, TITLES["risk"])
    _axes(chart, "probability", "0%")
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    _week_axis(chart, n_weeks)
    return chart


BUILDERS = {
    "plan": _plan_chart,
    "stock": _stock_chart,
    "capacity": _capacity_chart,
    "forecast": _forecast_chart,
    "risk": _risk_chart,
}
