"""Forecasts kept between runs (``adapters.forecast_cache``, setting ``reuse_forecast``; issue 13).

A kept forecast must give the very tables a fresh one gives; any change of what the forecast
reads must miss; a file that is damaged, planted or made for other inputs is never trusted; two
runs writing at once leave one whole file.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linealytics_xl.adapters.forecast_cache import CACHE_FOLDER, KEEP, ForecastCache
from linealytics_xl.core.demand import backtest_table, demand_view, forecast_key, forecast_table
from linealytics_xl.core.model import PlanningData
from linealytics_xl.core.pipeline import run
from linealytics_xl.core.settings import Settings

SETTINGS = Settings()


def views_equal(data: PlanningData, a, b) -> None:
    """Every array and table the rest of the pipeline reads from a DemandView, bit for bit."""
    for name in ("plan_demand", "base", "scenarios", "beyond", "beyond_band"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.model_by_product == b.model_by_product and a.history_end == b.history_end
    assert np.array_equal(a.forecast.errors(relative=True), b.forecast.errors(relative=True))
    assert np.array_equal(a.forecast.errors(relative=False), b.forecast.errors(relative=False))
    assert np.array_equal(a.forecast.forecast, b.forecast.forecast)
    pd.testing.assert_frame_equal(a.forecast.metrics, b.forecast.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.forecast.backtest.metrics, b.forecast.backtest.metrics, check_exact=True)
    assert list(a.forecast.backtest.products) == list(b.forecast.backtest.products)
    pd.testing.assert_frame_equal(forecast_table(data, a), forecast_table(data, b), check_exact=True)
    pd.testing.assert_frame_equal(backtest_table(a), backtest_table(b), check_exact=True)


@pytest.fixture(scope="module")
def fresh(real_data: PlanningData):
    """The real workbook's demand view fitted without any store."""
    return demand_view(real_data, SETTINGS)


