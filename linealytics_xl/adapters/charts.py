"""Chart rendering for reports: the plan per product and quarter as a PNG.

matplotlib is imported inside :func:`plan_chart_png`, not at module import: importing it costs
a noticeable share of the command line's start-up time, and most runs draw no chart.  The figure
is drawn on matplotlib's Agg canvas directly (no pyplot, no global backend switch, no display
needed), under matplotlib's default style whatever the user's matplotlibrc says, at a fixed size
and DPI and without the ``Software`` PNG tag: the same plan gives the same bytes.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd

from ..core import contract
from ..core.contract import Col

__all__ = ["MAX_PRODUCTS", "PLAN_COLUMNS", "plan_chart_png"]

#: Columns of the ``LL_Plan`` table (the contract's).
PLAN_COLUMNS = tuple(contract.PLAN.names)
_NEEDED = (
    Col.PRODUCT,
    Col.QUARTER,
    Col.WEEK_INDEX,
    Col.DEMAND_BYTES,
    Col.SUPPLY_BYTES,
    Col.STOCK_BYTES,
    Col.BACKLOG_BYTES,
    Col.SAFETY_STOCK_BYTES,
)

#: At most this many products are drawn (the largest by total demand); a note says how many more.
MAX_PRODUCTS = 6

_DPI = 100
_PANEL_W, _PANEL_H = 5.0, 3.0  # inches per small multiple
_UNITS = ((1e18, "EB"), (1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))

_C_DEMAND = "#8c959f"
_C_SUPPLY = "#0969da"
_C_STOCK = "#1a7f37"
_C_SAFETY = "#bf8700"
_C_BACKLOG = "#cf222e"


def _unit(max_value: float) -> tuple[float, str]:
    for scale, name in _UNITS:
        if max_value >= scale:
            return scale, name
    return 1.0, "bytes"


def _quarterly(rows: pd.DataFrame) -> pd.DataFrame:
    """Per quarter, in plan order: demand and supply summed over the weeks; stock, backlog and
    safety stock as at the quarter's last week (they are levels, not flows)."""
    rows = rows.sort_values(Col.WEEK_INDEX, kind="stable")
    grouped = rows.groupby(Col.QUARTER, sort=False)
    out = pd.DataFrame(
        {
            "Demand": grouped[Col.DEMAND_BYTES].sum(min_count=1),
            "Supply": grouped[Col.SUPPLY_BYTES].sum(min_count=1),
            "Stock": grouped[Col.STOCK_BYTES].last(),
            "Backlog": grouped[Col.BACKLOG_BYTES].last(),
            "Safety": grouped[Col.SAFETY_STOCK_BYTES].last(),
        }
    )
    return out.astype(float).fillna(0.0)


