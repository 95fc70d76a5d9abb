"""Eligibility rules as pure functions of a product record and an instant ``now``.

Each module holds one rule from the service texts and returns a ``RuleResult``; nothing here
reads the clock or the database, so every edge (48 h vs 48 h + 1 s...) is testable directly.
"""

from eligibility.rules.coverage import coverage_cap
from eligibility.rules.first_purchase import first_purchase
from eligibility.rules.plan_kind import plan_kind_sold
from eligibility.rules.plus import plus_purchase
from eligibility.rules.region import region_rule
from eligibility.rules.renewal import renewal
from eligibility.rules.replacement import replacement_allowance
from eligibility.rules.window import window_rule

__all__ = [
    "coverage_cap",
    "first_purchase",
    "plan_kind_sold",
    "plus_purchase",
    "region_rule",
    "renewal",
    "replacement_allowance",
    "window_rule",
]
