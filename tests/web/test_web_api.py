"""The intake API against real Redis and a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from rq import Queue
from sqlalchemy import func, select

BODY = {
    "youtube_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "model": "DJI Air 3",
    "aircraft_sn": "1581FMG9PPM1EK73SNK5",
    "owner_name": "Ada Lovelace",
    "owner_email": "ada@example.org",
}


def _count_rows(settings: Any) -> int:
    from workers.db import get_database
    from workers.models import SubmissionRow

    with get_database(settings.database_url).tx() as s:
        return s.scalar(select(func.count()).select_from(SubmissionRow)) or 0


def _fetch_queue(settings: Any, redis_conn: Any) -> Queue:
    return Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn)


@pytest.fixture
def api(
    make_settings: Any, client_for: Any, sqlite_url: str, product: Any
) -> tuple[Any, Any, dict[str, str]]:
    from web.tokens import create_token

    settings = make_settings(sqlite_url, rate_per_minute=100)
    product(settings)
    token = create_token(settings.database_url, "intake-test")
    return settings, client_for(settings), {"Authorization": f"Bearer {token}"}


def test_without_a_token_the_api_refuses(api: Any) -> None:
    _settings, client, _auth = api
    for response in (
        client.post("/api/submissions", json=BODY),
        client.get("/api/submissions/1"),
        client.post("/api/submissions", json=BODY, headers={"Authorization": "Bearer vv_wrong"}),
        client.post("/api/submissions", json=BODY, headers={"Authorization": "Basic abc"}),
    ):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


def test_submission_flow_on_both_databases(
    db_url: str, make_settings: Any, client_for: Any, redis_conn: Any, product: Any
) -> None:
    from web.tokens import create_token

    settings = make_settings(db_url)
    product(settings)
    client = client_for(settings)
    auth = {"Authorization": f"Bearer {create_token(settings.database_url, 'svc')}"}

    response = client.post("/api/submissions", json=BODY, headers=auth)
    assert response.status_code == 202, response.text
    data = response.json()
    assert data["state"] == "queued"
    assert data["verdict"] is None and data["window_expires_at"] is None
    queue = _fetch_queue(settings, redis_conn)
    assert queue.job_ids == [f"{settings.workers.queue_prefix}-{data['id']}-fetch-1"]

    # the same link for the same aircraft: the same submission, nothing queued twice
    again = client.post("/api/submissions", json=BODY, headers=auth)
    assert again.status_code == 202
    assert again.json()["id"] == data["id"]
    assert queue.count == 1
    assert _count_rows(settings) == 1

    status = client.get(f"/api/submissions/{data['id']}", headers=auth)
    assert status.status_code == 200
    assert status.json()["state"] == "queued"
    assert client.get("/api/submissions/999999", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"youtube_url": None}, "youtube_url"),
        ({"aircraft_sn": "12"}, "aircraft_sn"),
        ({"aircraft_sn": "1581F MG9 PPM"}, "aircraft_sn"),
        ({"owner_email": "not-an-address"}, "owner_email"),
        ({"owner_name": ""}, "owner_name"),
        ({"model": None}, "model"),
        ({"gimbal_sn": "!!"}, "gimbal_sn"),
        ({"colour": "red"}, "colour"),
        ({"locale": "fr FR"}, "locale"),
        ({"locale": ""}, "locale"),
        ({"locale": "zh-" + "x" * 70}, "locale"),
    ],
)
def test_bad_input_is_a_clear_422(api: Any, change: dict[str, Any], field: str) -> None:
    settings, client, auth = api
    body = {**BODY, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/api/submissions", json=body, headers=auth)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field for e in errors), errors
    assert all(e["msg"] for e in errors)
    assert _count_rows(settings) == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [("fr-FR", "fr"), ("zh-Hant-TW", "zh-TW"), ("zh-TW", "zh-TW"), ("zh-Hans", "zh-CN"), ("zh", "zh-CN"),
     ("ja", "ja"), ("nl-BE", "en"), (None, None)],
)  # fmt: skip
def test_the_owners_locale_is_normalised_kept_and_shown(api: Any, given: str | None, kept: Any) -> None:
    _settings, client, auth = api
    body = {**BODY, "locale": given} if given is not None else BODY
    response = client.post("/api/submissions", json=body, headers=auth)
    assert response.status_code == 202, response.text
    assert response.json()["locale"] == kept
    shown = client.get(f"/api/submissions/{response.json()['id']}", headers=auth)
    assert shown.status_code == 200 and shown.json()["locale"] == kept


def test_a_malformed_locale_is_a_422_that_says_why(api: Any) -> None:
    settings, client, auth = api
    response = client.post("/api/submissions", json={**BODY, "locale": "english please"}, headers=auth)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "locale"]
    assert "not a language tag (BCP 47, such as en, fr-FR or zh-Hant-TW): 'english please'" in error["msg"]
    assert _count_rows(settings) == 0


def test_not_json_is_a_422(api: Any) -> None:
    _settings, client, auth = api
    response = client.post("/api/submissions", content=b"youtube_url=x", headers=auth)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/video.mp4",
        "file:///etc/passwd",
        "ftp://www.youtube.com/watch?v=x",
        "https://www.youtube.com/playlist?list=PL123",
        "https://evil.example/?u=https://www.youtube.com/watch?v=x",
    ],
)
def test_disallowed_links_are_refused_before_queueing(api: Any, redis_conn: Any, url: str) -> None:
    settings, client, auth = api
    response = client.post("/api/submissions", json={**BODY, "youtube_url": url}, headers=auth)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "youtube_url"]
    assert error["type"] == "url_refused"
    assert "refused" in error["msg"]
    assert _count_rows(settings) == 0
    assert _fetch_queue(settings, redis_conn).count == 0


def test_private_addresses_are_refused_by_default(
    api: Any, monkeypatch: pytest.MonkeyPatch, redis_conn: Any
) -> None:
    settings, client, auth = api
    monkeypatch.setenv("VIDVERIFY_ALLOW_PRIVATE", "0")
    monkeypatch.setenv("VIDVERIFY_ALLOWED_HOSTS", "youtube.com,localhost")
    response = client.post(
        "/api/submissions", json={**BODY, "youtube_url": "http://localhost/x.mp4"}, headers=auth
    )
    assert response.status_code == 422
    assert "private or loopback" in response.json()["detail"][0]["msg"]
    assert _fetch_queue(settings, redis_conn).count == 0


class CountingResolver:
    """Stands in for DNS for one host name (the test machines have none), passes every other
    look-up (Redis, PostgreSQL) through, and counts the look-ups of that host."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, host: str, answer: str | None) -> None:
        import socket

        self.host, self.answer, self.calls = host, answer, 0
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        import socket

        if host != self.host:
            return self._real(host, *args, **kwargs)
        self.calls += 1
        if self.answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (self.answer, 0))]


