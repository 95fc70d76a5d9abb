"""Pages, health and metrics over HTTP (no browser): sessions, CSRF, evidence confinement."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from web import submissions

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
    assert f"Submission {made.id} rejected by rita (Weak GPS)." in first.text
    second = client.post(f"/review/{made.id}/decision", data={"verdict": "approved", "csrf": token})
    assert second.status_code == 409
    assert "already reviewed" in second.text
    assert 'id="decision"' in second.text and 'id="approve"' not in second.text


def test_a_stale_decision_keeps_its_comment_and_names_who_decided(
    web: Any, make_submission: Any, client_for: Any
) -> None:
    settings, rita = web
    made = make_submission(settings, "flagged", with_video=False)
    _login(rita, "rita")
    rita_token = _csrf(rita.get(f"/review/{made.id}").text)  # rita opens it first: her claim
    otto = client_for(settings)
    _login(otto, "otto")
    page = otto.get(f"/review/{made.id}").text
    assert "<b>rita</b> claimed this case" in page and 'id="take-over"' in page
    otto_token = _csrf(page)
    # otto decides without taking over: refused, his comment kept
    refused = otto.post(
        f"/review/{made.id}/decision",
        data={"verdict": "approved", "comment": "serial legible at 0:03", "csrf": otto_token},
    )
    assert refused.status_code == 409 and "rita has claimed this case" in refused.text
    assert "serial legible at 0:03</textarea>" in refused.text
    # rita decides; otto, having taken over a moment too late, is told who decided
    rita.post(
        f"/review/{made.id}/decision", data={"verdict": "rejected", "reason": "gps_weak", "csrf": rita_token}
    )
    stale = otto.post(
        f"/review/{made.id}/decision",
        data={"verdict": "approved", "comment": "serial legible at 0:03", "csrf": otto_token},
    )
    assert stale.status_code == 409
    assert "Already decided: rejected by rita" in stale.text
    assert "serial legible at 0:03</textarea>" in stale.text
    view = submissions.get(settings, made.id)
    assert (view.review_verdict, view.reviewer) == ("rejected", "rita")
    history = rita.get(f"/review/{made.id}").text
    assert "claimed the case" in history and "decision refused: already decided" in history


def test_rejecting_without_a_reason_is_refused_in_place(web: Any, make_submission: Any) -> None:
    settings, client = web
    made = make_submission(settings, "flagged", with_video=False)
    _login(client, "rita")
    token = _csrf(client.get(f"/review/{made.id}").text)
    response = client.post(
        f"/review/{made.id}/decision", data={"verdict": "rejected", "comment": "blurry", "csrf": token}
    )
    assert response.status_code == 422
    assert 'id="form-error"' in response.text and "Choose a reason to reject." in response.text
    assert 'aria-invalid="true"' in response.text and "blurry</textarea>" in response.text
    # a message cannot be planted through the address
    spoof = client.get(f"/review/{made.id}?msg=Approved+by+the+boss").text
    assert "Approved by the boss" not in spoof


def test_owner_status_link_is_signed(web: Any, make_submission: Any, client_for: Any) -> None:
    from workers import owner_links

    settings, _client = web
    made = make_submission(settings, "rejected", with_video=False)
    anonymous = client_for(settings)
    good = owner_links.token(made.id, settings.owner_secret)
    page = anonymous.get(f"/status/{made.id}/{good}")
    assert page.status_code == 200 and "Not accepted." in page.text
    assert "registered with this aircraft" in page.text  # the e-mail's sentence for the reason
    other = owner_links.token(made.id + 1, settings.owner_secret)
    assert anonymous.get(f"/status/{made.id}/{other}").status_code == 404
    assert anonymous.get(f"/status/{made.id}/{'0' * 32}").status_code == 404
    assert anonymous.get(f"/status/{made.id}/{good}/frames/0").status_code == 200


def test_owner_link_in_emails(make_settings: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import owner_links

    settings = make_settings(sqlite_url)
    assert owner_links.link(7) is None  # no public address: no link
    monkeypatch.setenv("VIDVERIFY_PUBLIC_URL", "https://verify.example.org/")
    link = owner_links.link(7)
    assert link == f"https://verify.example.org/status/7/{owner_links.token(7, settings.owner_secret)}"


def test_serial_differences_are_marked() -> None:
    from web.evidence import serial_runs

    read, expected = serial_runs("1581FB71CL0FKKSRDVPS", "1581FB71CLOFKKSRDVPS")
    assert [t for t, diff in read if diff] == ["0"]
    assert [t for t, diff in expected if diff] == ["O"]
    assert "".join(t for t, _ in read) == "1581FB71CL0FKKSRDVPS"
    assert serial_runs(None, "ABC") == ([], [("ABC", False)])


def test_errors_read_as_sentences() -> None:
    from web.errors import explain

    text = explain("fetch failed: HTTP Error 403: Forbidden (yt-dlp)", "permanent")
    assert "refused the download" in text and "fail the same way again" in text
    assert "see the raw error" in explain("something odd", None)


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
    from prometheus_client.parser import text_string_to_metric_families
    from rq import Queue

    from workers import measures
    from workers.db import get_database

    settings, client = web
    flagged = make_submission(settings, "flagged", with_video=False)
    approved = make_submission(settings, "approved", with_video=False)
    make_submission(settings, "flagged", with_video=False)
    with get_database(settings.database_url).tx() as s:  # what the workers would have measured
        for seconds in (0.7, 3.0, 45.0):
            measures.record(s, approved.id, "analyse", seconds)
        measures.record(s, approved.id, "queue_wait", 2.0, "fetch")
        measures.record(s, flagged.id, measures.FETCH_FAILURE, label="timeout")
    _login(client, "rita")
    token = _csrf(client.get(f"/review/{flagged.id}").text)
    client.post(f"/review/{flagged.id}/decision", data={"verdict": "approved", "csrf": token})
    queue = Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn)
    queue.enqueue("os.getcwd", job_id="m-1")
    assert client.get("/metrics").status_code == 401  # not public by default
    _login(client, "otto")  # an operator's session may read them
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    kinds = {name: f.type for name, f in families.items()}
    assert kinds["vidverify_submissions"] == kinds["vidverify_reviews"] == "counter"
    assert kinds["vidverify_fetch_failures"] == "counter"
    for name in ("fetch_duration", "analyse_duration", "post_to_verdict"):
        assert kinds[f"vidverify_{name}_seconds"] == "histogram"
    assert kinds["vidverify_queue_depth"] == kinds["vidverify_review_backlog"] == "gauge"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples
    }
    assert samples[("vidverify_submissions_total", (("verdict", "needs_review"),))] == 2
    assert samples[("vidverify_submissions_total", (("verdict", "approved"),))] == 1
    assert samples[("vidverify_reviews_total", (("verdict", "approved"),))] == 1
    assert samples[("vidverify_fetch_failures_total", (("kind", "timeout"),))] == 1
    assert samples[("vidverify_analyse_duration_seconds_count", ())] == 3
    assert samples[("vidverify_analyse_duration_seconds_sum", ())] == pytest.approx(48.7)
    assert samples[("vidverify_analyse_duration_seconds_bucket", (("le", "1.0"),))] == 1
    assert samples[("vidverify_analyse_duration_seconds_bucket", (("le", "5.0"),))] == 2
    assert samples[("vidverify_analyse_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert samples[("vidverify_queue_wait_seconds_count", (("queue", "fetch"),))] == 1
    assert samples[("vidverify_queue_depth", (("queue", queue.name),))] == 1
    assert samples[("vidverify_review_backlog", ())] == 1  # one flagged left after the review
    assert samples[("vidverify_redis_up", ())] == 1

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


def test_a_rejection_email_links_to_the_owner_page(
    web: Any, make_submission: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from workers.db import get_database
    from workers.models import OutboxRow

    settings, client = web
    monkeypatch.setenv("VIDVERIFY_PUBLIC_URL", "http://verify.test")
    made = make_submission(settings, "flagged", with_video=False)
    _login(client, "rita")
    token = _csrf(client.get(f"/review/{made.id}").text)
    client.post(
        f"/review/{made.id}/decision", data={"verdict": "rejected", "reason": "gps_weak", "csrf": token}
    )
    with get_database(settings.database_url).tx() as s:
        body = s.scalar(select(OutboxRow.body).where(OutboxRow.submission_id == made.id))
    link = re.search(r"http://verify\.test(/status/\S+)", body).group(1)
    page = client_for(settings).get(link)  # no session: the link alone opens it
    assert page.status_code == 200 and "Not accepted." in page.text
    assert "GPS signal was weak" in page.text and "Camera view with GPS" in page.text


def test_all_submissions_search(web: Any, make_submission: Any) -> None:
    settings, client = web
    flagged = make_submission(settings, "flagged", with_video=False)
    rejected = make_submission(settings, "rejected", with_video=False)
    failed = make_submission(settings, "failed")
    _login(client, "rita")

    def ids(**params: str) -> list[int]:
        html = client.get("/submissions", params=params).text
        return [int(i) for i in re.findall(r'<li class="case-row" data-id="(\d+)"', html)]

    assert ids() == [failed.id, rejected.id, flagged.id]  # newest first
    assert ids(q="fmg9ppm1") == [failed.id, rejected.id, flagged.id]  # part of the serial, any case
    assert ids(q="no-such-serial") == []
    assert ids(q=str(rejected.id)) == [rejected.id]
    assert ids(verdict="rejected") == [rejected.id]
    assert ids(state="failed") == [failed.id]
    assert ids(since="2000-01-01", until="2000-01-02") == []
    assert ids(state="not-a-state") == ids()  # an unknown filter is ignored, not an error
    assert client.get("/submissions", params={"since": "yesterday"}).status_code == 200


def test_reopen_is_for_operators_and_machine_rejections_only(
    web: Any, make_submission: Any, client_for: Any
) -> None:
    settings, rita = web
    rejected = make_submission(settings, "rejected", with_video=False)
    approved = make_submission(settings, "approved", with_video=False)
    _login(rita, "rita")
    token = _csrf(rita.get(f"/review/{rejected.id}").text)
    assert 'id="reopen-form"' not in rita.get(f"/review/{rejected.id}").text
    refused = rita.post(f"/submissions/{rejected.id}/reopen", data={"reason": "looks fine", "csrf": token})
    assert refused.status_code == 403
    otto = client_for(settings)
    _login(otto, "otto")
    token = _csrf(otto.get(f"/review/{rejected.id}").text)
    no_reason = otto.post(f"/submissions/{rejected.id}/reopen", data={"reason": " ", "csrf": token})
    assert no_reason.status_code == 409 and "reopening needs a reason" in no_reason.text
    wrong = otto.post(f"/submissions/{approved.id}/reopen", data={"reason": "check", "csrf": token})
    assert wrong.status_code == 409 and "only those can be reopened" in wrong.text
    assert submissions.get(settings, approved.id).verdict == "approved"
    assert submissions.get(settings, rejected.id).verdict == "rejected"
