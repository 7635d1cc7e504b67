"""Run settings: one validated object, stored in the workbook's `Settings` sheet.

The sheet has three columns, ``Name``, ``Value``, ``Description``; missing names take their
defaults, unknown names are warnings, bad values are errors naming the cell.  Seeds are settings,
so a run is reproducible from the workbook alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .cells import text_number
from .model import InputError, Issue, Severity
from .optimize import PlanOptions

SETTINGS_SHEET = "Settings"

#: Settings that shape the plan of a given demand: a what-if base planned with other values of
#: these is not the plan beside it (``core.case_origin``).  The solver and its time limit are not
#: among them: both solvers reach the same optima.
PLAN_SHAPING = (
    "cycle_time_weeks",
    "lot_size_wafers",
    "band_low_bytes",
    "band_high_bytes",
    "ramp_wafers",
    "smooth",
    "frozen_weeks",
)
#: The demand a what-if base is planned on, whatever ``demand_source`` and ``plan_for`` say.
WHATIF_DEMAND: dict[str, Any] = {"demand_source": "workbook", "plan_for": "P50", "history_end_week": None}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    solver: Literal["auto", "cbc", "highs"] = Field(
        "auto",
        description="LP solver: auto (highs when highspy is installed, else cbc), cbc (bundled with PuLP) or highs (needs highspy; builds the model once and warm-starts each priority stage)",
    )
    cycle_time_weeks: int = Field(
        0, ge=0, le=52, description="Weeks from a wafer start to its yielded output"
    )
    lot_size_wafers: float = Field(0.0, ge=0, description="Wafers per lot; 0 plans continuous wafer counts")
    band_low_bytes: float | None = Field(
        None, ge=0, description="Lower end of the end-of-quarter stock band (bytes); blank for none"
    )
    band_high_bytes: float | None = Field(
        None, ge=0, description="Upper end of the end-of-quarter stock band (bytes); blank for none"
    )
    ramp_wafers: float | None = Field(
        None,
        ge=0,
        description="Most a product's wafer starts may change from one week to the next (wafers); blank or 0 for no limit",
    )
    smooth: bool = Field(
        False,
        description="After the priorities, make the week-to-week changes of the starts as small as possible (no backlog, safety stock or wafers traded for it)",
    )
    frozen_weeks: int = Field(
        0,
        ge=0,
        le=156,
        description="First weeks whose starts stay those of the previous plan (already released to the line); 0 for none",
    )
    solver_time_limit_s: float | None = Field(
        None, gt=0, description="Time limit per solver stage in seconds; blank for none"
    )
    seed: int = Field(0, ge=0, description="Seed of every random step (forecast model, scenarios)")
    forecast: bool = Field(True, description="Run the demand forecast and backtest")
    reuse_forecast: bool = Field(
        True,
        description="Reuse the forecast of an earlier run made from the same demand history, calendar, horizon and seed (kept in <workbook>.runs/.forecast-cache) instead of fitting it again",
    )
    simulate: bool = Field(
        True, description="Bootstrap demand scenarios and measure the plan's stock-out risk"
    )
    demand_source: Literal["workbook", "forecast"] = Field(
        "workbook",
        description="workbook: plan on EffectiveDemand; forecast: plan on the forecast from history_end",
    )
    history_end_week: int | None = Field(
        None, ge=1, description="With demand_source=forecast: last week (1-based index) of known demand"
    )
    horizon_weeks: int = Field(13, ge=1, le=156, description="Forecast horizon and backtest horizon in weeks")
    scenarios: int = Field(1000, ge=10, le=100000, description="Number of bootstrapped demand scenarios")
    service_level: float = Field(
        0.95, gt=0, lt=1, description="Target probability of no stock-out, for recommended safety stock"
    )
    risk_lead_weeks: int = Field(
        13,
        ge=1,
        le=104,
        description="Weeks before a demand surprise can be answered by new wafer starts (cycle time plus replanning delay); sizes the recommended safety stock",
    )
    plan_for: str = Field(
        "P50",
        description="P50 plans on median demand; a level such as 0.95 plans on the demand reached with that probability",
    )
    stockout_probability_alert: float = Field(
        0.2, ge=0, le=1, description="Alert when a week's stock-out probability exceeds this"
    )
    overstock_factor: float = Field(
        3.0, gt=0, description="Alert when quarter-end stock exceeds this many times its safety stock target"
    )
    capacity_alert_weeks: int = Field(
        8, ge=1, description="Alert when a product runs at capacity this many weeks in a row"
    )
    resolved_alert_days: int = Field(
        90,
        ge=0,
        description="Days a resolved alert stays in LL_Alerts after the last run that saw it; 0 keeps every resolved alert",
    )
    mail_to: str = Field(
        "",
        description="Report recipients, separated by ';' (SMTP server and credentials come from the environment)",
    )

    @field_validator("solver", "demand_source", mode="before")
    @classmethod
    def _word(cls, v: Any) -> Any:
        """A choice typed as ``CBC`` or `` highs `` in a cell means the same as ``cbc``/``highs``."""
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("band_high_bytes")
    @classmethod
    def _band(cls, v: float | None, info: ValidationInfo) -> float | None:
        """A band whose top is below its bottom is a typo, not a plan: the stock target would be
        raised above the cap it must stay under."""
        low = info.data.get("band_low_bytes")
        if v is not None and low is not None and v < low:
            raise ValueError(
                f"expected at least band_low_bytes ({low:g}): the top of the band is below its bottom"
            )
        return v

    @field_validator("plan_for", mode="before")
    @classmethod
    def _plan_for(cls, v: Any) -> str:
        """``P50`` or a service level, typed as text (``'0.95``) or as the number 0.95 (what Excel stores)."""
        if isinstance(v, bool):
            raise ValueError("expected P50 or a service level between 0 and 1 such as 0.95")
        v = str(v).strip().upper()
        if v == "P50":
            return v
        try:
            level = float(v)
        except ValueError:
            raise ValueError("expected P50 or a service level between 0 and 1 such as 0.95") from None
        if not 0 < level < 1:
            raise ValueError("expected P50 or a service level between 0 and 1 such as 0.95")
        return str(level)

    def plan_options(self) -> PlanOptions:
        """The optimiser's options from these settings (one mapping for every entry point)."""
        return PlanOptions(
            solver=self.solver,
            cycle_time_weeks=self.cycle_time_weeks,
            lot_size_wafers=self.lot_size_wafers,
            band_low_bytes=self.band_low_bytes,
            band_high_bytes=self.band_high_bytes,
            time_limit_s=self.solver_time_limit_s,
            ramp_wafers=self.ramp_wafers or None,
            smooth=self.smooth,
            frozen_weeks=self.frozen_weeks,
        )

    def to_json(self) -> str:
        """The settings as the run log keeps them (``LL_Runs.Settings``, ``LL_WhatIf.Settings``)."""
        return json.dumps(self.model_dump(), sort_keys=True)

    def whatif_basis(self) -> str:
        """What a what-if base is planned with, as ``LL_WhatIf.Settings`` holds it: the settings
        that shape a plan (``PLAN_SHAPING``) and the demand -- the workbook's own at P50, whatever
        these settings say (the cases compare edits of the workbook, not of a forecast).  Only
        these, not every setting: the text is on every row of the table."""
        values = self.model_dump()
        return json.dumps({**{k: values[k] for k in PLAN_SHAPING}, **WHATIF_DEMAND}, sort_keys=True)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, description) rows for the `Settings` sheet."""
        return [
            (name, getattr(self, name), f.description or "") for name, f in type(self).model_fields.items()
        ]


def addresses(text: str | Sequence[str]) -> list[str]:
    """The e-mail addresses of ``text`` (or of each item): ``;`` separates them, as in ``mail_to``."""
    items = [text] if isinstance(text, str) else list(text)
    return [part.strip() for item in items for part in str(item).split(";") if part.strip()]


def not_addresses(found: Sequence[str]) -> list[str]:
    """The items of ``found`` that cannot be mailed to: no ``user@host`` in them, or a line break
    (which would let a cell inject mail headers)."""
    return [a for a in found if "@" not in parseaddr(a)[1] or "\n" in a or "\r" in a]


@dataclass(frozen=True)
class SettingsSheet:
    """The `Settings` sheet as read: the values, what is wrong with them, and where each one is.

    The cells matter after parsing too: whether a value suits the workbook's data (a
    ``history_end_week`` beyond the last week, a horizon longer than the history can backtest)
    is known only once the data is read, and that message must name the cell as well."""

    settings: Settings
    issues: list[Issue] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # setting name -> its value's cell ("B4")

    def issue(self, severity: Severity, name: str, message: str) -> Issue:
        """An issue about setting ``name``, at its value's cell (the sheet alone when the value is
        the default, i.e. not on the sheet)."""
        shown = getattr(self.settings, name)
        found = "" if name in self.cells else f" ({shown!r} by default: the sheet does not set it)"
        return Issue(
            severity, SETTINGS_SHEET, self.cells.get(name, ""), f"setting {name!r}{found}: {message}", name
        )

    @contextmanager
    def located(self) -> Iterator[None]:
        """Issues about a setting raised inside (by the optimiser, say) get the setting's cell."""
        try:
            yield
        except InputError as exc:
            if not any(i.setting and not i.cell for i in exc.issues):
                raise
            raise InputError(
                [
                    replace(i, cell=self.cells.get(i.setting, "")) if i.setting and not i.cell else i
                    for i in exc.issues
                ]
            ) from None


