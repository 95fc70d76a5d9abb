"""The command-line flow, run as a real subprocess: products, eligibility, purchase.

The video verification is simulated by calling ``Store.issue_window`` directly, as the
worker does after an ``approved`` verdict.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eligibility.models import ProductIn
from eligibility.store import Store
from eligibility.tables import ProductRow
from tests.support.cli_run import vidverify
from tests.support.elig_helpers import AIRCRAFT_SN, RC_SN, T0
from vidverify.cli import main

T1 = T0 + timedelta(days=1)
H72 = timedelta(hours=72)


def vv(*args: str, cwd: Path, env_url: str | None = None) -> subprocess.CompletedProcess[str]:
    return vidverify(*args, cwd=cwd, db=env_url, timeout=120)


def iso(t) -> str:
    return t.isoformat()


def add_old_product(url: str, cwd: Path, sn: str = AIRCRAFT_SN, rc: str = RC_SN) -> None:
    result = vv(
        "products",
        "add",
        "--aircraft-sn",
        sn,
        "--rc-sn",
        rc,
        "--model",
        "DJI Mini 3 Pro",
        "--region",
        "US",
        "--activated-at",
        "2020-06-01T10:00:00Z",
        "--db",
        url,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    assert sn in result.stdout


def products_in(url: str) -> int:
    with Store(url) as store, store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ProductRow)).scalar_one()


def test_video_verification_flow(db_url, tmp_path):
    add_old_product(db_url, tmp_path)

    refused = vv("eligibility", AIRCRAFT_SN, "--at", iso(T1), "--db", db_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert "NOT ELIGIBLE" in refused.stdout and "activation_too_old" in refused.stdout

    with Store(db_url) as store:  # a passed video verification, as the worker reports it
        window = store.issue_window(AIRCRAFT_SN, "video_verification", "job-42", T1)

    ok = vv(
        "eligibility",
        AIRCRAFT_SN,
        "--at",
        iso(T1 + timedelta(hours=1)),
        "--json",
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    decision = json.loads(ok.stdout)
    assert decision["eligible"] and decision["code"] == "purchase_window_open"
    assert decision["window"]["id"] == window.id
    assert decision["window"]["expires_at"].startswith(iso(T1 + H72)[:19])
    assert decision["plans"] == ["1y", "2y"]

    human = vv("eligibility", RC_SN, "--at", iso(T1 + timedelta(hours=1)), "--db", db_url, cwd=tmp_path)
    assert human.returncode == 0 and "ELIGIBLE" in human.stdout
    assert f"expires {iso(T1 + H72)}" in human.stdout

    bought = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "2y",
        "--region",
        "US",
        "--at",
        iso(T1 + timedelta(hours=2)),
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert bought.returncode == 0, bought.stdout + bought.stderr
    assert "BOUND" in bought.stdout and "used" in bought.stdout
    with Store(db_url) as store:
        assert store.open_window(AIRCRAFT_SN, T1 + timedelta(hours=3)) is None
        product = store.get_product(AIRCRAFT_SN)
        assert product is not None and [p.kind for p in product.plans] == ["2y"]

    again = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "2y",
        "--region",
        "US",
        "--at",
        iso(T1 + timedelta(hours=3)),
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert again.returncode == 1 and "REFUSED" in again.stdout


def test_purchase_after_the_window_expired_is_refused(db_url, tmp_path):
    add_old_product(db_url, tmp_path)
    with Store(db_url) as store:
        store.issue_window(AIRCRAFT_SN, "video_verification", "job-1", T1)
    late = iso(T1 + H72 + timedelta(seconds=1))
    refused = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "1y",
        "--region",
        "US",
        "--at",
        late,
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert "REFUSED" in refused.stdout and "purchase_window_expired" in refused.stdout
    last_second = iso(T1 + H72)
    inside = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "1y",
        "--region",
        "US",
        "--at",
        last_second,
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert inside.returncode == 0, inside.stdout


def test_wrong_and_unsupported_region_are_refusals(sqlite_url, tmp_path):
    add_old_product(sqlite_url, tmp_path)
    with Store(sqlite_url) as store:
        store.issue_window(AIRCRAFT_SN, "repair_inspection", "rma-1", T1)
    at = iso(T1 + timedelta(hours=1))
    wrong = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "1y",
        "--region",
        "JP",
        "--at",
        at,
        "--db",
        sqlite_url,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1 and "region_mismatch" in wrong.stdout
    unsupported = vv(
        "purchase",
        AIRCRAFT_SN,
        "--plan",
        "1y",
        "--region",
        "BR",
        "--at",
        at,
        "--db",
        sqlite_url,
        cwd=tmp_path,
    )
    assert unsupported.returncode == 1 and "region_unsupported" in unsupported.stdout


BAD_INPUTS = [
    pytest.param(("eligibility", "0AXDE5K00201AB"), "no product record", id="unknown-serial"),
    pytest.param(("eligibility", "1581F6Z9C23AB001234O"), "malformed serial", id="malformed"),
    pytest.param(
        ("purchase", "0AXDE5K00201AB", "--plan", "1y", "--region", "US"),
        "no product record",
        id="purchase-unknown-serial",
    ),
    pytest.param(
        ("purchase", AIRCRAFT_SN, "--plan", "1y", "--region", "ZZ"),
        "unknown region",
        id="purchase-unknown-region",
    ),
    pytest.param(("eligibility", AIRCRAFT_SN, "--at", "tomorrow"), "not an ISO 8601 time", id="bad-time"),
    pytest.param(
        (
            "products",
            "add",
            "--aircraft-sn",
            "0AXDE5K00201AB",
            "--rc-sn",
            "0AXDE5K00201AC",
            "--model",
            "DJI Mini 9",
            "--region",
            "US",
        ),
        "unknown model",
        id="unknown-model",
    ),
    pytest.param(
        (
            "products",
            "add",
            "--aircraft-sn",
            "0AXDE5K00201AB",
            "--rc-sn",
            "0AXDE5K00201AC",
            "--model",
            "DJI Mini 3",
            "--region",
            "Mars",
        ),
        "unknown region",
        id="unknown-region",
    ),
    pytest.param(
        (
            "products",
            "add",
            "--aircraft-sn",
            "0AXDE5K00201AB",
            "--rc-sn",
            "0AXDE5K00201AC",
            "--model",
            "DJI Mini 3",
            "--region",
            "US",
            "--activated-at",
            "2999-01-01T00:00:00Z",
        ),
        "in the future",
        id="future",
    ),
    pytest.param(
        (
            "products",
            "add",
            "--aircraft-sn",
            "0axde5k00201ab",
            "--rc-sn",
            "0AXDE5K00201AC",
            "--model",
            "DJI Mini 3",
            "--region",
            "US",
        ),
        "malformed aircraft serial",
        id="add-malformed",
    ),
    pytest.param(
        (
            "products",
            "add",
            "--aircraft-sn",
            AIRCRAFT_SN,
            "--rc-sn",
            "0AXDE5K00201AC",
            "--model",
            "DJI Mini 3",
            "--region",
            "US",
        ),
        "already recorded",
        id="duplicate",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(args, message, sqlite_url, capsys):
    """Run in process (same parser and handlers as the script) to keep the suite fast."""
    with Store(sqlite_url) as store:
        store.add_product(
            ProductIn(
                aircraft_sn=AIRCRAFT_SN,
                rc_sn=RC_SN,
                model="DJI Mini 3 Pro",
                region="US",
                activated_at=T0,
            ),
            now=T1,
        )
        before = len(store.audit_trail(AIRCRAFT_SN))
    assert main([*args, "--db", sqlite_url]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert products_in(sqlite_url) == 1
    with Store(sqlite_url) as store:
        assert len(store.audit_trail(AIRCRAFT_SN)) == before


def test_malformed_serial_does_not_even_create_the_database(tmp_path):
    result = vv("eligibility", "bad-serial", cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "vidverify.db").exists()


def test_default_store_is_vidverify_db_in_the_current_directory(tmp_path):
    result = vv(
        "products",
        "add",
        "--aircraft-sn",
        AIRCRAFT_SN,
        "--rc-sn",
        RC_SN,
        "--model",
        "Mini 3 Pro",
        "--region",
        "US",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "vidverify.db").exists()
    fresh = vv("eligibility", AIRCRAFT_SN, cwd=tmp_path)
    assert fresh.returncode == 0 and "not_activated" in fresh.stdout


def test_database_url_environment_variable(sqlite_url, tmp_path):
    result = vv(
        "products",
        "add",
        "--aircraft-sn",
        AIRCRAFT_SN,
        "--rc-sn",
        RC_SN,
        "--model",
        "Mini 3 Pro",
        "--region",
        "US",
        cwd=tmp_path,
        env_url=sqlite_url,
    )
    assert result.returncode == 0, result.stderr
    assert products_in(sqlite_url) == 1
    assert not (tmp_path / "vidverify.db").exists()


def test_products_import_csv_and_json(db_url, tmp_path):
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "aircraft_sn,rc_sn,model,region,activated_at\n"
        f"{AIRCRAFT_SN},{RC_SN},DJI Air 3,EU,2024-02-01T00:00:00Z\n"
    )
    result = vv("products", "import", str(csv_file), "--db", db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "imported 1" in result.stdout
    json_file = tmp_path / "products.json"
    json_file.write_text(
        json.dumps(
            [
                {
                    "aircraft_sn": "0AXDE5K00201AB",
                    "rc_sn": "0AXDE5K00201AC",
                    "model": "DJI Mavic 3",
                    "region": "UK",
                    "plans": [{"kind": "1y", "start": "2025-01-01T12:00:00Z"}],
                },
            ]
        )
    )
    result = vv("products", "import", str(json_file), "--db", db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    renew = vv(
        "eligibility",
        "0AXDE5K00201AB",
        "--at",
        "2025-12-01T00:00:00Z",
        "--json",
        "--db",
        db_url,
        cwd=tmp_path,
    )
    assert json.loads(renew.stdout)["code"] == "renewal_plan_active"
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    result = vv("products", "import", str(bad), "--db", db_url, cwd=tmp_path)
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    assert products_in(db_url) == 2
