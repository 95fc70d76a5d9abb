"""Renewal: only the 1-Year Plan is sold as a renewal, on top of an existing plan.

Seeds: renewal needs a purchased 1-Year, 2-Year, 1-Year + Plus or renewed 1-Year plan that
"has not yet expired or expired within 15 days"; "If DJI Care Refresh is expired, you cannot
renew". The 2-Year Plan can only be a first purchase. The grace boundary is inclusive:
expired exactly 15 days ago is allowed, 15 days and 1 second is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Product, RuleResult
from eligibility.rules.common import human_duration, stamp

RULE = "renewal"


def renewal(product: Product, plan_kind: str, now: datetime) -> RuleResult:
    """Allow renewing with ``plan_kind`` when the last qualifying plan is live or in grace."""
    catalogue = get_catalogue()
    kind = catalogue.plan_kind(plan_kind)
    qualifying = [p for p in product.plans if catalogue.plan_kind(p.kind).qualifies_for_renewal]
    if not qualifying:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.NO_PLAN_TO_RENEW,
            message="No DJI Care Refresh plan was bought for this product, so there is nothing to renew.",
        )
    if not kind.renewal:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.RENEWAL_ONLY_1Y,
            message=f"{kind.name} cannot be bought as a renewal: only the 1-Year Plan renews "
            "a plan; the 2-Year Plan is a first purchase only.",
        )
    end = max(p.end for p in qualifying)
    grace = timedelta(days=catalogue.policy.renewal_grace_days)
    if now <= end:
        return RuleResult(
            rule=RULE,
            allowed=True,
            code=RuleCode.RENEWAL_PLAN_ACTIVE,
            message=f"The current plan runs until {stamp(end)}: it can be renewed with the 1-Year Plan.",
        )
    if now - end <= grace:
        return RuleResult(
            rule=RULE,
            allowed=True,
            code=RuleCode.RENEWAL_WITHIN_GRACE,
            message=f"The plan expired {human_duration(now - end)} ago ({stamp(end)}), within "
            f"the {grace.days} days allowed for a renewal.",
        )
    return RuleResult(
        rule=RULE,
        allowed=False,
        code=RuleCode.PLAN_EXPIRED_TOO_LONG,
        message=f"The plan expired {human_duration(now - end)} ago ({stamp(end)}), more than "
        f"the {grace.days} days allowed: an expired plan cannot be renewed.",
    )
