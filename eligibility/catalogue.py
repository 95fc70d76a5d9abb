"""Read-only reference data: product models, regions and plan kinds, loaded from ``data/``.

The service texts change (new models, new fees, new regions) far more often than the rules
do, so this data lives in JSON files next to the code and is only *read* here. Lookups are
forgiving about spelling ("Mavic Air 2" = "DJI Mavic Air 2") but never guess between models.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from eligibility.errors import InvalidInput

Category = Literal["aircraft", "gimbal", "handheld"]


class UnknownReference(InvalidInput):
    """A model, region or plan kind that the reference data does not know."""


@dataclass(frozen=True)
class ModelInfo:
    """One product model as the service texts describe it."""

    name: str
    category: Category
    flyaway: bool
    replacement_fees_usd: dict[str, dict[str, int]] = field(default_factory=dict)
    international_coverage: bool = False
    safe_use_reward: bool = False


@dataclass(frozen=True)
class RegionInfo:
    """A country or region code; ``supported`` says whether DJI Care Refresh is sold there."""

    code: str
    name: str
    supported: bool


@dataclass(frozen=True)
class PlanKind:
    """A kind of plan record: its length and what it allows."""

    code: str
    name: str
    months: int
    first_purchase: bool
    renewal: bool
    replacements: int
    flyaway: int
    qualifies_for_renewal: bool


@dataclass(frozen=True)
class PlanPolicy:
    """Numbers of the purchase rules that the seeds state as data."""

    max_total_months: int
    renewal_grace_days: int
    purchase_window_hours: int
    first_purchase_within_hours: dict[str, int]
    bundle_days_after_shipping: int
    bundle_hour_utc: int


def _model_key(name: str) -> str:
    """Spelling-insensitive key: case, blanks, punctuation and a leading "DJI" are ignored."""
    key = re.sub(r"[^0-9a-z]", "", name.casefold())
    return key[3:] if key.startswith("dji") else key


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("eligibility.data").joinpath(name).read_text("utf-8"))


class Catalogue:
    """Models, regions and plan kinds with lookups that raise ``UnknownReference``."""

    def __init__(self, catalogue: dict[str, Any], regions: dict[str, Any], plans: dict[str, Any]):
        self.models: dict[str, ModelInfo] = {}
        for raw in catalogue["models"]:
            info = ModelInfo(
                name=raw["name"],
                category=raw["category"],
                flyaway=bool(raw["flyaway"]),
                replacement_fees_usd=raw.get("replacement_fees_usd", {}),
                international_coverage=bool(raw.get("international_coverage", False)),
                safe_use_reward=bool(raw.get("safe_use_reward", False)),
            )
            self.models[_model_key(info.name)] = info
        self.regions: dict[str, RegionInfo] = {}
        self._region_alias: dict[str, str] = {}
        for supported, key in ((True, "supported"), (False, "other")):
            for raw in regions[key]:
                self.regions[raw["code"]] = RegionInfo(raw["code"], raw["name"], supported)
                for alias in raw.get("members", []) + raw.get("aliases", []):
                    self._region_alias[alias] = raw["code"]
        self.plan_kinds: dict[str, PlanKind] = {
            code: PlanKind(
                code=code,
                name=raw["name"],
                months=raw["months"],
                first_purchase=raw["first_purchase"],
                renewal=raw["renewal"],
                replacements=raw["replacements"],
                flyaway=raw["flyaway"],
                qualifies_for_renewal=raw["qualifies_for_renewal"],
            )
            for code, raw in plans["kinds"].items()
        }
        self.policy = PlanPolicy(
            max_total_months=plans["max_total_months"],
            renewal_grace_days=plans["renewal_grace_days"],
            purchase_window_hours=plans["purchase_window_hours"],
            first_purchase_within_hours=plans["first_purchase_within_hours"],
            bundle_days_after_shipping=plans["bundle_start"]["days_after_shipping"],
            bundle_hour_utc=plans["bundle_start"]["hour_utc"],
        )

    def model(self, name: str) -> ModelInfo:
        """The model called ``name`` (spelling-insensitive)."""
        info = self.models.get(_model_key(name))
        if info is None:
            raise UnknownReference(f"unknown model {name!r}: not in the DJI Care Refresh catalogue")
        return info

    def region(self, code: str) -> RegionInfo:
        """The region for ``code``; EU member states map to ``EU`` and ``GB`` to ``UK``."""
        upper = code.strip().upper()
        info = self.regions.get(self._region_alias.get(upper, upper))
        if info is None:
            raise UnknownReference(f"unknown region {code!r}: use a code such as US, EU, UK, JP")
        return info

    def plan_kind(self, code: str) -> PlanKind:
        """The plan kind ``code`` (``1y``, ``2y``, ``1y_plus``, ``1y_renewal``)."""
        kind = self.plan_kinds.get(code)
        if kind is None:
            known = ", ".join(self.plan_kinds)
            raise UnknownReference(f"unknown plan kind {code!r}: one of {known}")
        return kind

    def supported_region_codes(self) -> list[str]:
        """Codes of the regions where plans are sold, in the order of the service text."""
        return [r.code for r in self.regions.values() if r.supported]


@cache
def get_catalogue() -> Catalogue:
    """The reference data shipped with the package, loaded once per process."""
    return Catalogue(_load("catalogue.json"), _load("regions.json"), _load("plans.json"))
