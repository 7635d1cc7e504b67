"""The plan-only path must not pay for the forecasting and charting stacks (issue 13).

Checked in a fresh interpreter, because this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("xgboost", "sklearn", "scipy", "matplotlib", "xlwings", "pulp")  # pulp: the CBC path only
#: The package's own forecasting path: a run without forecast does not load it (the forecast
#: cache is built by every plan, but loads the demand stage only when it is asked for a forecast).
FORECASTING = ("linealytics_xl.core.demand", "linealytics_xl.core.forecasting")

SCRIPT = r"""
import json, sys
import linealytics_xl.cli
after_cli = [m for m in {heavy!r} if m in sys.modules]
from linealytics_xl import jobs
job = jobs.plan({src!r}, output={dst!r}, overrides={{"forecast": False, "simulate": False}})
print(json.dumps({{"cli": after_cli, "plan": [m for m in {heavy!r} if m in sys.modules],
                   "own": [m for m in {own!r} if m in sys.modules],
                   "status": job.outcome.result.status}}))
"""


def test_plan_only_run_imports_no_forecasting_or_charting_stack(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[1] / "workbook" / "planning.xlsx"
    code = SCRIPT.format(heavy=HEAVY, own=FORECASTING, src=str(src), dst=str(tmp_path / "out.xlsx"))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["cli"] == [], f"importing the command line pulls in {found['cli']}"
    assert found["plan"] == [], f"a plan-only run imports {found['plan']}"
    assert found["own"] == [], f"a plan-only run loads the forecasting path {found['own']}"
    assert found["status"] == "optimal"
    assert (tmp_path / "out.xlsx").exists()


BASELINES_ONLY = r"""
import json, sys
import numpy as np
from linealytics_xl.core.forecasting import MovingAverage, SeasonalNaive, forecast
after_import = "xgboost" in sys.modules
y = np.abs(np.sin(np.arange(120) / 5.0))[None, :] + 1.0
forecast(y, horizon=13, models={"SN": SeasonalNaive(13), "MA": MovingAverage(13)}, origins=2)
after_baselines = "xgboost" in sys.modules
from linealytics_xl.core.forecasting import XGBForecaster
XGBForecaster(n_estimators=5).fit(y)
print(json.dumps([after_import, after_baselines, "xgboost" in sys.modules, "sklearn" in sys.modules]))
"""


def test_xgboost_is_imported_only_when_an_xgboost_model_is_fitted_and_sklearn_never(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BASELINES_ONLY],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=True,
    )
    after_import, after_baselines, after_fit, sklearn = json.loads(done.stdout.strip().splitlines()[-1])
    assert not after_import, "importing the forecaster pulls in xgboost"
    assert not after_baselines, "a baselines-only forecast imports xgboost"
    assert after_fit  # the probe is live: fitting the XGBoost model does import it
    assert not sklearn, "fitting the XGBoost model imports scikit-learn (issue 13: 0.65 s per cold run)"