def _numeric(name: str) -> bool:
    """Whether setting ``name`` holds a number (int or float, or blank for none)."""
    kinds = set(get_args(Settings.model_fields[name].annotation)) or {Settings.model_fields[name].annotation}
    return bool(kinds & {int, float}) and not kinds & {str, bool}


_BOOLEAN_FORMULA = re.compile(r"^=\s*(TRUE|FALSE)\s*(?:\(\s*\))?\s*$", re.I)


def _cell_value(value: Any) -> Any:
    """A Settings cell as typed: LibreOffice saves a TRUE/FALSE cell as the formula ``=TRUE()``,
    which the file reader gives as its text (formulas are not computed); it means the boolean."""
    m = _BOOLEAN_FORMULA.match(value) if isinstance(value, str) else None
    return value if m is None else m[1].upper() == "TRUE"


def read_settings(grid: Sequence[Sequence[Any]] | None) -> SettingsSheet:
    """The sheet's rows below its header, name in the first column and value in the second; no
    sheet means every default."""
    if grid is None:
        return SettingsSheet(Settings())
    return settings_from_rows(
        [
            (r, row[0], _cell_value(row[1]) if len(row) > 1 else None)
            for r, row in enumerate(grid)
            if r > 0 and row and row[0] is not None
        ]
    )


