"""The Power BI contract (docs/tables.md) against a workbook the planner actually wrote.

The document is parsed (one markdown table per output table: ``Column | Type | Unit | Key |
Nullable | Description``), the shipped template is planned by ``jobs.plan`` exactly as the
command line does, and the result is checked both ways: every documented table exists as an
Excel Table with exactly the documented columns, in order, holding values of the documented
types; and every ``LL_*`` table in the workbook is documented.  The real hackathon workbook is
checked the same way when ``../shared`` is present.

Tables the document lists but the pipeline does not write yet fail here by design: the contract
is the target, not a description of whatever the code happens to write today.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from libreoffice import recalculate, requires_libreoffice

from linealytics_xl.core.contract import TABLES as CODE_TABLES
from linealytics_xl.core.contract import table_name

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "tables.md"
TEMPLATE = ROOT / "workbook" / "planning.xlsx"

#: The tables the issue fixes (names and columns); the document must list exactly these.
EXPECTED_TABLES = (
    "LL_Plan",
    "LL_Runs",
    "LL_DataQuality",
    "LL_Forecast",
    "LL_Backtest",
    "LL_Risk",
    "LL_Insights",
    "LL_Alerts",
    "LL_WhatIf",
)
TYPES = ("text", "integer", "number", "date", "datetime", "boolean")
HEADER = ["Column", "Type", "Unit", "Key", "Nullable", "Description"]


# --------------------------------------------------------------------------- the document
@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    unit: str
    key: bool
    nullable: bool
    description: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str
    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.columns if c.key]


@dataclass(frozen=True)
class Contract:
    version: str
    tables: dict[str, TableSpec]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _yes_no(value: str, where: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"{where}: expected yes or no, found {value!r}")
    return value == "yes"


def parse_contract(text: str) -> Contract:
    """Parse docs/tables.md: the version line and, per ``## LL_*`` section, its grain and table."""
    found = re.search(r"^Contract version:\s*(\d+\.\d+)\s*$", text, re.MULTILINE)
    if not found:
        raise ValueError("no 'Contract version: X.Y' line")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    tables: dict[str, TableSpec] = {}
    for section in sections:
        title, _, body = section.partition("\n")
        name = title.strip()
        if not name.startswith("LL_"):
            continue
        if name in tables:
            raise ValueError(f"{name} is documented twice")
        grain = re.search(r"^- Grain:\s*(.+)$", body, re.MULTILINE)
        lines = [ln for ln in body.splitlines() if ln.startswith("|")]
        if not lines or _cells(lines[0]) != HEADER:
            raise ValueError(f"{name}: expected a table with header {' | '.join(HEADER)}")
        if not re.fullmatch(r"[-:| ]+", lines[1]):
            raise ValueError(f"{name}: second table line is not a separator")
        columns = []
        for ln in lines[2:]:
            cells = _cells(ln)
            if len(cells) != len(HEADER):
                raise ValueError(f"{name}: row {ln!r} has {len(cells)} cells, expected {len(HEADER)}")
            col, typ, unit, key, nullable, description = cells
            where = f"{name}.{col}"
            if typ not in TYPES:
                raise ValueError(f"{where}: type {typ!r} is not one of {', '.join(TYPES)}")
            columns.append(
                ColumnSpec(col, typ, unit, _yes_no(key, where), _yes_no(nullable, where), description)
            )
        tables[name] = TableSpec(name, grain.group(1).strip() if grain else "", tuple(columns))
    return Contract(found.group(1), tables)


CONTRACT = parse_contract(DOC.read_text(encoding="utf-8"))
DOCUMENTED = list(CONTRACT.tables)


