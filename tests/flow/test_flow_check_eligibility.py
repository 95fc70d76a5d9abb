"""The whole flow from the command line: a product activated long ago is refused; a passing
recording is checked with ``vidverify check``; the product becomes eligible through video
verification with a window that expires 72 h later; a purchase inside the window binds the plan
and closes it; after expiry a purchase is refused. On the SQLite default and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from eligibility.store import Store

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "videos"
PG_URL = os.environ.get("ELIGIBILITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _case(name: str) -> dict:
    cases = json.loads((FIXTURES / "manifest.json").read_text())["cases"]
    return next(c for c in cases if c["file"] == name)


def vv(*args: str, cwd: Path, db: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if db:
        env["DATABASE_URL"] = db
    return subprocess.run(
        [sys.executable, "-m", "vidverify.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(params=["sqlite-default", "postgresql"])
def database(request, tmp_path: Path) -> Iterator[str | None]:
    """None means the embedded default: ./vidverify.db in the working directory."""
    if request.param == "sqlite-default":
        yield None
        return
    schema = f"flow_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_video_verification_opens_a_window(database: str | None, tmp_path: Path) -> None:
    case = _case("ok_go4_720p30.mp4")
    product = case["product"]
    sn = product["aircraft_sn"]
    added = vv(
        "products", "add", "--aircraft-sn", sn, "--rc-sn", product["rc_sn"], "--model", product["model"],
        "--region", "US", "--activated-at", "2024-03-01T12:00:00Z", cwd=tmp_path, db=database,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    if database is None:
        assert (tmp_path / "vidverify.db").exists()

    refused = vv("eligibility", sn, "--json", cwd=tmp_path, db=database)
    assert refused.returncode == 1, refused.stdout + refused.stderr

    # No --rc-sn: the RC serial and model come from the stored record.
    started = datetime.now(UTC)
    checked = vv(
        "check", str(FIXTURES / case["file"]), "--aircraft-sn", sn, "--json", cwd=tmp_path, db=database
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    report = json.loads(checked.stdout)
    assert report["verdict"] == "approved"
    expires = datetime.fromisoformat(report["window_expires_at"])
    assert started + timedelta(hours=72) <= expires <= datetime.now(UTC) + timedelta(hours=72)

    eligible = vv("eligibility", sn, "--json", cwd=tmp_path, db=database)
    assert eligible.returncode == 0, eligible.stdout + eligible.stderr
    assert "video_verification" in eligible.stdout

    inside = started + timedelta(hours=1)
    bought = vv(
        "purchase",
        sn,
        "--plan",
        "2y",
        "--region",
        "US",
        "--at",
        inside.isoformat(),
        cwd=tmp_path,
        db=database,
    )
    assert bought.returncode == 0, bought.stdout + bought.stderr
    # Binding the plan closed the window: a second first purchase (2-Year) is refused.
    with Store(database or f"sqlite:///{tmp_path / 'vidverify.db'}") as store:
        assert store.open_window(sn, inside + timedelta(minutes=1)) is None
    again = vv(
        "purchase",
        sn,
        "--plan",
        "2y",
        "--region",
        "US",
        "--at",
        inside.isoformat(),
        cwd=tmp_path,
        db=database,
    )
    assert again.returncode == 1, again.stdout


def test_purchase_after_expiry_is_refused(database: str | None, tmp_path: Path) -> None:
    case = _case("ok_fly_2400x1080_60.mp4")
    product = case["product"]
    sn = product["aircraft_sn"]
    added = vv(
        "products", "add", "--aircraft-sn", sn, "--rc-sn", product["rc_sn"], "--model", product["model"],
        "--region", "EU", "--activated-at", "2024-03-01T12:00:00Z", cwd=tmp_path, db=database,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    checked = vv("check", str(FIXTURES / case["file"]), "--aircraft-sn", sn, cwd=tmp_path, db=database)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "purchase window open until" in checked.stdout
    late = (datetime.now(UTC) + timedelta(hours=73)).isoformat()
    refused = vv("purchase", sn, "--plan", "1y", "--region", "EU", "--at", late, cwd=tmp_path, db=database)
    assert refused.returncode == 1, refused.stdout + refused.stderr


def test_check_usage_errors(tmp_path: Path) -> None:
    missing = vv("check", str(tmp_path / "nope.mp4"), "--rc-sn", "X", cwd=tmp_path, db=None)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_rc = vv("check", str(FIXTURES / "ok_go4_720p30.mp4"), cwd=tmp_path, db=None)
    assert no_rc.returncode == 2 and "--rc-sn" in no_rc.stderr
    bad_url = vv("check", "https://evil.example.com/v.mp4", "--rc-sn", "X", cwd=tmp_path, db=None)
    assert bad_url.returncode == 2 and "not allowed" in bad_url.stderr
