"""Drive a headless LibreOffice through UNO: recalculate, render a sheet, count charts.

Runs under the *system* python that has ``python3-uno`` (``/usr/bin/python3``), not under the
project's python; ``tests/libreoffice.py`` starts it as a subprocess::

    /usr/bin/python3 tests/lo_uno_script.py recalc SRC.xlsx DST.xlsx
    /usr/bin/python3 tests/lo_uno_script.py png SRC.xlsx DST.png SHEET
    /usr/bin/python3 tests/lo_uno_script.py pdf SRC.xlsx DST.pdf SHEET
    /usr/bin/python3 tests/lo_uno_script.py charts SRC.xlsx
    /usr/bin/python3 tests/lo_uno_script.py pivot SRC.xlsx DST.xlsx SHEET RANGE TARGET_SHEET
    /usr/bin/python3 tests/lo_uno_script.py macros SRC.xlsm

Each call starts its own ``soffice`` on a private, temporary user profile, listening on a private
pipe, and always terminates it (and removes the profile) at the end; ``$LL_LO_WORKDIR`` names the
directory for the profile and ``soffice.pid`` (see :class:`Office`).  Results go to stdout as one
JSON line; failures go to stderr with exit status 1 (2 for bad usage).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

SOFFICE = os.environ.get("LL_SOFFICE", "/usr/bin/soffice")
CONNECT_TIMEOUT = float(os.environ.get("LL_SOFFICE_CONNECT_TIMEOUT", "60"))
XLSX_FILTER = "Calc MS Excel 2007 XML"


def _props(**kwargs) -> tuple:
    out = []
    for name, value in kwargs.items():
        p = PropertyValue()
        p.Name, p.Value = name, value
        out.append(p)
    return tuple(out)


def remove_pipes(profile: Path, pipe: str) -> None:
    """Remove the IPC sockets a killed soffice leaves in /tmp: its ``--accept`` pipe and its
    single-instance pipe (named by the MD5 of the profile URL, as LibreOffice names it)."""
    digest = hashlib.md5(profile.as_uri().encode("utf-16-le")).digest()
    single = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    for name in (pipe, single):
        for path in glob.glob(f"/tmp/OSL_PIPE_{os.getuid()}_{name}"):
            try:
                os.unlink(path)
            except OSError:
                pass


class Office:
    """A private soffice process and a connection to it (a context manager).

    The profile, soffice's stderr and ``soffice.pid`` (the process group of the soffice tree) live
    in ``$LL_LO_WORKDIR`` when the caller gives one -- so that it can kill a hung soffice and clean
    up -- or else in a temporary directory removed at the end.
    """

    def __init__(self) -> None:
        given = os.environ.get("LL_LO_WORKDIR")
        self.workdir = Path(given) if given else Path(tempfile.mkdtemp(prefix="ll_lo_"))
        self._own_workdir = not given
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.profile = self.workdir / "profile"
        self.pipe = os.environ.get("LL_LO_PIPE") or f"ll_lo_{uuid.uuid4().hex}"
        self.proc: subprocess.Popen | None = None
        self.ctx = self.smgr = self.desktop = None

    def _stderr_tail(self) -> str:
        try:
            return (self.workdir / "soffice.stderr").read_text(errors="replace").strip()[-2000:]
        except OSError:
            return ""

    def __enter__(self) -> Office:
        cmd = [
            SOFFICE,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nofirststartwizard",
            "--nolockcheck",
            f"-env:UserInstallation={self.profile.as_uri()}",
            f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
        ]
        # soffice's temporary files go to the work directory, removed even if soffice is killed.
        tmp = self.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(tmp)}
        # Own process group: the launcher forks soffice.bin, the whole tree is killed at the end.
        with open(self.workdir / "soffice.stderr", "wb") as err:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        (self.workdir / "soffice.pid").write_text(str(self.proc.pid))
        try:
            self._connect()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _connect(self) -> None:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"soffice exited with status {self.proc.returncode} before "
                    f"accepting a connection: {self._stderr_tail()}"
                )
            try:
                ctx = resolver.resolve(url)
                break
            except NoConnectException:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"soffice did not accept a connection within "
                        f"{CONNECT_TIMEOUT:.0f} s: {self._stderr_tail()}"
                    ) from None
                time.sleep(0.2)
        self.ctx, self.smgr = ctx, ctx.ServiceManager
        self.desktop = self.smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def __exit__(self, *exc) -> None:
        try:
            if self.desktop is not None:
                self.desktop.terminate()
        except Exception:
            pass  # the bridge goes down with the process: expected
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            try:  # soffice.bin may outlive the launcher: kill the whole group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            (self.workdir / "soffice.pid").unlink(missing_ok=True)
        remove_pipes(self.profile, self.pipe)
        shutil.rmtree(self.profile, ignore_errors=True)
        shutil.rmtree(self.workdir / "tmp", ignore_errors=True)
        shutil.rmtree(self.workdir / "docs", ignore_errors=True)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def load(self, path: Path):
        """Open a private copy of ``path`` hidden: the source is never locked nor changed, and a
        killed soffice leaves no lock file beside it."""
        if not path.is_file():
            raise RuntimeError(f"no such file: {path}")
        copy = self.workdir / "docs" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        url = uno.systemPathToFileUrl(str(copy))
        doc = self.desktop.loadComponentFromURL(url, "_blank", 0, _props(Hidden=True, ReadOnly=False))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        if not hasattr(doc, "getSheets"):
            doc.close(True)
            raise RuntimeError(f"{path} did not open as a spreadsheet")
        return doc


def recalc(src: Path, dst: Path) -> dict:
    with Office() as office:
        doc = office.load(src)
        try:
            doc.calculateAll()
            dst.parent.mkdir(parents=True, exist_ok=True)
            doc.storeToURL(
                uno.systemPathToFileUrl(str(dst.resolve())), _props(FilterName=XLSX_FILTER, Overwrite=True)
            )
        finally:
            doc.close(True)
    return {"output": str(dst)}


def _sheet(doc, name: str):
    sheets = doc.getSheets()
    if not sheets.hasByName(name):
        raise RuntimeError(f"no sheet named {name!r}; sheets are {list(sheets.getElementNames())}")
    return sheets.getByName(name)


def _dib_to_png(dib: bytes) -> bytes:
    """Convert an uncompressed 24/32-bit BMP (what ``XBitmap.getDIB`` returns) to PNG."""
    if dib[:2] != b"BM":
        raise RuntimeError(
            f"LibreOffice returned a bitmap that is not a BMP ({len(dib)} bytes: {dib[:16]!r})"
        )
    offset = struct.unpack_from("<I", dib, 10)[0]
    width, height = struct.unpack_from("<ii", dib, 18)
    bpp, compression = struct.unpack_from("<HI", dib, 28)
    if bpp not in (24, 32) or compression not in (0, 3):
        raise RuntimeError(f"unsupported bitmap: {bpp} bits per pixel, compression {compression}")
    step = bpp // 8
    stride = (width * bpp + 31) // 32 * 4
    rows = []
    for y in range(abs(height)):
        src = y if height < 0 else abs(height) - 1 - y  # BMP rows are bottom-up
        line = dib[offset + src * stride : offset + src * stride + width * step]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = line[2::step], line[1::step], line[0::step]
        rows.append(b"\x00" + bytes(rgb))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, abs(height), 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


PX_PER_HMM = 96 / 2540  # screen device: 96 dpi; UNO lengths are 1/100 mm
MARGIN_HMM = 500


def render_png(
    src: Path,
    dst: Path,
    sheet_name: str,
    *,
    min_page_mm: tuple[int, int] = (420, 297),
    max_page_mm: tuple[int, int] = (1000, 1000),
) -> dict:
    """Render one sheet -- cells and drawing objects, charts included -- to a PNG.

    The sheet is printed through ``XRenderable`` onto a virtual screen device at 96 dpi.  Its page
    style is first changed (in memory only): one page at least ``min_page_mm`` and as large as the
    printed area up to ``max_page_mm``, narrow margins, no header or footer, and a zoom that fits
    the whole printed area (the used area and the drawings, or the sheet's print ranges) on that
    page; manual page breaks are removed, so that one page shows it all.  This needs no graphic export filter and no PDF rasteriser.
    """
    with Office() as office:
        doc = office.load(src)
        try:
            doc.calculateAll()
            sheet = _sheet(doc, sheet_name)
            sheet.removeAllManualPageBreaks()  # one picture of the whole sheet, not its first page
            style = doc.getStyleFamilies().getByName("PageStyles").getByName(sheet.PageStyle)
            style.HeaderIsOn = False
            style.FooterIsOn = False
            for margin in ("LeftMargin", "RightMargin", "TopMargin", "BottomMargin"):
                setattr(style, margin, MARGIN_HMM)
            # Fit to one page first: page 0 then reports the size of the whole printed area.
            style.ScaleToPages = 0
            style.ScaleToPagesX = 1
            style.ScaleToPagesY = 1
            style.Width, style.Height = max_page_mm[0] * 100, max_page_mm[1] * 100
            toolkit = office.smgr.createInstanceWithContext("com.sun.star.awt.Toolkit", office.ctx)
            probe = _props(RenderDevice=toolkit.createScreenCompatibleDevice(16, 16))
            if doc.getRendererCount(sheet, probe) < 1:
                raise RuntimeError(f"sheet {sheet_name!r} has nothing to print")
            content = next(
                p.Value for p in doc.getRenderer(0, sheet, probe) if p.Name == "CalcPageContentSize"
            )
            # Page: the content at 100 % plus margins, within [min_page, max_page]; zoom to fit.
            width = min(max(content.Width + 2 * MARGIN_HMM, min_page_mm[0] * 100), max_page_mm[0] * 100)
            height = min(max(content.Height + 2 * MARGIN_HMM, min_page_mm[1] * 100), max_page_mm[1] * 100)
            zoom = min(
                100,
                int(100 * (width - 2 * MARGIN_HMM) / max(content.Width, 1)),
                int(100 * (height - 2 * MARGIN_HMM) / max(content.Height, 1)),
            )
            style.ScaleToPagesX = 0
            style.ScaleToPagesY = 0
            style.PageScale = max(zoom, 10)
            style.Width, style.Height = width, height
            px_w, px_h = int(width * PX_PER_HMM), int(height * PX_PER_HMM)
            device = toolkit.createScreenCompatibleDevice(px_w, px_h)
            options = _props(RenderDevice=device)
            doc.getRendererCount(sheet, options)
            doc.render(0, sheet, options)
            # render() leaves the device mapping content 1/100 mm at the zoom; take the whole device.
            scale = style.PageScale / 100
            dib = device.createBitmap(0, 0, round(width / scale), round(height / scale)).getDIB()
        finally:
            doc.close(True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(_dib_to_png(bytes(dib.value)))
    return {"output": str(dst), "bytes": dst.stat().st_size, "zoom": scale}


def export_pdf(src: Path, dst: Path, sheet_name: str) -> dict:
    """Export one sheet to PDF as printing it would: its own page style, print area and breaks."""
    with Office() as office:
        doc = office.load(src)
        try:
            doc.calculateAll()
            sheet = _sheet(doc, sheet_name)
            data = uno.Any("[]com.sun.star.beans.PropertyValue", _props(Selection=sheet))
            dst.parent.mkdir(parents=True, exist_ok=True)
            uno.invoke(
                doc,
                "storeToURL",
                (
                    uno.systemPathToFileUrl(str(dst.resolve())),
                    _props(FilterName="calc_pdf_Export", FilterData=data),
                ),
            )
        finally:
            doc.close(True)
    return {"output": str(dst), "bytes": dst.stat().st_size}


def list_charts(src: Path) -> dict:
    with Office() as office:
        doc = office.load(src)
        try:
            sheets = doc.getSheets()
            counts = {}
            for name in sheets.getElementNames():
                counts[name] = sheets.getByName(name).getCharts().getCount()
        finally:
            doc.close(True)
    return {"charts": counts}


def make_pivot(src: Path, dst: Path, sheet_name: str, source: str, target_sheet: str) -> dict:
    """Add a pivot table (rows: the first column of ``source``; data: sum of the second) at A1
    of ``target_sheet`` and store the workbook as xlsx: a pivot made by a real spreadsheet."""
    with Office() as office:
        doc = office.load(src)
        try:
            rng = _sheet(doc, sheet_name).getCellRangeByName(source).getRangeAddress()
            target = _sheet(doc, target_sheet)
            pilots = target.getDataPilotTables()
            desc = pilots.createDataPilotDescriptor()
            desc.setSourceRange(rng)
            fields = desc.getDataPilotFields()
            fields.getByIndex(0).setPropertyValue(
                "Orientation", uno.Enum("com.sun.star.sheet.DataPilotFieldOrientation", "ROW")
            )
            data = fields.getByIndex(1)
            data.setPropertyValue(
                "Orientation", uno.Enum("com.sun.star.sheet.DataPilotFieldOrientation", "DATA")
            )
            data.setPropertyValue("Function", uno.Enum("com.sun.star.sheet.GeneralFunction", "SUM"))
            pilots.insertNewByName("PlannerPivot", target.getCellRangeByName("A1").getCellAddress(), desc)
            dst.parent.mkdir(parents=True, exist_ok=True)
            doc.storeToURL(
                uno.systemPathToFileUrl(str(dst.resolve())), _props(FilterName=XLSX_FILTER, Overwrite=True)
            )
        finally:
            doc.close(True)
    return {"output": str(dst)}


def list_macros(src: Path) -> dict:
    """The VBA modules LibreOffice loads from a workbook (Basic library -> module names)."""
    with Office() as office:
        doc = office.load(src)
        try:
            libs = doc.BasicLibraries
            out = {}
            for name in libs.getElementNames():
                libs.loadLibrary(name)
                out[name] = sorted(libs.getByName(name).getElementNames())
        finally:
            doc.close(True)
    return {"macros": out}


def _terminate(signum, frame):  # SIGTERM from the caller: unwind so that soffice is killed
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    usage = (
        "usage: lo_uno_script.py recalc SRC DST | png SRC DST SHEET | pdf SRC DST SHEET | charts SRC | "
        "pivot SRC DST SHEET RANGE TARGET | macros SRC"
    )
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[0], [*argv[1:]]
    try:
        if cmd == "recalc" and len(args) == 2:
            result = recalc(Path(args[0]), Path(args[1]))
        elif cmd == "png" and len(args) == 3:
            result = render_png(Path(args[0]), Path(args[1]), args[2])
        elif cmd == "pdf" and len(args) == 3:
            result = export_pdf(Path(args[0]), Path(args[1]), args[2])
        elif cmd == "charts" and len(args) == 1:
            result = list_charts(Path(args[0]))
        elif cmd == "pivot" and len(args) == 5:
            result = make_pivot(Path(args[0]), Path(args[1]), *args[2:])
        elif cmd == "macros" and len(args) == 1:
            result = list_macros(Path(args[0]))
        else:
            print(usage, file=sys.stderr)
            return 2
    except Exception as exc:  # reported to the caller, which raises with this text
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
