"""The output tables' contract in code: one `TableSpec` per table (the Power BI contract).

Every builder, writer, chart, mail and the Power BI kit's test take table and column names from
here, and every writer formats a column with its spec's Excel number format, so the contract is
defined once.  `docs/tables.md` describes the same tables in words; `tests/test_contract.py`
checks the two against each other (names, order, types, units, keys, nullability) and against a
planned workbook.  This module is plain data: adapters import it without the planning stack.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = "2.0"

#: Prefix of every Excel Table's name.  Excel compares table names, defined names and worksheet
#: function names case-insensitively, and the add-in's functions are called ``LL_PLAN``,
#: ``LL_FORECAST``, ``LL_RISK``...: a table named ``LL_Plan`` is the same name as the function
#: ``LL_PLAN``, and ``=LL_PLAN(...)`` or ``LL_Plan[Wafers]`` becomes ambiguous.  No function of the
#: add-in starts with ``tbl`` (they all start with ``LL_``), so the two kinds of name are disjoint
#: by construction, whatever functions or tables are added later.  Sheets keep the ``LL_`` names
#: (sheet names live in a namespace of their own).
TABLE_PREFIX = "tbl"


def table_name(sheet: str) -> str:
    """The Excel Table name of the tool's table on sheet ``sheet`` (``LL_Plan`` -> ``tblLL_Plan``)."""
    return TABLE_PREFIX + sheet


#: Excel number format per unit: people read bytes in GB (the cell keeps plain bytes: the three
#: trailing commas scale the shown number by 1e-9), wafers whole, shares as percentages.
UNIT_FORMATS = {
    "bytes": '#,##0.00,,," GB"',
    "byte-weeks": '#,##0.00,,," GB-weeks"',
    "wafers": "#,##0",
    "wafers/week": "#,##0",
    "fraction": "0.0%",
    "probability": "0.0%",
    "ratio": "0.00",
    "seconds": "0.000",
    "week": "0",
}
TYPE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "integer": "0"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, integer, number, date, datetime, boolean
    unit: str = "—"
    key: bool = False
    nullable: bool = False

    @property
    def number_format(self) -> str:
        """The Excel number format every writer gives this column's data cells."""
        return UNIT_FORMATS.get(self.unit) or TYPE_FORMATS.get(self.type) or "General"


@dataclass(frozen=True)
class TableSpec:
    name: str  # the sheet's name (LL_Plan)
    grain: str
    columns: tuple[Column, ...]

    @property
    def table_name(self) -> str:
        """The Excel Table's name (``tblLL_Plan``): never equal to a worksheet function's name."""
        return table_name(self.name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.columns if c.key]

    def number_formats(self) -> dict[str, str]:
        return {c.name: c.number_format for c in self.columns}


def _cols(*rows: tuple) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_PRODUCT_WEEK = (
    ("Product", "text", "—", True),
    ("Quarter", "text"),
    ("Week", "text"),
    ("WeekIndex", "integer", "week", True),
    ("WeekStart", "date", "—", False, True),
)

