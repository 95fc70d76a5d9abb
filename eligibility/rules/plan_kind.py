"""Which plan kinds can be bought at all, and how: 1-Year and 2-Year as a first purchase,
1-Year as a renewal. Other kinds (1-Year + Plus, renewed 1-Year) only appear in history."""

from __future__ import annotations

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import RuleResult

RULE = "plan_kind"


def plan_kind_sold(plan_kind: str) -> RuleResult | None:
    """A refusal when ``plan_kind`` is never sold directly, else None."""
    kind = get_catalogue().plan_kind(plan_kind)
    if kind.first_purchase or kind.renewal:
        return None
    return RuleResult(
        rule=RULE,
        allowed=False,
        code=RuleCode.PLAN_KIND_NOT_SOLD,
        message=f"{kind.name} is not sold as such: buy the 1-Year or the 2-Year Plan.",
    )
