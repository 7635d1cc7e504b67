"""Excel Table parts (``xl/tables/tableN.xml``) of the tool's output sheets.

A table's ``id`` must be unique across the workbook and its ``displayName`` unique among tables
and defined names (case-insensitively); the column names must equal the header cells exactly.
Style as the contract has always had it: ``TableStyleMedium2`` with row stripes.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from lxml import etree

from ...core.cells import column_letter
from .book_xml import NS_MAIN
from .package import XML_DECL, Package
from .sheet_xml import escape_text

CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
REL_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
STYLE = "TableStyleMedium2"


def table_xml(table_id: int, name: str, columns: Sequence[str], n_rows: int) -> bytes:
    """The table part over ``A1`` .. last column, header plus ``n_rows`` rows (at least one)."""
    ref = f"A1:{column_letter(max(1, len(columns)) - 1)}{max(2, n_rows + 1)}"
    name = escape_text(name).replace('"', "&quot;")
    cols = "".join(
        f'<tableColumn id="{i + 1}" name="{escape_text(str(c)).replace(chr(34), "&quot;")}"/>'
        for i, c in enumerate(columns)
    )
    return (
        XML_DECL
        + (
            f'<table xmlns="{NS_MAIN}" id="{table_id}" name="{name}" displayName="{name}" ref="{ref}" '
            f'totalsRowShown="0"><autoFilter ref="{ref}"/><tableColumns count="{len(columns)}">{cols}'
            f'</tableColumns><tableStyleInfo name="{STYLE}" showFirstColumn="0" showLastColumn="0" '
            f'showRowStripes="1" showColumnStripes="0"/></table>'
        ).encode()
    )


def table_ids(package: Package, skip: AbstractSet[str] = frozenset()) -> dict[str, int]:
    """Table part -> its id, for every table part of the package not in ``skip``."""
    out = {}
    for name in package.names():
        if name in skip or package.content_type(name) != CT_TABLE:
            continue
        try:
            out[name] = int(etree.fromstring(package.read(name)).get("id", "0"))
        except (etree.XMLSyntaxError, ValueError):
            continue
    return out
