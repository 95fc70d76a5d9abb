"""Region: "DJI Care Refresh and the corresponding product must be purchased from the same
country or region", and only where DJI Care Refresh is sold (seeds)."""

from __future__ import annotations

from eligibility.catalogue import get_catalogue
from eligibility.codes import RuleCode
from eligibility.models import Product, RuleResult

RULE = "region"


def region_rule(product: Product, plan_region: str) -> RuleResult:
    """Allow when the plan region is supported and equals the product's purchase region."""
    catalogue = get_catalogue()
    plan = catalogue.region(plan_region)
    own = catalogue.region(product.region)
    supported = ", ".join(catalogue.supported_region_codes())
    for region, what in ((plan, "the plan"), (own, "the product")):
        if not region.supported:
            return RuleResult(
                rule=RULE,
                allowed=False,
                code=RuleCode.REGION_UNSUPPORTED,
                message=f"DJI Care Refresh is not sold in {region.name} ({region.code}), where "
                f"{what} would be bought; it is sold in {supported}.",
            )
    if plan.code != own.code:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.REGION_MISMATCH,
            message=f"The product was bought in {own.name} ({own.code}); the plan must be "
            f"bought there too, not in {plan.name} ({plan.code}).",
        )
    return RuleResult(
        rule=RULE,
        allowed=True,
        code=RuleCode.REGION_OK,
        message=f"Plan and product are both bought in {own.name} ({own.code}).",
    )