def test_a_link_is_validated_once_per_post(
    api: Any, monkeypatch: pytest.MonkeyPatch, redis_conn: Any
) -> None:
    """The workers' intake validates the link; the web layer maps its refusal and does not
    check again: one DNS look-up of the video host per POST."""
    settings, client, auth = api
    monkeypatch.setenv("VIDVERIFY_ALLOW_PRIVATE", "0")  # the private-address check resolves the host
    resolver = CountingResolver(monkeypatch, "www.youtube.com", "142.250.74.46")
    response = client.post("/api/submissions", json=BODY, headers=auth)
    assert response.status_code == 202, response.text
    assert resolver.calls == 1
    assert _fetch_queue(settings, redis_conn).count == 1
    # Its host resolving to a private address: refused, after one look-up, nothing stored.
    resolver.answer, resolver.calls = "10.0.0.7", 0
    other = client.post(
        "/api/submissions", json={**BODY, "youtube_url": BODY["youtube_url"] + "1"}, headers=auth
    )
    assert other.status_code == 422 and other.json()["detail"][0]["type"] == "url_refused"
    assert "private or loopback" in other.json()["detail"][0]["msg"]
    assert resolver.calls == 1 and _count_rows(settings) == 1


def test_a_link_that_cannot_be_checked_now_is_a_503(
    api: Any, monkeypatch: pytest.MonkeyPatch, redis_conn: Any
) -> None:
    settings, client, auth = api
    monkeypatch.setenv("VIDVERIFY_ALLOW_PRIVATE", "0")
    resolver = CountingResolver(monkeypatch, "www.youtube.com", None)  # DNS does not answer
    response = client.post("/api/submissions", json=BODY, headers=auth)
    assert response.status_code == 503, response.text
    assert "cannot check the link now" in response.json()["detail"]
    assert resolver.calls == 1
    assert _count_rows(settings) == 0 and _fetch_queue(settings, redis_conn).count == 0


