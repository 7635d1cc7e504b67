"""Changes to a workbook's structure that a run refuses before it writes anything.

Two planner edits would make a run corrupt the file or go against the planner's own protection:

- **Structure protected** (Review > Protect Workbook, ``<workbookProtection lockStructure="1"/>``):
  Excel itself refuses to add a sheet then; a run that needs a new sheet (the first run, a new
  output table) is refused, one that only rewrites its existing sheets goes ahead.
- **A tool sheet renamed** (``LL_Plan`` -> ``Plan``): the sheet still holds the tool's table
  (``tblLL_Plan``); a run would add a new ``LL_Plan`` with a second table of the same name, which
  Excel repairs by deleting one.  The planner is asked to rename it back.

Both raise :class:`StructureError` with a sentence for the planner; nothing has been written.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ...core.contract import table_name
from .book_xml import NS_MAIN, Book
from .package import Package
from .tables_xml import REL_TABLE

_M = f"{{{NS_MAIN}}}"


class StructureError(ValueError):
    """A run would change the workbook's structure in a way the planner did not allow."""


def structure_locked(book: Book) -> bool:
    protection = book.root.find(f"{_M}workbookProtection")
    return protection is not None and (protection.get("lockStructure") or "").strip().lower() in ("1", "true")


def check_structure(package: Package, book: Book, writes: Iterable[str], adds: list[str]) -> None:
    """Raise :class:`StructureError` when the tool tables ``writes`` would clash with a renamed
    tool sheet, or when sheets ``adds`` must be added to a workbook whose structure is locked."""
    wanted = {table_name(n).lower(): n for n in writes}
    for entry in book.sheets():
        if not entry.part or not package.exists(entry.part):
            continue
        for rel in package.rels(entry.part):
            if rel.type != REL_TABLE or rel.part is None or not package.exists(rel.part):
                continue
            try:
                shown = (etree.fromstring(package.read(rel.part)).get("displayName") or "").lower()
            except etree.XMLSyntaxError:
                continue
            home = wanted.get(shown)
            if home is not None and entry.name.lower() != home.lower():
                raise StructureError(
                    f"the sheet {entry.name!r} holds the table {table_name(home)}, which every run "
                    f"rewrites on the sheet {home!r}; rename the sheet back to {home} (right-click its "
                    f"tab > Rename) and run again. Nothing was written"
                )
    if adds and structure_locked(book):
        raise StructureError(
            "the workbook's structure is protected (Review > Protect Workbook), so the sheet(s) "
            f"{', '.join(adds)} cannot be added. Nothing was written; unprotect the structure, run "
            "again, and protect it again afterwards (later runs only rewrite these sheets)"
        )
