"""Is this file an Excel workbook the tool can read?  One plain sentence when it is not.

Planners hand the tool whatever the file dialog gave them: a CSV export, a folder, the old
``.xls`` format, Excel's ``~$`` owner file of an open workbook, a password-protected workbook,
a file cut short by a full disk or a broken download.  The file's first bytes and its zip
directory tell these apart before openpyxl is asked (whose exceptions -- ``KeyError``,
``BadZipFile``, lxml syntax errors, ``TypeError`` -- say nothing to a planner):

* an OOXML workbook (``.xlsx``/``.xlsm``) is a zip package with ``xl/workbook.xml``;
* a password-protected OOXML workbook is not a zip at all: Excel stores it encrypted inside an
  OLE compound file (magic ``D0 CF 11 E0 A1 B1 1A E1``) with the streams ``EncryptionInfo`` and
  ``EncryptedPackage``; the Excel 97-2003 ``.xls`` format is a compound file too, with a
  ``Workbook`` (or ``Book``) stream.  Stream names are stored in UTF-16 in the file's directory,
  which is what is looked for here;
* ``.xlsb`` (binary workbook) and ``.ods`` are zip packages without ``xl/workbook.xml``;
* a "Strict Open XML Spreadsheet" has ``xl/workbook.xml`` in the ISO Strict namespaces
  (``http://purl.oclc.org/ooxml/...``), which neither this reader nor openpyxl reads.

:func:`load_failure` turns an exception of the loader into a sentence, naming the damaged part
of the package when one of its XML parts does not parse.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

from .xlsx.read import DamagedPackage

__all__ = ["ENCRYPTED", "load_failure", "not_a_workbook"]

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "the workbook is encrypted; save it without a password or plan it from Excel"
_SCAN_LIMIT = 256 << 20  # compound files are read whole up to this size to find stream names


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _compound_file(path: Path) -> str:
    with open(path, "rb") as f:
        data = f.read(_SCAN_LIMIT)
    if _utf16("EncryptionInfo") in data or _utf16("EncryptedPackage") in data:
        return f"{path.name}: {ENCRYPTED}"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return (
            f"{path.name} is an Excel 97-2003 workbook (.xls), which the tool does not read; "
            f"open it in Excel and save it as Excel Workbook (.xlsx)"
        )
    return f"{path.name} is an Office file of another kind (an OLE compound file), not an Excel workbook"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 text, as Excel's "Unicode text"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut at the end of the sample
    return True


def not_a_workbook(path: Path) -> str | None:
    """Why ``path`` is not a workbook the tool can read, or None when it looks like one."""
    if path.is_dir():
        return f"{path.name} is a folder, not a workbook file; give the path of the .xlsx file"
    size = path.stat().st_size
    if size == 0:
        return f"{path.name} is empty (0 bytes), not an Excel workbook"
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(CFB_MAGIC):
        return _compound_file(path)
    if path.name.startswith("~$") and not head.startswith(b"PK"):
        return (
            f"{path.name} is the owner file Excel keeps beside a workbook while it is open (it "
            f"holds the user's name), not a workbook; give the workbook itself, the name without ~$"
        )
    if not head.startswith(b"PK"):
        if path.suffix.lower() in (".csv", ".txt", ".tsv") or _looks_like_text(head):
            return (
                f"{path.name} is a text (CSV) file, not an Excel workbook; open it in Excel and "
                f"save it as Excel Workbook (.xlsx)"
            )
        return f"{path.name} is not an Excel workbook (its content is not an .xlsx package)"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return (
            f"{path.name} is damaged or incomplete (its zip package cannot be opened, e.g. the "
            f"file was cut short); open it in Excel to repair it, or use a backup"
        )
    if "xl/workbook.xml" in names:
        return _strict(path)
    if "xl/workbook.bin" in names:
        return (
            f"{path.name} is an Excel binary workbook (.xlsb), which the tool does not read; "
            f"save it as Excel Workbook (.xlsx)"
        )
    if "content.xml" in names and "mimetype" in names:
        return f"{path.name} is an OpenDocument file (.ods); save it as Excel Workbook (.xlsx)"
    return f"{path.name} is a zip file but not an Excel workbook (it has no xl/workbook.xml)"


#: The main namespace of an "Excel Strict Open XML Spreadsheet" (ISO/IEC 29500 Strict); the
#: usual "Excel Workbook" uses the transitional schemas.openxmlformats.org one.
STRICT_MAIN = b"http://purl.oclc.org/ooxml/spreadsheetml/main"


def _strict(path: Path) -> str | None:
    """A sentence for a workbook saved as Strict Open XML, whose parts the reader (and openpyxl)
    do not understand: read anyway, it would look like a workbook without sheets."""
    try:
        with zipfile.ZipFile(path) as z, z.open("xl/workbook.xml") as part:
            head = part.read(4096)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError):
        return None  # damaged: the loader's failure names the part
    if STRICT_MAIN not in head:
        return None
    return (
        f"{path.name} is saved as Strict Open XML Spreadsheet, which the tool does not read; "
        f"open it in Excel and save it as Excel Workbook (.xlsx)"
    )


def _damaged_part(path: Path) -> tuple[str, str] | None:
    """The first XML part of the package that cannot be read, with why."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                try:
                    with z.open(info) as part:
                        for _ in ElementTree.iterparse(part):
                            pass
                except ElementTree.ParseError as exc:
                    return info.filename, f"not well-formed XML: {exc}"
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                    return info.filename, f"its compressed data is damaged: {exc}"
    except (zipfile.BadZipFile, OSError):
        return None
    return None


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _sheet_of_part(path: Path, part: str) -> str | None:
    """The name of the sheet stored in ``part``, when the workbook part says so."""
    try:
        with zipfile.ZipFile(path) as z:
            rels = {
                e.get("Id"): e.get("Target", "")
                for e in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            }
            for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(_NS_MAIN + "sheet"):
                target = rels.get(sheet.get(_NS_R + "id"), "")
                if (target.lstrip("/") if target.startswith("/") else "xl/" + target) == part:
                    return sheet.get("name")
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    return None


_NO_ITEM = re.compile(r"There is no item named '(.+)' in the archive")
_REPAIR = "open it in Excel to repair it, or use a backup"


def _missing_part(exc: BaseException) -> str | None:
    """What is missing from the package, when ``exc`` says a part is: the reader's own account,
    or zipfile's ``KeyError`` ("There is no item named '[Content_Types].xml' in the archive")."""
    if isinstance(exc, DamagedPackage):
        return str(exc)
    if isinstance(exc, KeyError) and exc.args:
        m = _NO_ITEM.search(str(exc.args[0]))
        if m:
            return f"its part {m.group(1)} is missing"
    return None


def load_failure(path: Path, exc: BaseException) -> str:
    """A sentence for a workbook the loader could not read (``exc``: what it raised)."""
    damaged = _damaged_part(path)
    if damaged is not None:
        part, why = damaged
        sheet = _sheet_of_part(path, part)
        where = f"the sheet {sheet!r} (part {part})" if sheet else f"its part {part}"
        return f"{path.name} is damaged: {where} cannot be read ({why}); {_REPAIR}"
    missing = _missing_part(exc)
    if missing is not None:
        return f"{path.name} is damaged: {missing}; {_REPAIR}"
    text = " ".join(str(exc).split())[:200]
    return f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}: {text})"
