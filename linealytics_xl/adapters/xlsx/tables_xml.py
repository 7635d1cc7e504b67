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
from .kept import TableLook
from .package import XML_DECL, Package
from .sheet_xml import escape_text

CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
REL_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
STYLE = "TableStyleMedium2"


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def table_xml(
    table_id: int, name: str, columns: Sequence[str], n_rows: int, look: TableLook | None = None
) -> bytes:
    """The table part over ``A1`` .. last column, header plus ``n_rows`` rows (at least one).

    ``look`` is the planner's dressing kept from the previous table: its style, its calculated
    columns (after ``columns``, with their formula) and its total row (one row more)."""
    look = look or TableLook()
    names = [str(c) for c in columns] + [c for c, _ in look.calculated]
    formulas = {c: f.text for c, f in look.calculated}
    last = column_letter(max(1, len(names)) - 1)
    data_end = max(2, n_rows + 1)
    ref = f"A1:{last}{data_end + (1 if look.has_totals else 0)}"
    cols = []
    for i, c in enumerate(names):
        label, function, custom = look.totals.get(c, (None, None, None))
        attrs = f' totalsRowLabel="{_attr(label)}"' if label else ""
        attrs += f' totalsRowFunction="{function}"' if function and function != "none" else ""
        inner = (
            f"<calculatedColumnFormula>{escape_text(formulas[c])}</calculatedColumnFormula>"
            if c in formulas
            else ""
        )
        inner += (
            f"<totalsRowFormula>{escape_text(custom)}</totalsRowFormula>"
            if function == "custom" and custom
            else ""
        )
        cols.append(
            f'<tableColumn id="{i + 1}" name="{_attr(c)}"{attrs}'
            + (f">{inner}</tableColumn>" if inner else "/>")
        )
    totals = ' totalsRowCount="1"' if look.has_totals else ' totalsRowShown="0"'
    style = look.style or (
        f'<tableStyleInfo name="{STYLE}" showFirstColumn="0" showLastColumn="0" '
        'showRowStripes="1" showColumnStripes="0"/>'
    )
    return (
        XML_DECL
        + (
            f'<table xmlns="{NS_MAIN}" id="{table_id}" name="{_attr(name)}" displayName="{_attr(name)}" '
            f'ref="{ref}"{totals}><autoFilter ref="A1:{last}{data_end}"/>'
            f'<tableColumns count="{len(names)}">{"".join(cols)}</tableColumns>{style}</table>'
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
