"""Formulas that name a renamed table follow it, as Excel rewrites them when a table is renamed.

1.x named the tool's tables like their sheets (``LL_Plan``); 2.0 renames them (``tblLL_Plan``,
contract 2.0) the first time it writes such a workbook.  A planner's own formula such as
``=SUM(LL_Plan[Wafers])``, or a defined name over it, would then point at a table that no longer
exists: ``#REF!`` in Excel, silently.  Excel itself rewrites every reference when a table is
renamed; so does this module, for the renames a run made: in every cell formula, conditional
format and data validation of the sheets the run did not replace, in the defined names, and in
the source of a pivot table built on the table.

Only references are rewritten: a table name inside a string literal (``"LL_Plan[Wafers]"``), a
sheet reference (``LL_Plan!A1``, ``'LL_Plan'!A1``) and a function call (``LL_PLAN(...)``, the
add-in's worksheet function) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from .book_xml import NS_MAIN, Book
from .package import Package
from .patch import unescape, xml_escape
from .tables_xml import table_ids

# an element with text (never a self-closing one: a shared formula's <f t="shared" si="0"/> cells)
_ELEMENT = re.compile(r"(<(?:\w+:)?(f|formula|formula1|formula2)\b[^>]*(?<!/)>)(.*?)(</(?:\w+:)?\2>)", re.S)
# a pivot table's source: <worksheetSource name="LL_Plan"/> (a table or a defined name)
_SOURCE = re.compile(r'(<(?:\w+:)?worksheetSource\b[^>]*?\bname=")([^"]*)(")')
CT_PIVOT_CACHE = "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"
_STRING = re.compile(r'("(?:[^"]|"")*")')  # a formula's string literal ("" is an escaped quote)


def display_names(package: Package) -> set[str]:
    """The names of the package's tables, lower case (Excel compares them so)."""
    out = set()
    for part in table_ids(package):
        name = etree.fromstring(package.read(part)).get("displayName")
        if name:
            out.add(name.lower())
    return out


def _pattern(renames: Mapping[str, str]) -> re.Pattern[str]:
    names = "|".join(re.escape(old) for old in sorted(renames, key=len, reverse=True))
    # a whole name, not part of another name, not a sheet ('...'! or ...!), not a function call
    return re.compile(rf"(?<![\w.'!\[\]])({names})(?![\w.('!])", re.I)


def rename_in_formula(formula: str, renames: Mapping[str, str]) -> str:
    """``formula`` with each reference to a table ``old`` (a key of ``renames``, lower case)
    changed to ``renames[old]``; string literals untouched."""
    pattern = _pattern(renames)
    parts = _STRING.split(formula)
    for i in range(0, len(parts), 2):  # even parts are outside string literals
        parts[i] = pattern.sub(lambda m: renames[m.group(1).lower()], parts[i])
    return "".join(parts)


def _rename_in_xml(xml: str, renames: Mapping[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        text = unescape(m.group(3))
        new = rename_in_formula(text, renames)
        return m.group(0) if new == text else m.group(1) + xml_escape(new) + m.group(4)

    return _ELEMENT.sub(one, xml)


def _rename_sources(xml: str, renames: Mapping[str, str]) -> str:
    """A pivot cache whose source is a renamed table reads the table under its new name."""

    def one(m: re.Match[str]) -> str:
        new = renames.get(unescape(m.group(2)).lower())
        return m.group(0) if new is None else m.group(1) + new + m.group(3)

    return _SOURCE.sub(one, xml)


def follow_renamed_tables(package: Package, book: Book, renames: Mapping[str, str]) -> list[str]:
    """Rewrite the references to each renamed table (``renames``: old name, lower case -> new)
    in the sheets this run did not replace and in the defined names; returns the parts changed
    (``xl/workbook.xml`` is written by the book's flush)."""
    if not renames:
        return []
    pattern = _pattern(renames)
    changed = []
    for entry in book.sheets():
        if entry.part is None or entry.part in book.replaced or package.streamed(entry.part):
            continue
        xml = package.read(entry.part).decode("utf-8")
        if not pattern.search(xml):
            continue
        new = _rename_in_xml(xml, renames)
        if new != xml:
            package.write(entry.part, new.encode("utf-8"))
            changed.append(entry.part)
    for part in package.names():
        if package.content_type(part) != CT_PIVOT_CACHE:
            continue
        xml = package.read(part).decode("utf-8")
        new = _rename_sources(xml, renames)
        if new != xml:
            package.write(part, new.encode("utf-8"))
            changed.append(part)
    for name in book.root.iter(f"{{{NS_MAIN}}}definedName"):
        if name.text and pattern.search(name.text):
            name.text = rename_in_formula(name.text, renames)
            changed.append(book.part)
    return changed


_CACHE_ROOT = re.compile(r"<(?:\w+:)?pivotCacheDefinition\b[^>]*>")
_WORKSHEET_SOURCE = re.compile(r"<(?:\w+:)?worksheetSource\b[^>]*>")
_ATTR = re.compile(r'\b(sheet|name)="([^"]*)"')


def refresh_pivots_over(package: Package, sheets: set[str], tables: set[str]) -> list[str]:
    """Pivot caches built on a tool table (its sheet ``sheets`` or its name ``tables``, lower
    case) refresh when the workbook opens (``refreshOnLoad="1"``): their records are the old
    rows' values, as stale as a formula's cached value would be.  Only that attribute changes;
    returns the parts changed."""
    changed = []
    for part in package.names():
        if package.content_type(part) != CT_PIVOT_CACHE:
            continue
        xml = package.read(part).decode("utf-8")
        source = _WORKSHEET_SOURCE.search(xml)
        root = _CACHE_ROOT.search(xml)
        if source is None or root is None or "refreshOnLoad=" in root.group(0):
            continue
        attrs = {k: unescape(v).lower() for k, v in _ATTR.findall(source.group(0))}
        if attrs.get("sheet") not in sheets and attrs.get("name") not in tables:
            continue
        head = root.group(0)
        new = head[:-2] + ' refreshOnLoad="1"/>' if head.endswith("/>") else head[:-1] + ' refreshOnLoad="1">'
        package.write(part, (xml[: root.start()] + new + xml[root.end() :]).encode("utf-8"))
        changed.append(part)
    return changed