def test_document_lists_the_fixed_tables_with_sane_specs():
    # 2.0: tables renamed tblLL_*, never a function's name; 2.1: LL_WhatIf says its run and inputs
    assert CONTRACT.version == "2.1"
    assert list(EXPECTED_TABLES) == DOCUMENTED
    for spec in CONTRACT.tables.values():
        assert spec.grain, f"{spec.name}: no '- Grain:' line"
        assert spec.columns, f"{spec.name}: no columns"
        assert len(set(spec.names)) == len(spec.names), f"{spec.name}: duplicate column"
        for c in spec.columns:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", c.name), f"{spec.name}.{c.name}: not a plain name"
            assert c.unit and c.description, f"{spec.name}.{c.name}: unit or description missing"
            assert not (c.key and c.nullable), f"{spec.name}.{c.name}: a key column cannot be empty"


def test_document_and_code_contract_agree_column_by_column():
    """core.contract is the contract in code: every table, column, type, unit, key and nullability
    is the one docs/tables.md documents, and every column has an Excel format fit for its type."""
    from linealytics_xl.core import contract

    assert CONTRACT.version == contract.CONTRACT_VERSION
    assert list(contract.TABLES) == DOCUMENTED
    for name, spec in contract.TABLES.items():
        doc = CONTRACT.tables[name]
        assert spec.names == doc.names, name
        for code_col, doc_col in zip(spec.columns, doc.columns):
            where = f"{name}.{code_col.name}"
            assert (code_col.type, code_col.unit, code_col.key, code_col.nullable) == (
                doc_col.type,
                doc_col.unit,
                doc_col.key,
                doc_col.nullable,
            ), where
            fmt = code_col.number_format
            if code_col.type in ("date", "datetime"):
                assert "yy" in fmt and "dd" in fmt, where
            elif code_col.unit == "bytes":
                assert fmt.endswith(',,," GB"'), where  # shown in GB, stored in bytes
            elif code_col.unit in ("fraction", "probability"):
                assert fmt == "0.0%", where
            elif code_col.unit.startswith("wafers"):
                assert fmt == "#,##0", where


def test_written_tables_carry_the_contract_number_formats(real_planned):
    from linealytics_xl.core import contract

    wb = openpyxl.load_workbook(real_planned.path)
    for name in ("LL_Plan", "LL_Runs", "LL_Risk", "LL_Alerts"):
        ws = wb[name]
        header = [c.value for c in ws[1]]
        spec = contract.TABLES[name].number_formats()
        for col, title in enumerate(header, start=1):
            cells = [ws.cell(r, col) for r in (2, ws.max_row)]
            filled = [c for c in cells if c.value is not None]  # an empty cell needs no format
            assert filled or any(ws.cell(r, col).value is None for r in range(2, ws.max_row + 1)), (
                name,
                title,
            )
            for cell in filled:
                assert cell.number_format == spec[title], (name, title, cell.coordinate)


def test_document_matches_the_column_lists_in_the_code():
    """Every ``NAME = "LL_X"`` constant in core.tables with a ``NAME_COLUMNS`` list agrees."""
    from linealytics_xl.core import tables

    checked = 0
    for attr, value in vars(tables).items():
        if isinstance(value, str) and value.startswith("LL_"):
            columns = getattr(tables, f"{attr}_COLUMNS", None)
            if columns is None:
                continue
            assert value in CONTRACT.tables, f"core.tables.{attr} = {value!r} is not documented"
            assert list(columns) == CONTRACT.tables[value].names, (
                f"{value}: core.tables.{attr}_COLUMNS = {list(columns)}, docs/tables.md = {CONTRACT.tables[value].names}"
            )
            checked += 1
    assert checked >= 3  # LL_Plan, LL_Runs, LL_DataQuality at least


# --------------------------------------------------------------------------- the workbook
@dataclass
class Planned:
    label: str
    path: Path
    book: openpyxl.Workbook


def _plan_copy(src: Path, dst: Path) -> Planned:
    from linealytics_xl import jobs

    shutil.copyfile(src, dst)
    job = jobs.plan(dst)
    assert job.path == dst
    jobs.whatif(dst, n_jobs=1)  # LL_WhatIf (the example cases) is part of the contract too
    return Planned(dst.stem, dst, openpyxl.load_workbook(dst))


