"""Machine codes of rule outcomes: a contract shared with the UI, reports and support tools.

Each decision carries one of these codes next to a sentence for a support agent; the code is
stable, the sentence may be reworded.
"""

from __future__ import annotations

from enum import StrEnum


class RuleCode(StrEnum):
    """Why a rule allowed or refused."""

    # first purchase (rules/first_purchase.py)
    NOT_ACTIVATED = "not_activated"
    ACTIVATED_WITHIN_LIMIT = "activated_within_limit"
    ACTIVATION_TOO_OLD = "activation_too_old"
    PLAN_ALREADY_BOUGHT = "plan_already_bought"
    # purchase window (rules/window.py)
    WINDOW_OPEN = "purchase_window_open"
    NO_WINDOW = "no_purchase_window"
    WINDOW_EXPIRED = "purchase_window_expired"
    WINDOW_USED = "purchase_window_used"
    # renewal (rules/renewal.py)
    RENEWAL_PLAN_ACTIVE = "renewal_plan_active"
    RENEWAL_WITHIN_GRACE = "renewal_within_grace"
    PLAN_EXPIRED_TOO_LONG = "plan_expired_too_long"
    NO_PLAN_TO_RENEW = "no_plan_to_renew"
    RENEWAL_ONLY_1Y = "renewal_only_1y"
    # coverage cap (rules/coverage.py)
    COVERAGE_WITHIN_CAP = "coverage_within_cap"
    COVERAGE_CAP_REACHED = "coverage_cap_reached"
    # plan kind (rules/plan_kind.py)
    PLAN_KIND_NOT_SOLD = "plan_kind_not_sold"
    # region (rules/region.py)
    REGION_OK = "region_ok"
    REGION_MISMATCH = "region_mismatch"
    REGION_UNSUPPORTED = "region_unsupported"
    # replacements (rules/replacement.py)
    REPLACEMENT_AVAILABLE = "replacement_available"
    REPLACEMENTS_USED_UP = "replacements_used_up"
    FLYAWAY_USED_UP = "flyaway_used_up"
    FLYAWAY_NOT_COVERED = "flyaway_not_covered"
    NO_ACTIVE_PLAN = "no_active_plan"
    # DJI Care Refresh Plus (rules/plus.py)
    PLUS_AVAILABLE = "plus_available"
    PLUS_NO_REPLACEMENT_LEFT = "plus_no_replacement_left"
