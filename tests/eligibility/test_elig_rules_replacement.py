"""Replacement allowance, flyaway cover, DJI Care Refresh Plus and plan start times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Replacement
from eligibility.rules import plus_purchase, replacement_allowance
from eligibility.rules.plan_start import bundled_plan_start, plan_end
from tests.support.elig_helpers import T0, make_plan, make_product


def used(*kinds: str, start=T0 - timedelta(days=100)) -> list[Replacement]:
    return [Replacement(kind=k, at=start + timedelta(days=i + 1)) for i, k in enumerate(kinds)]


def with_plan(kind="1y", replacements=(), model="DJI Mini 3 Pro"):
    plan = make_plan(kind, T0 - timedelta(days=100))
    return make_product(model=model, plans=[plan], replacements=list(replacements))


def test_one_year_plan_two_replacements_flyaway_once():
    assert replacement_allowance(with_plan(), "flyaway", T0).allowed
    after_flyaway = with_plan(replacements=used("flyaway"))
    result = replacement_allowance(after_flyaway, "flyaway", T0)
    assert not result.allowed and result.code == RuleCode.FLYAWAY_USED_UP
    assert replacement_allowance(after_flyaway, "damage", T0).allowed
    both = with_plan(replacements=used("flyaway", "damage"))
    result = replacement_allowance(both, "damage", T0)
    assert not result.allowed and result.code == RuleCode.REPLACEMENTS_USED_UP


def test_two_year_plan_four_replacements_flyaway_twice():
    product = with_plan("2y", used("flyaway", "damage", "damage"))
    assert replacement_allowance(product, "flyaway", T0).allowed
    product = with_plan("2y", used("flyaway", "flyaway"))
    assert replacement_allowance(product, "flyaway", T0).code == RuleCode.FLYAWAY_USED_UP
    product = with_plan("2y", used("damage", "damage", "damage", "damage"))
    assert replacement_allowance(product, "damage", T0).code == RuleCode.REPLACEMENTS_USED_UP


def test_flyaway_on_a_model_without_flyaway_cover_is_refused():
    product = with_plan(model="DJI Mavic 2 Pro")
    result = replacement_allowance(product, "flyaway", T0)
    assert not result.allowed and result.code == RuleCode.FLYAWAY_NOT_COVERED
    assert "DJI Mavic 2 Pro" in result.message
    assert replacement_allowance(product, "damage", T0).allowed


def test_flyaway_models_are_the_sixteen_listed():
    flyaway = {m.name for m in get_catalogue().models.values() if m.flyaway}
    assert len(flyaway) == 16
    assert {"DJI Avata 2", "DJI Mini SE", "DJI Mavic Air 2", "DJI Air 2S"} <= flyaway
    assert get_catalogue().model("Mavic Air 2").flyaway


def test_no_replacement_without_an_active_plan():
    product = make_product(plans=[make_plan("1y", T0 - timedelta(days=800))])
    assert replacement_allowance(product, "damage", T0).code == RuleCode.NO_ACTIVE_PLAN


def test_fee_from_the_catalogue_is_quoted():
    result = replacement_allowance(with_plan(model="DJI Mavic Air 2"), "damage", T0)
    assert "$69" in result.message
    second = with_plan(model="DJI Mavic Air 2", replacements=used("damage"))
    assert "$99" in replacement_allowance(second, "damage", T0).message


def test_replacements_of_an_earlier_plan_do_not_count():
    old = make_plan("1y", T0 - timedelta(days=500), end=T0 - timedelta(days=135))
    new = make_plan("1y_renewal", T0 - timedelta(days=135))
    old_uses = [Replacement(kind="flyaway", at=T0 - timedelta(days=300 + i)) for i in range(2)]
    product = make_product(plans=[old, new], replacements=old_uses)
    assert replacement_allowance(product, "flyaway", T0).allowed


def test_plus_needs_active_plan_with_a_replacement_left():
    assert plus_purchase(with_plan(), T0).code == RuleCode.PLUS_AVAILABLE
    spent = with_plan(replacements=used("damage", "damage"))
    assert plus_purchase(spent, T0).code == RuleCode.PLUS_NO_REPLACEMENT_LEFT
    assert plus_purchase(make_product(), T0).code == RuleCode.NO_ACTIVE_PLAN


def test_plan_bought_with_the_product_starts_at_noon_two_days_after_shipping():
    assert bundled_plan_start(date(2025, 5, 30)) == datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_plan_lengths_are_calendar_months():
    start = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert plan_end("1y", start) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert plan_end("2y", start) == datetime(2026, 2, 28, 12, tzinfo=UTC)
