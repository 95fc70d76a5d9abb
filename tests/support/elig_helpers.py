"""Shared values and builders for the eligibility tests."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from eligibility.catalogue import get_catalogue
from eligibility.errors import InvalidInput
from eligibility.models import Plan, Product, ProductIn, Replacement
from eligibility.store import Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""A fixed "now" for rule tests."""

AIRCRAFT_SN = "1581F6Z9C23AB0012345"
RC_SN = "5YSZL7G0030ABC"


def make_product(
    model: str = "DJI Mini 3 Pro",
    region: str = "US",
    activated_at: datetime | None = None,
    plans: list[Plan] | None = None,
    replacements: list[Replacement] | None = None,
    aircraft_sn: str = AIRCRAFT_SN,
) -> Product:
    """A product record built in memory, category taken from the catalogue."""
    info = get_catalogue().model(model)
    return Product(
        aircraft_sn=aircraft_sn,
        rc_sn=RC_SN,
        model=info.name,
        category=info.category,
        region=region,
        activated_at=activated_at,
        plans=plans or [],
        replacements=replacements or [],
    )


def make_plan(kind: str, start: datetime, end: datetime | None = None, region: str = "US") -> Plan:
    """A plan record; ``end`` defaults to the kind's length after ``start``."""
    from eligibility.rules.plan_start import plan_end

    return Plan(kind=kind, start=start, end=end or plan_end(kind, start), region=region)


def add_product(database_url: str, product: dict[str, Any]) -> None:
    """Record a fixture's product in the eligibility core (activated long ago: needs video)."""
    # Two cases may share a product: an existing one is fine.
    with Store(database_url) as store, contextlib.suppress(InvalidInput):
        store.add_product(
            ProductIn(
                aircraft_sn=product["aircraft_sn"],
                rc_sn=product["rc_sn"],
                model=product["model"],
                region="US",
                activated_at=datetime.now(UTC) - timedelta(days=200),
            )
        )
