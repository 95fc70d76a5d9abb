"""First purchase: a new product, or one activated only recently.

Seeds: "Brand new and un-activated product; aircraft or gimbal product activated within 48
hours; handheld product activated within the last 30 days". The limit per category is data
(``plans.json``); the boundary itself is allowed (exactly 48 h is "within 48 hours").
A product that already had a plan is a renewal case, not a first purchase.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Product, RuleResult
from eligibility.rules.common import human_duration, stamp

RULE = "first_purchase"


def _article(category: str) -> str:
    return f"{'an' if category[0] in 'aeiou' else 'a'} {category}"


def first_purchase(product: Product, now: datetime) -> RuleResult:
    """Allow a first purchase by activation state; refuse once the activation is too old."""
    if product.plans:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.PLAN_ALREADY_BOUGHT,
            message="This product already had a DJI Care Refresh plan, so a first purchase "
            "does not apply; only a renewal (1-Year Plan) is possible.",
        )
    if product.activated_at is None:
        return RuleResult(
            rule=RULE,
            allowed=True,
            code=RuleCode.NOT_ACTIVATED,
            message="The product has never been activated: a plan can be bought.",
        )
    hours = get_catalogue().policy.first_purchase_within_hours[product.category]
    limit = timedelta(hours=hours)
    limit_text = f"{hours // 24} days" if hours % 24 == 0 and hours > 48 else f"{hours} hours"
    elapsed = now - product.activated_at
    if elapsed <= limit:
        return RuleResult(
            rule=RULE,
            allowed=True,
            code=RuleCode.ACTIVATED_WITHIN_LIMIT,
            message=f"Activated {human_duration(elapsed)} ago ({stamp(product.activated_at)}), "
            f"within the {limit_text} allowed for {_article(product.category)} product.",
        )
    return RuleResult(
        rule=RULE,
        allowed=False,
        code=RuleCode.ACTIVATION_TOO_OLD,
        message=f"Activated {human_duration(elapsed)} ago ({stamp(product.activated_at)}), "
        f"more than the {limit_text} allowed for {_article(product.category)} product; it needs a "
        "passed video verification or repair inspection first.",
    )
