"""Forecasts kept between runs, beside the workbook's run records (issue 13).

The forecast stage (rolling-origin backtest, the gate, the refit of the chosen models) is the
same work on every run whose demand history, calendar, horizon and seed are unchanged, and it
costs the XGBoost import and fit (a second on the real workbook, most of the forecast stage at
500 products).  :class:`ForecastCache` is the ``core.demand.ForecastStore`` that keeps its result
in ``<workbook>.runs/.forecast-cache/<key>.npz``:

* the key is ``core.demand.forecast_key`` (everything the forecast reads) hashed with this
  file format and the versions of the package and of the libraries that compute the forecast,
  so new code never reads an old forecast;
* the file holds only arrays and one JSON text (``numpy.load(allow_pickle=False)``): a file
  planted beside a workbook cannot run code;
* a file that cannot be read, or whose content does not match its key and shapes, is ignored
  with a note (``notes``) and the forecast is fitted again; it is never trusted;
* files are written to a temporary name in the same folder and renamed into place, so a reader
  sees a whole file or none, whichever of two concurrent runs renames last;
* only the newest ``KEEP`` files are kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from .runlog_folder import runs_dir

if (
    TYPE_CHECKING
):  # a plan without forecast builds a cache it never asks: the core's demand stage stays unloaded
    from ..core.demand import StoredForecast

__all__ = ["CACHE_FOLDER", "KEEP", "ForecastCache"]

CACHE_FOLDER = ".forecast-cache"  # hidden, as internal state: list_runs skips it
KEEP = 8  # forecasts kept per workbook: a few settings tried back and forth
STALE_S = 600.0
FORMAT = 1
_LIBRARIES = ("numpy", "pandas", "xgboost")  # scikit-learn computes nothing of the forecast


def _library_versions() -> dict[str, str]:
    """Versions of what computes the forecast, without importing it (importing is the cost)."""
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


class ForecastCache:
    """A ``ForecastStore`` in ``<workbook>.runs/.forecast-cache``; ``notes`` says what was ignored."""

    def __init__(self, workbook: str | os.PathLike[str]):
        self.folder = runs_dir(workbook) / CACHE_FOLDER
        self.notes: list[str] = []

    @cached_property
    def _code(self) -> str:
        """This file format and the versions that computed the forecast (looked up on first use:
        a run that does not forecast pays nothing)."""
        return json.dumps({"format": FORMAT, "package": __version__, **_library_versions()}, sort_keys=True)

    def path(self, key: str) -> Path:
        """The file of a forecast key (``core.demand.forecast_key``) under this code's versions."""
        name = hashlib.sha256(f"{self._code}\n{key}".encode()).hexdigest()[:32]
        return self.folder / f"{name}.npz"

    def get(self, key: str, /) -> StoredForecast | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            return _restore(arrays, key, self._code)
        except Exception as exc:  # whatever is wrong with the file, it is not used
            # the library's first sentence only: numpy's goes on to suggest loading it "unsafely"
            reason = str(exc).split(". ")[0].strip()[:160] or type(exc).__name__
            self.notes.append(
                f"the kept forecast {path.name} in {self.folder} is damaged or not a forecast "
                f"({reason}); it was not used and the forecast was made again"
            )
            return None

    def __setitem__(self, key: str, value: StoredForecast, /) -> None:
        buf = io.BytesIO()
        np.savez(buf, allow_pickle=False, **_arrays(value, key, self._code))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(buf.getvalue())
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the other planners
                os.replace(tmp, self.path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except OSError as exc:  # a cache that cannot be written costs the next run time, no more
            self.notes.append(f"the forecast could not be kept in {self.folder}: {exc}")

    def _prune(self) -> None:
        """Keep the newest ``KEEP`` forecasts; remove the temporary files of killed writers (a
        write takes milliseconds: one older than ``STALE_S`` belongs to no live run)."""
        files = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
        now = time.time()
        for tmp in self.folder.glob(".*.tmp"):
            try:
                if now - tmp.stat().st_mtime > STALE_S:
                    tmp.unlink()
            except OSError:  # another run removed it first
                pass


# --------------------------------------------------------------------------------------------
# The file: arrays and one JSON text, nothing that needs pickle
# --------------------------------------------------------------------------------------------


def _frame_meta(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "data": [frame[c].tolist() for c in frame.columns],
    }


def _frame(meta: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(dict(zip(meta["columns"], meta["data"])), columns=meta["columns"])
    return frame.astype(dict(zip(meta["columns"], meta["dtypes"])))


def _arrays(value: StoredForecast, key: str, code: str) -> dict[str, np.ndarray]:
    r, bt = value.result, value.result.backtest
    names = sorted(bt.errors)
    meta = {
        "key": key,
        "code": code,
        "products": [str(p) for p in bt.products],
        "choices": [r.choices[p] for p in bt.products],
        "models": names,
        "metrics": _frame_meta(r.metrics),
        "backtest_metrics": _frame_meta(bt.metrics),
    }
    out = {
        "meta": np.array(json.dumps(meta)),
        "forecast": np.asarray(r.forecast),
        "predicted": np.asarray(value.predicted),
        "actuals": np.asarray(bt.actuals),
        "origins": np.asarray(bt.origins),
    }
    for i, name in enumerate(names):
        out[f"errors_{i}"] = np.asarray(bt.errors[name])
        out[f"forecasts_{i}"] = np.asarray(bt.forecasts[name])
    return out


def _restore(arrays: dict[str, np.ndarray], key: str, code: str) -> StoredForecast:
    from ..core.demand import StoredForecast
    from ..core.forecasting import BacktestResult, ForecastResult

    meta = json.loads(str(arrays["meta"]))
    if meta.get("key") != key or meta.get("code") != code:
        raise ValueError("the file was made for other inputs")
    products, names = meta["products"], meta["models"]
    actuals = arrays["actuals"]
    shape = (len(products),)
    for name in ("forecast", "predicted"):
        if arrays[name].ndim != 2 or arrays[name].shape[:1] != shape:
            raise ValueError(f"{name} has shape {arrays[name].shape} for {len(products)} products")
    if actuals.ndim != 3 or actuals.shape[1] != len(products) or len(meta["choices"]) != len(products):
        raise ValueError(f"the backtest has shape {actuals.shape} for {len(products)} products")
    errors = {n: arrays[f"errors_{i}"] for i, n in enumerate(names)}
    forecasts = {n: arrays[f"forecasts_{i}"] for i, n in enumerate(names)}
    if any(a.shape != actuals.shape for a in (*errors.values(), *forecasts.values())):
        raise ValueError("the backtest's errors and forecasts differ in shape from its actuals")
    if not set(meta["choices"]) <= set(names):
        raise ValueError("a product's chosen model is not among the backtested ones")
    bt = BacktestResult(
        metrics=_frame(meta["backtest_metrics"]),
        errors=errors,
        forecasts=forecasts,
        actuals=actuals,
        origins=arrays["origins"],
        products=list(products),
    )
    result = ForecastResult(
        forecast=arrays["forecast"],
        choices=dict(zip(products, meta["choices"])),
        metrics=_frame(meta["metrics"]),
        backtest=bt,
    )
    return StoredForecast(result, arrays["predicted"])
