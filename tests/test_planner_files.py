"""Workbook files as planners' tools leave them: re-saved by LibreOffice, Strict Open XML, an .ods
named .xlsx, Excel's owner file, a package that lost a part, odd but valid XML (a namespace
prefix, an empty value, text that starts with '=').  Each is read as the original, or refused with
one sentence: exit 2, the file byte for byte untouched, nothing written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from libreoffice import recalculate, require_libreoffice
from lxml import etree
from openpyxl.workbook.workbook import Workbook
from planner_mutations import FIELDS, SD, edited, messages, read, refused, rewrite_part


def test_an_empty_value_element_is_a_blank_cell(real_path, real_data, tmp_path):
    """``<v></v>`` (written by some generators) is no value, as openpyxl reads it; it was "cannot
    be read as an Excel workbook (ValueError: could not convert string to float: '')"."""
    path = rewrite_part(
        real_path,
        tmp_path / "empty-v.xlsx",
        "xl/worksheets/sheet1.xml",  # Supply_Demand
        lambda xml: re.sub(rb'(<c r="E5"[^>]*>)<v>[^<]*</v>', rb"\1<v></v>", xml, count=1),
    )
    data = read(path)
    assert data.quarterly_demand[0, 1] == 0 and real_data.quarterly_demand[0, 1] > 0
    new = messages(data) - messages(real_data)
    assert new == {"Supply_Demand!E5: blank cell(s) inside the data area: E5; 0 bytes of demand used"}


def text_formula_shared(real_path: Path, dst: Path) -> Path:
    """E5 of Supply_Demand holds the text '=D5+D11' from the shared-string table (as Excel saves
    a cell typed '=D5+D11 after an apostrophe)."""
    with zipfile.ZipFile(real_path) as z:
        n = z.read("xl/sharedStrings.xml").count(b"<si>")
    sst = rewrite_part(
        real_path,
        dst.with_name("sst.xlsx"),
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(b"</sst>", b"<si><t>=D5+D11</t></si></sst>"),
    )
    return rewrite_part(
        sst,
        dst,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb'<c r="E5"( s="\d+")?[^>]*>.*?</c>', rb'<c r="E5"\1 t="s"><v>%d</v></c>' % n, xml, count=1
        ),
    )


def text_formula_inline(real_path: Path, dst: Path) -> Path:
    shutil.copyfile(real_path, dst)

    def edit(wb: Workbook) -> None:
        cell = wb[SD]["E5"]
        cell.value, cell.data_type = "=D5+D11", "s"  # openpyxl writes it as an inline string

    return edited(dst, edit)


@pytest.mark.parametrize("build", [text_formula_shared, text_formula_inline], ids=["shared-string", "inline"])
def test_text_that_starts_with_an_equals_sign_is_text_not_a_formula(real_path, tmp_path, build):
    """Excel shows '=D5+D11' typed as text and computes nothing with it (the sheet's own stock
    formula gives #VALUE!); the reader evaluated it as a formula and planned D5 + D11 bytes."""
    path = build(real_path, tmp_path / "text.xlsx")
    refused(path, tmp_path, "Supply_Demand!E5: expected a demand in bytes (a number >= 0), found '=D5+D11'")


def test_sheets_with_a_namespace_prefix_read_as_the_original(real_path, real_data, tmp_path):
    """The OpenXML SDK (and tools built on it) write ``<x:worksheet><x:sheetData><x:c ...>``."""

    def prefixed(xml: bytes) -> bytes:
        root = etree.fromstring(xml)
        nsmap = {("x" if k is None else k): v for k, v in root.nsmap.items()}
        new = etree.Element(root.tag, nsmap=nsmap, attrib=dict(root.attrib))
        new[:] = root[:]
        return etree.tostring(new, xml_declaration=True, encoding="UTF-8", standalone=True)

    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(real_path) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            out.writestr(info, prefixed(data) if info.filename.startswith("xl/") and main in data else data)
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/worksheets/sheet1.xml").count(b"<x:c ") > 100
    data = read(path)
    for name in FIELDS:
        assert np.array_equal(np.asarray(getattr(data, name)), np.asarray(getattr(real_data, name))), name
    assert messages(data) == messages(real_data)


# --- files the tool cannot use ------------------------------------------------------------------

