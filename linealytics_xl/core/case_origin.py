"""Which plan an ``LL_WhatIf`` table belongs to: when its cases were planned and on which inputs.

A what-if run stamps every row of ``LL_WhatIf`` with its time and the input fingerprint of its
base (`core.pipeline.fingerprint`, the value a plan writes to ``LL_Runs.InputFingerprint``).  A
later plan leaves ``LL_WhatIf`` in place, so whatever shows the cases beside a plan (the
Dashboard's what-if block, the plan's closing message) compares the two fingerprints here: cases
planned on other inputs are never shown as if their ``Base`` were the plan on the same sheet.
One definition for every place that asks; pure (pandas and the settings model only).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import pandas as pd

from .contract import Col
from .settings import PLAN_SHAPING, WHATIF_DEMAND, Settings


class Match(Enum):
    """How the cases' inputs and settings compare with the plan's."""

    SAME = "same"  # planned on exactly the plan's inputs and plan-shaping settings
    OTHER = "other"  # planned on other inputs (the fingerprints differ)
    SETTINGS = "settings"  # same inputs, other plan-shaping settings (`settings.PLAN_SHAPING`)
    DEMAND = "demand"  # the plan is made on other demand than the workbook's at P50, the cases' base
    UNKNOWN = "unknown"  # the table (from before contract 2.1) or the plan says nothing to compare


@dataclass(frozen=True)
class CaseOrigin:
    """The what-if run behind ``LL_WhatIf``, compared with the plan it is shown beside."""

    time: datetime | None  # when the cases were planned (None: not recorded)
    fingerprint: str | None  # their base's input fingerprint (None: not recorded)
    match: Match
    plan_time: datetime | None = None  # the plan's run time (LL_Runs.Time), when known
    changed: tuple[str, ...] = ()  # the settings that differ (Match.SETTINGS / DEMAND)

    @property
    def current(self) -> bool:
        return self.match is Match.SAME

    @property
    def after_plan(self) -> bool:
        """The cases were planned after the plan: the inputs changed since the plan, not since them."""
        return self.time is not None and self.plan_time is not None and self.time > self.plan_time


def _stamp(value: object) -> datetime | None:
    """A cell's time as a naive datetime: a datetime, a Timestamp or ISO text (how some Excel
    clients hand a date over); anything else, or blank, is None (the time is then not shown)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().removesuffix("Z"))
        except ValueError:
            return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(tzinfo=None) if isinstance(value, datetime) else None


def _text(value: object) -> str | None:
    """A fingerprint cell as text (blank: None)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def _only(column: pd.Series) -> object:
    """The one value every row of ``column`` holds (blanks ignored); None when none or several."""
    values = column.dropna().unique()
    return values[0] if len(values) == 1 else None


def _settings(value: object) -> dict[str, Any] | None:
    """A ``Settings`` cell (the run log's JSON) as a dict; blank or unreadable: None."""
    text = _text(value)
    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _compare_settings(
    mine: dict[str, Any] | None, plan: dict[str, Any] | None
) -> tuple[Match, tuple[str, ...]]:
    """SAME unless the plan was made on other demand than the cases' base (DEMAND) or with other
    plan-shaping settings (SETTINGS); settings missing on either side are not compared (a plan
    without them in its log is judged by its inputs alone)."""
    if mine is None or plan is None:
        return Match.SAME, ()
    defaults = Settings().model_dump()
    demand = tuple(
        k for k, v in WHATIF_DEMAND.items() if plan.get(k, defaults[k]) != v and k != "history_end_week"
    )
    if demand:
        return Match.DEMAND, demand
    changed = tuple(k for k in PLAN_SHAPING if mine.get(k, defaults[k]) != plan.get(k, defaults[k]))
    return (Match.SETTINGS, changed) if changed else (Match.SAME, ())


def case_origin(whatif: pd.DataFrame, runs: pd.DataFrame | None) -> CaseOrigin:
    """Compare ``LL_WhatIf`` (``whatif``) with the latest ``LL_Runs`` row (``runs``): the plan a
    Dashboard or a plan's summary shows.  An ``LL_WhatIf`` without the ``Time`` and
    ``InputFingerprint`` columns (written before contract 2.1), or with several values in them,
    and a plan without a fingerprint compare as `Match.UNKNOWN`: never as the same inputs.  Same
    inputs are then checked for the settings that shape the plan (``Settings`` of both)."""
    time = _stamp(_only(whatif[Col.TIME])) if Col.TIME in whatif.columns else None
    mine = _only(whatif[Col.INPUT_FINGERPRINT]) if Col.INPUT_FINGERPRINT in whatif.columns else None
    fingerprint = _text(mine)
    my_settings = _settings(_only(whatif[Col.SETTINGS])) if Col.SETTINGS in whatif.columns else None
    plan_fp, plan_time, plan_settings = None, None, None
    if runs is not None and len(runs) and Col.INPUT_FINGERPRINT in runs.columns:
        last = runs.iloc[-1]
        plan_fp = _text(last[Col.INPUT_FINGERPRINT])
        plan_time = _stamp(last[Col.TIME]) if Col.TIME in runs.columns else None
        plan_settings = _settings(last[Col.SETTINGS]) if Col.SETTINGS in runs.columns else None
    changed: tuple[str, ...] = ()
    if fingerprint is None or plan_fp is None:
        match = Match.UNKNOWN
    elif fingerprint != plan_fp:
        match = Match.OTHER
    else:
        match, changed = _compare_settings(my_settings, plan_settings)
    return CaseOrigin(time, fingerprint, match, plan_time, changed)


def origin_of_plan(
    whatif: pd.DataFrame | None, plan_fingerprint: str, plan_settings: str = ""
) -> CaseOrigin | None:
    """The origin of the workbook's ``LL_WhatIf`` beside a plan of ``plan_fingerprint`` made with
    ``plan_settings`` (their JSON; None without such a table, or one without rows)."""
    if whatif is None or not len(whatif.dropna(how="all")):
        return None
    runs = pd.DataFrame(
        {Col.INPUT_FINGERPRINT: [plan_fingerprint], Col.TIME: [None], Col.SETTINGS: [plan_settings]}
    )
    return case_origin(whatif.dropna(how="all"), runs)


AGAIN = "Run What-if again to compare cases with this plan."


def mismatch(origin: CaseOrigin) -> tuple[str, str] | None:
    """Why the cases are not this plan's, and what to do: the one wording of the Dashboard's
    headline and the plan's note (None when they are this plan's)."""
    changed = ", ".join(origin.changed)
    if origin.match is Match.SAME:
        return None
    if origin.match is Match.UNKNOWN:
        return "come from a run that did not record its inputs, so they may not belong to this plan", AGAIN
    if origin.match is Match.DEMAND:
        return f"plan the workbook's demand at P50, and this plan is made on other demand ({changed})", ""
    if origin.match is Match.SETTINGS:
        return f"were planned with other settings than this plan ({changed})", AGAIN
    if origin.after_plan:  # the inputs changed after the plan, not after the cases
        return (
            "were planned on other inputs than this plan (the inputs changed after it)",
            "Plan again to compare the cases with a plan of the same inputs.",
        )
    return "were planned on other inputs than this plan", AGAIN


def stale_note(origin: CaseOrigin | None) -> str | None:
    """The plan's one line when the workbook's ``LL_WhatIf`` does not belong to this plan."""
    found = mismatch(origin) if origin is not None else None
    if found is None:
        return None
    why, advice = found
    return f"The what-if cases in LL_WhatIf {why}: their Base is not this plan. {advice}".strip()
