"""A planning workbook carrying everything a planner's file may hold, for preservation tests.

Built from the demo workbook in three real steps: openpyxl adds a chart, an image, data
validations, conditional formats, a hidden column of width 0 and a planner's sheets; LibreOffice
adds a pivot table (and stores the file, as a real spreadsheet would); then parts that neither
writes are added to the zip the way Excel stores them: a threaded comment with its note and
person list, a sensitivity label (``docMetadata/LabelInfo.xml``), an empty-text cell, and for
``.xlsm`` a real VBA project (the one xlwings ships in its quick-start workbook).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import xlwings
from libreoffice import make_pivot
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from linealytics_xl.adapters.demo_workbook import write_demo_workbook

NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MS_REL = "http://schemas.microsoft.com/office/2017/10/relationships"
PERSON_ID = "{8B4A2C1E-0F3D-4E5A-9B6C-7D8E9F0A1B2C}"
COMMENT_ID = "{1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D}"
VBA_SOURCE = Path(xlwings.__file__).with_name("quickstart.xlsm")

THREADED = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><threadedComment ref="A1" dT="2026-11-30T09:15:00.00" personId="{PERSON_ID}" id="{COMMENT_ID}"><text>Check the N region with sales</text></threadedComment></ThreadedComments>"""
PERSONS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><person displayName="A Planner" id="{PERSON_ID}" userId="planner@example.com" providerId="None"/></personList>"""
NOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>tc={COMMENT_ID}</author></authors><commentList><comment ref="A1" authorId="0" shapeId="0"><text><t>[Threaded comment] Check the N region with sales</t></text></comment></commentList></comments>"""
VML = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype><v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute;margin-left:80pt;margin-top:2pt;width:108pt;height:59pt;z-index:1;visibility:hidden" fillcolor="#ffffe1"><v:textbox/><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>1, 15, 0, 2, 3, 15, 3, 16</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData></v:shape></xml>"""
LABEL = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata"><clbl:label id="{f42aa342-8706-4288-bd11-ebb85995028c}" enabled="1" method="Standard" siteId="{72f988bf-86f1-41af-91ab-2d7cd011db47}" removed="0"/></clbl:labelList>"""


def _png() -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (24, 16), (200, 30, 60)).save(buf, format="PNG")
    return buf.getvalue()


