"""Pydantic models at the eligibility core's boundary: what goes in, what comes out.

Every instant is timezone-aware and normalised to UTC on the way in, so rule arithmetic and
the store never see a naive or local time. Models and regions are canonicalised against the
catalogue here, so a ``ProductIn`` that validates can be stored as is.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from eligibility.catalogue import Category, get_catalogue
from eligibility.codes import RuleCode
from eligibility.serials import check_serial

UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(UTC))]
"""An aware datetime converted to UTC; naive datetimes fail validation."""

WindowSource = Literal["video_verification", "repair_inspection"]
ReplacementKind = Literal["damage", "flyaway"]
WindowStatus = Literal["open", "used", "expired"]


def _canonical_region(code: str) -> str:
    return get_catalogue().region(code).code


class PlanIn(BaseModel):
    """A plan in a product's history, as imported. ``end`` defaults to start + plan length."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    start: UtcDatetime
    end: UtcDatetime | None = None
    region: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return get_catalogue().plan_kind(value).code

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return None if value is None else _canonical_region(value)


class Plan(BaseModel):
    """A plan bound to a product. Coverage runs from ``start`` to ``end`` inclusive."""

    kind: str
    start: UtcDatetime
    end: UtcDatetime
    region: str
    source: Literal["import", "purchase"] = "import"
    window_id: int | None = None


class ReplacementIn(BaseModel):
    """A replacement already used: damage or flyaway, when, and the unit it replaced."""

    model_config = ConfigDict(extra="forbid")

    kind: ReplacementKind
    at: UtcDatetime
    replaced_sn: str | None = None


class Replacement(ReplacementIn):
    """A replacement as stored."""


class ProductIn(BaseModel):
    """A product record to add: serials, model, purchase region, activation time, history."""

    model_config = ConfigDict(extra="forbid")

    aircraft_sn: str
    rc_sn: str | None = None
    model: str
    region: str
    activated_at: UtcDatetime | None = None
    plans: list[PlanIn] = Field(default_factory=list)
    replacements: list[ReplacementIn] = Field(default_factory=list)

    @field_validator("aircraft_sn")
    @classmethod
    def _aircraft_sn(cls, value: str) -> str:
        return check_serial(value, "aircraft serial")

    @field_validator("rc_sn")
    @classmethod
    def _rc_sn(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check_serial(value, "RC serial")

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        return get_catalogue().model(value).name

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _canonical_region(value)


class Product(BaseModel):
    """A stored product record with its plan history and replacements, oldest first."""

    aircraft_sn: str
    rc_sn: str | None
    model: str
    category: Category
    region: str
    activated_at: UtcDatetime | None
    plans: list[Plan] = Field(default_factory=list)
    replacements: list[Replacement] = Field(default_factory=list)


class RuleResult(BaseModel):
    """The outcome of one rule: allowed or not, a stable code, and a sentence for an agent."""

    rule: str
    allowed: bool
    code: RuleCode
    message: str


class Window(BaseModel):
    """A 72-hour purchase window opened by a passed video verification or repair inspection.

    ``status`` is as of the time the window was read: an open window past ``expires_at`` is
    reported ``expired`` even if the store has not yet written that down.
    """

    id: int
    aircraft_sn: str
    source: WindowSource
    reference: str
    issued_at: UtcDatetime
    expires_at: UtcDatetime
    status: WindowStatus
    used_at: UtcDatetime | None = None


class EligibilityDecision(BaseModel):
    """May this product buy a plan at ``at``? Which rule decided, and which plans fit."""

    aircraft_sn: str
    at: UtcDatetime
    eligible: bool
    rule: str
    code: RuleCode
    message: str
    plans: list[str] = Field(default_factory=list, description="plan kinds that may be bought")
    window: Window | None = None
    checks: list[RuleResult] = Field(default_factory=list)


class PurchaseDecision(BaseModel):
    """The answer to a purchase: bound (with the plan) or refused, and by which rule."""

    aircraft_sn: str
    at: UtcDatetime
    plan_kind: str
    region: str
    allowed: bool
    rule: str
    code: RuleCode
    message: str
    plan: Plan | None = None
    window: Window | None = None
    checks: list[RuleResult] = Field(default_factory=list)


class ReplacementDecision(BaseModel):
    """Whether a replacement may be used now, and the plan it is counted against."""

    aircraft_sn: str
    at: UtcDatetime
    kind: ReplacementKind
    allowed: bool
    code: RuleCode
    message: str
    plan: Plan | None = None


class AuditEntry(BaseModel):
    """One line of the audit trail: a window event or a decision, and the rule behind it."""

    id: int
    at: UtcDatetime
    recorded_at: UtcDatetime
    action: str
    aircraft_sn: str
    allowed: bool | None
    rule: str | None
    code: str | None
    message: str
    detail: dict[str, Any] | None = None
