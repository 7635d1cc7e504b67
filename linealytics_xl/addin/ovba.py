"""MS-OVBA 2.4.1 compression: the container every VBA stream of ``vbaProject.bin`` is stored in.

Implemented here (standard library only) because the package's runtime dependencies do not include
oletools, and because ``ms-ovba-compression`` 1.0.1 was found to lose data on the template's own
``dir`` stream (notes/addin-vba.md). Every container the build writes goes through
`compress_checked`: decompressed again, by this module and by oletools when it is installed.
"""

from __future__ import annotations

import struct

from . import AddinBuildError

__all__ = ["compress_checked", "ovba_compress", "ovba_decompress"]

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
            out += data[pos : pos + _CHUNK]
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
            index.setdefault(chunk[p : p + 3], []).append(p)

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
                candidates = index.get(chunk[pos : pos + 3], ())
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
        chunk = data[start : start + _CHUNK]
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


def compress_checked(data: bytes, what: str) -> bytes:
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
