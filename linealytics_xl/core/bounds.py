"""The sane bounds of every input number: magnitudes no fab has are errors, not plans.

A density of 1e300 bytes per wafer plans zero wafers; a demand of 1e300 makes the solver fail;
a negative capacity has no meaning.  Each input kind is checked against one bound here (the
README's import section lists them).  The bounds are generous -- orders of magnitude above any
real fab -- so they only catch unit slips, pasted garbage and overflow, never a real plan.
"""

from __future__ import annotations

from .sheet import Bounds

MAX_BYTES = 1e18  # demand, stock, safety stock per product and quarter (an exabyte)
MAX_WAFERS_PER_WEEK = 1e7  # capacity of one product or the total, per week
MAX_BYTES_PER_WAFER = 1e15  # density: a petabyte per wafer
MAX_WOS_WEEKS = 520.0  # safety stock target in weeks of supply: ten years

DEMAND = Bounds("a demand in bytes (a number >= 0)", 0.0, MAX_BYTES, unit="bytes")
WOS = Bounds("a safety stock in weeks of supply (a number >= 0)", 0.0, MAX_WOS_WEEKS, unit="weeks")
OPENING_STOCK = Bounds("the opening stock in bytes (a number >= 0)", 0.0, MAX_BYTES, unit="bytes")
DENSITY = Bounds(
    "bytes per wafer (a number > 0)", 0.0, MAX_BYTES_PER_WAFER, lo_open=True, unit="bytes per wafer"
)
RATIO = Bounds("a weekly share between 0 and 1", 0.0, 1.0)
YIELD = Bounds("a yield between 0 and 1", 0.0, 1.0, lo_open=True)
CAPACITY = Bounds(
    "a capacity in wafers per week (a number >= 0)", 0.0, MAX_WAFERS_PER_WEEK, unit="wafers per week"
)
TOTAL_CAPACITY = Bounds(
    "a total capacity in wafers per week (a number >= 0)", 0.0, MAX_WAFERS_PER_WEEK, unit="wafers per week"
)
