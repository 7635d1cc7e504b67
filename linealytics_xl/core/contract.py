"""The output tables' contract in code: one `TableSpec` per table (the Power BI contract).

Every builder, writer, chart, mail and the Power BI kit's test take table and column names from
here, and every writer formats a column with its spec's Excel number format, so the contract is
defined once.  `docs/tables.md` describes the same tables in words; `tests/test_contract.py`
checks the two against each other (names, order, types, units, keys, nullability) and against a
planned workbook.  This module is plain data: adapters import it without the planning stack.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = "2.1"

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


class Col:
    """Every output column's name, written once: builders and writers use ``Col.WAFERS``, never
    the text, so a renamed column is renamed everywhere (a column of several tables is one name).
    """

    PRODUCT = "Product"
    QUARTER = "Quarter"
    WEEK = "Week"
    WEEK_INDEX = "WeekIndex"
    WEEK_START = "WeekStart"
    DEMAND_BYTES = "DemandBytes"
    WAFERS = "Wafers"
    SUPPLY_BYTES = "SupplyBytes"
    STOCK_BYTES = "StockBytes"
    BACKLOG_BYTES = "BacklogBytes"
    SAFETY_STOCK_BYTES = "SafetyStockBytes"
    CAPACITY_WAFERS = "CapacityWafers"
    UTILIZATION = "Utilization"
    RUN_ID = "RunId"
    TIME = "Time"
    WORKBOOK = "Workbook"
    INPUT_FINGERPRINT = "InputFingerprint"
    SETTINGS = "Settings"
    SOLVER = "Solver"
    STATUS = "Status"
    BACKLOG_BYTE_WEEKS = "BacklogByteWeeks"
    SAFETY_STOCK_SHORTFALL_BYTES = "SafetyStockShortfallBytes"
    SHORTAGE_BYTES = "ShortageBytes"
    WALL_TIME_S = "WallTimeS"
    WARNINGS = "Warnings"
    VERSION = "Version"
    SEVERITY = "Severity"
    SHEET = "Sheet"
    CELL = "Cell"
    MESSAGE = "Message"
    MODEL = "Model"
    P10 = "P10"
    P50 = "P50"
    P90 = "P90"
    ACTUAL = "Actual"
    HORIZON_WEEKS = "HorizonWeeks"
    WAPE = "WAPE"
    BIAS = "Bias"
    MASE = "MASE"
    CHOSEN = "Chosen"
    STOCKOUT_PROBABILITY = "StockoutProbability"
    EXPECTED_SHORTAGE_BYTES = "ExpectedShortageBytes"
    FILL_RATE = "FillRate"
    RECOMMENDED_SAFETY_STOCK_BYTES = "RecommendedSafetyStockBytes"
    RANK = "Rank"
    KIND = "Kind"
    VALUE = "Value"
    ALERT_ID = "AlertId"
    TYPE = "Type"
    THRESHOLD = "Threshold"
    FIRST_SEEN = "FirstSeen"
    LAST_SEEN = "LastSeen"
    NOTIFIED = "Notified"
    CASE = "Case"
    SERVICE_LEVEL = "ServiceLevel"
    WEEKS_BELOW_SAFETY_STOCK = "WeeksBelowSafetyStock"
    QUARTER_ENDS_BELOW_SAFETY_STOCK = "QuarterEndsBelowSafetyStock"
    CAPACITY_USE = "CapacityUse"
    WAFERS_CHANGE = "WafersChange"
    SHORTAGE_CHANGE_BYTES = "ShortageChangeBytes"
    SERVICE_LEVEL_CHANGE = "ServiceLevelChange"


def _cols(*rows: tuple) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_PRODUCT_WEEK = (
    (Col.PRODUCT, "text", "—", True),
    (Col.QUARTER, "text"),
    (Col.WEEK, "text"),
    (Col.WEEK_INDEX, "integer", "week", True),
    (Col.WEEK_START, "date", "—", False, True),
)

PLAN = TableSpec(
    "LL_Plan",
    "product x week",
    _cols(
        *_PRODUCT_WEEK,
        (Col.DEMAND_BYTES, "number", "bytes"),
        (Col.WAFERS, "number", "wafers"),
        (Col.SUPPLY_BYTES, "number", "bytes"),
        (Col.STOCK_BYTES, "number", "bytes"),
        (Col.BACKLOG_BYTES, "number", "bytes"),
        (Col.SAFETY_STOCK_BYTES, "number", "bytes"),
        (Col.CAPACITY_WAFERS, "number", "wafers/week"),
        (Col.UTILIZATION, "number", "fraction"),
    ),
)
RUNS = TableSpec(
    "LL_Runs",
    "run",
    _cols(
        (Col.RUN_ID, "text", "—", True),
        (Col.TIME, "datetime"),
        (Col.WORKBOOK, "text"),
        (Col.INPUT_FINGERPRINT, "text"),
        (Col.SETTINGS, "text"),
        (Col.SOLVER, "text"),
        (Col.STATUS, "text"),
        (Col.BACKLOG_BYTE_WEEKS, "number", "byte-weeks", False, True),
        (Col.SAFETY_STOCK_SHORTFALL_BYTES, "number", "bytes", False, True),
        (Col.WAFERS, "number", "wafers", False, True),
        (Col.SHORTAGE_BYTES, "number", "bytes"),
        (Col.WALL_TIME_S, "number", "seconds"),
        (Col.WARNINGS, "integer"),
        (Col.VERSION, "text"),
    ),
)
DATA_QUALITY = TableSpec(
    "LL_DataQuality",
    "input problem",
    _cols(
        (Col.SEVERITY, "text"),
        (Col.SHEET, "text"),
        (Col.CELL, "text", "—", False, True),
        (Col.MESSAGE, "text"),
    ),
)
FORECAST = TableSpec(
    "LL_Forecast",
    "product x week",
    _cols(
        (Col.PRODUCT, "text", "—", True),
        (Col.WEEK, "text"),
        (Col.WEEK_INDEX, "integer", "week", True),
        (Col.WEEK_START, "date", "—", False, True),
        (Col.MODEL, "text"),
        *((q, "number", "bytes", False, True) for q in (Col.P10, "P50", "P90", "Actual")),
    ),
)
BACKTEST = TableSpec(
    "LL_Backtest",
    "product x model x horizon band",
    _cols(
        (Col.PRODUCT, "text", "—", True),
        (Col.MODEL, "text", "—", True),
        (Col.HORIZON_WEEKS, "text", "—", True),
        (Col.WAPE, "number", "fraction", False, True),
        (Col.BIAS, "number", "fraction", False, True),
        (Col.MASE, "number", "ratio", False, True),
        (Col.CHOSEN, "boolean"),
    ),
)
RISK = TableSpec(
    "LL_Risk",
    "product x week",
    _cols(
        (Col.PRODUCT, "text", "—", True),
        (Col.WEEK, "text"),
        (Col.WEEK_INDEX, "integer", "week", True),
        (Col.STOCKOUT_PROBABILITY, "number", "probability"),
        (Col.EXPECTED_SHORTAGE_BYTES, "number", "bytes"),
        (Col.FILL_RATE, "number", "fraction"),
        (Col.RECOMMENDED_SAFETY_STOCK_BYTES, "number", "bytes"),
        (Col.SAFETY_STOCK_BYTES, "number", "bytes"),
    ),
)
INSIGHTS = TableSpec(
    "LL_Insights",
    "finding",
    _cols(
        (Col.RANK, "integer", "—", True),
        (Col.PRODUCT, "text", "—", False, True),
        (Col.KIND, "text"),
        (Col.MESSAGE, "text"),
        (Col.VALUE, "number", "varies", False, True),
    ),
)
ALERTS = TableSpec(
    "LL_Alerts",
    "alert",
    _cols(
        (Col.ALERT_ID, "text", "—", True),
        (Col.SEVERITY, "text"),
        (Col.TYPE, "text"),
        (Col.PRODUCT, "text", "—", False, True),
        (Col.WEEK, "text", "—", False, True),
        (Col.VALUE, "number", "varies", False, True),
        (Col.THRESHOLD, "number", "varies", False, True),
        (Col.MESSAGE, "text"),
        (Col.FIRST_SEEN, "datetime"),
        (Col.LAST_SEEN, "datetime"),
        (Col.STATUS, "text"),
        (Col.NOTIFIED, "datetime", "—", False, True),
    ),
)

WHATIF = TableSpec(
    "LL_WhatIf",
    "case x product",
    _cols(
        (Col.CASE, "text", "—", True),
        (Col.PRODUCT, "text", "—", True),
        (Col.WAFERS, "number", "wafers"),
        (Col.SHORTAGE_BYTES, "number", "bytes"),
        (Col.SERVICE_LEVEL, "number", "fraction"),
        (Col.WEEKS_BELOW_SAFETY_STOCK, "integer"),
        (Col.QUARTER_ENDS_BELOW_SAFETY_STOCK, "integer"),
        (Col.CAPACITY_USE, "number", "fraction"),
        (Col.WAFERS_CHANGE, "number", "wafers"),
        (Col.SHORTAGE_CHANGE_BYTES, "number", "bytes"),
        (Col.SERVICE_LEVEL_CHANGE, "number", "fraction"),
        # 2.1: which run, inputs and settings the cases belong to (core.case_origin)
        (Col.TIME, "datetime"),
        (Col.INPUT_FINGERPRINT, "text"),
        (Col.SETTINGS, "text"),
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
