"""The whole flow from the command line: a product activated long ago is refused; a passing
recording is checked with ``vidverify check``; the product becomes eligible through video
verification with a window that expires 72 h later; a purchase inside the window binds the plan
and closes it; after expiry a purchase is refused. On the SQLite default and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eligibility.store import Store
from tests.support.cli_run import vidverify
from tests.support.pg_schema import fresh_schema

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "videos"


def _case(name: str) -> dict:
    cases = json.loads((FIXTURES / "manifest.json").read_text())["cases"]
    return next(c for c in cases if c["file"] == name)


def vv(*args: str, cwd: Path, db: str | None) -> subprocess.CompletedProcess[str]:
    return vidverify(*args, cwd=cwd, db=db)


@pytest.fixture(params=["sqlite-default", "postgresql"])
def database(request) -> Iterator[str | None]:
    """None means the embedded default: ./vidverify.db in the working directory."""
    if request.param == "sqlite-default":
        yield None
        return
    with fresh_schema("flow") as url:
        yield url


def add_old_product(case: dict, region: str, cwd: Path, db: str | None) -> str:
    """Store the claimed product, activated long ago; return its aircraft SN."""
    p = case["product"]
    added = vv(
        "products", "add", "--aircraft-sn", p["aircraft_sn"], "--rc-sn", p["rc_sn"], "--model", p["model"],
        "--region", region, "--activated-at", "2024-03-01T12:00:00Z", cwd=cwd, db=db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return p["aircraft_sn"]


def check(case: dict, sn: str, cwd: Path, db: str | None, *extra: str) -> subprocess.CompletedProcess[str]:
    """``vidverify check`` with no --rc-sn: the RC serial and model come from the stored record."""
    result = vv("check", str(FIXTURES / case["file"]), "--aircraft-sn", sn, *extra, cwd=cwd, db=db)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def purchase(sn: str, plan: str, region: str, at: datetime, cwd: Path, db: str | None) -> int:
    return vv(
        "purchase", sn, "--plan", plan, "--region", region, "--at", at.isoformat(), cwd=cwd, db=db
    ).returncode


def test_video_verification_opens_a_window(database: str | None, tmp_path: Path) -> None:
    case = _case("ok_go4_720p30.mp4")
    sn = add_old_product(case, "US", tmp_path, database)
    if database is None:
        assert (tmp_path / "vidverify.db").exists()
    refused = vv("eligibility", sn, "--json", cwd=tmp_path, db=database)
    assert refused.returncode == 1, refused.stdout + refused.stderr

    started = datetime.now(UTC)
    report = json.loads(check(case, sn, tmp_path, database, "--json").stdout)
    assert report["verdict"] == "approved"
    expires = datetime.fromisoformat(report["window_expires_at"])
    assert started + timedelta(hours=72) <= expires <= datetime.now(UTC) + timedelta(hours=72)

    eligible = vv("eligibility", sn, "--json", cwd=tmp_path, db=database)
    assert eligible.returncode == 0, eligible.stdout + eligible.stderr
    assert "video_verification" in eligible.stdout

    inside = started + timedelta(hours=1)
    assert purchase(sn, "2y", "US", inside, tmp_path, database) == 0
    # Binding the plan closed the window: a second first purchase (2-Year) is refused.
    with Store(database or f"sqlite:///{tmp_path / 'vidverify.db'}") as store:
        assert store.open_window(sn, inside + timedelta(minutes=1)) is None
    assert purchase(sn, "2y", "US", inside, tmp_path, database) == 1


def test_purchase_after_expiry_is_refused(database: str | None, tmp_path: Path) -> None:
    case = _case("ok_fly_2400x1080_60.mp4")
    sn = add_old_product(case, "EU", tmp_path, database)
    first = check(case, sn, tmp_path, database).stdout
    assert "purchase window open until" in first
    # The same recording checked again finds the same window (its reference is the file's hash).
    window_line = [line for line in first.splitlines() if "purchase window" in line]
    again = check(case, sn, tmp_path, database).stdout
    assert [line for line in again.splitlines() if "purchase window" in line] == window_line
    late = datetime.now(UTC) + timedelta(hours=73)
    assert purchase(sn, "1y", "EU", late, tmp_path, database) == 1


def test_check_usage_errors(tmp_path: Path) -> None:
    missing = vv("check", str(tmp_path / "nope.mp4"), "--rc-sn", "X", cwd=tmp_path, db=None)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_rc = vv("check", str(FIXTURES / "ok_go4_720p30.mp4"), cwd=tmp_path, db=None)
    assert no_rc.returncode == 2 and "--rc-sn" in no_rc.stderr
    bad_url = vv("check", "https://evil.example.com/v.mp4", "--rc-sn", "X", cwd=tmp_path, db=None)
    assert bad_url.returncode == 2 and "not allowed" in bad_url.stderr
