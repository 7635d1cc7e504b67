"""The Dashboard rendered straight into the package (issue 10): deterministic bytes, text kept as
text, styles appended to the planner's styles.xml once."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from test_dashboard import synthetic_tables

from linealytics_xl.adapters.dashboard import dashboard_layout
from linealytics_xl.adapters.xlsx import transplant
from linealytics_xl.adapters.xlsx.package import Package
from linealytics_xl.adapters.xlsx.styles import Styles

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook" / "planning.xlsx"
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _render(tables) -> dict[str, bytes]:
    package = Package(TEMPLATE)
    before = set(package.names())
    styles = Styles(package)
    names = transplant.transplant(
        dashboard_layout(tables), package, styles, "xl/worksheets/sheet99.xml", False
    )
    styles.flush()
    out = {n: package.read(n) for n in package.names() if n not in before or n == "xl/styles.xml"}
    out["name"] = etree.tostring(names[0])
    return out


def test_same_tables_same_bytes():
    tables = synthetic_tables()
    first, second = _render(tables), _render(synthetic_tables())
    assert first == second
    charts = [n for n in first if n.startswith("xl/charts/")]
    assert len(charts) == 5 and "xl/worksheets/sheet99.xml" in first


def test_text_stays_text_and_formulas_are_formulas():
    tables = synthetic_tables(products=("=1+1", "<b>&23C</b>", "P~1"))
    sheet = etree.fromstring(_render(tables)["xl/worksheets/sheet99.xml"])
    cells = {c.get("r"): c for c in sheet.iter(f"{NS}c")}
    texts = ["".join(c.itertext()) for c in cells.values() if c.get("t") == "inlineStr"]
    assert "=1+1" in texts and "<b>&23C</b>" in texts
    assert all(c.find(f"{NS}f") is None for c in cells.values() if c.get("t") == "inlineStr")
    assert cells["S3"].find(f"{NS}f").text.startswith("IF(")  # the selector's criterion
    assert sheet.find(f"{NS}dataValidations/{NS}dataValidation").get("sqref") == "B4"


def test_each_look_is_one_appended_format():
    styles_xml = etree.fromstring(_render(synthetic_tables())["xl/styles.xml"])
    xfs = styles_xml.find(f"{NS}cellXfs")
    keys = [etree.tostring(x) for x in xfs]
    assert len(keys) == len(set(keys))  # no format appended twice
