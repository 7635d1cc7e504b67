"""Text from the workbook never comes back as a formula: not in a cell, not in a run-record CSV.

A copy of the real workbook gets hostile product ids (renamed consistently in every sheet, stored
as text), is planned through the command line, and the saved package is checked part by part:
the sheet XML itself (not what openpyxl makes of it), so the check holds for any file writer.
"""

from __future__ import annotations

import csv
import email
import gzip
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from libreoffice import recalculate, requires_libreoffice
from typer.testing import CliRunner

from linealytics_xl.adapters.literal_text import csv_safe, live_value, set_text, text_cell
from linealytics_xl.adapters.live_book import frame_rows
from linealytics_xl.adapters.runlog_folder import _frame_csv
from linealytics_xl.cli import app

runner = CliRunner()
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REAL_IDS = ("21A", "22B", "23C")
LONG_ID = "=" + "x" * 9_999
GROUPS = {
    "formulas": ('=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "@SUM(1)"),
    "markup-and-long": ("-2+3", "<b>x</b>", LONG_ID),
    "newline-scripts-rich": ("line one\nline two", "晶圆-Ωмега-製品", "[/b]x"),
}
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def with_ids(src: Path, dst: Path, ids: tuple[str, str, str]) -> None:
    """``src`` with the products 21A, 22B, 23C renamed to ``ids`` in every sheet (as text cells)."""
    wb = openpyxl.load_workbook(src)
    rename = dict(zip(REAL_IDS, ids))
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value in rename:
                    set_text(c, rename[c.value])
                    n += 1
    assert n == 36  # every place the real workbook names a product
    wb.save(dst)


def sheet_cells(path: Path) -> dict[str, list[tuple[str, str | None, str | None, str | None]]]:
    """Sheet name -> [(ref, type attribute, formula text, string value)] read from the XML parts."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        shared = []
        if "xl/sharedStrings.xml" in names:
            for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).iter(M + "si"):
                shared.append("".join(t.text or "" for t in si.iter(M + "t")))
        rels = {
            e.get("Id"): e.get("Target") for e in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        }
        out = {}
        for sh in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(M + "sheet"):
            target = rels[sh.get(R + "id")]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            cells = []
            for c in ElementTree.fromstring(z.read(part)).iter(M + "c"):
                f = c.find(M + "f")
                t = c.get("t")
                text = None
                if t == "s":
                    text = shared[int(c.find(M + "v").text)]
                elif t == "inlineStr":
                    text = "".join(x.text or "" for x in c.iter(M + "t"))
                elif t == "str":
                    v = c.find(M + "v")
                    text = v.text if v is not None else None
                cells.append((c.get("r"), t, None if f is None else (f.text or ""), text))
            out[sh.get("name")] = cells
    return out


@pytest.fixture(scope="module", params=list(GROUPS), ids=list(GROUPS))
def planned(request, real_path, tmp_path_factory):
    ids = GROUPS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    path = folder / ("=evil.xlsx" if request.param == "formulas" else "plan.xlsx")
    with_ids(real_path, path, ids)
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    return ids, path, result.output


def test_no_tool_text_is_a_formula_in_the_saved_package(planned):
    ids, path, _ = planned
    cells = sheet_cells(path)
    own = [n for n in cells if n.startswith("LL_") or n in ("Settings", "Dashboard")]
    assert {"LL_Plan", "LL_Alerts", "LL_Insights", "LL_Runs", "Settings", "Dashboard"} <= set(own)
    for name in own:
        if name != "Dashboard":  # the tables and the Settings sheet hold values only
            assert [(r, f) for r, _, f, _ in cells[name] if f is not None] == [], name
    dashboard_formulas = [f for _, _, f, _ in cells["Dashboard"] if f is not None]
    assert len(dashboard_formulas) > 100  # the Dashboard's own formulas still work
    for name, sheet in cells.items():  # no formula anywhere in the file holds a product id
        for ref, _, f, _ in sheet:
            assert f is None or not any(i in f for i in ids), (name, ref, f[:80])
    # every id is written as text, where the tool puts product ids
    for name in ("LL_Plan", "LL_Risk", "LL_Alerts", "Dashboard"):
        texts = {text for _, t, f, text in cells[name] if f is None and t in ("s", "inlineStr", "str")}
        assert set(ids) <= texts, name
    # messages that start with a product id are text too
    insight_texts = [text for _, _, f, text in cells["LL_Insights"] if text and f is None]
    assert any(text.startswith(ids) for text in insight_texts)


def test_ids_read_back_exactly(planned):
    ids, path, _ = planned
    wb = openpyxl.load_workbook(path)
    plan = pd.DataFrame(list(wb["LL_Plan"].values)[1:], columns=next(wb["LL_Plan"].values))
    assert list(dict.fromkeys(plan["Product"])) == list(ids)
    products = [r[0].value for r in wb["Dashboard"]["R6:R9"]]
    assert products == ["All products", *ids]
    assert wb["Dashboard"]["B4"].value == "All products"  # the selector opens on all products (issue 12)


def test_run_record_files_are_neutralised_and_escaped(planned):
    ids, path, _ = planned
    record = next(p for p in (path.parent / (path.name + ".runs")).iterdir() if not p.name.startswith("."))
    tables = {
        "alerts.csv": (record / "alerts.csv").read_text(encoding="utf-8"),
        "plan.csv.gz": gzip.decompress((record / "plan.csv.gz").read_bytes()).decode("utf-8"),
    }
    if (record / "backtest.csv").exists():
        tables["backtest.csv"] = (record / "backtest.csv").read_text(encoding="utf-8")
    for name, text in tables.items():
        rows = list(csv.reader(io.StringIO(text, newline="")))
        for row in rows[1:]:
            for value in row:
                if value.startswith(CSV_TRIGGERS):
                    float(value)  # only a negative number may start with "-"
        products = {row[rows[0].index("Product")] for row in rows[1:]}
        safe = {csv_safe(i) for i in ids}
        if name == "alerts.csv":  # alerts also concern the total ("Total") or no product ("")
            assert products & safe and products - safe <= {"", "Total"}, products
        else:
            assert products == safe, name
    data = json.loads((record / "run.json").read_text(encoding="utf-8"))
    assert list(data["plan_totals"]) == list(ids)  # JSON keeps them exactly (it is escaped, not run)
    assert data["workbook"] == path.name
    warnings = json.loads((record / "warnings.json").read_text(encoding="utf-8"))
    assert isinstance(warnings, list)


def test_the_summary_prints_ids_as_they_are(planned):
    _ids, _, output = planned
    flat = " ".join(output.split())
    assert "Traceback" not in output
    assert "@SUM(1)" in flat or "<b>x</b>" in flat or "[/b]x" in flat


def test_mail_html_escapes_ids(planned, tmp_path):
    ids, path, _ = planned
    result = runner.invoke(
        app, ["notify", str(path), "--dry-run", "--to", "planner@example.com", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    msg = email.message_from_bytes((tmp_path / "report.eml").read_bytes())
    html = (
        next(p for p in msg.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    )
    assert "<b>x</b>" not in html
    if "<b>x</b>" in ids:
        assert "&lt;b&gt;x&lt;/b&gt;" in html


# --- the three sinks, one value at a time ----------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", '=HYPERLINK("http://x","y")', "=", "=A1"])
def test_openpyxl_cells_keep_formula_like_text_as_text(tmp_path, value):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([text_cell(ws, value), text_cell(ws, 3.5), text_cell(ws, "plain")])
    set_text(ws["A2"], value)
    ws["A3"] = "=1+1"  # an intended formula stays one
    wb.save(tmp_path / "t.xlsx")
    cells = {r: (t, f, text) for r, t, f, text in sheet_cells(tmp_path / "t.xlsx")["Sheet"]}
    assert cells["A1"] == ("inlineStr", None, value) and cells["A2"] == ("inlineStr", None, value)
    assert cells["B1"][1] is None and cells["C1"][2] == "plain"
    assert cells["A3"][1] == "1+1"
    assert openpyxl.load_workbook(tmp_path / "t.xlsx")["Sheet"]["A1"].value == value


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("'quoted", "''quoted"),
        ("007", "'007"),
        ("1,000", "'1,000"),
        ("12%", "'12%"),
        ("TRUE", "'TRUE"),
        ("#N/A", "'#N/A"),
        ("21A", "21A"),
        ("nan", "nan"),
        ("Q2 95", "Q2 95"),
        ("", ""),
        (3.5, 3.5),
        (-2, -2),
    ],
)
def test_xlwings_values_mark_text_that_excel_would_reinterpret(value, expected):
    assert live_value(value) == expected


def test_live_book_table_rows_are_marked():
    frame = pd.DataFrame({"Product": ["=HYPERLINK(1)", "21A"], "Wafers": [-1.0, 2.0]})
    assert frame_rows(frame) == [["Product", "Wafers"], ["'=HYPERLINK(1)", -1.0], ["21A", 2.0]]


def test_csv_cells_follow_the_owasp_rule():
    frame = pd.DataFrame(
        {
            "Product": ["=1+1", "+a", "-b", "@c", "\td", "\re", "ok", None],
            "Value": [-1.5, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    rows = list(csv.reader(io.StringIO(_frame_csv(frame), newline="")))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+a", "'-b", "'@c", "'\td", "'\re", "ok", ""]
    assert rows[1][1] == "-1.5"  # a negative number is a number, not text
    assert re.fullmatch(r"-?\d+(\.\d+)?", rows[2][1])


@requires_libreoffice
def test_dashboard_formulas_select_a_formula_like_id(planned, tmp_path):
    """The Dashboard's SUMIFS pick exactly the product "=HYPERLINK(...)" when it is selected."""
    ids, path, _ = planned
    product = ids[0]
    book = openpyxl.load_workbook(path)
    set_text(book["Dashboard"]["B4"], product)
    chosen = tmp_path / "chosen.xlsx"
    book.save(chosen)
    out = recalculate(chosen, tmp_path / "recalc.xlsx")
    wafers_card = openpyxl.load_workbook(out, data_only=True)["Dashboard"]["A7"].value
    plan = pd.read_excel(path, sheet_name="LL_Plan", engine="openpyxl")
    assert wafers_card == pytest.approx(plan.loc[plan["Product"] == product, "Wafers"].sum(), rel=1e-9)
    assert wafers_card < plan["Wafers"].sum()  # one product, not all
