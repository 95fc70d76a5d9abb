"""Region: plan and product bought in the same supported country or region."""

from __future__ import annotations

import pytest

from eligibility.catalogue import UnknownReference, get_catalogue
from eligibility.codes import RuleCode
from eligibility.rules import region_rule
from tests.support.elig_helpers import make_product


def test_same_supported_region_is_allowed():
    result = region_rule(make_product(region="JP"), "JP")
    assert result.allowed and result.code == RuleCode.REGION_OK


def test_wrong_region_is_refused():
    result = region_rule(make_product(region="US"), "EU")
    assert not result.allowed and result.code == RuleCode.REGION_MISMATCH
    assert "United States" in result.message


def test_unsupported_plan_region_is_refused():
    result = region_rule(make_product(region="US"), "BR")
    assert not result.allowed and result.code == RuleCode.REGION_UNSUPPORTED


def test_product_bought_in_an_unsupported_region_is_refused():
    result = region_rule(make_product(region="BR"), "BR")
    assert not result.allowed and result.code == RuleCode.REGION_UNSUPPORTED


def test_eu_member_states_are_one_region():
    assert region_rule(make_product(region="EU"), "FR").allowed
    assert region_rule(make_product(region="EU"), "de").allowed


def test_supported_regions_are_those_of_the_seeds():
    codes = get_catalogue().supported_region_codes()
    assert codes == ["US", "CA", "EU", "UK", "CH", "NO", "AU", "HK", "TW", "JP", "KR", "CN"]
    assert get_catalogue().region("GB").code == "UK"


def test_unknown_region_code_is_an_input_error():
    with pytest.raises(UnknownReference):
        get_catalogue().region("XX")
