"""Renewal (1-Year Plan only, within 15 days after expiry) and the 3-year coverage cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eligibility.codes import RuleCode
from eligibility.rules import coverage_cap, renewal
from tests.support.elig_helpers import T0, make_plan, make_product

D15 = timedelta(days=15)
ONE_S = timedelta(seconds=1)


def expired_at(end):
    """A product whose only 1-Year plan ended at ``end``."""
    return make_product(plans=[make_plan("1y", end - timedelta(days=365), end=end)])


@pytest.mark.parametrize("kind", ["1y", "2y", "1y_plus", "1y_renewal"])
def test_every_plan_kind_in_the_seeds_can_be_renewed_while_active(kind):
    product = make_product(plans=[make_plan(kind, T0 - timedelta(days=30))])
    result = renewal(product, "1y", T0)
    assert result.allowed and result.code == RuleCode.RENEWAL_PLAN_ACTIVE


def test_renewal_on_the_last_day_of_the_plan():
    assert renewal(expired_at(T0), "1y", T0).code == RuleCode.RENEWAL_PLAN_ACTIVE


def test_expired_exactly_15_days_ago_can_be_renewed():
    result = renewal(expired_at(T0 - D15), "1y", T0)
    assert result.allowed and result.code == RuleCode.RENEWAL_WITHIN_GRACE


def test_expired_15_days_and_one_second_ago_cannot():
    result = renewal(expired_at(T0 - D15 - ONE_S), "1y", T0)
    assert not result.allowed
    assert result.code == RuleCode.PLAN_EXPIRED_TOO_LONG
    assert "cannot be renewed" in result.message


def test_two_year_plan_is_never_a_renewal():
    product = make_product(plans=[make_plan("1y", T0 - timedelta(days=30))])
    result = renewal(product, "2y", T0)
    assert not result.allowed and result.code == RuleCode.RENEWAL_ONLY_1Y


def test_nothing_to_renew_without_a_plan():
    assert renewal(make_product(), "1y", T0).code == RuleCode.NO_PLAN_TO_RENEW


def test_latest_plan_counts_for_the_grace_period():
    old = make_plan("1y", T0 - timedelta(days=800))
    current = make_plan("1y_renewal", T0 - timedelta(days=300))
    assert renewal(make_product(plans=[old, current]), "1y", T0).allowed


@pytest.mark.parametrize(
    ("history", "kind", "allowed"),
    [
        ([], "2y", True),
        ([], "1y", True),
        (["1y"], "1y", True),
        (["1y", "1y_renewal"], "1y", True),  # 1-Year three times = 3 years
        (["1y", "1y_renewal", "1y_renewal"], "1y", False),
        (["2y"], "1y", True),  # 2-Year then a 1-Year renewal = 3 years
        (["2y", "1y_renewal"], "1y", False),
        (["1y_plus"], "1y", True),
        (["1y_plus"], "2y", False),
        (["1y"], "2y", True),
    ],
)
def test_three_year_cap(history, kind, allowed):
    plans = [make_plan(k, T0 - timedelta(days=400 * (i + 1))) for i, k in enumerate(history)]
    result = coverage_cap(make_product(plans=plans), kind)
    assert result.allowed is allowed
    expected = RuleCode.COVERAGE_WITHIN_CAP if allowed else RuleCode.COVERAGE_CAP_REACHED
    assert result.code == expected
    if not allowed:
        assert "3 years maximum" in result.message
