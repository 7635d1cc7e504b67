"""The reader attacked as planners change their workbooks' content: each case edits a copy of the real one.

A mutation either keeps the data in another form -- then the workbook reads exactly as the original
(every input array bit for bit, no new warning but the ones named) -- or it gives data that would
plan wrong, which is refused naming the cell (exit 2, the file byte for byte untouched).  Files the
tool cannot use are in test_planner_files.py; layout variants of other teams in
test_reader_tolerance.py, bad values in test_bad_input.py, files that are no workbook in
test_bad_files.py; none is repeated here.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table
from planner_mutations import BC, DENS, FIELDS, RAT, SD, YLD, Edit, edited, messages, read, refused, runner

from linealytics_xl.cli import app
from linealytics_xl.core.cells import column_letter
from linealytics_xl.core.text_references import resolve_text_references

# --- the same data in another form ------------------------------------------------------------


def sd_total_row(formula: str) -> Edit:
    """A `Total` demand row under the products, summing them (the planner's check row)."""

    def edit(wb: Workbook) -> None:
        ws = wb[SD]
        ws["A20"], ws["B20"] = "Total", "EffectiveDemand"
        for c in range(3, ws.max_column + 1):
            col = column_letter(c - 1)
            ws.cell(20, c).value = formula.format(c=col)

    return edit


def bc_total(label: str = "Total", formula: str | None = None) -> Edit:
    """The capacity `Total` rows relabelled (``TOTAL``) or summed another way."""

    def edit(wb: Workbook) -> None:
        ws = wb[BC]
        for r in (3, 4, 5):
            ws.cell(r, 1).value = label
        if formula:
            for c in range(3, ws.max_column + 1):
                ws.cell(3, c).value = formula.format(c=column_letter(c - 1))

    return edit


def merged_ids(sheet: str, firsts: tuple[int, ...], height: int) -> Edit:
    """Each product id merged down over its attribute rows (Excel shows it on every row)."""

    def edit(wb: Workbook) -> None:
        for first in firsts:
            wb[sheet].merge_cells(start_row=first, end_row=first + height - 1, start_column=1, end_column=1)

    return edit


def put(sheet: str, cell: str, value: object) -> Edit:
    def edit(wb: Workbook) -> None:
        wb[sheet][cell] = value

    return edit


def ratios_as_percent_text(wb: Workbook) -> None:
    ws = wb[RAT]
    for c in range(1, 14):
        ws.cell(2, c).value = f"{ws.cell(2, c).value * 100:g}%"


def hidden_rows_and_columns(wb: Workbook) -> None:
    wb[SD].row_dimensions[11].hidden = True
    wb[BC].column_dimensions["E"].hidden = True
    wb[YLD].row_dimensions[4].hidden = True


def autofilter_hiding_products(wb: Workbook) -> None:
    """An autofilter on 21A: the other products' rows are hidden, and still data."""
    ws = wb[SD]
    ws.auto_filter.ref = f"A1:{column_letter(ws.max_column - 1)}{ws.max_row}"
    ws.auto_filter.add_filter_column(0, ["21A"])
    for r in range(8, ws.max_row + 1):
        ws.row_dimensions[r].hidden = True


def frozen_panes(wb: Workbook) -> None:
    wb[SD].freeze_panes, wb[BC].freeze_panes, wb[YLD].freeze_panes = "C2", "C3", "C3"


def comments_chart_and_table(wb: Workbook) -> None:
    """Notes on input cells, a chart over the demand and the inputs formatted as Excel Tables."""
    sd = wb[SD]
    sd["E5"].comment = Comment("confirmed with sales", "planner")
    wb[BC]["D6"].comment = Comment("maintenance week", "planner")
    chart = LineChart()
    chart.add_data(Reference(sd, min_col=3, max_col=20, min_row=5, max_row=5), from_rows=True)
    sd.add_chart(chart, "C25")
    sd.add_table(Table(displayName="SupplyDemand", ref=f"A1:{column_letter(sd.max_column - 1)}19"))
    wb[DENS].add_table(Table(displayName="Density", ref="A1:C2"))


def hidden_and_moved_sheets(wb: Workbook) -> None:
    wb[DENS].sheet_state = "hidden"
    wb[RAT].sheet_state = "veryHidden"
    wb.move_sheet(SD, offset=4)


def ids_with_spaces(wb: Workbook) -> None:
    """Trailing spaces and a non-breaking space (pasted from a web page) around product ids."""
    wb[YLD]["A3"] = "21A "
    wb[DENS]["A1"] = "21A\u00a0"
    wb[SD]["A11"] = " 22B"


def own_columns(wb: Workbook) -> None:
    """The planner's own columns after the last period: a `Total` of the demand, `Notes`."""
    sd, bc, ys = wb[SD], wb[BC], wb[YLD]
    sd["AL1"], sd["AM1"], sd["AM5"] = "Total", "Notes", "confirmed by sales"
    for r in (5, 11, 17):
        sd.cell(r, 38).value = f"=SUM(D{r}:AK{r})"
    last = column_letter(bc.max_column - 1)
    bc.cell(2, bc.max_column + 1).value = "Total"
    for r in (6, 9, 12):
        bc.cell(r, bc.max_column).value = f"=SUM(C{r}:{last}{r})"
    ys.cell(2, ys.max_column + 1).value = "Average"
    for r in (3, 4, 5):
        ys.cell(r, ys.max_column).value = 0.9


def blank_row_under_density_ids(wb: Workbook) -> None:
    wb[DENS].insert_rows(2)


def ids_in_other_case(wb: Workbook) -> None:
    """Product ids typed in another case on other sheets: Excel's lookups match them."""
    wb[YLD]["A3"] = "21a"
    for r in range(8, 14):
        wb[SD].cell(r, 1).value = "22b"
    wb[DENS]["C1"] = "23c"
    wb["Wafer Plan"]["A4"] = "21a"


def labels_as_references(wb: Workbook) -> None:
    """Labels linked instead of retyped: ids pointing at Boundary Conditions' (directly or through
    Yield's), a quarter label repeating its left neighbour's, ids repeating the row above."""
    wb[YLD]["A3"] = "='Boundary Conditions'!A6"
    wb[DENS]["A1"] = "=Yield!$A$3"
    wb["Wafer Plan"]["A4"] = "=+'boundary conditions'!A6"
    for c in range(4, 16):
        wb[BC].cell(1, c).value = f"={column_letter(c - 2)}1"
    for r in range(3, 8):
        wb[SD].cell(r, 1).value = f"=A{r - 1}"


TEXT_READ = "number(s) stored as text read as numbers"
NOT_READ = "outside the labelled area"
SAME_DATA: list[tuple[str, Edit, str | list[str] | None]] = [
    # fixed: a Total row was taken for a product "with demand but no capacity row"
    ("sd-total-row-sum-list", sd_total_row("=SUM({c}5,{c}11,{c}17)"), None),
    ("sd-total-row-plus", sd_total_row("=+{c}5+{c}11+{c}17"), None),
    # fixed: 'TOTAL' was read as a product, =SUM(C6,C9,C12) refused as "not a sum of cells"
    ("bc-total-upper-case", bc_total("TOTAL"), None),
    ("bc-grand-total", bc_total("Grand  Total"), None),  # how else planners label a total row
    ("bc-totals", bc_total("totals"), None),
    ("bc-total-sum-list", bc_total(formula="=SUM({c}12,{c}9,{c}6)"), None),
    # fixed: a merged id was read on its first row only (SD refused, BC outputs left unwritten)
    ("sd-merged-product-ids", merged_ids(SD, (2, 8, 14), 6), None),
    ("bc-merged-product-ids", merged_ids(BC, (3, 6, 9, 12), 3), None),
    # fixed: an id with a zero-width space (invisible in Excel and in the message) was unknown
    ("id-zero-width-space", put(YLD, "A3", "21A\u200b"), None),
    # fixed: percentages as text were refused, though Excel's VALUE reads them
    ("yield-percent-text", put(YLD, "C3", "90.58%"), TEXT_READ),
    ("wos-percent-text", put(SD, "E4", "182%"), TEXT_READ),
    ("ratios-percent-text", ratios_as_percent_text, TEXT_READ),
    # fixed: a labelled column of the planner's own next to the periods was refused as a period
    # that lost its label (one warning per sheet says it was not read)
    ("own-columns-total-and-notes", own_columns, [NOT_READ] * 3),
    # fixed: the densities were looked for right under the ids only ("B2 ... found blank")
    ("density-blank-row-under-ids", blank_row_under_density_ids, None),
    # fixed: ids were compared case-sensitively ("expected a yield row for product '21A' ...
    # A3 holds '21a'"); the plan's spelling is Boundary Conditions'
    ("ids-in-other-case", ids_in_other_case, None),
    # fixed: a label that refers to another cell's text was read as its formula text
    # ("A3 holds ='Boundary Conditions'!A6", "expected a quarter label, found =C1")
    ("labels-as-references", labels_as_references, None),
    # already right, and covered nowhere else
    ("hidden-rows-and-columns", hidden_rows_and_columns, None),
    ("autofilter-hiding-products", autofilter_hiding_products, None),
    ("frozen-panes", frozen_panes, None),
    ("comments-chart-and-tables", comments_chart_and_table, None),
    ("hidden-and-moved-sheets", hidden_and_moved_sheets, None),
    ("ids-with-spaces", ids_with_spaces, None),
]


@pytest.mark.parametrize("edit,warning", [c[1:] for c in SAME_DATA], ids=[c[0] for c in SAME_DATA])
def test_the_same_data_in_another_form_reads_as_the_original(real_copy, real_data, edit, warning):
    data = read(edited(real_copy, edit))
    for name in FIELDS:
        assert np.array_equal(np.asarray(getattr(data, name)), np.asarray(getattr(real_data, name))), name
    new = sorted(messages(data) - messages(real_data))
    expected = [] if warning is None else [warning] if isinstance(warning, str) else warning
    assert len(new) == len(expected) and all(w in m for w, m in zip(expected, new)), new


def lost_label(sheet: str, label: str | None, row: int) -> Edit:
    """A value in the column after the last period, under ``label`` (blank, or mistyped)."""

    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        c = ws.max_column + 1
        ws.cell(1 if sheet == SD else 2, c).value = label
        ws.cell(row, c).value = 0.9

    return edit


def capacity_row_in_other_case(wb: Workbook) -> None:
    """'21a' under '21A' on Boundary Conditions: for Excel the same product, listed twice."""
    bc = wb[BC]
    bc["A15"], bc["B15"] = "21a", "Available Capacity"
    for c in range(3, bc.max_column + 1):
        bc.cell(15, c).value = 100


REFUSED = [
    ("sd-blank-header", lost_label(SD, None, 5), "Supply_Demand!AL1: expected a quarter label"),
    ("sd-mistyped-quarter", lost_label(SD, "Q1 O4", 5), "Supply_Demand!AL1: expected a quarter label"),
    ("bc-mistyped-week", lost_label(BC, "WW_5l", 6), "'Boundary Conditions'!QD2: expected a week label"),
    ("yield-blank-header", lost_label(YLD, None, 3), "Yield!QD2: expected 443 week columns"),
    # fixed: '0,906' (a decimal comma) was read as 906 and refused as "found 906, beyond the
    # sane bound of 1", a number the cell does not show
    (
        "yield-decimal-comma",
        put(YLD, "C3", "0,906"),
        "Yield!C3: expected a yield between 0 and 1, found '0,906'",
    ),
    # a reference that reaches no text stays a formula, reported where it is read
    ("id-refers-to-itself", put(YLD, "A3", "=A3"), "Yield!A2: expected a yield row for product '21A'"),
    # not a lost label, but refused the same way: a product listed twice in another case
    (
        "capacity-row-in-other-case",
        capacity_row_in_other_case,
        "'Boundary Conditions'!A15: product '21A' with attribute 'Available Capacity' appears twice, "
        "in A6:B6 and A15:B15",
    ),
]


@pytest.mark.parametrize("edit,expected", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_data_that_would_be_lost_or_planned_twice_is_refused(real_copy, tmp_path, edit, expected):
    """A period that lost its label (blank, or mistyped: it has digits) would drop its data; a
    product listed twice would be planned twice or not at all."""
    refused(edited(real_copy, edit), tmp_path, expected)


@pytest.mark.parametrize(
    "edit,cell",
    [
        (merged_ids(SD, (2, 8, 14), 6), (SD, "D2")),  # Yielded Supply of 21A, on a merged row
        (merged_ids(BC, (3, 6, 9, 12), 3), (BC, "C7")),  # Scheduled Capacity of 21A, week 1
    ],
    ids=["sd-merged-ids", "bc-merged-ids"],
)
def test_merged_product_ids_get_the_plan_in_their_rows(real_copy, real_planned, tmp_path, edit, cell):
    """The outputs under a merged id are written as under a plain one: the same values."""
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["plan", str(edited(real_copy, edit)), "--output", str(out)])
    assert result.exit_code == 0, result.output
    sheet, ref = cell
    planned = openpyxl.load_workbook(real_planned.path, data_only=False)[sheet][ref].value
    got = openpyxl.load_workbook(out, data_only=False)[sheet][ref].value
    assert isinstance(got, (int, float)) and got == planned


def test_a_total_row_in_supply_demand_is_not_planned_as_a_product(real_copy, tmp_path):
    out = tmp_path / "out.xlsx"
    path = edited(real_copy, sd_total_row("=SUM({c}5,{c}11,{c}17)"))
    result = runner.invoke(app, ["plan", str(path), "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    products = {row[0] for row in wb["LL_Plan"].iter_rows(min_row=2, max_col=1, values_only=True)}
    assert products == {"21A", "22B", "23C"}
    assert wb[SD]["D20"].value == "=SUM(D5,D11,D17)"  # the planner's row, untouched


def test_a_total_formula_that_leaves_out_a_product_is_named(real_copy, real_data):
    """A product added under the others while `Total`'s =+C9+C6+C12 stays: the total now binds
    the plan, which is the workbook's data, but never a silent one."""
    data = read(edited(real_copy, bc_total(formula="=+{c}9+{c}6")))
    assert np.array_equal(data.total_capacity, real_data.capacity[:2].sum(axis=0))
    new = messages(data) - messages(real_data)
    assert len(new) == 1
    (message,) = new
    assert message.startswith("Boundary Conditions!C3: the Total row's Available Capacity is below the sum")
    assert "in 443 week(s) (C3, D3, E3, F3, G3 and 438 more;" in message
    assert "does its formula leave out a product?" in message


def test_references_are_followed_to_text_only():
    """Through chains and quoted sheet names (``''`` is a quote); a number, a blank, an error, an
    unknown sheet, a cycle or a richer formula stays as written."""
    sheets = {
        "Plan's ids": [["21A", 5, "#N/A", "=A1&B1", "=A1"]],
        "Other": [
            [
                "='Plan''s ids'!A1",
                "='plan''s ids'!B1",
                "='Plan''s ids'!C1",
                "='Plan''s ids'!D1",
                "=Nowhere!A1",
            ],
            ["=A1", "=B2", "=$A$2", "=+'Plan''s ids'!E1", "=D1"],
        ],
    }
    got = resolve_text_references(sheets)
    assert got["Other"].to_rows() == [
        ["21A", "='plan''s ids'!B1", "='Plan''s ids'!C1", "='Plan''s ids'!D1", "=Nowhere!A1"],
        ["21A", "=B2", "21A", "21A", "=D1"],
    ]
    assert got["Plan's ids"].to_rows() == [["21A", 5, "#N/A", "=A1&B1", "21A"]]


def test_the_live_book_tells_apostrophe_text_from_a_formula():
    """Excel's Range.Formula gives '=D5+D11 typed after an apostrophe as "=D5+D11", like the
    formula; its value (the text itself, not a number) is what tells them apart."""
    from linealytics_xl.adapters.live_book import with_formulas
    from linealytics_xl.core.cells import Text, is_formula

    values = [["=D5+D11", 42.0, "plain", None]]
    texts = [["=D5+D11", "=D5+D11", "plain", None]]
    (row,) = with_formulas([list(values[0])], texts)
    assert isinstance(row[0], Text) and not is_formula(row[0])
    assert row[1] == "=D5+D11" and is_formula(row[1])
    assert row[2:] == ["plain", None]
