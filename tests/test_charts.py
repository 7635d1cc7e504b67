"""The plan chart: a valid, non-trivial, deterministic PNG, drawn headless."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from linealytics_xl.adapters.charts import MAX_PRODUCTS, PLAN_COLUMNS, plan_chart_png

ROOT = Path(__file__).resolve().parents[1]


def make_plan(
    products=("23C", "45D", "<b>&23C</b>"), quarters=("24Q1", "24Q2", "24Q3"), seed=7
) -> pd.DataFrame:
    """An ``LL_Plan`` table: one row per product and week, 13 weeks per quarter."""
    rng = np.random.default_rng(seed)
    rows = []
    week = 0
    for quarter in quarters:
        for _ in range(13):
            week += 1
            for k, product in enumerate(products):
                demand = (k + 1) * 1e14 * (1 + 0.3 * rng.random())
                supply = demand * (0.8 + 0.3 * rng.random())
                rows.append(
                    {
                        "Product": product,
                        "Quarter": quarter,
                        "Week": f"WW_{week:02d}",
                        "WeekIndex": week,
                        "WeekStart": date(2024, 1, 1) + timedelta(weeks=week - 1),
                        "DemandBytes": demand,
                        "Wafers": supply / 2e11,
                        "SupplyBytes": supply,
                        "StockBytes": 2 * demand * rng.random(),
                        "BacklogBytes": max(0.0, demand - supply) * 4,
                        "SafetyStockBytes": 1.2 * demand,
                        "CapacityWafers": 900.0,
                        "Utilization": 0.7 + 0.3 * rng.random(),
                    }
                )
    frame = pd.DataFrame(rows)
    assert tuple(frame.columns) == PLAN_COLUMNS
    return frame


def png_info(data: bytes) -> dict:
    """Check the PNG structure by hand (signature, chunk CRCs, pixel data size); return facts."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    channels = {2: 3, 6: 4}[color]
    pixels = zlib.decompress(idat)
    assert len(pixels) == height * (1 + width * channels * depth // 8)
    return {"width": width, "height": height, "chunks": chunks, "pixels": pixels}


@pytest.fixture(scope="module")
def default_png() -> bytes:
    return plan_chart_png(make_plan())


def test_png_is_valid_and_non_trivial(default_png):
    data = default_png
    info = png_info(data)
    assert info["width"] >= 600 and info["height"] >= 400
    assert len(data) > 20_000
    # Not a blank canvas: many distinct scanlines.
    stride = len(info["pixels"]) // info["height"]
    rows = {info["pixels"][i * stride : (i + 1) * stride] for i in range(info["height"])}
    assert len(rows) > 50
    # No "Software" tag (it carries the matplotlib version).
    assert not any(kind == b"tEXt" and body.startswith(b"Software\x00") for kind, body in info["chunks"])


def test_same_input_gives_same_bytes(default_png):
    plan = make_plan()
    before = plan.copy()
    first = plan_chart_png(plan)
    assert first == default_png
    assert plan_chart_png(plan.sample(frac=1.0, random_state=3)) == first  # row order is irrelevant
    pd.testing.assert_frame_equal(plan, before)  # input left untouched
    changed = plan.copy()
    changed.loc[0, "DemandBytes"] *= 3
    assert plan_chart_png(changed) != first


def test_deterministic_across_processes_and_lazy_import(tmp_path, default_png):
    """A fresh interpreter (other hash seed) draws the same bytes; importing the module does not
    import matplotlib, and drawing does not import pyplot."""
    plan_file = tmp_path / "plan.pkl"
    make_plan().to_pickle(plan_file)
    script = textwrap.dedent(f"""
        import hashlib, sys
        import pandas as pd
        import linealytics_xl.adapters.charts as charts
        assert "matplotlib" not in sys.modules, "matplotlib imported at module import"
        data = charts.plan_chart_png(pd.read_pickle({str(plan_file)!r}))
        assert "matplotlib.pyplot" not in sys.modules, "pyplot imported"
        print(hashlib.sha256(data).hexdigest())
    """)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "MPLBACKEND": "", "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == hashlib.sha256(default_png).hexdigest()


def test_single_product(default_png):
    plan = make_plan()
    one = plan_chart_png(plan, product="<b>&23C</b>")
    every = default_png
    assert one != every
    assert png_info(one)["height"] < png_info(every)["height"]
    with pytest.raises(ValueError, match="not in the plan"):
        plan_chart_png(plan, product="99Z")


def test_at_most_six_panels():
    many = make_plan(products=[f"P{i}" for i in range(MAX_PRODUCTS + 3)], quarters=("24Q1",))
    six = many[many["Product"].isin([f"P{i}" for i in range(3, MAX_PRODUCTS + 3)])]
    # The grid for nine products is the grid for six (3 rows of 2): same size.
    assert png_info(plan_chart_png(many))["height"] == png_info(plan_chart_png(six))["height"]


def test_awkward_names_and_values():
    plan = make_plan(products=("$x_{1}$", "50% \\ok"), quarters=("24Q1",))
    plan.loc[::3, "StockBytes"] = np.nan
    plan["BacklogBytes"] = 0.0
    png_info(plan_chart_png(plan))
    tiny = make_plan(products=("Z",), quarters=("24Q1",))
    tiny[["DemandBytes", "SupplyBytes", "StockBytes", "SafetyStockBytes"]] = 0.0
    png_info(plan_chart_png(tiny))


def test_bad_input():
    with pytest.raises(ValueError, match="SupplyBytes"):
        plan_chart_png(make_plan().drop(columns=["SupplyBytes"]))
    with pytest.raises(ValueError, match="empty"):
        plan_chart_png(make_plan().iloc[0:0])
