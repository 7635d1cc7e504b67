"""Worksheet functions (``=LL_PLAN(...)`` and friends): each spills a dynamic array with a header row.

Layouts (see `linealytics_xl.udf_args` for the exact rules):

* Ranges of products x weeks (demand, history, supply, capacity, yields): **products as rows,
  weeks as columns**; a single row or column is one product; a first column of text names the
  products (otherwise they are ``Product 1``, ``Product 2``...).  Empty cells inside demand,
  history and supply count as 0; trailing empty rows/columns are ignored.
* Per-product values (density, initial_stock): one value for all, or one per product.
* Results: a header row, then label columns (``Product``, ``Measure``...), then one column per
  week, headed ``Week 1``... (``Week +1``... for forecasts) or by week start dates when a start
  date is given.  Blocks of rows are grouped by measure: in ``LL_PLAN`` the first P rows under the
  header are the wafers of the P products, then the stock rows if asked for, and so on.
* Errors: a single cell ``LL_PLAN: capacity must be numbers >= 0 (found 'abc' in row 2, column 5)``,
  never a traceback.

The functions only parse (in the core), call the same core functions the pipeline uses, and lay
the result out.  Each is decorated with ``@xw.func`` because xlwings' ``call_udf`` (what the
add-in's VBA wrappers call) reads the ``__xlfunc__`` metadata the decorators record; on Linux
without Excel the decorators are pass-through and the functions are plain Python.
"""

from __future__ import annotations

import functools
import logging
import platform
from collections.abc import Callable
from typing import Any

import numpy as np
import xlwings as xw

from . import __version__
from . import udf_args as X
from .core.contract import Col
from .core.model import InputError
from .udf_args import ArgumentError

__all__ = ["LL_WEEKLY", "LL_PLAN", "LL_FORECAST", "LL_SCENARIOS", "LL_RISK", "LL_VERSION"]

log = logging.getLogger(__name__)
CATEGORY = "Linealytics"
MAX_MESSAGE = 400
ERRORS = {"err_to_str": True}  # a #N/A cell must reach the parser as "#N/A", not as a blank

MEASURES = {
    "wafers": Col.WAFERS,
    "supply": "Supply (bytes)",
    "stock": "Stock (bytes)",
    "backlog": "Backlog (bytes)",
}


