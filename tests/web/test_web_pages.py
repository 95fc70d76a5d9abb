"""Pages, health and metrics over HTTP (no browser): sessions, CSRF, evidence confinement."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct horse battery"


def _login(client: Any, name: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
def web(make_settings: Any, sqlite_url: str, users: Any, client_for: Any) -> tuple[Any, Any]:
    settings = make_settings(sqlite_url)
    users(settings)
    return settings, client_for(settings)


def test_login_needs_its_csrf_cookie(web: Any) -> None:
    _settings, client = web
    response = client.post("/login", data={"username": "rita", "password": PASSWORD, "csrf": "x"})
    assert response.status_code == 403
    assert "vv_session" not in response.cookies


def test_password_guessing_is_throttled(
    make_settings: Any, sqlite_url: str, users: Any, client_for: Any
) -> None:
    settings = make_settings(sqlite_url, VIDVERIFY_WEB_LOGIN_PER_MINUTE="3")
    users(settings)
    client = client_for(settings)
    token = _csrf(client.get("/login").text)

    def attempt(name: str, password: str) -> Any:
        data = {"username": name, "password": password, "csrf": token}
        return client.post("/login", data=data, follow_redirects=False)

    assert [attempt("rita", f"guess {i}").status_code for i in range(3)] == [401, 401, 401]
    blocked = attempt("Rita", PASSWORD)  # the right password, but the name is throttled
    assert blocked.status_code == 429 and "Too many attempts" in blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "vv_session" not in blocked.cookies
    # the address is throttled too: another name from it is refused as well
    assert attempt("otto", PASSWORD).status_code == 429


def test_a_decision_without_csrf_token_is_refused(web: Any, make_submission: Any) -> None:
    from web import submissions

    settings, client = web
    made = make_submission(settings, "flagged", with_video=False)
    _login(client, "rita")
    for token in ("", "forged"):
        response = client.post(f"/review/{made.id}/decision", data={"verdict": "approved", "csrf": token})
        assert response.status_code == 403
    assert submissions.get(settings, made.id).review_verdict is None
    page = client.get(f"/review/{made.id}")
    response = client.post(
        f"/review/{made.id}/decision",
        data={"verdict": "approved", "csrf": _csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert submissions.get(settings, made.id).review_verdict == "approved"


def test_a_tampered_session_cookie_is_ignored(web: Any) -> None:
    _settings, client = web
    _login(client, "rita")
    value = client.cookies.get("vv_session")
    client.cookies.set("vv_session", value[:-1] + ("A" if value[-1] != "A" else "B"))
    response = client.get("/review", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_anonymous_post_and_media_are_refused(web: Any, make_submission: Any) -> None:
    settings, client = web
    made = make_submission(settings, "flagged")
    assert client.post(f"/review/{made.id}/decision", data={"verdict": "approved"}).status_code == 401
    assert client.post(f"/ops/requeue/{made.id}", data={}).status_code == 401
    for path in (f"/review/{made.id}/frames/0", f"/review/{made.id}/video"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/login" in response.headers["location"]


def test_evidence_and_video_are_served_to_reviewers_only_from_their_dirs(
    web: Any, make_submission: Any, tmp_path: Path
) -> None:
    from workers.db import get_database
    from workers.models import SubmissionRow

    settings, client = web
    made = make_submission(settings, "flagged")
    _login(client, "rita")
    image = client.get(f"/review/{made.id}/frames/0")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    assert client.get(f"/review/{made.id}/frames/99").status_code == 404
    video = client.get(f"/review/{made.id}/video", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and len(video.content) == 100

    # a report pointing outside the evidence dir, a video outside the work dir: not served
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8 not evidence")
    with get_database(settings.database_url).tx() as s:
        row = s.get(SubmissionRow, made.id)
        report = json.loads(row.report_json)
        report["steps"][0]["evidence"][0]["image"] = str(settings.evidence_dir / ".." / "secret.jpg")
        row.report_json = json.dumps(report)
        row.video_path = str(secret)
    assert client.get(f"/review/{made.id}/frames/0").status_code == 404
    assert client.get(f"/review/{made.id}/video").status_code == 404
    assert "<video" not in client.get(f"/review/{made.id}").text


def test_a_reviewed_submission_cannot_be_decided_twice(web: Any, make_submission: Any) -> None:
    settings, client = web
    made = make_submission(settings, "flagged", with_video=False)
    _login(client, "rita")
    token = _csrf(client.get(f"/review/{made.id}").text)
    first = client.post(
        f"/review/{made.id}/decision", data={"verdict": "rejected", "reason": "gps_weak", "csrf": token}
    )
    assert "Recorded: rejected by rita" in first.text
    second = client.post(f"/review/{made.id}/decision", data={"verdict": "approved", "csrf": token})
    assert "already reviewed" in second.text
    assert 'id="decision"' in second.text and 'id="approve"' not in second.text


def test_unknown_submission_is_404(web: Any) -> None:
    _settings, client = web
    _login(client, "rita")
    assert client.get("/review/424242").status_code == 404


def test_healthz_reports_readiness(make_settings: Any, sqlite_url: str, client_for: Any, users: Any) -> None:
    settings = make_settings(sqlite_url, VIDVERIFY_WEB_METRICS_TOKEN="scrape-me")
    users(settings)
    ok = client_for(settings).get("/healthz")
    assert ok.status_code == 200
    assert ok.json() == {"live": True, "ready": True}

    down = make_settings(
        sqlite_url, REDIS_URL="redis://127.0.0.1:1/0", VIDVERIFY_WEB_METRICS_TOKEN="scrape-me"
    )
    client = client_for(down)
    response = client.get("/healthz")
    assert response.status_code == 503
    # Public: terse, no error text (it named Redis's host and port).
    assert response.json() == {"live": True, "ready": False}
    assert "127.0.0.1" not in response.text
    # Operators (a session or the metrics token) see what failed.
    for headers in ({"Authorization": "Bearer scrape-me"}, {}):
        if not headers:
            _login(client, "otto")
        body = client.get("/healthz", headers=headers).json()
        assert body["ready"] is False
        assert body["checks"]["database"] == "ok" and "127.0.0.1:1" in body["checks"]["redis"]


def test_healthz_on_postgresql_and_a_dead_database(make_settings: Any, pg_url: str, client_for: Any) -> None:
    assert client_for(make_settings(pg_url)).get("/healthz").status_code == 200
    # building the app does not touch the database; /healthz finds it unreachable
    dead = client_for(
        make_settings("postgresql+psycopg://postgres@127.0.0.1:1/test", VIDVERIFY_WEB_METRICS_TOKEN="t")
    )
    response = dead.get("/healthz", headers={"Authorization": "Bearer t"})
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "ok"
    assert response.json()["checks"]["database"] != "ok"


def test_metrics_in_prometheus_format(
    web: Any, make_submission: Any, redis_conn: Any, make_settings: Any, client_for: Any
) -> None:
    from rq import Queue

    settings, client = web
    make_submission(settings, "flagged", with_video=False)
    make_submission(settings, "approved", with_video=False)
    queue = Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn)
    queue.enqueue("os.getcwd", job_id="m-1")
    assert client.get("/metrics").status_code == 401  # not public by default
    _login(client, "otto")  # an operator's session may read them
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert f'vidverify_queue_queued_jobs{{queue="{queue.name}"}} 1' in text
    assert 'vidverify_verdicts{window="1h",verdict="needs_review"} 1' in text
    assert 'vidverify_verdicts{window="1d",verdict="approved"} 1' in text
    assert "vidverify_review_waiting 1" in text
    assert 'vidverify_stage_latency_seconds{stage="analyse",quantile="0.95"}' in text
    assert "vidverify_redis_up 1" in text
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$", line), line

    scraper = client_for(make_settings(settings.database_url, VIDVERIFY_WEB_METRICS_TOKEN="scrape-me"))
    assert scraper.get("/metrics").status_code == 401
    assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scraper.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    public = client_for(make_settings(settings.database_url, VIDVERIFY_WEB_PUBLIC_METRICS="1"))
    assert public.get("/metrics").status_code == 200


def test_percentile() -> None:
    from web.submissions import percentile

    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0


def test_passwords_are_hashed() -> None:
    from web.passwords import hash_password, verify_password

    stored = hash_password("s3cret-pass")
    assert "s3cret-pass" not in stored and stored.startswith("scrypt$")
    assert verify_password("s3cret-pass", stored)
    assert not verify_password("s3cret-pasS", stored)
    assert not verify_password("x", "garbage")
    assert hash_password("s3cret-pass") != stored  # salted
