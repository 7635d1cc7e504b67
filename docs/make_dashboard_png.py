"""Regenerate ``docs/dashboard.png`` (the README's picture) from a real run, with LibreOffice.

Plans a temporary copy of the real workbook (``../shared/data/micron_hackathon_2025.xlsx``
beside the checkout, or the path given) with the full pipeline, renders its Dashboard sheet
with LibreOffice (``tests/libreoffice.py``: soffice and python3-uno must be installed), and
stores it downsized and palette-quantised, under ``MAX_BYTES``, so the repository stays small.
The workbook itself is never copied into the repository.

    python docs/make_dashboard_png.py [WORKBOOK] [--output docs/dashboard.png]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "micron_hackathon_2025.xlsx"
DOCS_PNG = ROOT / "docs" / "dashboard.png"
MAX_BYTES = 300_000
MAX_SIDE = 1200


def shrink_png(src: Path, dst: Path, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> int:
    """Store the rendering ``src`` at most ``max_side`` pixels wide or tall, 256 colours, as ``dst``;
    returns its size.  Raises ``ValueError`` (writing nothing) when it would exceed ``max_bytes``."""
    from PIL import Image

    with Image.open(src) as img:
        img = img.convert("RGB")
        img.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        img.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG", optimize=True)
    if len(buf.getvalue()) >= max_bytes:
        raise ValueError(f"the picture is {len(buf.getvalue()):,} bytes, over {max_bytes:,}: not written")
    Path(dst).write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", type=Path, default=REAL)
    parser.add_argument("--output", type=Path, default=DOCS_PNG)
    args = parser.parse_args(argv)
    if not args.workbook.is_file():
        print(f"no workbook at {args.workbook}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from libreoffice import render_png, require_libreoffice  # noqa: F401  (tests/libreoffice.py)

    from linealytics_xl import jobs
    from linealytics_xl.adapters.dashboard import DASHBOARD

    with tempfile.TemporaryDirectory(prefix="ll_docs_png_") as tmp:
        copy = Path(tmp) / args.workbook.name
        shutil.copyfile(args.workbook, copy)
        job = jobs.plan(copy)
        png = render_png(job.path, Path(tmp) / "dashboard.png", DASHBOARD)
        size = shrink_png(png, args.output)
    print(f"{args.output}: {size:,} bytes, from run {job.run_id} of {args.workbook.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