PLAN = TableSpec(
    "LL_Plan",
    "product x week",
    _cols(
        *_PRODUCT_WEEK,
        ("DemandBytes", "number", "bytes"),
        ("Wafers", "number", "wafers"),
        ("SupplyBytes", "number", "bytes"),
        ("StockBytes", "number", "bytes"),
        ("BacklogBytes", "number", "bytes"),
        ("SafetyStockBytes", "number", "bytes"),
        ("CapacityWafers", "number", "wafers/week"),
        ("Utilization", "number", "fraction"),
    ),
)
RUNS = TableSpec(
    "LL_Runs",
    "run",
    _cols(
        ("RunId", "text", "—", True),
        ("Time", "datetime"),
        ("Workbook", "text"),
        ("InputFingerprint", "text"),
        ("Settings", "text"),
        ("Solver", "text"),
        ("Status", "text"),
        ("BacklogByteWeeks", "number", "byte-weeks", False, True),
        ("SafetyStockShortfallBytes", "number", "bytes", False, True),
        ("Wafers", "number", "wafers", False, True),
        ("ShortageBytes", "number", "bytes"),
        ("WallTimeS", "number", "seconds"),
        ("Warnings", "integer"),
        ("Version", "text"),
    ),
)
DATA_QUALITY = TableSpec(
    "LL_DataQuality",
    "input problem",
    _cols(("Severity", "text"), ("Sheet", "text"), ("Cell", "text", "—", False, True), ("Message", "text")),
)
FORECAST = TableSpec(
    "LL_Forecast",
    "product x week",
    _cols(
        ("Product", "text", "—", True),
        ("Week", "text"),
        ("WeekIndex", "integer", "week", True),
        ("WeekStart", "date", "—", False, True),
        ("Model", "text"),
        *((q, "number", "bytes", False, True) for q in ("P10", "P50", "P90", "Actual")),
    ),
)
BACKTEST = TableSpec(
    "LL_Backtest",
    "product x model x horizon band",
    _cols(
        ("Product", "text", "—", True),
        ("Model", "text", "—", True),
        ("HorizonWeeks", "text", "—", True),
        ("WAPE", "number", "fraction", False, True),
        ("Bias", "number", "fraction", False, True),
        ("MASE", "number", "ratio", False, True),
        ("Chosen", "boolean"),
    ),
)
RISK = TableSpec(
    "LL_Risk",
    "product x week",
    _cols(
        ("Product", "text", "—", True),
        ("Week", "text"),
        ("WeekIndex", "integer", "week", True),
        ("StockoutProbability", "number", "probability"),
        ("ExpectedShortageBytes", "number", "bytes"),
        ("FillRate", "number", "fraction"),
        ("RecommendedSafetyStockBytes", "number", "bytes"),
        ("SafetyStockBytes", "number", "bytes"),
    ),
)
INSIGHTS = TableSpec(
    "LL_Insights",
    "finding",
    _cols(
        ("Rank", "integer", "—", True),
        ("Product", "text", "—", False, True),
        ("Kind", "text"),
        ("Message", "text"),
        ("Value", "number", "varies", False, True),
    ),
)
ALERTS = TableSpec(
    "LL_Alerts",
    "alert",
    _cols(
        ("AlertId", "text", "—", True),
        ("Severity", "text"),
        ("Type", "text"),
        ("Product", "text", "—", False, True),
        ("Week", "text", "—", False, True),
        ("Value", "number", "varies", False, True),
        ("Threshold", "number", "varies", False, True),
        ("Message", "text"),
        ("FirstSeen", "datetime"),
        ("LastSeen", "datetime"),
        ("Status", "text"),
        ("Notified", "datetime", "—", False, True),
    ),
)

WHATIF = TableSpec(
    "LL_WhatIf",
    "case x product",
    _cols(
        ("Case", "text", "—", True),
        ("Product", "text", "—", True),
        ("Wafers", "number", "wafers"),
        ("ShortageBytes", "number", "bytes"),
        ("ServiceLevel", "number", "fraction"),
        ("WeeksBelowSafetyStock", "integer"),
        ("QuarterEndsBelowSafetyStock", "integer"),
        ("CapacityUse", "number", "fraction"),
        ("WafersChange", "number", "wafers"),
        ("ShortageChangeBytes", "number", "bytes"),
        ("ServiceLevelChange", "number", "fraction"),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (PLAN, RUNS, DATA_QUALITY, FORECAST, BACKTEST, RISK, INSIGHTS, ALERTS, WHATIF)
}


def number_formats(table: str, columns: list[str]) -> list[str]:
    """The Excel number format of each of ``columns`` of ``table`` (General where unknown)."""
    spec = TABLES.get(table)
    formats = spec.number_formats() if spec is not None else {}
    return [formats.get(str(c), "General") for c in columns]
