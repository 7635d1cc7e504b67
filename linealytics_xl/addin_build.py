"""Build ``linealytics_xl.xlam`` without Excel, on any OS, in plain Python.

The add-in starts from xlwings' own ``quickstart_addin_ribbon.xlam`` (read from the installed
``xlwings`` package, so its VBA always matches the installed xlwings and its DLL) and changes:

* ``customUI/customUI.xml``: replaced by ``install/addin/customUI.xml`` (the Linealytics tab);
* the VBA module ``RibbonMyAddin``: replaced by ``install/addin/RibbonMyAddin.bas`` followed by
  VBA wrappers for the worksheet functions (UDFs) of ``linealytics_xl.udfs``, generated here from
  the Python signatures (what ``ImportPythonUDFsToAddin`` would write inside Excel);
* the VBA project name ``MyAddin`` -> ``Linealytics`` and the ``xlwings`` module's
  ``PROJECT_NAME`` ``"myaddin"`` -> ``"linealytics"``: the add-in reads the sheet
  ``linealytics.conf`` and the file ``%USERPROFILE%\\.linealytics\\linealytics.conf``
  (macOS: ``~/Library/Containers/com.microsoft.Excel/Data/linealytics.conf``) instead of the
  ``myaddin`` ones that every xlwings quickstart add-in shares;
* the config sheet: ``_myaddin.conf`` -> ``linealytics.conf`` (active, see ``_config_rows``).

Every module is written source-only (MS-OVBA: MODULEOFFSET 0, no p-code; ``_VBA_PROJECT`` has no
performance cache), which makes Excel compile the VBA from source on first load, exactly as it
already does for the template's own ``xlwings`` module.

Only the standard library (and xlwings, for its template) is used, so the build also runs from an
installed copy of the package: MS-CFB (compound file) and MS-OVBA (compression) are implemented
below. Each compressed container is decompressed again (by this module and, when installed, by
oletools) and compared before it is written.

Run ``python -m linealytics_xl.addin_build --output linealytics_xl.xlam`` or
``linealytics addin build``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import re
import struct
import sys
import types
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

__all__ = [
    "ADDIN_FILE_NAME",
    "AddinBuildError",
    "CONFIG_NAME",
    "DEFAULT_UDF_MODULE",
    "RIBBON_MODULE",
    "VBA_PROJECT_NAME",
    "build_addin",
    "generate_udf_wrappers",
    "main",
    "ovba_compress",
    "ovba_decompress",
    "read_cfb",
    "ribbon_module_source",
    "sources_dir",
    "template_path",
    "udf_functions",
    "write_cfb",
]

ADDIN_FILE_NAME = "linealytics_xl.xlam"
VBA_PROJECT_NAME = "Linealytics"
#: ``PROJECT_NAME`` in the xlwings VBA module: names the config sheet and config file.
CONFIG_NAME = "linealytics"
RIBBON_MODULE = "RibbonMyAddin"
DEFAULT_UDF_MODULE = "linealytics_xl.udfs"

_TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
_TEMPLATE_PROJECT_NAME = "MyAddin"
_TEMPLATE_CONFIG_NAME = "myaddin"
_CUSTOM_UI_PART = "customUI/customUI.xml"
_VBA_PART = "xl/vbaProject.bin"
_UDF_HEADER = "' ---- Worksheet functions: generated from {module} by linealytics_xl.addin_build, do not edit ----"


class AddinBuildError(RuntimeError):
    """The template or the sources are not what the build expects."""


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------

def sources_dir() -> Path:
    """The folder with ``customUI.xml`` and ``RibbonMyAddin.bas``.

    Installed package: ``linealytics_xl/addin_sources`` (pyproject maps it to ``install/addin``).
    Source checkout: ``<repo>/install/addin``.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "addin_sources", here.parent / "install" / "addin"):
        if (candidate / "customUI.xml").is_file():
            return candidate
    raise AddinBuildError(
        f"add-in sources not found: neither {here / 'addin_sources'} nor {here.parent / 'install' / 'addin'}")


