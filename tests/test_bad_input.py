"""The bad-input corpus (issue 9): every kind of input that must not be planned, through the CLI.

Each case edits a copy of the real workbook, runs ``linealytics plan --output`` in-process and
checks: exit 2, every cell involved named in Excel's words, no traceback, the input file byte for
byte unchanged and no output written.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time

import openpyxl
import pytest
from planner_mutations import BC, DENS, RAT, SD, YLD  # the input sheets' names, one list
from typer.testing import CliRunner

from linealytics_xl.cli import app

runner = CliRunner()


def put(sheet: str, cell: str, value):
    def edit(wb):
        wb[sheet][cell] = value

    return edit


def rename(old: str, new: str):
    def edit(wb):
        wb[old].title = new

    return edit


def both(*edits):
    def edit(wb):
        for e in edits:
            e(wb)

    return edit


def settings(**values):
    """A `Settings` sheet holding ``values``, one per row from row 2 in the order given."""

    def edit(wb):
        if "Settings" in wb.sheetnames:
            del wb["Settings"]
        ws = wb.create_sheet("Settings")
        ws.append(("Setting", "Value"))
        for row in values.items():
            ws.append(row)

    return edit


def relabel_first_quarter(wb):
    """Q3 95's 13 weeks labelled Q4 95: Q3 95's demand would have no week."""
    ws = wb[BC]
    for c in range(3, 16):
        ws.cell(1, c).value = "Q4 95"


def drop_sheet(name: str):
    def edit(wb):
        del wb[name]

    return edit


# (id, edit, texts that must all be in the output)
CASES = [
    # Supply_Demand: demand, WOS, opening stock, labels
    ("demand-negative", put(SD, "E5", -5), ["Supply_Demand!E5", "found -5 (negative)"]),
    ("demand-text", put(SD, "E5", "lots"), ["Supply_Demand!E5", "found 'lots'"]),
    ("demand-huge", put(SD, "E5", 1e300), ["Supply_Demand!E5", "sane bound of 1e+18 bytes"]),
    ("demand-inf-text", put(SD, "E5", "1e999"), ["Supply_Demand!E5"]),
    ("demand-error-value", put(SD, "E5", "#VALUE!"), ["Supply_Demand!E5", "found #VALUE!"]),
    ("demand-boolean", put(SD, "E5", True), ["Supply_Demand!E5", "found TRUE"]),
    ("demand-time", put(SD, "E5", time(1, 19, 12)), ["Supply_Demand!E5", "found 01:19:12"]),
    ("demand-date", put(SD, "E5", datetime(1995, 7, 3)), ["Supply_Demand!E5", "found 1995-07-03"]),
    ("demand-ambiguous-text", put(SD, "E5", "1,5"), ["Supply_Demand!E5", "found '1,5'"]),
    (
        "demand-formula-unreadable",
        put(SD, "E5", "=VLOOKUP(A1,B1:C3,2)"),
        ["Supply_Demand!E5", "not a sum of cells"],
    ),
    ("wos-negative", put(SD, "E4", -1), ["Supply_Demand!E4", "(negative)"]),
    ("wos-huge", put(SD, "E4", 1e300), ["Supply_Demand!E4", "weeks"]),
    ("wos-beyond-ten-years", put(SD, "E4", 600), ["Supply_Demand!E4", "sane bound of 520 weeks"]),
    ("opening-stock-negative", put(SD, "C6", -1), ["Supply_Demand!C6"]),
    ("opening-stock-self-reference", put(SD, "C6", "=C6+1"), ["Supply_Demand!C6", "refers to itself"]),
    ("opening-stock-cycle", put(SD, "C6", "=D6"), ["Supply_Demand!C6", "circular reference"]),
    ("opening-stock-ref-error", put(SD, "C6", "=#REF!+1"), ["Supply_Demand!C6", "error value"]),
    ("duplicate-product-row", put(SD, "A11", "21A"), ["Supply_Demand!A11", "A5:B5 and A11:B11"]),
    ("duplicate-quarter-column", put(SD, "D1", "Q4 95"), ["Supply_Demand!E1", "D1 and E1"]),
    ("bad-quarter-header", put(SD, "D1", "abc"), ["Supply_Demand!D1", "found 'abc'"]),
    ("quarter-columns-out-of-order", put(SD, "E1", "Q3 94"), ["Supply_Demand!E1", "in order"]),
    (
        "demand-row-missing",
        put(SD, "B5", "Effective Demand"),
        [
            "Supply_Demand!A1",
            "'21A' (from 'Boundary Conditions'!A6) with attribute 'EffectiveDemand'",
            "B5 holds 'Effective Demand'",
        ],
    ),
    (
        "sheet-near-miss",
        rename(SD, "Suply_Demand"),
        ["no sheet 'Supply_Demand'", "did you mean 'Suply_Demand'?"],
    ),
    # Density per Wafer
    ("density-zero", put(DENS, "B2", 0), ["'Density per Wafer'!B2", "(zero)"]),
    ("density-huge", put(DENS, "B2", 1e300), ["'Density per Wafer'!B2", "sane bound"]),
    ("density-negative", put(DENS, "B2", -5), ["'Density per Wafer'!B2", "(negative)"]),
    ("density-blank", put(DENS, "B2", None), ["'Density per Wafer'!B2", "found blank"]),
    ("density-div0", put(DENS, "B2", "#DIV/0!"), ["'Density per Wafer'!B2", "found #DIV/0!"]),
    ("density-duplicate-product", put(DENS, "B1", "21A"), ["'Density per Wafer'!B1", "A1 and B1"]),
    # Weekly Demand Ratio
    ("ratio-negative", put(RAT, "H2", -0.1), ["'Weekly Demand Ratio'!H2", "(negative)"]),
    ("ratio-text", put(RAT, "H2", "abc"), ["'Weekly Demand Ratio'!H2", "found 'abc'"]),
    ("ratio-above-one", put(RAT, "H2", 1.5), ["'Weekly Demand Ratio'!H2"]),
    ("ratio-blank", put(RAT, "H2", None), ["'Weekly Demand Ratio'!H2", "found blank"]),
    ("ratio-sum", put(RAT, "A2", 0.5), ["'Weekly Demand Ratio'!A2:M2", "sum to 1"]),
    ("ratio-duplicate-label", put(RAT, "H1", "Wk3"), ["'Weekly Demand Ratio'!H1", "C1 and H1"]),
    # Boundary Conditions
    ("capacity-negative", put(BC, "D6", -1), ["'Boundary Conditions'!D6", "(negative)"]),
    ("capacity-huge", put(BC, "D6", 1e300), ["'Boundary Conditions'!D6", "1e+07 wafers per week"]),
    ("capacity-text", put(BC, "D6", "lots"), ["'Boundary Conditions'!D6", "found 'lots'"]),
    ("capacity-na", put(BC, "D6", "#N/A"), ["'Boundary Conditions'!D6", "found #N/A"]),
    (
        "total-self-reference",
        put(BC, "C3", "=+C9+C6+C12+C3"),
        ["'Boundary Conditions'!C3", "refers to itself"],
    ),
    (
        "total-sum-over-itself",
        put(BC, "C3", "=SUM(C3:C12)"),
        ["'Boundary Conditions'!C3", "circular reference"],
    ),
    ("week-label-text", put(BC, "D2", "abc"), ["'Boundary Conditions'!D2", "found 'abc'"]),
    ("week-label-blank", put(BC, "D2", None), ["'Boundary Conditions'!D2", "found blank"]),
    ("quarter-label-bad", put(BC, "D1", "Q9 95"), ["'Boundary Conditions'!D1", "found 'Q9 95'"]),
    (
        "quarter-relabelled-moves-demand",
        relabel_first_quarter,
        ["'Boundary Conditions'!C1", "26 weeks", "Supply_Demand!D1", "D5, D11, D17", "would be dropped"],
    ),
    ("duplicate-capacity-row", put(BC, "A6", "22B"), ["'Boundary Conditions'!A9", "A6:B6 and A9:B9"]),
    (
        "sheet-missing-other-checks-go-on",
        both(drop_sheet(YLD), put(SD, "E5", -5)),
        ["no sheet 'Yield'", "Supply_Demand!E5"],
    ),
    ("sheet-typo", rename(YLD, "Yeild"), ["no sheet 'Yield'; did you mean 'Yeild'?"]),
    # Yield
    ("yield-text", put(YLD, "F4", "abc"), ["Yield!F4", "found 'abc'"]),
    ("yield-above-one", put(YLD, "C3", 1.5), ["Yield!C3"]),
    ("yield-zero", put(YLD, "C3", 0), ["Yield!C3", "(zero)"]),
    ("yield-negative", put(YLD, "C3", -0.5), ["Yield!C3", "(negative)"]),
    ("yield-ref-error", put(YLD, "C3", "#REF!"), ["Yield!C3", "found #REF!"]),
    ("yield-duplicate-product", put(YLD, "A4", "21A"), ["Yield!A4", "A3 and A4"]),
    (
        "band-top-below-bottom",
        settings(band_low_bytes=5e15, band_high_bytes=1000),
        ["Settings!B3", "'band_high_bytes': expected at least band_low_bytes (5e+15)", "found 1000"],
    ),
    # Settings that do not suit the data (known only once it is read)
    (
        "history-end-past-the-last-week",
        settings(demand_source="forecast", history_end_week=500),
        ["Settings!B3", "expected a week between 14 (horizon_weeks + 1) and 443", "found 500"],
    ),
    (
        "history-too-short-to-backtest",
        settings(demand_source="forecast", history_end_week=20),
        ["Settings!B3", "leaves 20 weeks", "needs at least 45 to backtest", "between 45 and 443"],
    ),
    (
        "history-too-short-for-the-horizon",
        settings(horizon_weeks=156, demand_source="forecast", history_end_week=250),
        ["Settings!B4", "a 156-week forecast needs at least 260"],
    ),
]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("edit,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_names_the_cells_and_writes_nothing(real_copy, tmp_path, edit, expected):
    wb = openpyxl.load_workbook(real_copy)
    edit(wb)
    wb.save(real_copy)
    before = digest(real_copy)
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["plan", str(real_copy), "--output", str(out)])
    text = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    for want in expected:
        assert want in text, (want, result.output)
    assert "Traceback" not in result.output and "None" not in text
    assert digest(real_copy) == before
    assert not out.exists() and not list(tmp_path.glob(".~linealytics-*"))
