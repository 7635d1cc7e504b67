"""LibreOffice recalculates the planned real workbook: its own formulas agree with LL_Plan."""

import numpy as np
import openpyxl
import pandas as pd
from libreoffice import recalculate, requires_libreoffice

# LL_Plan writes backlog within the solver's round-off as 0 (docs/tables.md, KPIs): the workbook's
# own inventory formula may differ from StockBytes - BacklogBytes by that much, never more.
from linealytics_xl.core.kpis import SERVED_TOL_BYTES
from linealytics_xl.core.layout import ATTR_INVENTORY


@requires_libreoffice
def test_workbook_formulas_show_the_planned_stock(real_planned, tmp_path):
    planned = real_planned.path
    out = recalculate(planned, tmp_path / "recalc.xlsx")
    wb = openpyxl.load_workbook(out, data_only=True)
    formulas = openpyxl.load_workbook(planned)["Supply_Demand"]
    sd = wb["Supply_Demand"]
    plan = pd.read_excel(out, sheet_name="LL_Plan")
    plan["Net"] = plan["StockBytes"] - plan["BacklogBytes"]
    header = {sd.cell(1, c).value: c for c in range(1, sd.max_column + 1)}
    checked = 0
    for r in range(2, sd.max_row + 1):
        if sd.cell(r, 2).value != ATTR_INVENTORY:
            continue
        product = sd.cell(r, 1).value
        rows = plan[plan["Product"] == product]
        for quarter, c in header.items():
            cell = formulas.cell(r, c).value
            if not (isinstance(cell, str) and cell.startswith("=")):
                continue
            end_week = rows[rows["Quarter"] == quarter]
            if end_week.empty:
                continue
            expected = float(end_week["Net"].iloc[-1])
            got = sd.cell(r, c).value
            assert got is not None, f"{sd.cell(r, c).coordinate} was not computed"
            assert np.isclose(got, expected, rtol=1e-9, atol=SERVED_TOL_BYTES), (
                sd.cell(r, c).coordinate,
                got,
                expected,
            )
            checked += 1
    assert checked >= 3 * 19  # the sheet's inventory formulas run to Q1 00 for each product
    # the capacity rows the tool wrote are consistent with the workbook's Total row formulas
    bc = wb["Boundary Conditions"]
    labels = [(bc.cell(r, 1).value, bc.cell(r, 2).value) for r in range(1, bc.max_row + 1)]
    total_avail = labels.index(("Total", "Available Capacity")) + 1
    total_sched = labels.index(("Total", "Scheduled Capacity")) + 1
    total_over = labels.index(("Total", "Over/Under Capacity")) + 1
    for c in range(3, bc.max_column + 1):
        assert bc.cell(total_sched, c).value <= bc.cell(total_avail, c).value + 1e-6
        assert np.isclose(
            bc.cell(total_over, c).value,
            bc.cell(total_avail, c).value - bc.cell(total_sched, c).value,
            atol=1e-6,
        )
    # and the Wafer Plan's own Total formula adds up the planned wafers
    wp = wb["Wafer Plan"]
    assert np.isclose(wp["B3"].value, sum(wp.cell(r, 2).value for r in range(4, 7)))