def template_path() -> Path:
    """xlwings' ribbon add-in template inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).resolve().parent / _TEMPLATE_NAME
    if not path.is_file():
        raise AddinBuildError(f"{_TEMPLATE_NAME} not found in the xlwings package ({path.parent})")
    return path


# --------------------------------------------------------------------------------------------
# MS-OVBA 2.4.1 compression
# --------------------------------------------------------------------------------------------

_CHUNK = 4096


def ovba_decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer."""
    data = bytes(data)
    if not data or data[0] != 0x01:
        raise ValueError("not a compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated chunk header")
        header = data[pos] | data[pos + 1] << 8
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError(f"bad chunk signature at {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:  # raw chunk: 4096 bytes stored as is
            out += data[pos:pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError("truncated copy token")
                token = data[pos] | data[pos + 1] << 8
                pos += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - chunk_start:
                    raise ValueError("copy token points before its chunk")
                for _ in range(length):  # byte by byte: source and target may overlap
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """LZ77 tokens of one decompressed chunk (at most 4096 bytes), MS-OVBA 2.4.1.3.7."""
    out = bytearray()
    index: dict[bytes, list[int]] = {}
    n = len(chunk)
    pos = 0

    def remember(p: int) -> None:
        if p + 3 <= n:
            index.setdefault(chunk[p:p + 3], []).append(p)

    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len = best_off = 0
            bit_count = max((pos - 1).bit_length(), 4)
            if pos + 3 <= n:
                max_len = min((0xFFFF >> bit_count) + 3, n - pos)
                candidates = index.get(chunk[pos:pos + 3], ())
                for cand in reversed(candidates[-64:]):  # most recent first, bounded effort
                    length = 3
                    while length < max_len and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == max_len:
                            break
            if best_len >= 3:
                token = (best_off - 1) << (16 - bit_count) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                out.append(chunk[pos])
                remember(pos)
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def ovba_compress(data: bytes) -> bytes:
    """Compress into an MS-OVBA CompressedContainer (real LZ77 chunks).

    A full 4096-byte chunk that does not shrink is stored raw (header 0x3FFF). A shorter, final
    chunk cannot be stored raw (a raw chunk always decompresses to 4096 bytes), so one that does
    not fit in a compressed chunk raises ``ValueError`` (text never gets there).
    """
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK]
        tokens = _compress_chunk(chunk)
        if len(tokens) <= _CHUNK:
            out += struct.pack("<H", 0xB000 | (len(tokens) - 1))  # flag 1, signature 0b011, size - 3
            out += tokens
        elif len(chunk) == _CHUNK:
            out += struct.pack("<H", 0x3FFF)
            out += chunk
        else:
            raise ValueError("final chunk is incompressible and shorter than 4096 bytes")
    return bytes(out)


def _oletools_decompress():
    try:
        from oletools.olevba import decompress_stream
    except ImportError:  # oletools is a test dependency; the build does not need it
        return None
    return lambda data: bytes(decompress_stream(bytearray(data)))


def _compress_checked(data: bytes, what: str) -> bytes:
    """Compress, then prove the container decompresses to ``data`` (ours and oletools')."""
    container = ovba_compress(data)
    decoders = [("linealytics_xl", ovba_decompress)]
    other = _oletools_decompress()
    if other is not None:
        decoders.append(("oletools", other))
    for name, decode in decoders:
        if decode(container) != data:
            raise AddinBuildError(f"compression round trip failed for {what} ({name} decompressor)")
    return container


# --------------------------------------------------------------------------------------------
# MS-CFB compound files (version 3, 512-byte sectors)
# --------------------------------------------------------------------------------------------

_FREESECT, _ENDOFCHAIN, _FATSECT, _DIFSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC, 0xFFFFFFFF
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_MINI_CUTOFF = 4096


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by path (``"VBA/dir"``); storages are implied."""
    data = bytes(data)
    if data[:8] != _CFB_SIGNATURE:
        raise ValueError("not a compound file")
    major, _bom, sector_shift, mini_shift = struct.unpack_from("<HHHH", data, 26)
    n_fat, first_dir, _txn, cutoff, first_minifat, n_minifat, first_difat, n_difat = \
        struct.unpack_from("<8I", data, 44)
    sector = 1 << sector_shift
    mini = 1 << mini_shift

    def sector_bytes(i: int) -> bytes:
        start = (i + 1) * sector
        if start >= len(data):
            raise ValueError(f"sector {i} beyond end of file")
        return data[start:start + sector]

    difat = list(struct.unpack_from("<109I", data, 76))
    nxt = first_difat
    for _ in range(n_difat):
        if nxt in (_ENDOFCHAIN, _FREESECT):
            break
        entries = struct.unpack(f"<{sector // 4}I", sector_bytes(nxt))
        difat += entries[:-1]
        nxt = entries[-1]
    fat: list[int] = []
    for s in difat[:n_fat]:
        fat += struct.unpack(f"<{sector // 4}I", sector_bytes(s))

    def chain(start: int, table: list[int]) -> list[int]:
        out, seen = [], set()
        while start not in (_ENDOFCHAIN, _FREESECT):
            if start in seen or start >= len(table):
                raise ValueError("broken sector chain")
            seen.add(start)
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector_bytes(s) for s in chain(first_dir, fat))
    entries = []
    for off in range(0, len(directory), 128):
        raw = directory[off:off + 128]
        name_len, kind, _color, left, right, child = struct.unpack_from("<HBBIII", raw, 64)
        start, size = struct.unpack_from("<IQ", raw, 116)
        if major == 3:
            size &= 0xFFFFFFFF
        name = raw[:max(name_len - 2, 0)].decode("utf-16-le")
        entries.append((name, kind, left, right, child, start, size))
    root = entries[0]
    ministream = b"".join(sector_bytes(s) for s in chain(root[5], fat))
    minifat: list[int] = []
    for s in chain(first_minifat, fat)[:n_minifat] if n_minifat else []:
        minifat += struct.unpack(f"<{sector // 4}I", sector_bytes(s))

    streams: dict[str, bytes] = {}
    visited: set[int] = set()

    def stream_data(start: int, size: int) -> bytes:
        if size < cutoff:
            raw = b"".join(ministream[s * mini:(s + 1) * mini] for s in chain(start, minifat))
        else:
            raw = b"".join(sector_bytes(s) for s in chain(start, fat))
        if len(raw) < size:
            raise ValueError("stream shorter than its size")
        return raw[:size]

    def walk(idx: int, prefix: str) -> None:
        if idx == _NOSTREAM:
            return
        if idx in visited or idx >= len(entries):
            raise ValueError("broken directory tree")
        visited.add(idx)
        name, kind, left, right, child, start, size = entries[idx]
        walk(left, prefix)
        if kind == 2:
            streams[prefix + name] = stream_data(start, size)
        elif kind == 1:
            walk(child, prefix + name + "/")
        walk(right, prefix)

    walk(root[4], "")
    return streams


@dataclass
class _Node:
    name: str
    data: bytes | None = None  # None: a storage
    children: dict[str, "_Node"] = field(default_factory=dict)
    sid: int = 0
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    red: bool = False
    start: int = _ENDOFCHAIN
    size: int = 0


def _cfb_order(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4: shorter names first, then by upper-cased UTF-16 code points."""
    return (len(name.encode("utf-16-le")), name.upper())


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (paths such as ``"VBA/dir"``).

    Storages are created from the paths; all CLSIDs, state bits and timestamps are zero, so the
    output depends on the streams only. Streams under 4096 bytes go to the mini stream.
    """
    root = _Node("Root Entry")
    for path, payload in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            node = node.children.setdefault(part, _Node(part))
            if node.data is not None:
                raise ValueError(f"{path}: {part} is a stream")
        if parts[-1] in node.children:
            raise ValueError(f"duplicate stream {path}")
        for part in parts:
            if not part or len(part) > 31 or any(c in part for c in "/\\:!"):
                raise ValueError(f"invalid compound file name {part!r}")
        node.children[parts[-1]] = _Node(parts[-1], data=bytes(payload))

    order: list[_Node] = [root]

    def number(node: _Node) -> None:
        for child in node.children.values():
            child.sid = len(order)
            order.append(child)
        for child in node.children.values():
            number(child)

    number(root)

    def build_tree(nodes: list[_Node], depth: int, black_depth: int) -> int:
        # Balanced binary search tree; nodes below the last complete level are red, all others
        # black, so every path holds the same number of black nodes (a valid red-black tree).
        if not nodes:
            return _NOSTREAM
        mid = len(nodes) // 2
        node = nodes[mid]
        node.red = depth >= black_depth
        node.left = build_tree(nodes[:mid], depth + 1, black_depth)
        node.right = build_tree(nodes[mid + 1:], depth + 1, black_depth)
        return node.sid

    for node in order:
        if node.data is None and node.children:
            siblings = sorted(node.children.values(), key=lambda n: _cfb_order(n.name))
            node.child = build_tree(siblings, 0, (len(siblings) + 1).bit_length() - 1)

    sector = 512
    per_sector = sector // 4
    # Mini stream (small streams) and the list of big streams.
    ministream = bytearray()
    minifat: list[int] = []
    big: list[_Node] = []
    for node in order[1:]:
        if node.data is None:
            continue
        node.size = len(node.data)
        if node.size == 0:
            node.start = _ENDOFCHAIN
        elif node.size < _MINI_CUTOFF:
            count = -(-node.size // 64)
            node.start = len(minifat)
            minifat += list(range(node.start + 1, node.start + count)) + [_ENDOFCHAIN]
            ministream += node.data + b"\0" * (count * 64 - node.size)
        else:
            big.append(node)

    def sectors_for(n_bytes: int) -> int:
        return -(-n_bytes // sector)

    dir_sectors = sectors_for(len(order) * 128)
    minifat_sectors = sectors_for(len(minifat) * 4)
    mini_sectors = sectors_for(len(ministream))
    big_sectors = [sectors_for(len(n.data)) for n in big]
    payload_sectors = dir_sectors + minifat_sectors + mini_sectors + sum(big_sectors)
    fat_sectors = 1
    while fat_sectors * per_sector < payload_sectors + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = [_FATSECT] * fat_sectors
    body = bytearray()

    def place(blob: bytes, count: int) -> int:
        if count == 0:
            return _ENDOFCHAIN
        start = len(fat)
        fat.extend(list(range(start + 1, start + count)) + [_ENDOFCHAIN])
        body.extend(blob + b"\0" * (count * sector - len(blob)))
        return start

    first_dir_at = len(fat)
    fat.extend(list(range(first_dir_at + 1, first_dir_at + dir_sectors)) + [_ENDOFCHAIN])
    dir_placeholder = len(body)
    body.extend(b"\0" * (dir_sectors * sector))
    minifat_blob = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_blob += struct.pack("<I", _FREESECT) * ((-len(minifat)) % per_sector)
    first_minifat = place(minifat_blob, minifat_sectors)
    root.start = place(bytes(ministream), mini_sectors)
    root.size = len(ministream)
    for node, count in zip(big, big_sectors):
        node.start = place(node.data, count)
    fat += [_FREESECT] * (fat_sectors * per_sector - len(fat))

    directory = bytearray()
    for node in order:
        encoded = node.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if node is root else (1 if node.data is None else 2)
        entry = encoded.ljust(64, b"\0")
        entry += struct.pack("<HBBIII", len(encoded), kind, 0 if node.red else 1, node.left, node.right, node.child)
        entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # CLSID, state bits, creation and modified times
        start = node.start if kind != 1 else 0
        entry += struct.pack("<IQ", start, node.size if kind != 1 else 0)
        directory += entry
    free_entry = b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM) + b"\0" * 48
    while len(directory) % sector:
        directory += free_entry
    body[dir_placeholder:dir_placeholder + len(directory)] = directory

    header = bytearray()
    header += _CFB_SIGNATURE + b"\0" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
    header += b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir_at, 0, _MINI_CUTOFF,
                          first_minifat, minifat_sectors, _ENDOFCHAIN, 0)
    difat = list(range(fat_sectors)) + [_FREESECT] * (109 - fat_sectors)
    header += struct.pack("<109I", *difat)
    assert len(header) == 512
    fat_blob = struct.pack(f"<{len(fat)}I", *fat)
    return bytes(header) + fat_blob + bytes(body)


# --------------------------------------------------------------------------------------------
# The VBA project: dir stream (MS-OVBA 2.3.4.2), modules, PROJECT stream
# --------------------------------------------------------------------------------------------

_PROJECTVERSION = 0x0009
_PROJECTNAME = 0x0004
_PROJECTCODEPAGE = 0x0003
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULEOFFSET = 0x0031


def _parse_dir(data: bytes) -> list[tuple[int, bytes]]:
    """The records of a decompressed dir stream, as (id, body)."""
    records = []
    pos = 0
    while pos < len(data):
        if pos + 6 > len(data):
            raise AddinBuildError("truncated dir stream")
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == _PROJECTVERSION:  # Reserved (always 4) + VersionMajor (4) + VersionMinor (2)
            size = 6
        body = data[pos + 6:pos + 6 + size]
        if len(body) != size:
            raise AddinBuildError("truncated dir record")
        records.append((rid, body))
        pos += 6 + size
    return records


def _serialize_dir(records: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for rid, body in records:
        out += struct.pack("<HI", rid, 4 if rid == _PROJECTVERSION else len(body)) + body
    return bytes(out)


@dataclass
class _Module:
    name: str
    stream: str
    offset: int


def _modules(records: list[tuple[int, bytes]], codepage: str) -> list[_Module]:
    modules: list[_Module] = []
    current: dict = {}
    for rid, body in records:
        if rid == _MODULENAME:
            current = {"name": body.decode(codepage)}
        elif rid == _MODULESTREAMNAME:
            current["stream"] = body.decode(codepage)
        elif rid == _MODULEOFFSET:
            current["offset"] = struct.unpack("<I", body)[0]
        elif rid == 0x002B and current:  # MODULE terminator
            modules.append(_Module(**current))
            current = {}
    return modules


def _codepage(records: list[tuple[int, bytes]]) -> str:
    for rid, body in records:
        if rid == _PROJECTCODEPAGE:
            return f"cp{struct.unpack('<H', body)[0]}"
    raise AddinBuildError("dir stream has no PROJECTCODEPAGE record")


# --------------------------------------------------------------------------------------------
# UDF wrappers
# --------------------------------------------------------------------------------------------

# VBA keywords and statement names, plus every identifier the wrapper body itself uses: a Python
# parameter with one of these names gets a trailing underscore on the VBA side. Arguments are
# passed to Python by position, so the VBA name only shows in Excel's function wizard.
_VBA_RESERVED = {w.lower() for w in """
    Access AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte ByVal
    Call Case CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr Close Compare Const CSng
    CStr Currency CVar CVErr Database Date Debug Decimal Declare DefBool DefByte DefCur DefDate
    DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents
    Double Each Else ElseIf Empty End EndIf Enum Eqv Erase Error Event Exit Explicit False For
    Friend Function Get Global GoSub GoTo If Imp Implements In Input Integer Is LBound Len LenB
    Let Lib Like Line Lock Long LongLong LongPtr Loop LSet Me Mid MidB Mod Module Name New Next
    Not Nothing Null Object On Open Option Optional Or Output ParamArray Preserve Print Private
    Property PtrSafe Public Put RaiseEvent Random Read ReDim Rem Reset Resume Return RSet Seek
    Select Set Shared Single Spc Static Step Stop String Sub Tab Text Then Time To True Type
    TypeOf UBound Unlock Until Variant Wend While Width With WithEvents Write Xor
    Application ActiveWorkbook ThisWorkbook Range Err XLPy failed argsArray k
""".split()}

_VBA_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")


@dataclass
class UdfSpec:
    """What the VBA wrapper of one worksheet function needs."""

    name: str
    params: list[tuple[str, str]]  # (VBA name or "Nothing" for caller, kind: required|optional|vararg|caller)
    description: str
    volatile: bool = False
    call_in_wizard: bool = True


def _resolve_module(udf_module) -> types.ModuleType:
    if udf_module is None:
        udf_module = DEFAULT_UDF_MODULE
    if isinstance(udf_module, str):
        return importlib.import_module(udf_module)
    if isinstance(udf_module, types.ModuleType):
        return udf_module
    raise TypeError(f"udf_module must be a module, a module name or None, not {type(udf_module).__name__}")


def udf_functions(module: types.ModuleType) -> list[UdfSpec]:
    """The worksheet functions of ``module``: the names in ``module.__all__`` that start with ``LL_``."""
    names = getattr(module, "__all__", None)
    if names is None:
        raise AddinBuildError(f"{module.__name__} has no __all__: it must list its worksheet functions")
    specs: list[UdfSpec] = []
    seen: set[str] = set()
    for name in names:
        if not name.startswith("LL_"):
            continue
        if not _VBA_IDENTIFIER.match(name):
            raise AddinBuildError(f"{module.__name__}.{name}: not a valid VBA/Excel function name")
        if name.lower() in seen:
            raise AddinBuildError(f"{module.__name__}.{name}: listed twice in __all__ (VBA ignores case)")
        seen.add(name.lower())
        func = getattr(module, name, None)
        if not callable(func):
            raise AddinBuildError(f"{module.__name__}.{name} is in __all__ but is not a function")
        specs.append(_udf_spec(module.__name__, name, func))
    return specs


def _vba_param_name(name: str, taken: set[str]) -> str:
    vba = name
    if not vba[:1].isalpha():
        vba = "p" + vba
    if not _VBA_IDENTIFIER.match(vba) or not vba.isascii():
        raise AddinBuildError(f"parameter {name!r} cannot be written as a VBA identifier")
    while vba.lower() in _VBA_RESERVED or vba.lower() in taken:
        vba += "_"
    taken.add(vba.lower())
    return vba


def _udf_spec(module_name: str, name: str, func) -> UdfSpec:
    where = f"{module_name}.{name}"
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise AddinBuildError(f"{where}: no signature ({exc})") from exc
    taken = {name.lower()}
    params: list[tuple[str, str]] = []
    has_default = False
    for p in signature.parameters.values():
        if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
            raise AddinBuildError(f"{where}: keyword-only and **kwargs parameters cannot be called from Excel")
        if p.name == "caller":  # xlwings passes the calling Range; VBA sends Nothing in its place
            params.append(("Nothing", "caller"))
        elif p.kind == p.VAR_POSITIONAL:
            params.append((_vba_param_name(p.name, taken), "vararg"))
        elif p.default is not p.empty:
            has_default = True
            params.append((_vba_param_name(p.name, taken), "optional"))
        else:
            params.append((_vba_param_name(p.name, taken), "required"))
    if any(kind == "vararg" for _, kind in params) and has_default:
        raise AddinBuildError(f"{where}: xlwings does not support optional and *args parameters together")
    doc = inspect.getdoc(func) or ""
    description = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    meta = getattr(func, "__xlfunc__", None) or {}  # present when xlwings decorated it (Windows)
    return UdfSpec(name, params, description,
                   volatile=bool(meta.get("volatile", False)),
                   call_in_wizard=bool(meta.get("call_in_wizard", True)))


def _vba_string(text: str, codepage: str, limit: int = 255) -> str:
    text = " ".join(text.split())[:limit]
    text = text.encode(codepage, errors="replace").decode(codepage)
    return '"' + text.replace('"', '""') + '"'


def generate_udf_wrappers(udf_module=None, *, codepage: str = "cp1252") -> str:
    """VBA ``Function`` wrappers (LF line ends) for the worksheet functions of ``udf_module``.

    The text follows what xlwings' ``udfs.generate_vba_wrapper`` writes for an add-in (its
    ``import_udfs`` run by ``ImportPythonUDFsToAddin``): ``XLPy.CallUDF(module, name, Array(args),
    ActiveWorkbook, Application.Caller)``, the error text as the cell's value, ``ParamArray`` for
    ``*args`` and ``Nothing`` for a ``caller`` parameter. The docstring's first line becomes the
    function's ``VB_Description`` (what Excel's function wizard shows). Conversions (``ndim=2``,
    DataFrames, dynamic-array results) happen in Python, from the ``@xw.func``/``@xw.arg``
    decorators: ``xlwings.udfs.call_udf`` needs them on every wrapped function.
    """
    module = _resolve_module(udf_module)
    lines = [_UDF_HEADER.format(module=module.__name__), ""]
    for spec in udf_functions(module):
        sig = []
        for vba, kind in spec.params:
            if kind == "optional":
                sig.append(f"Optional {vba}")
            elif kind == "vararg":
                sig.append(f"ParamArray {vba}()")
            elif kind == "required":
                sig.append(vba)
        fname = spec.name
        lines.append(f"Function {fname}({', '.join(sig)})")
        if spec.description:
            lines.append(f"Attribute {fname}.VB_Description = {_vba_string(spec.description, codepage)}")
        body: list[str] = []
        if not spec.call_in_wizard:
            body.append('If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function')
        if spec.volatile:
            body.append("Application.Volatile")
        vararg = next((vba for vba, kind in spec.params if kind == "vararg"), None)
        if vararg:
            fixed = [vba for vba, kind in spec.params if kind != "vararg"]
            n = len(fixed)
            body += [
                "Dim argsArray() As Variant",
                f"argsArray = Array({', '.join(fixed)})",
                f"ReDim Preserve argsArray(0 to UBound({vararg}) - LBound({vararg}) + {n})",
                f"For k = LBound({vararg}) To UBound({vararg})",
                f"argsArray({n} + k - LBound({vararg})) = {vararg}(k)",
                "Next k",
            ]
            args = "argsArray"
        else:
            args = f"Array({', '.join(vba for vba, _ in spec.params)})"
        call = f'XLPy.CallUDF("{module.__name__}", "{fname}", {args}'
        body += [
            '#If App = "Microsoft Excel" Then',
            "    If TypeOf Application.Caller Is Range Then On Error GoTo failed",
            f"    {fname} = {call}, ActiveWorkbook, Application.Caller)",
            "    Exit Function",
            "#Else",
            f"    {fname} = {call})",
            "    Exit Function",
            "#End If",
        ]
        lines += ["    " + line for line in body]
        lines += ["failed:", f"    {fname} = Err.Description", "End Function", ""]
    for line in lines:
        if len(line) > 1023:
            raise AddinBuildError(f"VBA line longer than 1023 characters: {line[:60]}...")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

def _crlf(text: str) -> str:
    return "\r\n".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def ribbon_module_source(udf_module=None, *, source_dir: Path | None = None) -> str:
    """The ``RibbonMyAddin`` module as built: ``RibbonMyAddin.bas`` + the generated wrappers, CRLF."""
    bas = (source_dir or sources_dir()) / f"{RIBBON_MODULE}.bas"
    text = bas.read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n")
    first = text.split("\n", 1)[0]
    if first != f'Attribute VB_Name = "{RIBBON_MODULE}"':
        raise AddinBuildError(f'{bas} must start with: Attribute VB_Name = "{RIBBON_MODULE}"')
    return _crlf(text + "\n\n" + generate_udf_wrappers(udf_module))


def _ribbon_actions(custom_ui: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(custom_ui)
    if root.tag != "{http://schemas.microsoft.com/office/2006/01/customui}customUI":
        raise AddinBuildError("customUI.xml must use the 2006/01 customui namespace (the template's part)")
    return [el.get("onAction") for el in root.iter() if el.get("onAction")]


def _check_ribbon(custom_ui: bytes, ribbon_source: str) -> None:
    subs = set(re.findall(r"^Sub (\w+)\(control As IRibbonControl\)", ribbon_source, re.M))
    for action in _ribbon_actions(custom_ui):
        module, _, sub = action.rpartition(".")
        if module != RIBBON_MODULE or sub not in subs:
            raise AddinBuildError(f"customUI.xml: onAction {action!r} is not a ribbon callback in {RIBBON_MODULE}")


def _xlwings_module_source(template_source: str) -> str:
    import xlwings

    declared = set(re.findall(r"xlwings(?:32|64)-(\d+\.\d+\.\d+)\.dll", template_source))
    if declared != {xlwings.__version__}:
        raise AddinBuildError(
            f"the template's xlwings module declares DLL version(s) {sorted(declared)}, "
            f"not the installed xlwings {xlwings.__version__}")
    old = f'Public Const PROJECT_NAME As String = "{_TEMPLATE_CONFIG_NAME}"'
    if template_source.count(old) != 1:
        raise AddinBuildError("the template's xlwings module has no single PROJECT_NAME line")
    return template_source.replace(old, f'Public Const PROJECT_NAME As String = "{CONFIG_NAME}"')


# --------------------------------------------------------------------------------------------
# Workbook parts: config sheet
# --------------------------------------------------------------------------------------------

def _interpreter_key(interpreter: str) -> str:
    """``Interpreter_Win`` or ``Interpreter_Mac``: by the path's style, else by this OS."""
    if re.match(r"^[A-Za-z]:[\\/]", interpreter) or "\\" in interpreter or interpreter.lower().endswith(".exe"):
        return "Interpreter_Win"
    if interpreter.startswith("/") or sys.platform == "darwin":
        return "Interpreter_Mac"
    return "Interpreter_Win"


