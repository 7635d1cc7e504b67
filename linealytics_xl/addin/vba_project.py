"""The VBA project inside ``vbaProject.bin`` (MS-OVBA 2.3): read the template's, write ours.

What the build changes, and nothing else:

* every module's source (written source-only: ``MODULEOFFSET`` 0 and a stream that is just the
  compressed source; ``_VBA_PROJECT`` without a performance cache, so Excel compiles from source,
  as it already does for the template's own ``xlwings`` module);
* the project's name (``PROJECTNAME`` in ``dir``, ``Name=`` in ``PROJECT``);
* module names (the four name records in ``dir``, ``Module=`` and ``[Workspace]`` in ``PROJECT``,
  the name map ``PROJECTwm`` and the stream under ``VBA/``): the ribbon module must not keep the
  quickstart's ``RibbonMyAddin``, which every quickstart-based add-in has.

Module types, references, cookies and the project's ``ID=`` stay as the template has them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from . import AddinBuildError
from .cfb import read_cfb, write_cfb
from .ovba import compress_checked, ovba_decompress

__all__ = ["Module", "parse_dir", "read_project", "serialize_dir", "write_project"]

PROJECTVERSION = 0x0009
PROJECTNAME = 0x0004
PROJECTCODEPAGE = 0x0003
MODULENAME = 0x0019
MODULENAMEUNICODE = 0x0047
MODULESTREAMNAME = 0x001A
MODULESTREAMNAMEUNICODE = 0x0032
MODULEOFFSET = 0x0031
MODULETYPE_PROCEDURAL = 0x0021
MODULETYPE_DOCUMENT = 0x0022  # document and class modules
MODULE_TERMINATOR = 0x002B
_VBA_PROJECT_NO_CACHE = b"\xcc\x61\xff\xff\x00\x00\x00"


def parse_dir(data: bytes) -> list[tuple[int, bytes]]:
    """The records of a decompressed dir stream, as (id, body)."""
    records = []
    pos = 0
    while pos < len(data):
        if pos + 6 > len(data):
            raise AddinBuildError("truncated dir stream")
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == PROJECTVERSION:  # Reserved (always 4) + VersionMajor (4) + VersionMinor (2)
            size = 6
        body = data[pos + 6 : pos + 6 + size]
        if len(body) != size:
            raise AddinBuildError("truncated dir record")
        records.append((rid, body))
        pos += 6 + size
    return records


def serialize_dir(records: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for rid, body in records:
        out += struct.pack("<HI", rid, 4 if rid == PROJECTVERSION else len(body)) + body
    return bytes(out)


@dataclass
class Module:
    name: str
    stream: str
    offset: int
    document: bool  # MODULETYPE 0x0022: a document (ThisWorkbook, Sheet2) or class module


def modules(records: list[tuple[int, bytes]], codepage: str) -> list[Module]:
    found: list[Module] = []
    current: dict = {}
    for rid, body in records:
        if rid == MODULENAME:
            current = {"name": body.decode(codepage)}
        elif rid == MODULESTREAMNAME:
            current["stream"] = body.decode(codepage)
        elif rid == MODULEOFFSET:
            current["offset"] = struct.unpack("<I", body)[0]
        elif rid in (MODULETYPE_PROCEDURAL, MODULETYPE_DOCUMENT) and current:
            current["document"] = rid == MODULETYPE_DOCUMENT
        elif rid == MODULE_TERMINATOR and current:
            found.append(Module(**current))
            current = {}
    return found


def codepage_of(records: list[tuple[int, bytes]]) -> str:
    for rid, body in records:
        if rid == PROJECTCODEPAGE:
            return f"cp{struct.unpack('<H', body)[0]}"
    raise AddinBuildError("dir stream has no PROJECTCODEPAGE record")


@dataclass
class Project:
    """A VBA project as read: its streams, dir records, code page, modules and their sources."""

    streams: dict[str, bytes]
    records: list[tuple[int, bytes]]
    codepage: str
    modules: list[Module]
    sources: dict[str, str]
    name: str


def read_project(vba_bin: bytes) -> Project:
    streams = read_cfb(vba_bin)
    records = parse_dir(ovba_decompress(streams["VBA/dir"]))
    codepage = codepage_of(records)
    mods = modules(records, codepage)
    sources = {m.name: ovba_decompress(streams[f"VBA/{m.stream}"][m.offset :]).decode(codepage) for m in mods}
    name = next(body.decode(codepage) for rid, body in records if rid == PROJECTNAME)
    return Project(streams, records, codepage, mods, sources, name)


def _name_map(data: bytes, codepage: str) -> list[str]:
    """PROJECTwm: (MBCS name, NUL, UTF-16 name, NUL NUL) per module, then NUL NUL."""
    names, pos = [], 0
    while data[pos : pos + 2] != b"\0\0":
        end = data.index(b"\0", pos)
        mbcs = data[pos:end].decode(codepage)
        pos = end + 1
        uend = pos
        while data[uend : uend + 2] != b"\0\0":
            uend += 2
        if data[pos:uend].decode("utf-16-le") != mbcs:
            raise AddinBuildError(f"PROJECTwm: names of {mbcs!r} differ")
        names.append(mbcs)
        pos = uend + 2
    return names


def _write_name_map(names: list[str], codepage: str) -> bytes:
    return b"".join(n.encode(codepage) + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in names) + b"\0\0"


def _rename_in_project_stream(text: str, old: str, new: str) -> str:
    line = f"Module={old}\r\n"
    if text.count(line) != 1:
        raise AddinBuildError(f"PROJECT stream has no single {line.strip()!r} line")
    text = text.replace(line, f"Module={new}\r\n")
    return text.replace(f"\r\n{old}=", f"\r\n{new}=")  # its [Workspace] window line, if any


def _check_module_name(name: str) -> None:
    if not (name.isascii() and name[:1].isalpha() and name.replace("_", "").isalnum() and len(name) <= 31):
        raise AddinBuildError(
            f"{name!r} is not a usable VBA module name (ASCII identifier, at most 31 characters)"
        )


def write_project(
    project: Project, sources: dict[str, str], *, name: str, renames: dict[str, str] | None = None
) -> bytes:
    """``vbaProject.bin`` with ``sources`` (by new module name) and the renames applied.

    Every module of the template must get a source; the result is read back and compared stream
    by stream before it is returned.
    """
    renames = dict(renames or {})
    cp = project.codepage
    old_names = [m.name for m in project.modules]
    for old, new in renames.items():
        if old not in old_names:
            raise AddinBuildError(f"template has no VBA module {old!r} to rename")
        _check_module_name(new)
    new_names = [renames.get(n, n) for n in old_names]
    if len({n.lower() for n in new_names}) != len(new_names):
        raise AddinBuildError(f"VBA module names would clash: {new_names}")
    if set(sources) != set(new_names):
        raise AddinBuildError(
            f"sources for {sorted(sources)} but the project's modules are {sorted(new_names)}"
        )

    records, current = [], None
    for rid, body in project.records:
        if rid == MODULENAME:
            current = body.decode(cp)
        target = renames.get(current) if current else None
        if rid == MODULEOFFSET:
            body = struct.pack("<I", 0)
        elif rid == PROJECTNAME:
            body = name.encode(cp)
        elif target and rid in (MODULENAME, MODULESTREAMNAME):
            body = target.encode(cp)
        elif target and rid in (MODULENAMEUNICODE, MODULESTREAMNAMEUNICODE):
            body = target.encode("utf-16-le")
        records.append((rid, body))
    dir_bytes = serialize_dir(records)
    if parse_dir(dir_bytes) != records:
        raise AddinBuildError("dir stream does not parse back")

    streams = {
        k: v
        for k, v in project.streams.items()
        if not k.startswith("VBA/") or k in ("VBA/dir", "VBA/_VBA_PROJECT")
    }
    streams["VBA/dir"] = compress_checked(dir_bytes, "VBA/dir")
    for module in project.modules:
        new = renames.get(module.name, module.name)
        if module.stream != module.name:
            raise AddinBuildError(f"module {module.name} is stored as {module.stream}: not supported")
        try:
            encoded = sources[new].encode(cp)
        except UnicodeEncodeError as exc:
            raise AddinBuildError(f"module {new}: text not in the project's code page {cp}: {exc}") from exc
        streams[f"VBA/{new}"] = compress_checked(encoded, f"module {new}")
    streams["VBA/_VBA_PROJECT"] = _VBA_PROJECT_NO_CACHE  # version 0xFFFF, no p-code cache

    text = project.streams["PROJECT"].decode(cp)
    old_line = f'Name="{project.name}"\r\n'
    if text.count(old_line) != 1:
        raise AddinBuildError("PROJECT stream has no single Name= line")
    text = text.replace(old_line, f'Name="{name}"\r\n')
    for old, new in renames.items():
        text = _rename_in_project_stream(text, old, new)
    streams["PROJECT"] = text.encode(cp)
    if "PROJECTwm" in project.streams:
        listed = _name_map(project.streams["PROJECTwm"], cp)
        streams["PROJECTwm"] = _write_name_map([renames.get(n, n) for n in listed], cp)

    data = write_cfb(streams)
    if read_cfb(data) != streams:
        raise AddinBuildError("compound file does not read back identically")
    return data
