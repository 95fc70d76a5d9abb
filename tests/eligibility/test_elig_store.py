"""The store on SQLite and on PostgreSQL: records, windows, purchases, audit trail."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import select

from eligibility.codes import RuleCode
from eligibility.errors import InvalidInput, UnknownProduct
from eligibility.models import PlanIn, ProductIn, ReplacementIn
from eligibility.store import Store
from eligibility.tables import ProductRow, WindowRow
from tests.support.elig_helpers import AIRCRAFT_SN, RC_SN, T0

LONG_AGO = T0 - timedelta(days=400)
H72 = timedelta(hours=72)


def add_old(store: Store, **extra) -> None:
    store.add_product(
        ProductIn(
            aircraft_sn=AIRCRAFT_SN,
            rc_sn=RC_SN,
            model="DJI Mini 3 Pro",
            region="US",
            activated_at=LONG_AGO,
            **extra,
        ),
        now=T0,
    )


def count_products(store: Store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(select(ProductRow.id)).all())


def test_add_get_and_find_by_rc(store):
    add_old(store)
    product = store.get_product(AIRCRAFT_SN)
    assert product is not None and product.category == "aircraft"
    assert product.activated_at == LONG_AGO and product.activated_at.tzinfo is not None
    assert store.find_by_rc_sn(RC_SN) == product
    assert store.get_product("0AXDE5K00201AB") is None


def test_times_come_back_aware_utc_whatever_zone_went_in(store):
    cest = timezone(timedelta(hours=2))
    activated = LONG_AGO.astimezone(cest)
    store.add_product(
        ProductIn(
            aircraft_sn=AIRCRAFT_SN,
            rc_sn=RC_SN,
            model="Mini 3",
            region="US",
            activated_at=activated,
        ),
        now=T0,
    )
    product = store.get_product(AIRCRAFT_SN)
    assert product is not None and product.activated_at == LONG_AGO
    assert product.activated_at.utcoffset() == timedelta(0)


def test_bad_input_changes_nothing(store):
    add_old(store)
    with pytest.raises(InvalidInput, match="already recorded"):
        add_old(store)
    with pytest.raises(InvalidInput, match="in the future"):
        store.add_product(
            ProductIn(
                aircraft_sn="0AXDE5K00201AB",
                rc_sn="0AXDE5K00201AC",
                model="Mini 3",
                region="US",
                activated_at=T0 + timedelta(seconds=1),
            ),
            now=T0,
        )
    with pytest.raises(InvalidInput, match="bound RC"):
        store.add_product(ProductIn(aircraft_sn="0AXDE5K00201AB", model="Mini 3", region="US"), now=T0)
    with pytest.raises(InvalidInput, match="already bound"):
        store.add_product(
            ProductIn(aircraft_sn="0AXDE5K00201AB", rc_sn=RC_SN, model="Mini 3", region="US"),
            now=T0,
        )
    assert count_products(store) == 1
    with pytest.raises(UnknownProduct):
        store.evaluate("0AXDE5K00201AB", T0)
    with pytest.raises(InvalidInput, match="malformed"):
        store.purchase("nope", "1y", "US", T0)
    with pytest.raises(InvalidInput, match="unknown region"):
        store.purchase(AIRCRAFT_SN, "1y", "XX", T0)
    with pytest.raises(InvalidInput, match="unknown plan kind"):
        store.purchase(AIRCRAFT_SN, "3y", "US", T0)
    assert [a.action for a in store.audit_trail(AIRCRAFT_SN)] == ["product_added"]


def test_import_json_with_history_and_csv(store, tmp_path):
    data = [
        {
            "aircraft_sn": AIRCRAFT_SN,
            "rc_sn": RC_SN,
            "model": "DJI Air 3",
            "region": "UK",
            "activated_at": "2024-01-01T00:00:00Z",
            "plans": [{"kind": "2y", "start": "2024-01-03T12:00:00Z"}],
            "replacements": [{"kind": "flyaway", "at": "2024-06-01T00:00:00Z"}],
        }
    ]
    path = tmp_path / "products.json"
    path.write_text(json.dumps(data))
    [product] = store.import_products(path, now=T0)
    assert product.plans[0].end.year == 2026 and product.plans[0].region == "UK"
    assert product.replacements[0].kind == "flyaway"
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(
        "aircraft_sn,rc_sn,model,region,activated_at,plan_kind,plan_start\n"
        "0AXDE5K00201AB,0AXDE5K00201AC,DJI Mavic 2 Pro,JP,2023-05-01T08:00,,\n"
        "0AXDE5K00201AD,,DJI RS 3,EU,,1y,2025-01-01\n"
    )
    products = store.import_products(csv_path, now=T0)
    assert [p.model for p in products] == ["DJI Mavic 2 Pro", "DJI RS 3"]
    assert products[1].plans[0].kind == "1y" and products[1].activated_at is None


def test_import_is_all_or_nothing(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "aircraft_sn,rc_sn,model,region,activated_at\n"
        "0AXDE5K00201AB,0AXDE5K00201AC,DJI Mavic 2 Pro,JP,\n"
        "0AXDE5K00201AD,0AXDE5K00201AE,DJI Mavic 9,JP,\n"
    )
    with pytest.raises(InvalidInput, match="line 3.*unknown model"):
        store.import_products(path, now=T0)
    assert count_products(store) == 0


def test_window_opens_for_72_hours_and_makes_an_old_product_eligible(store):
    add_old(store)
    refused = store.evaluate(AIRCRAFT_SN, T0)
    assert not refused.eligible and refused.code == RuleCode.ACTIVATION_TOO_OLD
    window = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0)
    assert window.expires_at - window.issued_at == H72 and window.status == "open"
    decision = store.evaluate(AIRCRAFT_SN, T0 + H72)  # last instant of the window
    assert decision.eligible and decision.window is not None
    assert decision.window.expires_at == T0 + H72
    late = store.evaluate(AIRCRAFT_SN, T0 + H72 + timedelta(seconds=1))
    assert not late.eligible and late.code == RuleCode.WINDOW_EXPIRED
    assert store.open_window(AIRCRAFT_SN, T0 + H72 + timedelta(seconds=1)) is None


def test_issue_window_is_idempotent_per_reference(store):
    add_old(store)
    first = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0)
    again = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0 + timedelta(hours=5))
    assert again.id == first.id and again.expires_at == first.expires_at
    by_rc = store.issue_window(RC_SN, "video_verification", "sub-1", T0 + timedelta(hours=6))
    assert by_rc.id == first.id
    # another passed check while the window is open gets that window, not a second one
    other = store.issue_window(AIRCRAFT_SN, "repair_inspection", "rma-9", T0 + timedelta(hours=7))
    assert other.id == first.id
    with store.engine.connect() as conn:
        assert len(conn.execute(select(WindowRow.id)).all()) == 1


def test_window_is_used_once(store):
    add_old(store)
    window = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0)
    bought = store.purchase(AIRCRAFT_SN, "1y", "US", T0 + timedelta(hours=1))
    assert bought.allowed and bought.code == RuleCode.WINDOW_OPEN
    assert bought.plan is not None and bought.plan.window_id == window.id
    assert bought.window is not None and bought.window.status == "used"
    assert store.open_window(AIRCRAFT_SN, T0 + timedelta(hours=2)) is None
    again = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0 + timedelta(hours=2))
    assert again.id == window.id and again.status == "used"
    # the plan is now live: a second purchase is judged as a renewal, 2y is refused
    second = store.purchase(AIRCRAFT_SN, "2y", "US", T0 + timedelta(hours=2))
    assert not second.allowed and second.code == RuleCode.RENEWAL_ONLY_1Y
    product = store.get_product(AIRCRAFT_SN)
    assert product is not None and len(product.plans) == 1


def test_expired_window_refuses_and_a_new_verification_opens_a_new_one(store):
    add_old(store)
    first = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0)
    later = T0 + H72 + timedelta(seconds=1)
    refused = store.purchase(AIRCRAFT_SN, "1y", "US", later)
    assert not refused.allowed and refused.code == RuleCode.WINDOW_EXPIRED
    second = store.issue_window(AIRCRAFT_SN, "video_verification", "sub-2", later)
    assert second.id != first.id and second.status == "open"
    assert store.purchase(AIRCRAFT_SN, "2y", "US", later + timedelta(hours=1)).allowed
    actions = [a.action for a in store.audit_trail(AIRCRAFT_SN)]
    assert "window_expired" in actions and actions.count("window_issued") == 2


def test_wrong_region_is_refused_and_audited(store):
    add_old(store)
    store.issue_window(AIRCRAFT_SN, "repair_inspection", "rma-1", T0)
    refused = store.purchase(AIRCRAFT_SN, "1y", "EU", T0)
    assert not refused.allowed and refused.code == RuleCode.REGION_MISMATCH
    assert store.open_window(AIRCRAFT_SN, T0) is not None  # refusal keeps the window open
    last = store.audit_trail(AIRCRAFT_SN)[-1]
    assert last.action == "purchase" and last.allowed is False and last.code == "region_mismatch"


def test_renewal_and_three_year_cap_through_the_store(store):
    add_old(store, plans=[PlanIn(kind="2y", start=T0 - timedelta(days=700))])
    renewed = store.purchase(AIRCRAFT_SN, "1y", "US", T0)
    assert renewed.allowed and renewed.plan is not None and renewed.plan.kind == "1y_renewal"
    capped = store.purchase(AIRCRAFT_SN, "1y", "US", T0 + timedelta(days=1))
    assert not capped.allowed and capped.code == RuleCode.COVERAGE_CAP_REACHED


def test_replacement_unit_inherits_the_plan(store):
    add_old(store, replacements=[ReplacementIn(kind="damage", at=T0 - timedelta(days=10))])
    store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0 - timedelta(days=30))
    store.purchase(AIRCRAFT_SN, "1y", "US", T0 - timedelta(days=30))
    new_sn, new_rc = "1581F6Z9C23AB0099999", "5YSZL7G0030XYZ"
    decision = store.record_replacement(AIRCRAFT_SN, "flyaway", T0, new_sn, new_rc)
    assert decision.allowed and decision.aircraft_sn == new_sn
    assert store.get_product(AIRCRAFT_SN) is None
    unit = store.get_product(new_sn)
    assert unit is not None and unit.rc_sn == new_rc and len(unit.plans) == 1
    assert unit.replacements[-1].replaced_sn == AIRCRAFT_SN
    again = store.record_replacement(new_sn, "flyaway", T0 + timedelta(days=1))
    assert not again.allowed and again.code == RuleCode.REPLACEMENTS_USED_UP
    assert any(a.aircraft_sn == AIRCRAFT_SN for a in store.audit_trail(new_sn))


def test_schema_creation_is_idempotent(db_url):
    from eligibility.migrations import HISTORY

    with Store(db_url) as first, Store(db_url) as second:
        assert {first.schema_version, second.schema_version} == HISTORY.heads()


def test_default_url_comes_from_the_environment(monkeypatch, sqlite_url):
    from eligibility.store import DEFAULT_URL, database_url

    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL == "sqlite:///vidverify.db"
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    with Store.from_env() as store:
        assert store.url == sqlite_url


def test_naive_time_is_refused(store):
    add_old(store)
    with pytest.raises(ValueError, match="time zone"):
        store.evaluate(AIRCRAFT_SN, T0.replace(tzinfo=None))
    assert T0.tzinfo is UTC


def test_database_newer_than_the_code_is_refused(db_url):
    from sqlalchemy import text

    from eligibility.errors import SchemaError

    with Store(db_url) as store, store.engine.begin() as conn:
        # What a later release's migration would leave: a revision this code has never seen.
        conn.execute(text("UPDATE alembic_version_eligibility SET version_num = 'elig9999'"))
    with pytest.raises(SchemaError, match="newer"):
        Store(db_url)
