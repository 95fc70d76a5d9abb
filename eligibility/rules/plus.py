"""DJI Care Refresh Plus (Czech seed): it can be bought while DJI Care Refresh is still
active and at least one replacement is left; it adds 12 months after the plan it extends.

The seed's two sentences differ ("not expired *or* one replacement left" vs "still active
*and* one replacement left"); the stricter reading is used so no sale is made in error.
"""

from __future__ import annotations

from datetime import datetime

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Product, RuleResult
from eligibility.rules.common import active_plan
from eligibility.rules.replacement import replacements_in

RULE = "plus"


def plus_purchase(product: Product, now: datetime) -> RuleResult:
    """Allow DJI Care Refresh Plus while a plan is active with a replacement left."""
    plan = active_plan(product, now)
    if plan is None:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.NO_ACTIVE_PLAN,
            message="DJI Care Refresh Plus needs an active DJI Care Refresh plan.",
        )
    allowance = get_catalogue().plan_kind(plan.kind).replacements
    used, _ = replacements_in(product, plan)
    if used >= allowance:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.PLUS_NO_REPLACEMENT_LEFT,
            message="DJI Care Refresh Plus needs at least one replacement left in the current "
            "plan; all are used.",
        )
    return RuleResult(
        rule=RULE,
        allowed=True,
        code=RuleCode.PLUS_AVAILABLE,
        message=f"DJI Care Refresh Plus can be bought: {allowance - used} replacement(s) left "
        "in the active plan.",
    )