def excel_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``[["LL_X: message"]]`` instead of raising: the cell shows what is wrong, in words.

    Messages of `ArgumentError`, `InputError` and the core's ``ValueError`` are written for
    planners and are shown as they are; anything else is an internal error, logged with its
    traceback (the add-in's console/log) and summarised in the cell.
    """
    name = func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ArgumentError, InputError, ValueError) as exc:
            message = " ".join(str(exc).split())
        except Exception as exc:  # a worksheet cell is the last line of defence
            log.exception("%s failed", name)
            message = f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())})"
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        return [[f"{name}: {message}"]]

    return wrapper


# --------------------------------------------------------------------------------------------


@xw.func(category=CATEGORY)
@xw.arg(
    "quarterly_demand",
    doc="Demand per quarter: products as rows, quarters as columns (a first column of text names the products).",
    **ERRORS,
)
@xw.arg(
    "ratios",
    doc="Share of a quarter's demand in each of its weeks, e.g. Wk1..Wk13; must add up to 1.",
    **ERRORS,
)
@xw.arg(
    "weeks_per_quarter",
    doc="Optional: weeks in every quarter (default: as many as ratios), or one count per quarter column, e.g. a 14-week quarter.",
    **ERRORS,
)
@xw.arg(
    "start", doc="Optional: start date of the first week; the header then shows week start dates.", **ERRORS
)
@excel_errors
def LL_WEEKLY(quarterly_demand, ratios, weeks_per_quarter=None, start=None):
    """Split quarterly demand into weekly demand by the weekly ratios (each quarter's total is kept exactly).

    A quarter with more weeks than ratios (a 14-week quarter) follows the same cumulative
    profile, resampled.  Spills: header ``Product | Week 1 | ...``, one row per product.
    """
    from .core.weekly import weekly_demand

    table = X.product_table(quarterly_demand, "quarterly_demand")
    r = X.numbers(ratios, "ratios", X.NONNEGATIVE).reshape(-1)
    if r.size < 1 or r.sum() <= 0:
        raise ArgumentError("ratios must hold at least one share > 0")
    if abs(r.sum() - 1.0) > 1e-6:
        raise ArgumentError(f"ratios must add up to 1, found {r.sum():.6g}")
    Q = table.n_weeks  # the columns of quarterly_demand are quarters
    counts = np.full(Q, r.size, dtype=int)
    if weeks_per_quarter is not None:
        given = (
            X.numbers(weeks_per_quarter, "weeks_per_quarter", X.Rule(minimum=1, maximum=53, integer=True))
            .reshape(-1)
            .astype(int)
        )
        if given.size not in (1, Q):
            raise ArgumentError(
                f"weeks_per_quarter must be one number or one per quarter ({Q}); found {given.size} values"
            )
        counts[:] = given
    first = X.excel_date(start, "start") if start is not None else None
    week_quarter = np.repeat(np.arange(Q), counts)
    weekly = weekly_demand(table.values, week_quarter, r)
    header = [Col.PRODUCT] + X.week_labels(week_quarter.size, first)
    return X.spill(header, X.block([[p] for p in table.labels], weekly))


@xw.func(category=CATEGORY)
@xw.arg(
    "demand",
    doc="Weekly demand in bytes: products as rows, weeks as columns (a single row or column is one product).",
    **ERRORS,
)
@xw.arg(
    "yields",
    doc="Yield, a fraction in (0, 1]: one value, one per product, one per week, or products x weeks.",
    **ERRORS,
)
@xw.arg("density", doc="Bytes per wafer: one value, or one per product.", **ERRORS)
@xw.arg(
    "capacity",
    doc="Wafers per week each product may start: one value, one per product, one per week, or products x weeks.",
    **ERRORS,
)
@xw.arg(
    "initial_stock",
    doc="Optional: stock in bytes at the start, one value or one per product (default 0).",
    **ERRORS,
)
@xw.arg(
    "safety_stock",
    doc="Optional: safety stock target in bytes at each quarter end: one value, one per product, products x quarters, or products x weeks.",
    **ERRORS,
)
@xw.arg(
    "options",
    doc='Optional: "stock, backlog, supply" adds those rows; name=value pairs or a Name|Value range set cycle_time_weeks, lot_size_wafers, weeks_per_quarter, total_capacity, solver, start...',
    **ERRORS,
)
@excel_errors
def LL_PLAN(demand, yields, density, capacity, initial_stock=None, safety_stock=None, options=None):
    """Plan weekly wafer starts: least backlog first, then safety stock, then fewest wafers; never above capacity.

    Spills ``Product | Measure | Week 1 | ...``: the wafer rows of every product, then the rows
    switched on in ``options`` (``supply``, ``stock``, ``backlog``), grouped by measure.  Unmet
    demand is carried as backlog: a plan that cannot serve all demand still comes back, and its
    backlog row shows where it falls short.
    """
    from .core.optimize import optimize

    req = X.plan_request(demand, yields, density, capacity, initial_stock, safety_stock, options)
    result = optimize(req.data, options=req.options)
    series = {
        "wafers": result.wafers,
        "supply": result.supply,
        "stock": result.stock,
        "backlog": result.backlog,
    }
    rows: list[list[Any]] = []
    for key in ("wafers", *req.rows):
        rows += X.block([[p, MEASURES[key]] for p in req.data.products], series[key])
    header = [Col.PRODUCT, "Measure"] + X.week_labels(req.data.n_weeks, req.start)
    return X.spill(header, rows)


def _history(history: Any, horizon: Any):
    table = X.product_table(history, "history")
    h = X.integer(horizon, "horizon", minimum=1, maximum=520)
    if h >= table.n_weeks:
        raise ArgumentError(f"horizon ({h} weeks) must be shorter than the history ({table.n_weeks} weeks)")
    return table, h


def _forecast(table: X.Table, horizon: int, seed: int):
    from .core.forecasting import forecast

    try:
        return forecast(table.values, horizon=horizon, seed=seed, products=list(table.labels))
    except ValueError as exc:
        raise ArgumentError(f"history: {exc}") from None


def _scenarios(fc, n: int, seed: int) -> np.ndarray:
    """Demand scenarios [n, P, H] around the forecast, from its own backtest errors."""
    from .core.scenarios import bootstrap_scenarios

    horizon = fc.forecast.shape[1]
    return bootstrap_scenarios(fc.forecast, fc.errors(relative=True), n=n, block=min(13, horizon), seed=seed)


def _quantile_label(q: float) -> str:
    return f"P{100 * q:g}"


@xw.func(category=CATEGORY)
@xw.arg(
    "history",
    doc="Weekly demand history: products as rows, weeks as columns, oldest first (a single row or column is one product).",
    **ERRORS,
)
@xw.arg("horizon", doc="Weeks to forecast (a whole number, shorter than the history).", **ERRORS)
@xw.arg(
    "quantiles",
    doc="Optional: probabilities such as {0.1,0.5,0.9}; adds P10/P50/P90 rows from bootstrapped demand scenarios.",
    **ERRORS,
)
@xw.arg(
    "start",
    doc="Optional: start date of the first history week; the header then shows the forecast weeks' start dates.",
    **ERRORS,
)
@excel_errors
def LL_FORECAST(history, horizon, quantiles=None, start=None):
    """Forecast weekly demand: XGBoost where it beats simple baselines in a backtest, else the best baseline.

    Spills ``Product | Measure | Model | Week +1 | ...``: one ``Forecast`` row per product, then
    one row per product for each quantile asked for (``P10``...), grouped by measure.
    """
    table, h = _history(history, horizon)
    qs = X.probabilities(quantiles, "quantiles") if quantiles is not None else ()
    first = X.excel_date(start, "start") if start is not None else None
    fc = _forecast(table, h, seed=0)
    models = [fc.choices[p] for p in table.labels]
    rows = X.block([[p, "Forecast", m] for p, m in zip(table.labels, models)], fc.forecast)
    if qs:
        from .core.scenarios import quantiles as scenario_quantiles

        bands = scenario_quantiles(_scenarios(fc, 1000, seed=0), qs)
        for q, band in zip(qs, bands):
            rows += X.block([[p, _quantile_label(q), m] for p, m in zip(table.labels, models)], band)
    header = [Col.PRODUCT, "Measure", Col.MODEL] + X.week_labels(
        h, first, offset=table.n_weeks if first else 0, future=first is None
    )
    return X.spill(header, rows)


@xw.func(category=CATEGORY)
@xw.arg("history", doc="Weekly demand history: products as rows, weeks as columns, oldest first.", **ERRORS)
@xw.arg("horizon", doc="Weeks each scenario covers (a whole number, shorter than the history).", **ERRORS)
@xw.arg("count", doc="Optional: number of scenarios per product (default 100).", **ERRORS)
@xw.arg("seed", doc="Optional: random seed (default 0); the same seed gives the same scenarios.", **ERRORS)
@excel_errors
def LL_SCENARIOS(history, horizon, count=None, seed=None):
    """Demand scenarios around the forecast, bootstrapped from the forecaster's own backtest errors.

    Spills ``Product | Scenario | Week +1 | ...``: ``count`` rows per product (products one after
    another).  Products move together: scenario k of every product comes from the same draw.
    """
    table, h = _history(history, horizon)
    n = X.integer(count, "count", minimum=1, maximum=10000, default=100)
    s = X.integer(seed, "seed", minimum=0, default=0)
    if n * table.n_products > X.MAX_SPILL_ROWS:
        raise ArgumentError(f"count x products ({n * table.n_products}) is more rows than a worksheet has")
    scen = _scenarios(_forecast(table, h, seed=s), n, seed=s)  # [n, P, H]
    rows: list[list[Any]] = []
    for p, label in enumerate(table.labels):
        rows += X.block([[label, k + 1] for k in range(n)], scen[:, p, :])
    return X.spill([Col.PRODUCT, "Scenario"] + X.week_labels(h, future=True), rows)


RISK_OPTIONS = {
    "scenarios": X.opt_integer(10, 100000),
    "seed": X.opt_integer(0),
    "service_level": lambda v, label: X.number(
        v, label, X.Rule(minimum=0, minimum_exclusive=True, maximum=1, maximum_exclusive=True)
    ),
    "lead_weeks": X.opt_integer(1, 104),
    "start": X.opt_date(),
}


@xw.func(category=CATEGORY)
@xw.arg("history", doc="Weekly demand history: products as rows, weeks as columns, oldest first.", **ERRORS)
@xw.arg(
    "supply",
    doc="Planned supply in bytes arriving in each coming week (e.g. wafers x yield x density): products as rows, in the order of history.",
    **ERRORS,
)
@xw.arg(
    "initial_stock", doc="Optional: stock in bytes now, one value or one per product (default 0).", **ERRORS
)
@xw.arg(
    "safety_stock",
    doc="Optional: the planned safety stock in bytes (one value, one per product, or products x weeks); adds the probability of ending below it.",
    **ERRORS,
)
@xw.arg(
    "options",
    doc="Optional: name=value pairs or a Name|Value range: scenarios (1000), seed (0), service_level (0.95), lead_weeks (13), start (date of the first supply week).",
    **ERRORS,
)
@excel_errors
def LL_RISK(history, supply, initial_stock=None, safety_stock=None, options=None):
    """Stock-out risk of a supply plan against bootstrapped demand scenarios, and the safety stock it needs.

    The weeks of ``supply`` are the coming weeks after the history; demand scenarios are the
    forecast plus the forecaster's own backtest errors.  Spills ``Product | Measure | Week +1 |
    ...`` with rows (grouped by measure) Stock-out probability, Expected shortage (bytes),
    Expected stock (bytes), Recommended safety stock (bytes), Below safety stock probability
    (when safety_stock is given) and Fill rate (one figure per product, in the first week column).
    """
    from .core.risk import simulate_plan

    hist = X.product_table(history, "history")
    plan = X.product_table(supply, "supply")
    X.check_same_products(hist, plan, "supply")
    P, H = plan.values.shape
    if hist.n_weeks <= H:
        raise ArgumentError(
            f"supply covers {H} weeks; the history must be longer than that (it has {hist.n_weeks} weeks)"
        )
    opts, _ = X.options(options, "options", RISK_OPTIONS)
    init = X.per_product(initial_stock, "initial_stock", P, X.NONNEGATIVE, default=0.0)
    target = (
        X.per_product_week(safety_stock, "safety_stock", P, H, X.NONNEGATIVE_BLANK_ZERO)
        if safety_stock is not None
        else None
    )
    seed = opts.get("seed", 0)
    fc = _forecast(hist, H, seed=seed)
    scen = _scenarios(fc, opts.get("scenarios", 1000), seed=seed)
    risk = simulate_plan(
        plan.values,
        init,
        scen,
        target,
        opts.get("service_level", 0.95),
        lead_weeks=min(opts.get("lead_weeks", 13), H),
    )
    labels = hist.labels
    measures = [
        ("Stock-out probability", risk.stockout_probability),
        ("Expected shortage (bytes)", risk.expected_shortage),
        ("Expected stock (bytes)", risk.expected_stock),
        ("Recommended safety stock (bytes)", risk.safety_stock),
    ]
    if risk.below_safety_probability is not None:
        measures.append(("Below safety stock probability", risk.below_safety_probability))
    rows: list[list[Any]] = []
    for title, values in measures:
        rows += X.block([[p, title] for p in labels], values)
    for p, fill in zip(labels, risk.fill_rate):
        rows.append([p, "Fill rate", float(fill)] + [None] * (H - 1))
    header = [Col.PRODUCT, "Measure"] + X.week_labels(H, opts.get("start"), future="start" not in opts)
    return X.spill(header, rows)


@xw.func(category=CATEGORY)
@excel_errors
def LL_VERSION():
    """Versions of Linealytics XL and of the libraries it runs on."""
    import pulp

    return X.spill(
        ["Component", Col.VERSION],
        [
            ["Linealytics XL", __version__],
            ["xlwings", xw.__version__],
            ["Python", platform.python_version()],
            ["numpy", np.__version__],
            ["PuLP", pulp.__version__],
        ],
    )
