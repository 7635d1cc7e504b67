"""Cell styles the tool needs, appended to the workbook's own ``xl/styles.xml``.

Cells point at styles by index (``s="7"`` is the 8th ``cellXfs/xf``), so appending keeps every
existing index valid: the planner's styles are never changed, only added to.  A style the part
already holds (same number format, font, fill, border, alignment) is reused -- so a second run
appends nothing and ``styles.xml`` stays byte-identical; the part is rewritten only when a style
was really added.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .book_xml import NS_MAIN
from .package import XML_DECL, Package

_M = f"{{{NS_MAIN}}}"
FIRST_CUSTOM_NUMFMT = 164
#: Built-in number formats of SpreadsheetML (ECMA-376 Part 1, 18.8.30) the tool uses by id.
BUILTIN_NUMFMTS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
}
_CHILD_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")
_XF_ATTRS = (
    "applyNumberFormat",
    "applyFont",
    "applyFill",
    "applyBorder",
    "applyAlignment",
    "applyProtection",
    "quotePrefix",
    "pivotButton",
)


def _canon(e: etree._Element | None) -> bytes:
    if e is None:
        return b""
    return etree.tostring(e, method="c14n", exclusive=True)


class Styles:
    """``xl/styles.xml`` opened for appending cell formats."""

    def __init__(self, package: Package, part: str = "xl/styles.xml"):
        self.package, self.part = package, part
        self.root = etree.fromstring(package.read(part))
        self.changed = False
        self._lists = {tag: self._container(tag) for tag in _CHILD_ORDER}
        self._index = {
            tag: {_canon(e): i for i, e in reversed(list(enumerate(self._lists[tag])))}
            for tag in ("fonts", "fills", "borders")
        }
        self._numfmts = {e.get("formatCode"): int(e.get("numFmtId")) for e in self._lists["numFmts"]}
        self._xfs = {self._xf_key(e): i for i, e in reversed(list(enumerate(self._lists["cellXfs"])))}

    def _container(self, tag: str) -> etree._Element:
        e = self.root.find(f"{_M}{tag}")
        if e is None:
            e = etree.Element(f"{_M}{tag}", count="0")
            later = [self.root.find(f"{_M}{t}") for t in _CHILD_ORDER[_CHILD_ORDER.index(tag) + 1 :]]
            anchor = next((a for a in later if a is not None), None)
            if anchor is not None:
                anchor.addprevious(e)
            else:
                self.root.insert(0, e)
        return e

    def _xf_key(self, xf: etree._Element) -> tuple:
        return (
            int(xf.get("numFmtId", "0")),
            int(xf.get("fontId", "0")),
            int(xf.get("fillId", "0")),
            int(xf.get("borderId", "0")),
            xf.get("xfId", "0"),
            tuple(xf.get(a) == "1" or xf.get(a) == "true" for a in _XF_ATTRS),
            b"".join(_canon(c) for c in xf),
        )

    def _append(self, tag: str, element: etree._Element) -> int:
        element = _in_main(element)
        key = _canon(element)
        found = self._index[tag].get(key)
        if found is not None:
            return found
        container = self._lists[tag]
        container.append(element)
        container.set("count", str(len(container)))
        self._index[tag][key] = len(container) - 1
        self.changed = True
        return len(container) - 1

    def number_format(self, code: str) -> int:
        """The id of number format ``code`` (built-in, existing or appended)."""
        if code in BUILTIN_NUMFMTS:
            return BUILTIN_NUMFMTS[code]
        if code in self._numfmts:
            return self._numfmts[code]
        used = [int(e.get("numFmtId")) for e in self._lists["numFmts"]]
        new = max([FIRST_CUSTOM_NUMFMT - 1, *used]) + 1
        container = self._lists["numFmts"]
        etree.SubElement(container, f"{_M}numFmt", numFmtId=str(new), formatCode=code)
        container.set("count", str(len(container)))
        self._numfmts[code] = new
        self.changed = True
        return new

    def cell_format(
        self,
        *,
        number_format: str | int = "General",
        font: etree._Element | None = None,
        fill: etree._Element | None = None,
        border: etree._Element | None = None,
        children: Sequence[etree._Element] = (),
        flags: dict[str, str] | None = None,
    ) -> int:
        """The ``cellXfs`` index of a format (reused when present, appended otherwise)."""
        fmt_id = number_format if isinstance(number_format, int) else self.number_format(number_format)
        xf = etree.Element(
            f"{_M}xf",
            nsmap={None: NS_MAIN},
            numFmtId=str(fmt_id),
            fontId=str(self._append("fonts", font) if font is not None else 0),
            fillId=str(self._append("fills", fill) if fill is not None else 0),
            borderId=str(self._append("borders", border) if border is not None else 0),
            xfId="0",
        )
        for name, value in (flags or {}).items():
            xf.set(name, value)
        if fmt_id != 0:
            xf.set("applyNumberFormat", "1")
        for child in children:
            xf.append(_in_main(child))
        key = self._xf_key(xf)
        found = self._xfs.get(key)
        if found is not None:
            return found
        container = self._lists["cellXfs"]
        container.append(xf)
        container.set("count", str(len(container)))
        self._xfs[key] = len(container) - 1
        self.changed = True
        return len(container) - 1

    def flush(self) -> None:
        if self.changed:
            for tag in ("numFmts",):
                if len(self._lists[tag]) == 0:
                    self.root.remove(self._lists[tag])
            self.package.write(self.part, XML_DECL + etree.tostring(self.root, encoding="UTF-8"))


def _in_main(e: etree._Element) -> etree._Element:
    """A deep copy of ``e`` (from another part) with no stray namespace declarations."""
    copy = etree.fromstring(etree.tostring(e))
    etree.cleanup_namespaces(copy)
    return copy
