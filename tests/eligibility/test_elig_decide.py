"""The combined decisions: which path (first purchase, renewal, window) decides, and how."""

from __future__ import annotations

from datetime import timedelta

from eligibility.codes import RuleCode
from eligibility.decide import decide_purchase, evaluate
from eligibility.models import Window
from tests.support.elig_helpers import AIRCRAFT_SN, T0, make_plan, make_product

OLD = T0 - timedelta(days=400)


def window(status="open", issued=T0 - timedelta(hours=1)) -> Window:
    return Window(
        id=7,
        aircraft_sn=AIRCRAFT_SN,
        source="video_verification",
        reference="job-7",
        issued_at=issued,
        expires_at=issued + timedelta(hours=72),
        status=status,
    )


def test_old_product_without_window_is_refused_with_the_first_purchase_reason():
    decision = evaluate(make_product(activated_at=OLD), None, T0)
    assert not decision.eligible
    assert decision.code == RuleCode.ACTIVATION_TOO_OLD
    assert decision.plans == []


def test_open_window_makes_an_old_product_eligible_for_both_plans():
    decision = evaluate(make_product(activated_at=OLD), window(), T0)
    assert decision.eligible and decision.code == RuleCode.WINDOW_OPEN
    assert decision.plans == ["1y", "2y"]
    assert decision.window is not None and decision.window.id == 7


def test_expired_window_is_the_reason_given():
    late = T0 + timedelta(hours=72)
    decision = evaluate(make_product(activated_at=OLD), window(), late)
    assert not decision.eligible and decision.code == RuleCode.WINDOW_EXPIRED


def test_window_boundary_is_72_hours_inclusive():
    issued = T0 - timedelta(hours=72)
    assert evaluate(make_product(activated_at=OLD), window(issued=issued), T0).eligible
    after = T0 + timedelta(seconds=1)
    assert not evaluate(make_product(activated_at=OLD), window(issued=issued), after).eligible


def test_renewal_offers_only_the_one_year_plan():
    ended_5_days_ago = make_plan("1y", OLD, end=T0 - timedelta(days=5))
    decision = evaluate(make_product(activated_at=OLD, plans=[ended_5_days_ago]), None, T0)
    assert decision.eligible and decision.code == RuleCode.RENEWAL_WITHIN_GRACE
    assert decision.plans == ["1y"]


def test_cap_reached_refuses_even_with_a_window():
    plans = [make_plan("2y", T0 - timedelta(days=900)), make_plan("1y_renewal", OLD)]
    decision = evaluate(make_product(activated_at=OLD, plans=plans), window(), T0)
    assert not decision.eligible and decision.code == RuleCode.COVERAGE_CAP_REACHED


def test_product_from_an_unsupported_region_is_never_eligible():
    decision = evaluate(make_product(region="BR"), None, T0)
    assert not decision.eligible and decision.code == RuleCode.REGION_UNSUPPORTED


def test_purchase_prefers_activation_over_the_window():
    outcome = decide_purchase(make_product(activated_at=T0), "1y", "US", window(), T0)
    assert outcome.decision.allowed and not outcome.uses_window
    assert outcome.plan is not None and outcome.plan.window_id is None


def test_purchase_through_the_window_marks_the_plan():
    outcome = decide_purchase(make_product(activated_at=OLD), "2y", "US", window(), T0)
    assert outcome.decision.allowed and outcome.uses_window
    assert outcome.plan is not None and outcome.plan.window_id == 7
    assert outcome.plan.end == T0.replace(year=T0.year + 2)
    assert "bound" in outcome.decision.message


def test_used_window_refuses():
    outcome = decide_purchase(make_product(activated_at=OLD), "1y", "US", window("used"), T0)
    assert not outcome.decision.allowed and outcome.decision.code == RuleCode.WINDOW_USED


def test_renewal_starts_when_the_current_plan_ends():
    current = make_plan("1y", T0 - timedelta(days=100))
    outcome = decide_purchase(make_product(plans=[current]), "1y", "US", None, T0)
    assert outcome.plan is not None
    assert outcome.plan.kind == "1y_renewal" and outcome.plan.start == current.end


def test_renewal_in_grace_starts_now():
    ended = make_plan("1y", OLD, end=T0 - timedelta(days=3))
    outcome = decide_purchase(make_product(plans=[ended]), "1y", "US", None, T0)
    assert outcome.plan is not None and outcome.plan.start == T0


def test_two_year_renewal_is_refused_by_the_renewal_rule():
    product = make_product(plans=[make_plan("1y", T0 - timedelta(days=100))])
    outcome = decide_purchase(product, "2y", "US", None, T0)
    assert not outcome.decision.allowed and outcome.decision.code == RuleCode.RENEWAL_ONLY_1Y


def test_wrong_region_refuses_before_anything_else():
    outcome = decide_purchase(make_product(), "1y", "JP", None, T0)
    assert not outcome.decision.allowed and outcome.decision.code == RuleCode.REGION_MISMATCH


def test_history_only_kinds_are_not_sold():
    outcome = decide_purchase(make_product(), "1y_plus", "US", None, T0)
    assert outcome.decision.code == RuleCode.PLAN_KIND_NOT_SOLD