@pytest.fixture(scope="module")
def template_planned(tmp_path_factory) -> Planned:
    return _plan_copy(TEMPLATE, tmp_path_factory.mktemp("contract") / "template.xlsx")


@pytest.fixture(scope="module")
def real_planned_copy(real_path, tmp_path_factory) -> Planned:
    """The real workbook, planned the same way (skipped, with the reason, when ../shared is absent)."""
    return _plan_copy(real_path, tmp_path_factory.mktemp("contract") / "real.xlsx")


@pytest.fixture(params=["template", "real"])
def planned(request) -> Planned:
    return request.getfixturevalue("template_planned" if request.param == "template" else "real_planned_copy")


def _table(book: openpyxl.Workbook, name: str):
    """(sheet, table) of the Excel Table called ``name``, wherever it is; (None, None) if absent."""
    for ws in book.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    return None, None


def _rows(ws, table) -> tuple[list[str], list[tuple]]:
    """Header and data rows of ``table``; a table with no data keeps one empty row: no rows."""
    cells = list(ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True))
    min_col, min_row, max_col, max_row = openpyxl.utils.cell.range_boundaries(table.ref)
    block = [r[min_col - 1 : max_col] for r in cells[min_row - 1 : max_row]]
    header, data = list(block[0]), block[1:]
    if len(data) == 1 and all(v is None for v in data[0]):
        data = []
    return header, data


def _type_error(kind: str, value) -> str | None:
    """None when ``value`` (read by openpyxl) is of the documented type, else what is wrong."""
    if kind == "text":
        ok = isinstance(value, str)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in ("integer", "number"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok and kind == "integer":
            ok = float(value).is_integer()
    elif kind == "date":
        ok = isinstance(value, (date, datetime)) and (
            not isinstance(value, datetime) or value.time() == time(0)
        )
    elif kind == "datetime":
        ok = isinstance(value, datetime)
    else:  # pragma: no cover - the parser rejects other types
        raise AssertionError(kind)
    return None if ok else f"expected {kind}, found {type(value).__name__} {value!r}"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_table_exists_with_exactly_its_columns(planned, name):
    spec = CONTRACT.tables[name]
    ws, table = _table(planned.book, table_name(name))
    assert table is not None, (
        f"{planned.label}: no Excel Table {table_name(name)} (sheets: {planned.book.sheetnames})"
    )
    assert ws.title == name, (
        f"{planned.label}: table {table.displayName} is on sheet {ws.title!r}, expected {name!r}"
    )
    assert table.displayName == table_name(name) == CODE_TABLES[name].table_name
    header, data = _rows(ws, table)
    assert header == spec.names, (
        f"{planned.label}: {name} columns differ from docs/tables.md: written {header}, documented "
        f"{spec.names} (extra {[c for c in header if c not in spec.names]}, "
        f"missing {[c for c in spec.names if c not in header]})"
    )
    assert [c.name for c in table.tableColumns] == spec.names
    # The table covers the whole used area: header at A1, every row, nothing outside it (an empty
    # table's blank row 2 has no cells, so max_row may stop at the header).
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(spec.names))}{max(2, len(data) + 1)}"
    assert ws.max_row in (len(data) + 1, max(2, len(data) + 1)) and ws.max_column == len(spec.names)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_table_holds_values_of_the_documented_types(planned, name):
    spec = CONTRACT.tables[name]
    ws, table = _table(planned.book, table_name(name))
    assert table is not None, f"{planned.label}: no Excel Table {name}"
    header, data = _rows(ws, table)
    # Documented columns are checked by name: an extra or misplaced column fails the test above,
    # not this one, so that this one still tells whether the values are right.
    missing = [c for c in spec.names if c not in header]
    assert not missing, f"{planned.label}: {name} lacks documented column(s) {missing}"
    problems = []
    for r, row in enumerate(data, start=2):
        for col in spec.columns:
            index = header.index(col.name)
            value = row[index]
            where = f"{name}!{openpyxl.utils.get_column_letter(index + 1)}{r} ({col.name})"
            if value is None:
                if not col.nullable:
                    problems.append(f"{where}: empty, but the column is not nullable")
                continue
            wrong = _type_error(col.type, value)
            if wrong:
                problems.append(f"{where}: {wrong}")
            elif col.type in ("date", "datetime"):
                cell = ws.cell(row=r, column=index + 1)
                if not cell.is_date:
                    problems.append(f"{where}: a datetime without a date number format")
    assert not problems, f"{planned.label}: {len(problems)} bad value(s):\n" + "\n".join(problems[:20])
    if spec.key and data:
        keys = [tuple(row[header.index(k)] for k in spec.key) for row in data]
        dupes = sorted({k for k in keys if keys.count(k) > 1}, key=str)[:5]
        assert not dupes, f"{planned.label}: {name} key {spec.key} repeats: {dupes}"