def test_unknown_product_without_rc_serial_is_a_422(api: Any) -> None:
    settings, client, auth = api
    response = client.post("/api/submissions", json={**BODY, "aircraft_sn": "1581FZZZZZZZZZZZ"}, headers=auth)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "aircraft_sn"]
    assert "RC serial" in error["msg"]
    assert _count_rows(settings) == 0
    # with the RC serial given, the claim is accepted
    ok = client.post(
        "/api/submissions",
        json={**BODY, "aircraft_sn": "1581FZZZZZZZZZZZ", "rc_sn": "1581FB71CL0FKKSRDVPS"},
        headers=auth,
    )
    assert ok.status_code == 202, ok.text


def test_rate_limit_per_token(make_settings: Any, client_for: Any, sqlite_url: str) -> None:
    from web.tokens import create_token

    settings = make_settings(sqlite_url, rate_per_minute=3)
    client = client_for(settings)
    first = {"Authorization": f"Bearer {create_token(settings.database_url, 'a')}"}
    second = {"Authorization": f"Bearer {create_token(settings.database_url, 'b')}"}
    codes = [client.get("/api/submissions/1", headers=first).status_code for _ in range(4)]
    assert codes[:3] == [404, 404, 404]
    if codes[3] != 429:  # the minute turned over during the loop: one more try
        codes.append(client.get("/api/submissions/1", headers=first).status_code)
    limited = client.get("/api/submissions/1", headers=first)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # another client's budget is its own
    assert client.get("/api/submissions/1", headers=second).status_code == 404


def test_approved_submission_reports_its_window(api: Any, make_submission: Any) -> None:
    from web import intake, submissions
    from web.tokens import check_token

    settings, client, auth = api
    made = make_submission(settings, "flagged")
    token = check_token(settings.database_url, auth["Authorization"].removeprefix("Bearer "))
    intake.record(settings, made.id, token.id, None)  # as if this client had posted it
    before = client.get(f"/api/submissions/{made.id}", headers=auth).json()
    assert before["verdict"] == "needs_review" and before["reasons"] == ["gps_weak"]
    submissions.record_review(settings, made.id, "rita", "approved", None, "serial readable")
    after = client.get(f"/api/submissions/{made.id}", headers=auth).json()
    assert after["state"] == "window_issued"
    assert after["verdict"] == "approved" and after["machine_verdict"] == "needs_review"
    assert after["window_expires_at"]


def test_openapi_is_served_when_enabled(api: Any, make_settings: Any, client_for: Any) -> None:
    settings, client, _auth = api
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404  # off by default
    client = client_for(make_settings(settings.database_url, VIDVERIFY_WEB_PUBLIC_DOCS="1"))
    spec = client.get("/openapi.json").json()
    assert "/api/submissions" in spec["paths"]
    assert "/api/submissions/{submission_id}" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert "/review" not in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_revoked_tokens_stop_working(api: Any) -> None:
    from web.tokens import revoke_token

    settings, client, auth = api
    assert client.get("/api/submissions/1", headers=auth).status_code == 404
    assert revoke_token(settings.database_url, "intake-test") == 1
    assert client.get("/api/submissions/1", headers=auth).status_code == 401


def test_a_token_reads_only_what_it_posted(api: Any) -> None:
    from web.tokens import create_token

    settings, client, auth = api
    other = {"Authorization": f"Bearer {create_token(settings.database_url, 'another-shop')}"}
    posted = client.post("/api/submissions", json={**BODY, "gimbal_sn": "GIMBAL123456"}, headers=auth)
    assert posted.status_code == 202, posted.text
    sid = posted.json()["id"]
    mine = client.get(f"/api/submissions/{sid}", headers=auth)
    assert mine.status_code == 200 and mine.json()["gimbal_sn"] == "GIMBAL123456"
    theirs = client.get(f"/api/submissions/{sid}", headers=other)
    unknown = client.get("/api/submissions/999999", headers=other)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"] == f"no submission {sid}"  # the same answer as an unknown id
    # The other client posts the same recording for the same aircraft: a submission of its
    # own (idempotency is per client), and the first one stays out of its reach.
    again = client.post("/api/submissions", json=BODY, headers=other)
    assert again.status_code == 202 and again.json()["id"] != sid
    assert client.get(f"/api/submissions/{sid}", headers=other).status_code == 404
    assert client.get(f"/api/submissions/{again.json()['id']}", headers=other).status_code == 200
    # The first client posting again gets its own submission back.
    assert client.post("/api/submissions", json=BODY, headers=auth).json()["id"] == sid
