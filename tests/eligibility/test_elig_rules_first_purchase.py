"""First purchase: never activated, aircraft/gimbal within 48 h, handheld within 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.codes import RuleCode
from eligibility.rules import first_purchase
from tests.support.elig_helpers import T0, make_plan, make_product

H48 = timedelta(hours=48)
ONE_S = timedelta(seconds=1)


def test_new_unactivated_product_may_buy():
    result = first_purchase(make_product(activated_at=None), T0)
    assert result.allowed and result.code == RuleCode.NOT_ACTIVATED


@pytest.mark.parametrize("model", ["DJI Mini 3 Pro", "DJI Zenmuse X7"])  # aircraft, gimbal
def test_exactly_48_hours_after_activation_is_allowed(model):
    result = first_purchase(make_product(model=model, activated_at=T0 - H48), T0)
    assert result.allowed
    assert result.code == RuleCode.ACTIVATED_WITHIN_LIMIT
    assert "48 hours" in result.message


@pytest.mark.parametrize("model", ["DJI Mini 3 Pro", "DJI Zenmuse X7"])
def test_48_hours_and_one_second_is_refused(model):
    result = first_purchase(make_product(model=model, activated_at=T0 - H48 - ONE_S), T0)
    assert not result.allowed
    assert result.code == RuleCode.ACTIVATION_TOO_OLD
    assert "video verification" in result.message


def test_handheld_has_30_days():
    days30 = timedelta(days=30)
    handheld = "DJI RS 3"
    assert first_purchase(make_product(model=handheld, activated_at=T0 - days30), T0).allowed
    late = first_purchase(make_product(model=handheld, activated_at=T0 - days30 - ONE_S), T0)
    assert not late.allowed and "30 days" in late.message
    # 3 days is fine for a handheld but not for an aircraft
    assert first_purchase(make_product(model=handheld, activated_at=T0 - timedelta(days=3)), T0).allowed
    assert not first_purchase(make_product(activated_at=T0 - timedelta(days=3)), T0).allowed


def test_product_that_had_a_plan_is_not_a_first_purchase():
    product = make_product(activated_at=T0, plans=[make_plan("1y", T0)])
    result = first_purchase(product, T0)
    assert not result.allowed and result.code == RuleCode.PLAN_ALREADY_BOUGHT


@given(st.integers(min_value=0, max_value=10 * 24 * 3600))
def test_aircraft_boundary_is_exactly_48_hours(seconds):
    product = make_product(activated_at=T0 - timedelta(seconds=seconds))
    assert first_purchase(product, T0).allowed == (seconds <= 48 * 3600)