def plan_chart_png(plan: pd.DataFrame, product: str | None = None) -> bytes:
    """Draw the plan (``LL_Plan`` rows) as PNG bytes: one panel per product.

    Each panel shows, per quarter, demand and yielded supply (bars, summed over the quarter's
    weeks), stock and safety stock at the quarter's end (lines), and backlog at the quarter's
    end as a red shaded area.  With ``product`` only that product is drawn; otherwise the
    :data:`MAX_PRODUCTS` products with the largest total demand, in that order.

    Raises ``ValueError`` when columns are missing, the plan is empty or ``product`` is not in it.
    """
    data, products, all_products = _selected(plan, product)
    hidden = len(all_products) - len(products) if product is None else 0
    # Quarters in plan order across all products, so every panel has the same x axis.
    quarters = list(dict.fromkeys(data.sort_values(Col.WEEK_INDEX, kind="stable")[Col.QUARTER]))

    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(products)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    size = (max(_PANEL_W * ncols, 6.4) + 0.4, _PANEL_H * nrows + (0.9 if ncols == 2 else 1.1))

    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                "font.size": 9,
                "axes.titlesize": 10,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, name in zip(axes, products):
            _panel(
                ax, _quarterly(data[data[Col.PRODUCT] == name]).reindex(quarters).fillna(0.0), name, quarters
            )
        for ax in axes[n:]:
            ax.set_visible(False)

        handles = [
            Patch(color=_C_DEMAND, label="Demand"),
            Patch(color=_C_SUPPLY, label="Yielded supply"),
            Line2D([], [], color=_C_STOCK, marker="o", markersize=3.5, label="Stock (quarter end)"),
            Line2D([], [], color=_C_SAFETY, linestyle="--", label="Safety stock"),
            Patch(facecolor=_C_BACKLOG, alpha=0.3, edgecolor=_C_BACKLOG, label="Backlog (quarter end)"),
        ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=5 if ncols == 2 else 3,
            frameon=False,
            fontsize=8,
        )
        title = "Plan by quarter"
        if hidden > 0:
            title += f": {n} largest of {len(all_products)} products by demand"
        fig.suptitle(title, fontsize=11, parse_math=False)

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _selected(plan: pd.DataFrame, product: str | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The plan with typed columns, the products to draw and all products (plan order)."""
    missing = [c for c in _NEEDED if c not in plan.columns]
    if missing:
        raise ValueError(f"plan table lacks column(s): {', '.join(missing)}")
    if plan.empty:
        raise ValueError("plan table is empty: nothing to draw")

    data = plan.copy()
    data[Col.PRODUCT] = data[Col.PRODUCT].astype(str)
    data[Col.QUARTER] = data[Col.QUARTER].astype(str)
    for col in (
        Col.WEEK_INDEX,
        Col.DEMAND_BYTES,
        Col.SUPPLY_BYTES,
        Col.STOCK_BYTES,
        Col.BACKLOG_BYTES,
        Col.SAFETY_STOCK_BYTES,
    ):
        data[col] = pd.to_numeric(data[col], errors="coerce")

    all_products = list(dict.fromkeys(data[Col.PRODUCT]))
    if product is not None:
        if str(product) not in all_products:
            raise ValueError(f"product {product!r} is not in the plan")
        products = [str(product)]
    else:
        demand = data.groupby(Col.PRODUCT, sort=False)[Col.DEMAND_BYTES].sum()
        # Largest demand first; ties in the plan's order (stable sort).
        order = sorted(all_products, key=lambda p: -float(demand.get(p, 0.0) or 0.0))
        products = order[:MAX_PRODUCTS]
    return data, products, all_products


def _panel(ax: Any, q: pd.DataFrame, name: str, quarters: list[str]) -> None:
    """One product's panel: bars of demand and supply, backlog shaded, stock and safety stock lines."""
    x = list(range(len(quarters)))
    width = 0.38
    scale, unit = _unit(float(q.abs().to_numpy().max(initial=0.0)))
    q = q / scale
    ax.bar([i - width / 2 for i in x], q["Demand"], width, color=_C_DEMAND, zorder=1)
    ax.bar([i + width / 2 for i in x], q["Supply"], width, color=_C_SUPPLY, zorder=1)
    # Backlog over the bars, translucent, so it shows even where it is small.
    ax.fill_between(
        x,
        0,
        q["Backlog"],
        step="mid",
        facecolor=_C_BACKLOG,
        alpha=0.3,
        edgecolor=_C_BACKLOG,
        linewidth=0.8,
        zorder=1.5,
    )
    ax.plot(x, q["Stock"], color=_C_STOCK, marker="o", markersize=3.5, linewidth=1.6)
    ax.plot(x, q["Safety"], color=_C_SAFETY, linestyle="--", linewidth=1.3, drawstyle="steps-mid")
    ax.set_title(name, loc="left", parse_math=False)
    ax.set_ylabel(unit)
    ax.set_xticks(x, quarters, parse_math=False)
    ax.tick_params(axis="x", labelrotation=45 if len(quarters) > 8 else 0)
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#d0d7de", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