def _config_rows(udf_module_name: str, interpreter: str | None) -> list[tuple[str, str]]:
    # The sheet is active (no leading underscore), and xlwings' GetConfig stops at the first layer
    # that *has* a key, even with an empty value: so only keys with a value are written, and
    # everything else (Show Console, Use UDF Server, ...) can still come from the config files.
    rows = []
    if interpreter:
        rows.append((_interpreter_key(interpreter), interpreter))
    rows.append(("UDF Modules", udf_module_name))
    return rows


def _config_sheet_xml(template: str, rows: list[tuple[str, str]]) -> tuple[str, str]:
    strings = [s for row in rows for s in row]
    cells = []
    for r, (key, value) in enumerate(rows, start=1):
        cells.append(
            f'<row r="{r}" spans="1:2"><c r="A{r}" s="1" t="s"><v>{2 * r - 2}</v></c>'
            f'<c r="B{r}" s="1" t="s"><v>{2 * r - 1}</v></c></row>')
    sheet, n = re.subn(r"<sheetData>.*</sheetData>|<sheetData\s*/>", "<sheetData>" + "".join(cells) + "</sheetData>",
                       template, flags=re.S)
    sheet, m = re.subn(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{len(rows)}" />', sheet)
    if n != 1 or m != 1:
        raise AddinBuildError("unexpected config sheet XML in the template")
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f'<si><t xml:space="preserve">{_xml_escape(s)}</t></si>' for s in strings)
           + "</sst>")
    return sheet, sst


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------

