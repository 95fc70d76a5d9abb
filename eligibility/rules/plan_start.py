"""When a plan's coverage starts and ends.

Seeds (Czech FAQ 12): a plan bought with the product starts at 12:00 two days after the
shipping date. Plans are counted in calendar months (12 / 24).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from eligibility.catalogue import get_catalogue
from eligibility.timeutil import add_months


def bundled_plan_start(shipped_on: date) -> datetime:
    """Start of a plan bought together with the product shipped on ``shipped_on`` (UTC)."""
    policy = get_catalogue().policy
    day = shipped_on + timedelta(days=policy.bundle_days_after_shipping)
    return datetime.combine(day, time(hour=policy.bundle_hour_utc), tzinfo=UTC)


def plan_end(plan_kind: str, start: datetime) -> datetime:
    """End of a ``plan_kind`` plan starting at ``start``."""
    return add_months(start, get_catalogue().plan_kind(plan_kind).months)
