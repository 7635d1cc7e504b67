"""LibreOffice helpers for tests: recalculate a workbook, render a sheet, count charts.

openpyxl writes formulas without their values; Excel computes them on opening.  To check in CI
what a planner will see, these helpers open a workbook in a headless LibreOffice, recalculate
it, and store it again as xlsx, so that ``openpyxl.load_workbook(..., data_only=True)`` reads the
computed values.  They also render one sheet (cells and charts) to PNG and count chart objects.

LibreOffice is driven through UNO by ``tests/lo_uno_script.py``, run by the system python that
has ``python3-uno`` (the project's python cannot import ``uno``).  Every call starts a private
soffice on a temporary profile and kills it afterwards, also on timeout.

Tests that need LibreOffice use ``@requires_libreoffice`` (or call ``require_libreoffice()``):
they are skipped, with the reason, where it is not installed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import uuid
import zlib
from pathlib import Path

import numpy as np
import pytest

SOFFICE = Path(os.environ.get("LL_SOFFICE", "/usr/bin/soffice"))
UNO_PYTHON = Path(os.environ.get("LL_UNO_PYTHON", "/usr/bin/python3"))
UNO_SCRIPT = Path(__file__).with_name("lo_uno_script.py")
SKIP_REASON = "LibreOffice (soffice + python3-uno) not installed; .ci/run installs it"
DEFAULT_TIMEOUT = float(os.environ.get("LL_LO_TIMEOUT", "300"))

__all__ = [
    "SKIP_REASON",
    "LibreOfficeError",
    "export_pdf",
    "list_charts",
    "list_macros",
    "make_pivot",
    "pdf_pages",
    "read_png",
    "recalculate",
    "render_png",
    "require_libreoffice",
    "requires_libreoffice",
    "soffice_available",
]


class LibreOfficeError(RuntimeError):
    """LibreOffice could not do what was asked (the message says what and why)."""


@functools.cache
def soffice_available() -> bool:
    """True when ``soffice`` exists and the system python can ``import uno``."""
    if not (SOFFICE.exists() and os.access(SOFFICE, os.X_OK)):
        return False
    if not (UNO_PYTHON.exists() and os.access(UNO_PYTHON, os.X_OK)):
        return False
    try:
        probe = subprocess.run(
            [str(UNO_PYTHON), "-c", "import uno"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


requires_libreoffice = pytest.mark.skipif(not soffice_available(), reason=SKIP_REASON)


def require_libreoffice() -> None:
    """Skip the calling test (with :data:`SKIP_REASON`) when LibreOffice is not available."""
    if not soffice_available():
        pytest.skip(SKIP_REASON)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _remove_pipes(profile: Path, pipe: str) -> None:
    """Remove the sockets a killed soffice leaves in /tmp (see ``lo_uno_script.remove_pipes``)."""
    digest = hashlib.md5(profile.resolve().as_uri().encode("utf-16-le")).digest()
    single = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    for name in (pipe, single):
        Path(f"/tmp/OSL_PIPE_{os.getuid()}_{name}").unlink(missing_ok=True)


def _run(args: list[str], *, timeout: float) -> dict:
    """Run the UNO script; return its JSON answer or raise :class:`LibreOfficeError`."""
    if not soffice_available():
        raise LibreOfficeError(SKIP_REASON)
    workdir = Path(tempfile.mkdtemp(prefix="ll_lo_"))
    pipe = f"ll_lo_{uuid.uuid4().hex}"
    env = {**os.environ, "LL_LO_WORKDIR": str(workdir), "LL_LO_PIPE": pipe, "LL_SOFFICE": str(SOFFICE)}
    env.pop("PYTHONPATH", None)  # the project's site-packages must not leak into python3
    env.pop("PYTHONHOME", None)
    cmd = [str(UNO_PYTHON), str(UNO_SCRIPT), *args]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)  # lets the script kill soffice itself
            try:
                out, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid)
                out, err = proc.communicate()
            raise LibreOfficeError(
                f"LibreOffice timed out after {timeout:.0f} s running {' '.join(args)}"
                + (f": {err.decode(errors='replace').strip()}" if err.strip() else "")
            ) from None
    finally:
        if proc.poll() is None:
            _kill_group(proc.pid)
            proc.wait()
        pid_file = workdir / "soffice.pid"  # left only when the script did not clean up
        if pid_file.exists():
            try:
                _kill_group(int(pid_file.read_text()))
            except ValueError:
                pass
            _remove_pipes(workdir / "profile", pipe)
        shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode != 0:
        message = err.decode(errors="replace").strip() or f"exit status {proc.returncode}"
        raise LibreOfficeError(f"LibreOffice failed running {' '.join(args)}: {message}")
    try:
        return json.loads(out.decode().strip().splitlines()[-1])
    except (IndexError, ValueError) as exc:
        raise LibreOfficeError(f"unexpected answer from {UNO_SCRIPT.name}: {out!r}") from exc


def _existing(src: Path) -> Path:
    src = Path(src)
    if not src.is_file():
        raise LibreOfficeError(f"no such workbook: {src}")
    return src.resolve()


def recalculate(src: Path, dst: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Open ``src`` in LibreOffice, recalculate every formula, save as xlsx to ``dst``.

    ``openpyxl.load_workbook(dst, data_only=True)`` then reads the computed values.  LibreOffice
    opens a private copy: ``src`` is neither locked nor modified (unless it is ``dst``).
    """
    src, dst = _existing(src), Path(dst).resolve()
    dst.parent.mkdir(parents=True, exist_ok=True)
    _run(["recalc", str(src), str(dst)], timeout=timeout)
    if not dst.is_file() or dst.read_bytes()[:2] != b"PK":
        raise LibreOfficeError(f"LibreOffice reported success but wrote no xlsx to {dst}")
    return dst


