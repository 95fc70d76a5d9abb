"""Small helpers shared by the rules: readable durations and plan lookups."""

from __future__ import annotations

from datetime import datetime, timedelta

from eligibility.models import Plan, Product


def human_duration(delta: timedelta) -> str:
    """A duration a support agent reads at a glance: "3 days 4 h", "47 h 59 min", "12 s"."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    return f"{secs} s"


def stamp(value: datetime) -> str:
    """An instant as agents see it in messages: ``2024-05-01 12:00 UTC``."""
    text = value.strftime("%Y-%m-%d %H:%M")
    return text + (f":{value.second:02d}" if value.second else "") + " UTC"


def coverage_end(product: Product) -> datetime | None:
    """When the product's last plan ends, or None without any plan."""
    return max((p.end for p in product.plans), default=None)


def active_plan(product: Product, now: datetime) -> Plan | None:
    """The plan covering ``now`` (start and end inclusive); the latest-starting one wins."""
    covering = [p for p in product.plans if p.start <= now <= p.end]
    return max(covering, key=lambda p: p.start, default=None)
