"""The planning workbook's native layout: the names other modules import, in one place.

Reading lives in `core.reader` (with `core.labels`, `core.sheet`, `core.read_weeks`,
`core.checks`, `core.bounds`), output placement in `core.placement`; this module keeps the
public names (`read_planning_data`, `output_blocks`, `output_cells`, `Block`,
`safety_stock_targets`, the sheet and attribute labels) importable from where they always were.
"""

from __future__ import annotations

from .labels import (
    ATTR_CAPACITY,
    ATTR_DEMAND,
    ATTR_INVENTORY,
    ATTR_OVER_UNDER,
    ATTR_SCHEDULED,
    ATTR_SST,
    ATTR_SUPPLY,
    ATTR_WOS,
    BOUNDARY,
    DENSITY,
    KNOWN_SHEETS,
    RATIOS,
    REQUIRED_SHEETS,
    SUPPLY_DEMAND,
    TOTAL,
    WAFER_PLAN,
    WEEKS_PER_QUARTER,
    YIELD,
)
from .placement import Block, Target, output_blocks, output_cells, output_targets
from .reader import Grid, read_planning_data
from .weekly import safety_stock_targets

__all__ = [
    "ATTR_CAPACITY",
    "ATTR_DEMAND",
    "ATTR_INVENTORY",
    "ATTR_OVER_UNDER",
    "ATTR_SCHEDULED",
    "ATTR_SST",
    "ATTR_SUPPLY",
    "ATTR_WOS",
    "BOUNDARY",
    "DENSITY",
    "KNOWN_SHEETS",
    "RATIOS",
    "REQUIRED_SHEETS",
    "SUPPLY_DEMAND",
    "TOTAL",
    "WAFER_PLAN",
    "WEEKS_PER_QUARTER",
    "YIELD",
    "Block",
    "Grid",
    "Target",
    "output_blocks",
    "output_cells",
    "output_targets",
    "read_planning_data",
    "safety_stock_targets",
]
