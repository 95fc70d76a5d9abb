"""Coverage cap: "DJI Care Refresh currently allows a maximum purchase of 3 years" (seeds).

Counted as the sum of the lengths of every plan bought for the product plus the one being
bought, so 1-Year three times or 2-Year then 1-Year reach the cap, never more.
"""

from __future__ import annotations

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Product, RuleResult

RULE = "coverage_cap"


def _years(months: int) -> str:
    return f"{months // 12} year{'s' if months != 12 else ''}" if months % 12 == 0 else f"{months} months"


def coverage_cap(product: Product, plan_kind: str) -> RuleResult:
    """Allow when the plans bought so far plus ``plan_kind`` stay within the cap."""
    catalogue = get_catalogue()
    kind = catalogue.plan_kind(plan_kind)
    bought = sum(catalogue.plan_kind(p.kind).months for p in product.plans)
    cap = catalogue.policy.max_total_months
    if bought + kind.months <= cap:
        return RuleResult(
            rule=RULE,
            allowed=True,
            code=RuleCode.COVERAGE_WITHIN_CAP,
            message=f"{_years(bought)} bought so far; with {kind.name} the total stays within "
            f"the {_years(cap)} maximum."
            if bought
            else f"{kind.name} stays within the {_years(cap)} maximum.",
        )
    return RuleResult(
        rule=RULE,
        allowed=False,
        code=RuleCode.COVERAGE_CAP_REACHED,
        message=f"{_years(bought)} of DJI Care Refresh already bought; {kind.name} would make "
        f"{_years(bought + kind.months)}, beyond the {_years(cap)} maximum.",
    )
