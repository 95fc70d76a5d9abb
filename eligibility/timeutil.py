"""Time helpers: every instant in the eligibility core is a timezone-aware UTC datetime.

Rules compare instants down to the second (48 h allowed, 48 h + 1 s refused), so a naive
datetime would be a silent bug: it is rejected here instead of being guessed at.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes because their zone is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"time {value.isoformat()} has no time zone; give one (e.g. +00:00 or Z)")
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant from user input; a bare date or naive time is taken as UTC.

    Command-line users type ``2024-05-01T10:00`` more often than a full offset; UTC is the
    only zone the core uses, so assuming it for input is the least surprising choice.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def add_months(value: datetime, months: int) -> datetime:
    """Calendar months later, clamping the day (31 Jan + 1 month = 28/29 Feb).

    Plans last "12 months" / "2 years" in the service texts, i.e. calendar months, not a
    fixed number of days.
    """
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)