def settings_from_rows(rows: list[tuple[int, str, Any]]) -> SettingsSheet:
    """Parse ``(sheet row index, name, value)`` triples; issues name the ``Settings`` cell."""
    issues: list[Issue] = []
    values: dict[str, Any] = {}
    where: dict[str, int] = {}
    fields = Settings.model_fields
    for r, name, value in rows:
        name = str(name).strip()
        if not name:
            continue
        if name not in fields:
            issues.append(Issue("warning", SETTINGS_SHEET, f"A{r + 1}", f"unknown setting {name!r}; ignored"))
            continue
        blank = value is None or (isinstance(value, str) and not value.strip())
        if blank and (fields[name].is_required() or fields[name].default is not None):
            continue  # blank keeps the default
        if isinstance(value, str) and _numeric(name):
            # a number typed into a Text cell reads as the data's numbers do ('1,000', '95%')
            number = text_number(value)
            value = value if number is None else (int(number) if number.is_integer() else number)
        values[name] = value
        where[name] = r
    cells = {name: f"B{r + 1}" for name, r in where.items()}
    try:
        settings = Settings(**values)
        bad = not_addresses(addresses(settings.mail_to))
        if bad:  # the plan is fine; the mail would fail later, at night, in a scheduled notify
            found = ", ".join(map(repr, bad))
            issues.append(
                Issue(
                    "warning",
                    SETTINGS_SHEET,
                    cells["mail_to"],
                    f"setting 'mail_to': {found} is not an e-mail address; mail to it would fail",
                    "mail_to",
                )
            )
        return SettingsSheet(settings, issues, cells)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            issues.append(
                Issue(
                    "error",
                    SETTINGS_SHEET,
                    cells.get(name, ""),
                    f"setting {name!r}: {str(err['msg']).removeprefix('Value error, ')}, found {values.get(name)!r}",
                    name,
                )
            )
        return SettingsSheet(Settings(), issues, cells)