def render_png(src: Path, dst_png: Path, sheet: str, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Render sheet ``sheet`` of ``src`` (cells and charts, fitted on one page) to ``dst_png``."""
    src, dst_png = _existing(src), Path(dst_png).resolve()
    _run(["png", str(src), str(dst_png), sheet], timeout=timeout)
    if not dst_png.is_file() or dst_png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise LibreOfficeError(f"LibreOffice reported success but wrote no PNG to {dst_png}")
    return dst_png


def export_pdf(src: Path, dst_pdf: Path, sheet: str, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Export sheet ``sheet`` of ``src`` to ``dst_pdf`` the way printing it would (its page setup,
    print area and page breaks)."""
    src, dst_pdf = _existing(src), Path(dst_pdf).resolve()
    _run(["pdf", str(src), str(dst_pdf), sheet], timeout=timeout)
    if not dst_pdf.is_file() or dst_pdf.read_bytes()[:5] != b"%PDF-":
        raise LibreOfficeError(f"LibreOffice reported success but wrote no PDF to {dst_pdf}")
    return dst_pdf


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """Width and height (points) of every page of a PDF LibreOffice wrote (uncompressed page
    objects, as its exporter writes them)."""
    import re

    data = Path(path).read_bytes()
    pages = []
    for m in re.finditer(rb"/Type\s*/Page(?![a-zA-Z])(.{0,400}?)>>", data, re.S):
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", m.group(1))
        pages.append((float(box.group(3)), float(box.group(4))) if box else (0.0, 0.0))
    return pages


def list_charts(src: Path, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, int]:
    """Number of chart objects on every sheet of ``src``, by sheet name (in sheet order)."""
    return {
        str(k): int(v) for k, v in _run(["charts", str(_existing(src))], timeout=timeout)["charts"].items()
    }


def make_pivot(
    src: Path, dst: Path, sheet: str, source: str, target_sheet: str, *, timeout: float = DEFAULT_TIMEOUT
) -> Path:
    """Store ``src`` as ``dst`` with a LibreOffice pivot table over ``sheet!source`` (rows: its
    first column, data: the sum of its second) at A1 of ``target_sheet``."""
    src, dst = _existing(src), Path(dst).resolve()
    _run(["pivot", str(src), str(dst), sheet, source, target_sheet], timeout=timeout)
    if not dst.is_file() or dst.read_bytes()[:2] != b"PK":
        raise LibreOfficeError(f"LibreOffice reported success but wrote no xlsx to {dst}")
    return dst


def list_macros(src: Path, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, list[str]]:
    """The macro libraries LibreOffice loads from ``src`` and their modules."""
    return {
        str(k): list(v) for k, v in _run(["macros", str(_existing(src))], timeout=timeout)["macros"].items()
    }


# --------------------------------------------------------------------------- PNG reading
def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit PNG (gray, RGB, gray+alpha or RGBA; not interlaced) to ``[H, W, C]`` uint8.

    Uses Pillow when it is installed, otherwise this small decoder (enough for checks in tests).
    """
    try:
        from PIL import Image  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        with Image.open(path) as img:
            arr = np.asarray(img.convert("RGBA" if "A" in img.getbands() else "RGB"))
        return arr
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError(f"{path}: no IHDR chunk")
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError(
            f"{path}: unsupported PNG (depth {depth}, color type {color}, "
            f"interlace {interlace}); install Pillow"
        )
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = width * channels
    raw = raw[: height * (stride + 1)].reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + prev) & 0xFF
        elif kind == 1:  # Sub: running sum per channel
            row = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) & 0xFF
        elif kind in (3, 4):  # Average, Paeth: sequential per pixel
            row = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = row[x - channels] if x >= channels else 0
                b = prev[x]
                if kind == 3:
                    row[x] = (line[x] + ((a + b) >> 1)) & 0xFF
                else:
                    c = prev[x - channels] if x >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    row[x] = (line[x] + pred) & 0xFF
        else:
            raise ValueError(f"{path}: bad filter type {kind} in row {y}")
        out[y] = row
        prev = row
    return out.reshape(height, width, channels)
