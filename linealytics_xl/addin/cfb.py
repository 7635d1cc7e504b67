"""MS-CFB compound files (version 3, 512-byte sectors): the format of ``xl/vbaProject.bin``.

A reader (every stream, by path) and a writer that depends on the streams only (zero CLSIDs,
state bits and timestamps), so the same sources always give the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["read_cfb", "write_cfb"]

_FREESECT, _ENDOFCHAIN, _FATSECT, _DIFSECT, _NOSTREAM = (
    0xFFFFFFFF,
    0xFFFFFFFE,
    0xFFFFFFFD,
    0xFFFFFFFC,
    0xFFFFFFFF,
)
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_MINI_CUTOFF = 4096


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by path (``"VBA/dir"``); storages are implied."""
    data = bytes(data)
    if data[:8] != _CFB_SIGNATURE:
        raise ValueError("not a compound file")
    major, _bom, sector_shift, mini_shift = struct.unpack_from("<HHHH", data, 26)
    n_fat, first_dir, _txn, cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from(
        "<8I", data, 44
    )
    sector = 1 << sector_shift
    mini = 1 << mini_shift

    def sector_bytes(i: int) -> bytes:
        start = (i + 1) * sector
        if start >= len(data):
            raise ValueError(f"sector {i} beyond end of file")
        return data[start : start + sector]

    difat = list(struct.unpack_from("<109I", data, 76))
    nxt = first_difat
    for _ in range(n_difat):
        if nxt in (_ENDOFCHAIN, _FREESECT):
            break
        links = struct.unpack(f"<{sector // 4}I", sector_bytes(nxt))
        difat += links[:-1]
        nxt = links[-1]
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
        raw = directory[off : off + 128]
        name_len, kind, _color, left, right, child = struct.unpack_from("<HBBIII", raw, 64)
        start, size = struct.unpack_from("<IQ", raw, 116)
        if major == 3:
            size &= 0xFFFFFFFF
        name = raw[: max(name_len - 2, 0)].decode("utf-16-le")
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
            raw = b"".join(ministream[s * mini : (s + 1) * mini] for s in chain(start, minifat))
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
    children: dict[str, _Node] = field(default_factory=dict)
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
        node.right = build_tree(nodes[mid + 1 :], depth + 1, black_depth)
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
    big: list[tuple[_Node, bytes]] = []  # each big stream's node and its data
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
            big.append((node, node.data))

    def sectors_for(n_bytes: int) -> int:
        return -(-n_bytes // sector)

    dir_sectors = sectors_for(len(order) * 128)
    minifat_sectors = sectors_for(len(minifat) * 4)
    mini_sectors = sectors_for(len(ministream))
    big_sectors = [sectors_for(len(blob)) for _node, blob in big]
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
    for (node, blob), count in zip(big, big_sectors):
        node.start = place(blob, count)
    fat += [_FREESECT] * (fat_sectors * per_sector - len(fat))

    directory = bytearray()
    for node in order:
        encoded = node.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if node is root else (1 if node.data is None else 2)
        entry = encoded.ljust(64, b"\0")
        entry += struct.pack(
            "<HBBIII", len(encoded), kind, 0 if node.red else 1, node.left, node.right, node.child
        )
        entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # CLSID, state bits, creation and modified times
        start = node.start if kind != 1 else 0
        entry += struct.pack("<IQ", start, node.size if kind != 1 else 0)
        directory += entry
    free_entry = b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM) + b"\0" * 48
    while len(directory) % sector:
        directory += free_entry
    body[dir_placeholder : dir_placeholder + len(directory)] = directory

    header = bytearray()
    header += _CFB_SIGNATURE + b"\0" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
    header += b"\0" * 6
    header += struct.pack(
        "<IIIIIIIII",
        0,
        fat_sectors,
        first_dir_at,
        0,
        _MINI_CUTOFF,
        first_minifat,
        minifat_sectors,
        _ENDOFCHAIN,
        0,
    )
    difat = list(range(fat_sectors)) + [_FREESECT] * (109 - fat_sectors)
    header += struct.pack("<109I", *difat)
    assert len(header) == 512
    fat_blob = struct.pack(f"<{len(fat)}I", *fat)
    return bytes(header) + fat_blob + bytes(body)
