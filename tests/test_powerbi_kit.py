"""The Power BI kit (install/powerbi) names only tables and columns a planned workbook has.

The names are parsed out of the text files with regular expressions: in the M queries, the table
of ``Source{[Item = "tblLL_X", Kind = "Table"]}`` (the query ``LL_X`` reads the Excel Table ``tblLL_X``) and the column names of the type list given to
``Table.TransformColumnTypes``, plus ``LL_X[Column]`` and ``Table.SelectColumns(LL_X, {...})`` in
the dimension queries; in ``measures.dax``, ``relationships.md`` and the README every
``Table[Column]``.  They are checked against the workbook ``jobs.plan`` writes from the shipped
template (and the real workbook when ``../shared`` is present) and against docs/tables.md.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from test_contract import CONTRACT

from linealytics_xl.core.contract import table_name

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "install" / "powerbi"
TEMPLATE = ROOT / "workbook" / "planning.xlsx"
M_TYPES = {
    "text": "type text",
    "integer": "Int64.Type",
    "number": "type number",
    "date": "type date",
    "datetime": "type datetime",
    "boolean": "type logical",
}

TYPE_PAIR = re.compile(r'\{\s*"([^"]+)"\s*,\s*(type\s+\w+|Int64\.Type)\s*\}')
ITEM = re.compile(r'\[\s*Item\s*=\s*"([^"]+)"\s*,\s*Kind\s*=\s*"Table"\s*\]')
COLUMN_REF = re.compile(r"(?<![\w\]'])'?((?:LL|Dim)[A-Za-z0-9_]*)'?\[([^\]\[]+)\]")
SELECT_COLUMNS = re.compile(r"Table\.SelectColumns\(\s*(LL_\w+)\s*,\s*\{([^}]*)\}")
MEASURE_DEF = re.compile(r"\bMEASURE\s+'?(\w+)'?\[([^\]]+)\]\s*=")
BARE_REF = re.compile(r"(?<![\w\]'\"])\[([^\]\[]+)\]")


def _strip_comments(text: str, marker: str = "//") -> str:
    return "\n".join(line.split(marker, 1)[0] for line in text.splitlines())


def m_files() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(KIT.glob("*.pq"))}


def dim_columns() -> dict[str, list[str]]:
    """Columns each Dim*.pq query outputs (its type list)."""
    return {
        name: [c for c, _ in TYPE_PAIR.findall(_strip_comments(text))]
        for name, text in m_files().items()
        if name.startswith("Dim")
    }


def m_references() -> dict[str, set[str]]:
    """Every table -> columns the M queries name."""
    refs: dict[str, set[str]] = {}
    for name, text in m_files().items():
        code = _strip_comments(text)
        if name.startswith("LL_"):
            items = ITEM.findall(code)  # the query LL_X reads the Excel Table tblLL_X (contract 2.0)
            assert items == [table_name(name)], (
                f"{name}.pq reads {items}, expected exactly [{table_name(name)!r}]"
            )
            refs.setdefault(name, set()).update(c for c, _ in TYPE_PAIR.findall(code))
        for table, column in COLUMN_REF.findall(code):
            refs.setdefault(table, set()).add(column)
        for table, cols in SELECT_COLUMNS.findall(code):
            refs.setdefault(table, set()).update(re.findall(r'"([^"]+)"', cols))
    return refs


def dax_text() -> str:
    return _strip_comments((KIT / "measures.dax").read_text(encoding="utf-8"))


def dax_measures() -> dict[str, str]:
    """Measure name -> home table."""
    return {measure: table for table, measure in MEASURE_DEF.findall(dax_text())}


def text_references(text: str, *, skip_measures: bool = False) -> dict[str, set[str]]:
    if skip_measures:
        text = MEASURE_DEF.sub("MEASURE =", text)
    refs: dict[str, set[str]] = {}
    for table, column in COLUMN_REF.findall(text):
        refs.setdefault(table, set()).add(column)
    return refs


def all_references() -> dict[str, dict[str, set[str]]]:
    """Source file -> table -> columns named there."""
    out = {"M queries": m_references(), "measures.dax": text_references(dax_text(), skip_measures=True)}
    for md in ("relationships.md", "README.md"):
        out[md] = text_references((KIT / md).read_text(encoding="utf-8"))
    return out


# --------------------------------------------------------------------------- the workbooks
def _columns_of(path: Path) -> dict[str, list[str]]:
    """Excel Table name -> header, of every table in the workbook."""
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        for table in ws.tables.values():
            ref = openpyxl.utils.cell.range_boundaries(table.ref)
            out[table.displayName] = [
                c.value
                for c in next(ws.iter_rows(min_row=ref[1], max_row=ref[1], min_col=ref[0], max_col=ref[2]))
            ]
    return out


@pytest.fixture(scope="module")
def template_tables(tmp_path_factory) -> dict[str, list[str]]:
    from linealytics_xl import jobs

    path = tmp_path_factory.mktemp("powerbi") / "template.xlsx"
    shutil.copyfile(TEMPLATE, path)
    jobs.plan(path)
    return _columns_of(jobs.whatif(path, n_jobs=1).path)  # LL_WhatIf comes from the whatif command


@pytest.fixture(scope="module")
def real_tables(real_planned, tmp_path_factory) -> dict[str, list[str]]:
    from linealytics_xl import jobs

    path = tmp_path_factory.mktemp("powerbi") / "real.xlsx"
    shutil.copyfile(real_planned.path, path)
    return _columns_of(jobs.whatif(path, n_jobs=1).path)


@pytest.fixture(params=["template", "real"])
def workbook_tables(request) -> dict[str, list[str]]:
    if request.param == "template":
        return request.getfixturevalue("template_tables")
    return request.getfixturevalue("real_tables")


# --------------------------------------------------------------------------- tests
def test_every_table_and_column_the_kit_names_exists_in_a_planned_workbook(workbook_tables):
    dims = dim_columns()
    missing = []
    for source, refs in all_references().items():
        for table, columns in refs.items():
            # a query LL_X (the model's table) reads the workbook's Excel Table tblLL_X
            have = dims.get(table) if table.startswith("Dim") else workbook_tables.get(table_name(table))
            if have is None:
                missing.append(f"{source}: table {table} ({', '.join(sorted(columns))})")
                continue
            missing += [f"{source}: {table}[{c}]" for c in sorted(columns) if c not in have]
    assert not missing, "named in install/powerbi but not in the workbook:\n" + "\n".join(missing)
    refs = all_references()
    assert set(refs["M queries"]) >= set(CONTRACT.tables) and len(refs["measures.dax"]) >= 4  # not vacuous


def test_every_measure_lives_in_a_table_of_the_workbook(workbook_tables):
    homes = {table_name(t) for t in dax_measures().values()}
    assert homes <= set(workbook_tables), f"measures homed in missing tables: {homes - set(workbook_tables)}"


def test_a_query_per_documented_table_typed_as_documented():
    files = m_files()
    assert set(CONTRACT.tables) <= set(files), f"no query for {set(CONTRACT.tables) - set(files)}"
    for name, spec in CONTRACT.tables.items():
        code = _strip_comments(files[name])
        assert "Excel.Workbook(File.Contents(WorkbookPath), true)" in code, name
        assert "Table.TransformColumnTypes(" in code, name
        pairs = TYPE_PAIR.findall(code)
        assert [c for c, _ in pairs] == spec.names, f"{name}.pq columns differ from docs/tables.md"
        for (col, mtype), doc in zip(pairs, spec.columns):
            assert re.sub(r"\s+", " ", mtype) == M_TYPES[doc.type], f"{name}[{col}]: {mtype} vs {doc.type}"
    assert set(files) - set(CONTRACT.tables) == {"WorkbookPath", "DimDate", "DimProduct", "DimWeek"}
    param = _strip_comments(files["WorkbookPath"])
    assert re.search(r"IsParameterQuery\s*=\s*true", param) and re.search(r'Type\s*=\s*"Text"', param)


def test_dimensions_are_typed_and_dates_have_a_date_table():
    dims = dim_columns()
    assert dims["DimProduct"][0] == "Product"
    assert {"WeekIndex", "Quarter", "QuarterOrder", "WeekStart", "IsQuarterEnd"} <= set(dims["DimWeek"])
    assert dims["DimDate"][0] == "Date"
    for name in dims:
        assert "Table.TransformColumnTypes(" in m_files()[name], name


def test_measures_cover_the_managers_questions_and_refer_to_defined_measures():
    measures = dax_measures()
    for wanted in (
        "Service Level",
        "Shortage Bytes",
        "Weeks Below Safety Stock",
        "Capacity Use",
        "Wafers Planned",
        "Wafers Previous Run",
        "Wafers Change vs Previous Run",
        "Open Alerts",
        "Demand Bytes",
        "Yielded Supply Bytes",
    ):
        assert wanted in measures, wanted
    text = MEASURE_DEF.sub("MEASURE =", dax_text())
    text = COLUMN_REF.sub("", text)  # Table[Column] references are checked above
    text = re.sub(r'"[^"]*"', '""', text)  # string literals
    bare = set(BARE_REF.findall(text))
    unknown = {b for b in bare if b not in measures and not b.startswith("@")}
    assert not unknown, f"references to undefined measures: {sorted(unknown)}"
    assert "EVALUATE" in text and text.strip().startswith("DEFINE")


def test_readme_covers_the_visuals_and_the_sharepoint_refresh():
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`\[([^\]]+)\]`", readme))  # measures, as `[Service Level]`
    assert len(named) >= 10 and named <= set(dax_measures()), (
        f"not in measures.dax: {named - set(dax_measures())}"
    )
    for phrase in (
        "Production vs demand per quarter",
        "Inventory vs safety stock over time",
        "Total production",
        "Total demand",
        "SharePoint.Files(",
        "Web.Contents(WorkbookPath)",
        "Scheduled refresh",
        "gateway",
    ):
        assert phrase in readme, phrase
    for path in KIT.glob("*"):
        assert path.name == "README.md" or path.stem in readme, f"{path.name} not described in the README"