def _openpyxl_step(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    sales = wb.create_sheet("Sales")
    sales.append(["Region", "Amount"])
    for row in (("N", 10), ("S", 20), ("N", 30), ("E", 5)):
        sales.append(row)
    chart = BarChart()
    chart.add_data(Reference(sales, min_col=2, min_row=1, max_row=5), titles_from_data=True)
    sales.add_chart(chart, "D2")
    sales.add_image(Image(io.BytesIO(_png())), "D20")
    dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    sales.add_data_validation(dv)
    dv.add("C2")
    wb.create_sheet("Pivot")
    bc = wb["Boundary Conditions"]
    bc.conditional_formatting.add(
        "C3:Z14", CellIsRule(operator="lessThan", formula=["0"], fill=PatternFill("solid", fgColor="FFC7CE"))
    )
    bc.column_dimensions["AZ"].hidden = True
    bc.column_dimensions["AZ"].width = 0
    wp = wb["Wafer Plan"]
    dv2 = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    wp.add_data_validation(dv2)
    dv2.add("B4:B6")
    wb.save(path)


def _add_rels(items: dict[str, bytes], rels_part: str, rels: list[tuple[str, str, str]]) -> None:
    text = items.get(
        rels_part,
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
    ).decode()
    for rid, kind, target in rels:
        text = text.replace(
            "</Relationships>", f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/></Relationships>'
        )
    items[rels_part] = text.encode()


def _add_types(
    items: dict[str, bytes], overrides: dict[str, str], defaults: dict[str, str] | None = None
) -> None:
    if defaults is None:
        defaults = {}
    text = items["[Content_Types].xml"].decode()
    for ext, kind in defaults.items():
        if f'Extension="{ext}"' not in text:
            text = text.replace("<Default ", f'<Default Extension="{ext}" ContentType="{kind}"/><Default ', 1)
    for part, kind in overrides.items():
        text = re.sub(rf'<Override PartName="{re.escape(part)}"[^>]*/>', "", text)
        text = text.replace("</Types>", f'<Override PartName="{part}" ContentType="{kind}"/></Types>')
    items["[Content_Types].xml"] = text.encode()


def _sheet_part(items: dict[str, bytes], name: str) -> str:
    wb = items["xl/workbook.xml"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(name)}"[^>]*r:id="([^"]+)"', wb)
    rid = rid or re.search(rf'<sheet [^>]*r:id="([^"]+)"[^>]*name="{re.escape(name)}"', wb)
    rels = items["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    target = target or re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def _zip_step(src: Path, dst: Path, macros: bool) -> None:
    with zipfile.ZipFile(src) as z:
        items = {n: z.read(n) for n in z.namelist()}
    sales = _sheet_part(items, "Sales")
    folder, base = sales.rsplit("/", 1)
    rels = f"{folder}/_rels/{base}.rels"
    _add_rels(
        items,
        rels,
        [
            ("rIdN1", f"{NS_REL}/comments", "../comments91.xml"),
            ("rIdN2", f"{NS_REL}/vmlDrawing", "../drawings/vmlDrawing91.vml"),
            ("rIdN3", f"{MS_REL}/threadedComment", "../threadedComments/threadedComment91.xml"),
        ],
    )
    xml = items[sales].decode()
    tag = '<legacyDrawing r:id="rIdN2"/>'
    m = re.search(r"<drawing [^>]*/>", xml)
    xml = xml[: m.end()] + tag + xml[m.end() :] if m else xml.replace("</worksheet>", tag + "</worksheet>")
    if 'xmlns:r="' not in xml[:2000]:
        xml = xml.replace("<worksheet ", f'<worksheet xmlns:r="{NS_REL}" ', 1)
    items[sales] = xml.encode()
    items["xl/comments91.xml"] = NOTES.encode()
    items["xl/drawings/vmlDrawing91.vml"] = VML.encode()
    items["xl/threadedComments/threadedComment91.xml"] = THREADED.encode()
    items["xl/persons/person.xml"] = PERSONS.encode()
    _add_rels(items, "xl/_rels/workbook.xml.rels", [("rIdP1", f"{MS_REL}/person", "persons/person.xml")])
    items["docMetadata/LabelInfo.xml"] = LABEL.encode()
    _add_rels(
        items,
        "_rels/.rels",
        [
            (
                "rIdL1",
                "http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels",
                "docMetadata/LabelInfo.xml",
            )
        ],
    )
    # an empty-text cell below the Wafer Plan rows (Excel keeps such cells; openpyxl made them blank)
    wp = _sheet_part(items, "Wafer Plan")
    xml = items[wp].decode()
    last = max(int(r) for r in re.findall(r'<row [^>]*r="(\d+)"', xml))
    xml = xml.replace(
        "</sheetData>",
        f'<row r="{last + 3}"><c r="A{last + 3}" t="inlineStr"><is><t></t></is></c></row></sheetData>',
    )
    items[wp] = xml.encode()
    overrides = {
        "/xl/comments91.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
        "/xl/threadedComments/threadedComment91.xml": "application/vnd.ms-excel.threadedcomments+xml",
        "/xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
        "/docMetadata/LabelInfo.xml": "application/vnd.ms-office.classificationlabels+xml",
    }
    defaults = {"vml": "application/vnd.openxmlformats-officedocument.vmlDrawing"}
    if macros:
        with zipfile.ZipFile(VBA_SOURCE) as z:
            items["xl/vbaProject.bin"] = z.read("xl/vbaProject.bin")
        _add_rels(
            items,
            "xl/_rels/workbook.xml.rels",
            [
                (
                    "rIdV1",
                    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                    "vbaProject.bin",
                )
            ],
        )
        overrides["/xl/workbook.xml"] = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        defaults["bin"] = "application/vnd.ms-office.vbaProject"
    _add_types(items, overrides, defaults)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)


def enriched_workbook(folder: Path, macros: bool = False) -> Path:
    """Build the enriched workbook in ``folder``; ``.xlsm`` with a VBA project when ``macros``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = write_demo_workbook(folder / "base.xlsx", n_products=3, n_quarters=4, seed=2)
    _openpyxl_step(base)
    pivoted = make_pivot(base, folder / "pivoted.xlsx", "Sales", "A1:B5", "Pivot")
    out = folder / ("enriched.xlsm" if macros else "enriched.xlsx")
    _zip_step(pivoted, out, macros)
    return out
