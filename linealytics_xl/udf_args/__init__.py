"""Worksheet-function arguments as Excel hands them, turned into arrays; results into spill grids.

Used only by `linealytics_xl.udfs` (the module the add-in registers), so it lives beside it, not
in the core.  Modules: `shapes` (cells, rules, product x week ranges), `parsing` (scalars and the
``options`` argument), `building` (planning data, LL_PLAN's request, result grids); the names
the worksheet functions use are re-exported here.

Excel (through xlwings) passes a worksheet function's argument as

* a scalar for one cell (a number arrives as ``float``, or ``int`` on some clients),
* a flat ``list`` for a single row *or* a single column (the orientation is lost),
* a list of row lists for a larger range (or for any range with ``ndim=2``),
* ``None`` for an empty cell or an omitted optional argument,
* ``datetime`` for a date cell, and a float *serial number* for a date computed by value
  (``TODAY()``); cell errors arrive as their text (``"#N/A"``) with ``err_to_str=True``.

Every function here takes such a value and the argument's name, and returns a numpy array (or a
plain Python value) or raises `ArgumentError` whose message names the argument, says what was
expected and where in the argument the first offending cell is (``row 2, column 5`` of a range,
``position 3`` of a single row or column).

Layouts, the same in every worksheet function:

* **product x week ranges** (demand, history, capacity, ...): products as rows, weeks as
  columns.  A single row or column is *one* product (also when it comes as a list of one-cell
  rows, ``ndim=2``).  A first column of text is taken as the
  product names.  Rows and columns that are entirely empty at the end of a range are dropped
  (a range selected generously), empty cells inside count as 0 where the argument says so.
* **per-product values** (density, initial stock): one value for all products, or one per
  product (a row or a column).
* **per-product-and-week values** (yield, capacity): one value, one per product, one per week
  (a row or column as long as the weeks, when that is not also the number of products), or a
  full products x weeks range.
* **options**: name/value pairs, as a two-column range (``Name | Value`` per row) or as text
  ``"stock, backlog; cycle_time_weeks=2"``; bare words switch on extra output rows.
"""

from __future__ import annotations

from .building import (
    MAX_SPILL_ROWS,
    PLAN_OPTIONS,
    PLAN_ROWS,
    PlanRequest,
    block,
    check_same_products,
    plan_request,
    spill,
    week_labels,
)
from .parsing import (
    excel_date,
    integer,
    number,
    opt_date,
    opt_integer,
    options,
    probabilities,
    text,
)
from .shapes import (
    FRACTION,
    NONNEGATIVE,
    NONNEGATIVE_BLANK_ZERO,
    ArgumentError,
    Rule,
    Table,
    as_grid,
    numbers,
    per_product,
    per_product_week,
    product_table,
)

__all__ = [
    "MAX_SPILL_ROWS",
    "PLAN_OPTIONS",
    "PLAN_ROWS",
    "PlanRequest",
    "block",
    "check_same_products",
    "plan_request",
    "spill",
    "week_labels",
    "excel_date",
    "integer",
    "number",
    "opt_date",
    "opt_integer",
    "options",
    "probabilities",
    "text",
    "FRACTION",
    "NONNEGATIVE",
    "NONNEGATIVE_BLANK_ZERO",
    "ArgumentError",
    "Rule",
    "Table",
    "as_grid",
    "numbers",
    "per_product",
    "per_product_week",
    "product_table",
]