def test_kept_forecast_gives_the_fresh_tables_bit_for_bit(real_data, fresh, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    first = demand_view(real_data, SETTINGS, ForecastCache(book))
    assert first.forecast_key is not None and not first.forecast_reused
    files = list((tmp_path / "book.xlsx.runs" / CACHE_FOLDER).glob("*.npz"))
    assert len(files) == 1
    again = demand_view(real_data, SETTINGS, ForecastCache(book))
    assert again.forecast_reused and again.forecast_key == first.forecast_key
    assert again.forecast.models == {}  # loaded, not fitted
    views_equal(real_data, fresh, first)
    views_equal(real_data, fresh, again)


def test_the_whole_pipeline_gives_the_same_tables_from_a_kept_forecast(real_data, tmp_path: Path) -> None:
    from datetime import datetime

    now = datetime(2026, 1, 5, 8, 0)
    cold = run(real_data, SETTINGS, now=now)
    store = ForecastCache(tmp_path / "book.xlsx")
    run(real_data, SETTINGS, now=now, forecast_store=store)
    warm = run(real_data, SETTINGS, now=now, forecast_store=ForecastCache(tmp_path / "book.xlsx"))
    assert warm.demand is not None and warm.demand.forecast_reused
    assert set(cold.tables) == set(warm.tables)
    for name, table in cold.tables.items():
        pd.testing.assert_frame_equal(table, warm.tables[name], check_exact=True, obj=name)
    assert cold.result.objectives == warm.result.objectives


@pytest.mark.parametrize(
    "change",
    ["demand", "one week of demand", "calendar", "horizon_weeks", "seed", "history_end_week"],
)
def test_any_change_of_what_the_forecast_reads_misses(real_data, tmp_path: Path, change: str) -> None:
    book = tmp_path / "book.xlsx"
    demand_view(real_data, SETTINGS, ForecastCache(book))  # kept
    data, settings = real_data, SETTINGS
    if change == "demand":
        data = dataclasses.replace(real_data, demand=real_data.demand * 1.01)
    elif change == "one week of demand":
        demand = real_data.demand.copy()
        demand[0, 5] += 1.0  # one byte more in one week of one product
        data = dataclasses.replace(real_data, demand=demand)
    elif change == "calendar":
        wq = real_data.week_quarter.copy()
        cut = int(np.searchsorted(wq, 1))  # the first week of the second quarter moves into the first
        wq[cut] = 0
        data = dataclasses.replace(real_data, week_quarter=wq)
    elif change == "horizon_weeks":
        settings = SETTINGS.model_copy(update={"horizon_weeks": 12})
    elif change == "seed":
        settings = SETTINGS.model_copy(update={"seed": 7})
    else:
        settings = SETTINGS.model_copy(
            update={"demand_source": "forecast", "history_end_week": data.n_weeks - 13}
        )
    assert forecast_key(data, settings, *_span(data, settings)) != forecast_key(
        real_data, SETTINGS, *_span(real_data, SETTINGS)
    )
    view = demand_view(data, settings, ForecastCache(book))
    assert not view.forecast_reused
    assert len(list((tmp_path / "book.xlsx.runs" / CACHE_FOLDER).glob("*.npz"))) == 2


def _span(data: PlanningData, settings: Settings) -> tuple[int, int]:
    hist_end = (
        (settings.history_end_week or data.n_weeks) if settings.demand_source == "forecast" else data.n_weeks
    )
    return hist_end, (data.n_weeks - hist_end) or settings.horizon_weeks


def test_settings_the_forecast_does_not_read_still_hit(real_data, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    demand_view(real_data, SETTINGS, ForecastCache(book))
    other = SETTINGS.model_copy(update={"scenarios": 200, "service_level": 0.9, "plan_for": "0.9"})
    assert demand_view(real_data, other, ForecastCache(book)).forecast_reused


def test_reuse_forecast_false_neither_reads_nor_writes(real_data, tmp_path: Path) -> None:
    off = SETTINGS.model_copy(update={"reuse_forecast": False})
    view = demand_view(real_data, off, ForecastCache(tmp_path / "book.xlsx"))
    assert view.forecast_key is None and not view.forecast_reused
    assert not (tmp_path / "book.xlsx.runs").exists()
    demand_view(real_data, SETTINGS, ForecastCache(tmp_path / "book.xlsx"))  # kept now
    assert not demand_view(real_data, off, ForecastCache(tmp_path / "book.xlsx")).forecast_reused


def _kept_file(real_data, book: Path) -> tuple[Path, str]:
    view = demand_view(real_data, SETTINGS, ForecastCache(book))
    assert view.forecast_key is not None
    return ForecastCache(book).path(view.forecast_key), view.forecast_key


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other key", "pickled", "wrong shape"])
def test_a_damaged_or_foreign_file_is_ignored_with_a_note(
    real_data, fresh, tmp_path: Path, damage: str
) -> None:
    book = tmp_path / "book.xlsx"
    path, _ = _kept_file(real_data, book)
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a forecast")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays["meta"]))
        if damage == "other key":
            meta["key"] = "0" * 64
        elif damage == "pickled":
            arrays["forecast"] = np.array([object()], dtype=object)
        else:
            arrays["predicted"] = arrays["predicted"][:1]
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez(path, allow_pickle=True, **arrays)
    cache = ForecastCache(book)
    view = demand_view(real_data, SETTINGS, cache)
    assert not view.forecast_reused
    assert len(cache.notes) == 1 and path.name in cache.notes[0] and "made again" in cache.notes[0]
    views_equal(real_data, fresh, view)
    assert path.read_bytes() == good  # the fresh forecast replaced the damaged file
    assert demand_view(real_data, SETTINGS, ForecastCache(book)).forecast_reused


def test_concurrent_writers_leave_one_whole_file(real_data, fresh, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    path, key = _kept_file(real_data, book)
    stored = ForecastCache(book).get(key)
    assert stored is not None
    errors: list[BaseException] = []

    def write_and_read() -> None:
        try:
            for _ in range(10):
                cache = ForecastCache(book)
                cache[key] = stored
                got = cache.get(key)  # whatever a writer did meanwhile, a reader sees a whole file
                assert got is not None and not cache.notes
                assert np.array_equal(got.predicted, stored.predicted)
        except BaseException as exc:  # collected: an assertion in a thread does not fail the test
            errors.append(exc)

    threads = [threading.Thread(target=write_and_read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    folder = path.parent
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary file left
    assert path.stat().st_mode & 0o044  # readable by the other planners, not only its writer


def test_only_the_newest_files_are_kept(real_data, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    _, key = _kept_file(real_data, book)
    cache = ForecastCache(book)
    stored = cache.get(key)
    assert stored is not None
    for i in range(KEEP + 3):
        cache[f"{key}-{i}"] = stored
    assert len(list(cache.folder.glob("*.npz"))) == KEEP
    assert cache.get(f"{key}-{KEEP + 2}") is not None and cache.get(key) is None


def test_a_killed_writers_temporary_file_is_removed_later(real_data, tmp_path: Path) -> None:
    import os
    import time

    book = tmp_path / "book.xlsx"
    _, key = _kept_file(real_data, book)
    cache = ForecastCache(book)
    stale, fresh_tmp = cache.folder / ".killed.tmp", cache.folder / ".writing.tmp"
    for p in (stale, fresh_tmp):
        p.write_bytes(b"half a file")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    stored = cache.get(key)
    assert stored is not None
    cache[key] = stored
    assert not stale.exists() and fresh_tmp.exists()  # a write under way in another run is left alone


CLI_TWICE = r"""
import json, sys
from linealytics_xl import jobs
job = jobs.plan({src!r}, output={dst!r})
print(json.dumps({{"xgboost": "xgboost" in sys.modules, "sklearn": "sklearn" in sys.modules, "reused": job.outcome.demand.forecast_reused,
                   "record": str(job.record)}}))
"""


def test_a_run_that_reuses_the_forecast_never_imports_xgboost_or_sklearn(
    real_path: Path, tmp_path: Path
) -> None:
    code = CLI_TWICE.format(src=str(real_path), dst=str(tmp_path / "out.xlsx"))
    found = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
            check=True,
        )
        found.append(json.loads(done.stdout.strip().splitlines()[-1]))
    # a fit imports xgboost, but not scikit-learn (issue 13: the model is trained natively)
    assert found[0]["xgboost"] and not found[0]["sklearn"] and not found[0]["reused"]
    assert found[1]["reused"] and not found[1]["xgboost"] and not found[1]["sklearn"]
    record = json.loads((Path(found[1]["record"]) / "run.json").read_text(encoding="utf-8"))
    assert record["forecast"]["reused"] is True and "model_file" not in record["forecast"]
