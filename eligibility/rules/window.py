"""Purchase window: after a passed video verification or repair inspection the plan must be
bought and bound within 72 hours of the notification (seeds). A window is used once."""

from __future__ import annotations

from datetime import datetime

from eligibility.codes import RuleCode
from eligibility.models import RuleResult, Window
from eligibility.rules.common import human_duration, stamp

RULE = "purchase_window"

_SOURCE_TEXT = {
    "video_verification": "video verification",
    "repair_inspection": "repair inspection",
}


def window_rule(window: Window | None, now: datetime) -> RuleResult:
    """Allow while the window is unused and ``now`` is within [issued_at, expires_at]."""
    if window is None or window.issued_at > now:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.NO_WINDOW,
            message="No purchase window: no passed video verification or repair inspection.",
        )
    source = _SOURCE_TEXT[window.source]
    if window.status == "used" and (window.used_at is None or window.used_at <= now):
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.WINDOW_USED,
            message=f"The purchase window from the {source} ({window.reference}) was already "
            "used to bind a plan; a window can be used only once.",
        )
    if window.status == "expired" or now > window.expires_at:
        return RuleResult(
            rule=RULE,
            allowed=False,
            code=RuleCode.WINDOW_EXPIRED,
            message=f"The purchase window from the {source} ({window.reference}) expired at "
            f"{stamp(window.expires_at)}, {human_duration(now - window.expires_at)} ago.",
        )
    return RuleResult(
        rule=RULE,
        allowed=True,
        code=RuleCode.WINDOW_OPEN,
        message=f"Passed {source} ({window.reference}): a plan can be bought until "
        f"{stamp(window.expires_at)} ({human_duration(window.expires_at - now)} left).",
    )
