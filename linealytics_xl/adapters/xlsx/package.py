"""The workbook as an OPC package: a zip of parts, their content types and relationships.

The writer changes a few parts and must carry every other part over exactly, so this class keeps
the source zip open, records which parts were replaced, added or removed, and on ``save`` copies
each untouched member's compressed bytes as they are (same compression, same time stamp: the
member is byte-identical, not just its content), writing only the changed parts anew.
``[Content_Types].xml`` is rewritten only when a part was added or removed.
"""

from __future__ import annotations

import io
import posixpath
import queue
import re
import shutil
import struct
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from lxml import etree

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class Writable(Protocol):
    """Where a streamed part writes its bytes (a zip member, or the deflate thread's pipe)."""

    def write(self, data: bytes, /) -> int: ...


#: A part's new content: bytes, or a function that writes it to a stream (large sheets).
Content = bytes | Callable[[Writable], None]


@dataclass(frozen=True)
class Rel:
    """One relationship of a part; ``part`` is the resolved target part name (None if external)."""

    id: str
    type: str
    target: str
    part: str | None


def rels_name(part: str) -> str:
    """The relationships part of ``part`` (``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``)."""
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def resolve(source: str, target: str) -> str:
    """The part a relationship target of ``source`` points to (relative or absolute)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, part: str) -> str:
    """The relative target from ``source`` to ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Package:
    """An xlsx/xlsm package opened for editing; nothing is written before :meth:`save`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path)
        self._infos = {i.filename: i for i in self._zip.infolist()}
        self._order = list(self._infos)
        self._new: dict[str, Content] = {}
        self._levels: dict[str, int] = {}
        self._removed: set[str] = set()
        self._ct = etree.fromstring(self._zip.read(CONTENT_TYPES))
        self._ct_changed = False

    def close(self) -> None:
        self._zip.close()

    # -- parts ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [n for n in self._order if n not in self._removed] + [
            n for n in self._new if n not in self._infos
        ]

    def exists(self, name: str) -> bool:
        return name not in self._removed and (name in self._new or name in self._infos)

    def streamed(self, name: str) -> bool:
        """The part is written by this run as a stream (the tool's own sheets): no bytes to read yet."""
        return name in self._new and not isinstance(self._new[name], bytes)

    def read(self, name: str) -> bytes:
        if name in self._removed:
            raise KeyError(name)
        content = self._new.get(name)
        if content is None:
            return self._zip.read(name)
        if isinstance(content, bytes):
            return content
        raise ValueError(f"{name} is streamed; it cannot be read back before saving")

    def open(self, name: str) -> IO[bytes]:
        """A part's bytes as a stream (decompressed as read: a 100 MB sheet is never held whole)."""
        if name in self._removed:
            raise KeyError(name)
        content = self._new.get(name)
        if content is None:
            return self._zip.open(name)
        if isinstance(content, bytes):
            return io.BytesIO(content)
        raise ValueError(f"{name} is streamed; it cannot be read back before saving")

    def write(
        self, name: str, content: Content, content_type: str | None = None, level: int | None = None
    ) -> None:
        """Replace or add part ``name``; ``content_type`` adds an Override for a new part."""
        self._removed.discard(name)
        self._new[name] = content
        if level is not None:
            self._levels[name] = level
        if content_type is not None and self.content_type(name) != content_type:
            self._set_override(name, content_type)

    def remove(self, name: str) -> None:
        """Remove a part and its relationships part (its content-type override goes on saving,
        unless a part of the same name is written again: then it keeps its place)."""
        for n in (name, rels_name(name)):
            if n in self._infos:
                self._removed.add(n)
            self._new.pop(n, None)

    def changed(self) -> list[str]:
        """Parts replaced, added or removed (for reports and tests)."""
        self._prune_overrides()
        return sorted(set(self._new) | self._removed | ({CONTENT_TYPES} if self._ct_changed else set()))

    # -- content types ------------------------------------------------------------------------
    def content_type(self, name: str) -> str | None:
        for e in self._ct.iterfind(f"{{{NS_CT}}}Override"):
            if e.get("PartName") == "/" + name:
                return e.get("ContentType")
        ext = name.rsplit(".", 1)[-1].lower()
        for e in self._ct.iterfind(f"{{{NS_CT}}}Default"):
            if (e.get("Extension") or "").lower() == ext:
                return e.get("ContentType")
        return None

    def _set_override(self, name: str, content_type: str) -> None:
        for e in self._ct.iterfind(f"{{{NS_CT}}}Override"):
            if e.get("PartName") == "/" + name:
                e.set("ContentType", content_type)
                break
        else:
            etree.SubElement(self._ct, f"{{{NS_CT}}}Override", PartName="/" + name, ContentType=content_type)
        self._ct_changed = True

    def _prune_overrides(self) -> None:
        """Drop the overrides of parts that are gone."""
        for e in self._ct.findall(f"{{{NS_CT}}}Override"):
            if not self.exists((e.get("PartName") or "").lstrip("/")):
                self._ct.remove(e)
                self._ct_changed = True

    def ensure_default(self, extension: str, content_type: str) -> None:
        if not any(
            (e.get("Extension") or "").lower() == extension for e in self._ct.iterfind(f"{{{NS_CT}}}Default")
        ):
            e = etree.Element(f"{{{NS_CT}}}Default", Extension=extension, ContentType=content_type)
            self._ct.insert(0, e)
            self._ct_changed = True

    # -- relationships --------------------------------------------------------------------------
    def rels(self, part: str) -> list[Rel]:
        name = rels_name(part)
        if not self.exists(name):
            return []
        out = []
        for e in etree.fromstring(self.read(name)).iterfind(f"{{{NS_PKG_REL}}}Relationship"):
            target = e.get("Target") or ""
            external = e.get("TargetMode") == "External"
            out.append(Rel(e.get("Id"), e.get("Type"), target, None if external else resolve(part, target)))
        return out

    def reachable(self, start: str) -> set[str]:
        """Every part reachable from ``start`` through relationships (``start`` included)."""
        seen: set[str] = set()
        todo = [start]
        while todo:
            part = todo.pop()
            if part in seen or not self.exists(part):
                continue
            seen.add(part)
            todo.extend(r.part for r in self.rels(part) if r.part)
        return seen

    def referrers(self) -> dict[str, set[str]]:
        """Part -> the parts whose relationships point to it."""
        out: dict[str, set[str]] = {}
        for name in self.names():
            if name.endswith(".rels"):
                source = _source_of_rels(name)
                for r in self.rels(source):
                    if r.part:
                        out.setdefault(r.part, set()).add(source)
        return out

    def free_name(self, pattern: str, taken: Iterable[str] = ()) -> str:
        """The lowest-numbered unused part name of ``pattern`` (e.g. ``xl/tables/table{}.xml``)."""
        used = {n.lower() for n in self.names()} | {n.lower() for n in taken}
        k = 1
        while pattern.format(k).lower() in used:
            k += 1
        return pattern.format(k)

    # -- saving -------------------------------------------------------------------------------
    def save(self, dest: Path) -> None:
        """Write the package to ``dest``: untouched members copied raw, changed ones written."""
        self._prune_overrides()
        with open(dest, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for name in self._order:
                if name in self._removed:
                    continue
                info = self._infos[name]
                if name == CONTENT_TYPES and self._ct_changed:
                    self._write(out, name, XML_DECL + etree.tostring(self._ct, encoding="UTF-8"), info)
                elif name in self._new:
                    self._write(out, name, self._new[name], info)
                else:
                    _copy_raw(self._zip, info, out)
            for name, content in self._new.items():
                if name not in self._infos:
                    self._write(out, name, content, None)

    def _write(self, out: zipfile.ZipFile, name: str, content: Content, like: zipfile.ZipInfo | None) -> None:
        info = zipfile.ZipInfo(name, date_time=like.date_time if like else (1980, 1, 1, 0, 0, 0))
        info.compress_type = like.compress_type if like else zipfile.ZIP_DEFLATED
        info.external_attr = like.external_attr if like else 0o600 << 16
        level = self._levels.get(name)
        if level is not None:
            for attr in ("compress_level", "_compresslevel"):  # Python >= 3.13, <= 3.12
                if attr in zipfile.ZipInfo.__slots__:
                    setattr(info, attr, level)
        # zip64 headers only where a part may pass 2 GiB: Excel 2007 warns about them otherwise
        large = getattr(content, "estimated_bytes", 0) > 2**31
        with out.open(info, "w", force_zip64=large) as stream:
            if isinstance(content, bytes):
                stream.write(content)
            elif getattr(content, "estimated_bytes", 0) < PIPE_MIN_BYTES:
                content(stream)  # a small part: a thread would cost more than it overlaps
            else:
                with _Pipe(stream) as pipe:
                    content(pipe)


#: Streamed parts from this size on deflate in a thread of their own (`_Pipe`); below it the
#: thread's start and the GIL hand-overs cost more than the overlap gains (real workbook: 6 ms).
PIPE_MIN_BYTES = 4 * 2**20


class _Pipe:
    """A stream that hands its chunks to a thread writing them into the zip member, so that a
    streamed sheet's deflate and CRC (zlib releases the GIL) run while the next rows are made
    into XML.  Same bytes, same order: only the work overlaps."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="xlsx-deflate", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._stream.write(chunk)
                except BaseException as exc:  # handed to the writing thread
                    self._error = exc

    def write(self, data: bytes, /) -> int:
        if self._error is not None:
            raise self._error
        self._queue.put(data)
        return len(data)

    def __enter__(self) -> _Pipe:
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait until every chunk is in the member (also when the writer failed)."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _source_of_rels(name: str) -> str:
    folder, _, base = name.rpartition("/")
    parent = folder.rpartition("/")[0] if folder.endswith("_rels") else folder
    base = re.sub(r"\.rels$", "", base)
    return f"{parent}/{base}" if parent else base


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _copy_raw(src: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy a member's compressed bytes unchanged (no inflate/deflate); falls back to a normal
    copy for members this cannot do exactly (encrypted, zip64 extras, data descriptors)."""
    if info.flag_bits & 0x1 or info.extra or info.file_size > 0x7FFFFFFF or info.compress_size > 0x7FFFFFFF:
        with src.open(info) as data, out.open(_clone(info), "w") as stream:
            shutil.copyfileobj(data, stream)
        return
    fp, dest = src.fp, out.fp
    if fp is None or dest is None:
        raise ValueError("zip file closed")
    fp.seek(info.header_offset)
    header = _LOCAL_HEADER.unpack(fp.read(_LOCAL_HEADER.size))
    fp.seek(info.header_offset + _LOCAL_HEADER.size + header[10] + header[11])
    raw = fp.read(info.compress_size)
    clone = _clone(info)
    clone.CRC, clone.compress_size, clone.file_size = info.CRC, info.compress_size, info.file_size
    clone.flag_bits = info.flag_bits & ~0x08
    clone.header_offset = dest.tell()
    dest.write(clone.FileHeader(False))
    dest.write(raw)
    out.filelist.append(clone)
    out.NameToInfo[clone.filename] = clone
    out.start_dir = dest.tell()


def _clone(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.internal_attr = info.internal_attr
    clone.create_system = info.create_system
    clone.flag_bits = info.flag_bits & 0x800  # keep only the UTF-8 name flag
    clone.comment = info.comment
    return clone