TRANSITIONAL_TO_STRICT = [
    (
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    ),
    (b"http://schemas.openxmlformats.org/drawingml/2006/main", b"http://purl.oclc.org/ooxml/drawingml/main"),
]


def strict_copy(src: Path, dst: Path) -> Path:
    """The workbook as Excel's "Strict Open XML Spreadsheet" saves it: the same parts, in the ISO
    Strict namespaces (relationship types included; content types and package rels keep theirs)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.endswith((".xml", ".rels")) and info.filename != "[Content_Types].xml":
                for old, new in TRANSITIONAL_TO_STRICT:
                    data = data.replace(old, new)
            out.writestr(info, data)
    return dst


def test_a_strict_open_xml_workbook_is_refused_with_what_to_do(real_path, tmp_path):
    """Read as usual it was a workbook "without sheets" ('no sheet Supply_Demand (sheets present:
    none)'), which sends the planner looking for sheets that are there."""
    path = strict_copy(real_path, tmp_path / "strict.xlsx")
    refused(
        path,
        tmp_path,
        "strict.xlsx is saved as Strict Open XML Spreadsheet, which the tool does not read; "
        "open it in Excel and save it as Excel Workbook (.xlsx)",
    )


def test_excels_owner_file_is_refused_with_what_to_do(real_copy, tmp_path):
    """``~$plan.xlsx``, which Excel keeps beside ``plan.xlsx`` while it is open (165 bytes: the
    user's name, once in ANSI padded with spaces, once in UTF-16), picked in the file dialog."""
    name = "planner"
    owner = tmp_path / "~$plan.xlsx"
    owner.write_bytes(
        bytes([len(name)]) + name.encode().ljust(53) + (name.encode("utf-16-le") + b" \0" * 60)[:111]
    )
    assert owner.stat().st_size == 165
    refused(owner, tmp_path, "~$plan.xlsx is the owner file Excel keeps beside a workbook while it is open")


@pytest.mark.parametrize(
    "part,sentence",
    [
        (
            "xl/worksheets/sheet1.xml",
            "is damaged: the sheet 'Supply_Demand' has no content (part xl/worksheets/sheet1.xml is missing)",
        ),
        (
            "xl/sharedStrings.xml",
            "is damaged: the sheet 'Supply_Demand' refers to text that the package does not hold "
            "(its shared strings part is missing)",
        ),
        ("[Content_Types].xml", "is damaged: its part [Content_Types].xml is missing"),
        ("xl/_rels/workbook.xml.rels", "is damaged: its part xl/_rels/workbook.xml.rels is missing"),
    ],
    ids=["sheet", "shared-strings", "content-types", "workbook-rels"],
)
def test_a_package_without_a_part_it_needs_is_refused_as_damaged(real_path, tmp_path, part, sentence):
    """A sync client or a tool that lost a part: the sheet was "no sheet 'Supply_Demand'
    (sheets present: ...)" with its tab in view, the others a KeyError or an IndexError."""
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(real_path) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            if info.filename != part:
                out.writestr(info, z.read(info))
    refused(path, tmp_path, f"damaged.xlsx {sentence}; open it in Excel to repair it, or use a backup")


def soffice_convert(src: Path, folder: Path, kind: str) -> Path:
    require_libreoffice()
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            kind,
            "--outdir",
            str(folder),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / f"{src.stem}.{kind}"


@pytest.mark.slow
def test_an_ods_file_named_xlsx_is_refused_with_what_to_do(real_path, tmp_path):
    ods = soffice_convert(real_path, tmp_path, "ods")
    path = tmp_path / "renamed.xlsx"
    shutil.copyfile(ods, path)
    refused(path, tmp_path, "renamed.xlsx is an OpenDocument file (.ods); save it as Excel Workbook (.xlsx)")


@pytest.mark.slow
def test_the_workbook_re_saved_by_libreoffice_reads_as_the_original(real_path, real_data, tmp_path):
    """LibreOffice keeps layout, labels and formulas; it stores numbers with 15 significant
    digits, so the values agree to that precision and no more (the file holds no more)."""
    data = read(recalculate(real_path, tmp_path / "resaved.xlsx"))
    assert data.products == real_data.products and data.quarters == real_data.quarters
    assert data.weeks.labels == real_data.weeks.labels
    for name in FIELDS[1:-1]:
        assert np.allclose(getattr(data, name), getattr(real_data, name), rtol=1e-14, atol=0), name
    assert messages(data) == messages(real_data)
