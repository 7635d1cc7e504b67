"""``docProps/app.xml``: the sheet titles Excel shows in the file's properties.

The extended properties list the workbook's parts by group: ``HeadingPairs`` holds (group name,
count) pairs -- "Worksheets" 8, "Named Ranges" 2, in the language of the Excel that saved the
file -- and ``TitlesOfParts`` the titles of all groups, in order.  When the tool adds or removes
sheets, the worksheet group must list the workbook's real sheets, or Explorer, SharePoint and
Excel's own Info pane show a stale list until the planner saves the file again.  The part is
rewritten only then: when the sheet list is unchanged (a re-run) it stays byte-for-byte, as does
every other property in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .package import XML_DECL, Package

REL_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
NS_EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_EP, _VT = f"{{{NS_EP}}}", f"{{{NS_VT}}}"
WORKSHEETS = "Worksheets"


def app_part(package: Package) -> str | None:
    """The extended-properties part of the package, None when it has none."""
    for r in package.rels(""):
        if r.type == REL_EXTENDED and r.part and package.exists(r.part):
            return r.part
    return None


def update_sheet_titles(package: Package, before: Sequence[str], after: Sequence[str]) -> bool:
    """List sheets ``after`` instead of ``before`` in ``docProps/app.xml``; True if rewritten.

    The worksheet group is the group listing any sheet of ``before`` (its name is localised, so
    it is not looked up by name); titles that are no sheet of ``after`` leave it, and sheets no
    group lists are appended in workbook order.  Without such a group (a file with no sheet titles yet), a "Worksheets" group is put
    first.  Chart sheets the tool never adds stay in whatever group Excel put them.
    """
    part = app_part(package)
    if part is None or list(before) == list(after):
        return False
    root = etree.fromstring(package.read(part))
    pairs_vec = root.find(f"{_EP}HeadingPairs/{_VT}vector")
    titles_vec = root.find(f"{_EP}TitlesOfParts/{_VT}vector")
    groups: list[tuple[str, list[str]]] = []
    if pairs_vec is not None and titles_vec is not None:
        variants = [v[0] for v in pairs_vec.iterfind(f"{_VT}variant") if len(v)]
        titles = [t.text or "" for t in titles_vec.iterfind(f"{_VT}lpstr")]
        pos = 0
        for name, count in zip(variants[0::2], variants[1::2]):
            n = int(count.text or 0)
            groups.append((name.text or "", titles[pos : pos + n]))
            pos += n
    current = {s.lower() for s in after}
    old = {s.lower() for s in before}
    k = next((i for i, (_, ts) in enumerate(groups) if any(t.lower() in old for t in ts)), None)
    if k is None:
        groups.insert(0, (WORKSHEETS, []))
        k = 0
    listed = {t.lower() for i, (_, ts) in enumerate(groups) if i != k for t in ts}
    name, titles = groups[k]
    kept = [t for t in titles if t.lower() in current]
    known = {t.lower() for t in kept} | listed
    groups[k] = (name, kept + [s for s in after if s.lower() not in known])
    _set_groups(root, groups)
    package.write(part, XML_DECL + etree.tostring(root, encoding="UTF-8"))
    return True


def _set_groups(root: etree._Element, groups: list[tuple[str, list[str]]]) -> None:
    """Write ``groups`` into HeadingPairs and TitlesOfParts (created in schema order if absent)."""
    pairs = _child(root, "HeadingPairs", before=("TitlesOfParts",) + _AFTER_TITLES)
    titles = _child(root, "TitlesOfParts", before=_AFTER_TITLES)
    pairs.clear()
    titles.clear()
    vec = etree.SubElement(pairs, f"{_VT}vector", size=str(2 * len(groups)), baseType="variant")
    for name, items in groups:
        etree.SubElement(etree.SubElement(vec, f"{_VT}variant"), f"{_VT}lpstr").text = name
        etree.SubElement(etree.SubElement(vec, f"{_VT}variant"), f"{_VT}i4").text = str(len(items))
    every = [t for _, items in groups for t in items]
    vec = etree.SubElement(titles, f"{_VT}vector", size=str(len(every)), baseType="lpstr")
    for t in every:
        etree.SubElement(vec, f"{_VT}lpstr").text = t


#: The elements after ``TitlesOfParts`` in CT_Properties' sequence (ECMA-376 Part 1, 22.2).
_AFTER_TITLES = (
    "Manager",
    "Company",
    "LinksUpToDate",
    "CharactersWithSpaces",
    "SharedDoc",
    "HyperlinkBase",
    "HLinks",
    "HyperlinksChanged",
    "DigSig",
    "AppVersion",
)


def _child(root: etree._Element, tag: str, before: tuple[str, ...]) -> etree._Element:
    found = root.find(f"{_EP}{tag}")
    if found is not None:
        return found
    element = etree.Element(f"{_EP}{tag}")
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in before:
            child.addprevious(element)
            return element
    root.append(element)
    return element