def _build_vba_project(vba_bin: bytes, ribbon_source: str) -> tuple[bytes, dict[str, str]]:
    streams = read_cfb(vba_bin)
    records = _parse_dir(ovba_decompress(streams["VBA/dir"]))
    codepage = _codepage(records)
    modules = _modules(records, codepage)
    names = [m.name for m in modules]
    if RIBBON_MODULE not in names or "xlwings" not in names:
        raise AddinBuildError(f"template VBA modules are {names}: expected {RIBBON_MODULE} and xlwings")

    sources: dict[str, str] = {}
    for m in modules:
        raw = streams[f"VBA/{m.stream}"]
        sources[m.name] = ovba_decompress(raw[m.offset:]).decode(codepage)
    sources[RIBBON_MODULE] = ribbon_source
    sources["xlwings"] = _xlwings_module_source(sources["xlwings"])

    # Source-only modules: MODULEOFFSET 0 and a stream that is just the compressed source.
    new_records = []
    for rid, body in records:
        if rid == _MODULEOFFSET:
            body = struct.pack("<I", 0)
        elif rid == _PROJECTNAME:
            if body.decode(codepage) != _TEMPLATE_PROJECT_NAME:
                raise AddinBuildError(f"template VBA project is {body.decode(codepage)!r}, not {_TEMPLATE_PROJECT_NAME!r}")
            body = VBA_PROJECT_NAME.encode(codepage)
        new_records.append((rid, body))
    dir_bytes = _serialize_dir(new_records)
    if _parse_dir(dir_bytes) != new_records:
        raise AddinBuildError("dir stream does not parse back")
    streams["VBA/dir"] = _compress_checked(dir_bytes, "VBA/dir")
    for m in modules:
        try:
            encoded = sources[m.name].encode(codepage)
        except UnicodeEncodeError as exc:
            raise AddinBuildError(f"module {m.name}: text not in the project's code page {codepage}: {exc}") from exc
        streams[f"VBA/{m.stream}"] = _compress_checked(encoded, f"module {m.name}")

    # _VBA_PROJECT: version 0xFFFF and no performance cache, so Excel compiles from source.
    vba_project = streams["VBA/_VBA_PROJECT"]
    if vba_project[:4] != b"\xCC\x61\xFF\xFF" or len(vba_project) != 7:
        streams["VBA/_VBA_PROJECT"] = b"\xCC\x61\xFF\xFF\x00\x00\x00"

    project = streams["PROJECT"].decode(codepage)
    old_name = f'Name="{_TEMPLATE_PROJECT_NAME}"\r\n'
    if project.count(old_name) != 1:
        raise AddinBuildError("PROJECT stream has no single Name= line")
    streams["PROJECT"] = project.replace(old_name, f'Name="{VBA_PROJECT_NAME}"\r\n').encode(codepage)

    data = write_cfb(streams)
    if read_cfb(data) != streams:
        raise AddinBuildError("compound file does not read back identically")
    return data, sources


