"""Reference data and input validation: serial formats, models, plan kinds, times."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from eligibility.catalogue import UnknownReference, get_catalogue
from eligibility.models import ProductIn
from eligibility.serials import is_valid_serial
from eligibility.timeutil import ensure_utc, parse_instant


@pytest.mark.parametrize(
    "serial", ["1581F6Z9C23AB0012345", "5YSZL7G0030ABC", "0AXDE5K00201AB", "1581F00000000000000Z"]
)
def test_valid_serials(serial):
    assert is_valid_serial(serial)


@pytest.mark.parametrize(
    "serial",
    [
        "1581F6Z9C23AB001234O",  # O never occurs in a CTA-2063-A serial
        "1581F6Z9C23AB001234I",
        "1581F6Z9C23AB001234",  # 19 characters
        "5ysz17g0030abc",  # lower case
        "5YSZL7G0030AB",  # 13
        "5YSZL7G0030ABC-",
        "",
    ],
)
def test_malformed_serials(serial):
    assert not is_valid_serial(serial)


def test_model_lookup_is_spelling_insensitive_but_exact():
    catalogue = get_catalogue()
    assert catalogue.model("mini 3 pro").name == "DJI Mini 3 Pro"
    assert catalogue.model("DJI OM4 SE").name == "DJI OM 4 SE"
    assert catalogue.model("Zenmuse X5S").category == "gimbal"
    assert catalogue.model("Ronin-SC").category == "handheld"
    with pytest.raises(UnknownReference):
        catalogue.model("Mini 9")


def test_plan_kinds():
    catalogue = get_catalogue()
    assert catalogue.plan_kind("1y").name == "DJI Care Refresh (1-Year Plan)"
    assert catalogue.plan_kind("2y").months == 24
    assert catalogue.policy.max_total_months == 36
    with pytest.raises(UnknownReference):
        catalogue.plan_kind("3y")


def test_product_in_canonicalises_and_validates():
    product = ProductIn(
        aircraft_sn="1581F6Z9C23AB0012345",
        rc_sn="5YSZL7G0030ABC",
        model="mavic air 2",
        region="fr",
        activated_at="2025-01-01T10:00:00+02:00",
    )
    assert product.model == "DJI Mavic Air 2" and product.region == "EU"
    assert product.activated_at is not None and product.activated_at.utcoffset().total_seconds() == 0
    assert product.activated_at.hour == 8
    with pytest.raises(ValidationError):
        ProductIn(
            aircraft_sn="1581F6Z9C23AB0012345",
            model="Mini 3",
            region="US",
            activated_at="2025-01-01T10:00:00",
        )  # naive: zone unknown


def test_times():
    assert parse_instant("2025-01-01T10:00").tzinfo is not None
    assert parse_instant("2025-01-01T10:00+01:00").hour == 9
    with pytest.raises(ValueError):
        parse_instant("yesterday")
    with pytest.raises(ValueError):
        ensure_utc(datetime(2025, 1, 1))