def test_every_ll_table_in_the_workbook_is_documented(planned):
    tables = {t for ws in planned.book.worksheets for t in ws.tables}
    ll_tables = {t for t in tables if "LL_" in t}
    ll_sheets = {ws.title for ws in planned.book.worksheets if ws.title.startswith("LL_")}
    assert ll_tables - {table_name(n) for n in DOCUMENTED} == set(), "undocumented LL_* tables"
    assert ll_sheets - set(DOCUMENTED) == set(), "undocumented LL_* sheets"
    for name in ll_sheets:  # each tool sheet holds its table and nothing else
        assert set(planned.book[name].tables) == {table_name(name)}


def test_ll_sheets_hold_values_only_and_no_merged_cells(planned):
    for ws in planned.book.worksheets:
        if not ws.title.startswith("LL_"):
            continue
        assert not ws.merged_cells.ranges, f"{ws.title}: merged cells {ws.merged_cells.ranges}"
        formulas = [
            c.coordinate
            for row in ws.iter_rows()
            for c in row
            if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("="))
        ]
        assert not formulas, f"{ws.title}: formulas in {formulas[:10]}"


def test_pandas_reads_every_table(planned):
    present = [n for n in DOCUMENTED if n in planned.book.sheetnames]
    assert present, "no documented table at all"
    frames = pd.read_excel(planned.path, sheet_name=present, engine="openpyxl")
    for name in present:
        spec, frame = CONTRACT.tables[name], frames[name]
        missing = [c for c in spec.names if c not in frame.columns]  # exact order: tested above
        assert not missing, f"{name}: pandas reads {list(frame.columns)}, without {missing}"
        _, data = _rows(*_table(planned.book, table_name(name)))
        assert len(frame) == len(data), name
        for col in spec.columns:
            values = frame[col.name].dropna()
            if values.empty:
                continue
            if col.type in ("integer", "number"):
                assert pd.api.types.is_numeric_dtype(values), f"{name}.{col.name}: {values.dtype}"
            elif col.type in ("date", "datetime"):
                assert pd.api.types.is_datetime64_any_dtype(values), f"{name}.{col.name}: {values.dtype}"
            elif col.type == "boolean":
                assert values.map(lambda v: isinstance(v, bool)).all(), f"{name}.{col.name}"


@requires_libreoffice
def test_libreoffice_opens_and_recalculates_the_planned_template(template_planned, tmp_path):
    out = recalculate(template_planned.path, tmp_path / "recalculated.xlsx")
    book = openpyxl.load_workbook(out, data_only=True)
    plan = CONTRACT.tables["LL_Plan"]
    ws = book["LL_Plan"]
    assert [c.value for c in ws[1]] == plan.names
    before = list(template_planned.book["LL_Plan"].iter_rows(min_row=2, max_row=6, values_only=True))
    after = list(ws.iter_rows(min_row=2, max_row=6, values_only=True))
    assert [r[:4] for r in after] == [r[:4] for r in before]
    for a, b in zip(after, before):
        assert a[5:] == pytest.approx(b[5:], rel=1e-12)