def build_addin(output: Path, udf_module=None, interpreter: str | None = None) -> Path:
    """Write the Linealytics add-in to ``output`` and return its path.

    ``udf_module``: the module whose ``LL_*`` functions (from ``__all__``) get VBA wrappers, as a
    module object or dotted name; default ``linealytics_xl.udfs``. Its ``__name__`` is what the
    wrappers ask xlwings to import, and what the config sheet's ``UDF Modules`` holds.
    ``interpreter``: written to the config sheet as ``Interpreter_Win`` (Windows-style path, or a
    bare name when built on Windows) or ``Interpreter_Mac``; the sheet then takes precedence over
    the config files, so leave it out for an add-in meant for several machines.
    """
    output = Path(output)
    module = _resolve_module(udf_module)
    src = sources_dir()
    custom_ui = (src / "customUI.xml").read_bytes()
    ribbon_source = ribbon_module_source(module, source_dir=src)
    _check_ribbon(custom_ui, ribbon_source)

    with zipfile.ZipFile(template_path()) as template:
        infos = template.infolist()
        parts = {info.filename: template.read(info) for info in infos}

    workbook = parts["xl/workbook.xml"].decode("utf-8")
    old_sheet = f'name="_{_TEMPLATE_CONFIG_NAME}.conf"'
    if workbook.count(old_sheet) != 1:
        raise AddinBuildError(f"template workbook has no sheet _{_TEMPLATE_CONFIG_NAME}.conf")
    parts["xl/workbook.xml"] = workbook.replace(old_sheet, f'name="{CONFIG_NAME}.conf"').encode("utf-8")
    if workbook.count("<sheet ") != 1:
        raise AddinBuildError("template workbook should have exactly one sheet")
    sheet_xml, sst_xml = _config_sheet_xml(parts["xl/worksheets/sheet1.xml"].decode("utf-8"),
                                           _config_rows(module.__name__, interpreter))
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.encode("utf-8")
    parts["xl/sharedStrings.xml"] = sst_xml.encode("utf-8")
    if _CUSTOM_UI_PART not in parts:
        raise AddinBuildError(f"template has no {_CUSTOM_UI_PART}")
    parts[_CUSTOM_UI_PART] = custom_ui
    parts[_VBA_PART], _ = _build_vba_project(parts[_VBA_PART], ribbon_source)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            out.writestr(new, parts[info.filename])
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")  # replaced in one step: never half-written
    try:
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linealytics_xl.addin_build",
                                     description="Build the Linealytics Excel add-in (.xlam).")
    parser.add_argument("--output", "-o", type=Path, default=Path(ADDIN_FILE_NAME), help="the .xlam to write")
    parser.add_argument("--interpreter", default=None,
                        help="Python interpreter to preset in the add-in's config sheet (default: none, "
                             "the config file decides)")
    parser.add_argument("--udf-module", default=DEFAULT_UDF_MODULE,
                        help=f"module whose LL_* functions become worksheet functions (default {DEFAULT_UDF_MODULE})")
    args = parser.parse_args(argv)
    try:
        path = build_addin(args.output, udf_module=args.udf_module, interpreter=args.interpreter)
    except (AddinBuildError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
