"""What a security probe found at the web edge (issue 17), each against the real service:
uvicorn on 127.0.0.1 (in a thread, or ``vidverify serve`` itself), real Redis and SQLite."""

from __future__ import annotations

import io
import re
import socket
import sys
import time
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.support.serve_run import served

PASSWORD = "correct horse battery"
BODY = {
    "youtube_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "model": "DJI Air 3",
    "aircraft_sn": "1581FMG9PPM1EK73SNK5",
    "owner_name": "Ada Lovelace",
    "owner_email": "ada@example.org",
}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _login(client: Any, name: str, password: str = PASSWORD, headers: dict | None = None) -> Any:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf": token},
        headers=headers or {},
        follow_redirects=False,
    )


@pytest.fixture
def api(make_settings: Any, client_for: Any, sqlite_url: str, product: Any, users: Any) -> Any:
    from web.tokens import create_token

    settings = make_settings(sqlite_url)
    product(settings)
    users(settings)
    token = create_token(settings.database_url, "intake-test")
    return settings, client_for(settings), {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- 3: body cap


def _raw(base: str, head: str, body: bytes = b"", wait: float = 5.0) -> tuple[str, float]:
    """Send a request by hand (headers that promise more than is sent); the status line and
    how long the answer took."""
    url = urlparse(base)
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=wait) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = sock.recv(65536).decode(errors="replace")
    return answer.split("\r\n", 1)[0], time.monotonic() - started


def test_a_huge_body_is_refused_before_it_is_read(api: Any, serve: Any) -> None:
    settings, _client, auth = api
    base = serve(settings)
    promised = 150 * 1024 * 1024
    # No token: 401 at once, although 150 MB were announced and none sent.
    status, took = _raw(
        base,
        "POST /api/submissions HTTP/1.1\nHost: x\nContent-Type: application/json\n"
        f"Content-Length: {promised}\n",
    )
    assert " 401 " in status and took < 3
    # With a token: 413 from the length, before reading.
    status, took = _raw(
        base,
        "POST /api/submissions HTTP/1.1\nHost: x\nContent-Type: application/json\n"
        f"Authorization: {auth['Authorization']}\nContent-Length: {promised}\n",
    )
    assert " 413 " in status and took < 3
    # Pages' forms too.
    status, _ = _raw(base, f"POST /login HTTP/1.1\nHost: x\nContent-Length: {promised}\n")
    assert " 413 " in status


def test_a_chunked_body_is_cut_at_the_cap(api: Any, serve: Any) -> None:
    settings, _client, auth = api
    base = serve(settings)

    def chunks() -> Any:
        for _ in range(200):  # 200 x 8 KB, no Content-Length
            yield b'{"x": "' + b"a" * 8192

    response = httpx.post(
        f"{base}/api/submissions",
        content=chunks(),
        headers={**auth, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert str(settings.max_body_bytes) in response.json()["detail"]


# --------------------------------------------------------------------------- 8: bad input


@pytest.mark.parametrize("url", ["https://[youtube.com]/x", "http://[::1/", "https://youtu.be:99999/x"])
def test_malformed_urls_are_a_422(api: Any, url: str) -> None:
    _settings, client, auth = api
    response = client.post("/api/submissions", json={**BODY, "youtube_url": url}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "youtube_url"]


@pytest.mark.parametrize("sid", ["99999999999999999999", "2147483648", "0", "-1"])
def test_ids_out_of_range_are_a_422_on_every_route(api: Any, sid: str) -> None:
    _settings, client, auth = api
    assert client.get(f"/api/submissions/{sid}", headers=auth).status_code == 422
    assert _login(client, "otto").status_code == 303
    for path in (f"/review/{sid}", f"/review/{sid}/video", f"/review/{sid}/frames/0"):
        assert client.get(path).status_code == 422, path
    csrf = _csrf(client.get("/ops").text)
    assert client.post(f"/ops/requeue/{sid}", data={"csrf": csrf}).status_code == 422
    assert (
        client.post(f"/review/{sid}/decision", data={"csrf": csrf, "verdict": "approved"}).status_code == 422
    )
    assert client.get("/review/1/frames/99999999999999999999").status_code == 422


def test_the_cli_refuses_a_malformed_link_without_a_traceback(tmp_path: Any) -> None:
    from tests.support.cli_run import vidverify

    done = vidverify("check", "http://[::1/", "--rc-sn", "1581FB71CL0FKKSRDVPS", cwd=tmp_path, timeout=120)
    assert done.returncode == 2 or done.returncode == 1
    assert "Traceback" not in done.stderr and "malformed" in (done.stderr + done.stdout)


# --------------------------------------------------------------------------- 9: sessions


def test_logout_ends_the_session_on_the_server(api: Any, client_for: Any) -> None:
    settings, client, _auth = api
    assert _login(client, "rita").status_code == 303
    stolen = client.cookies.get("vv_session")
    assert client.get("/review", follow_redirects=False).status_code == 200
    page = client.get("/review").text
    client.post("/logout", data={"csrf": _csrf(page)}, follow_redirects=False)
    replay = client_for(settings)
    replay.cookies.set("vv_session", stolen)
    response = replay.get("/review", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_account_changes_end_its_sessions(api: Any, change: str) -> None:
    from web.users import set_active, set_password, set_role

    settings, client, _auth = api
    assert _login(client, "rita").status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 200
    if change == "password":
        set_password(settings.database_url, "rita", "a different strong passphrase")
    elif change == "role":
        set_role(settings.database_url, "rita", "operator")
    else:
        set_active(settings.database_url, "rita", False)
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_users_passwd_from_the_cli_ends_sessions(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from vidverify.cli import main
    from web.users import authenticate

    settings, client, _auth = api
    assert _login(client, "rita").status_code == 303
    monkeypatch.setattr(sys, "stdin", io.StringIO("password\n"))
    assert main(["users", "passwd", "rita"]) == 2  # too weak: nothing changes
    assert client.get("/review", follow_redirects=False).status_code == 200
    monkeypatch.setattr(sys, "stdin", io.StringIO("violet tapestry of anchors\n"))
    assert main(["users", "passwd", "rita"]) == 0
    assert client.get("/review", follow_redirects=False).status_code == 303
    assert authenticate(settings.database_url, "rita", "violet tapestry of anchors") is not None


# --------------------------------------------------------------------------- 10: throttling


def test_guessing_from_rotating_addresses_does_not_lock_out_the_owner(
    make_settings: Any, sqlite_url: str, tmp_path: Any
) -> None:
    """Behind a trusted proxy every guess comes from another address. The account's untrusted
    bucket fills (also for ``OP`` and `` op ``), but the owner's browser, known from an earlier
    login, still gets in."""
    from web.users import add_user

    settings = make_settings(sqlite_url, VIDVERIFY_WEB_LOGIN_PER_MINUTE="3")
    add_user(settings.database_url, "op", "operator", PASSWORD)
    with served(tmp_path, "--forwarded-allow-ips", "127.0.0.1") as base:
        owner = httpx.Client(base_url=base)
        assert _login(owner, "op", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 303
        attacker = httpx.Client(base_url=base)
        for i, name in enumerate(["op", "OP", " op ", "Op", "op", "OP"]):
            _login(attacker, name, f"guess {i}", headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
        locked = _login(attacker, "op", PASSWORD, headers={"X-Forwarded-For": "203.0.113.99"})
        assert locked.status_code == 429
        fresh = _login(httpx.Client(base_url=base), "op", PASSWORD, headers={"X-Forwarded-For": "192.0.2.5"})
        assert fresh.status_code == 429  # an unknown browser waits out the minute
        assert _login(owner, "op", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 303


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    make_settings: Any, sqlite_url: str, tmp_path: Any, users: Any
) -> None:
    """By default no proxy is trusted: rotating X-Forwarded-For from one machine is one address,
    and its guesses throttle it for every account name."""
    settings = make_settings(sqlite_url, VIDVERIFY_WEB_LOGIN_PER_MINUTE="3")
    users(settings)
    with served(tmp_path) as base:
        client = httpx.Client(base_url=base)
        for i, name in enumerate(["nobody1", "nobody2", "nobody3"]):
            assert _login(client, name, "x", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code == 401
        other = _login(client, "otto", PASSWORD, headers={"X-Forwarded-For": "192.0.2.77"})
        assert other.status_code == 429


def test_serve_options_trust_no_proxy_by_default() -> None:
    import argparse

    from web.cli import uvicorn_options
    from web.settings import WebSettings

    args = argparse.Namespace(host="127.0.0.1", port=1, log_level="info", forwarded_allow_ips=None)
    settings = WebSettings.from_env()
    assert uvicorn_options(settings, args)["proxy_headers"] is False
    args.forwarded_allow_ips = "10.0.0.5"
    options = uvicorn_options(settings, args)
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == "10.0.0.5"


# --------------------------------------------------------------------------- 11: e-mail


@pytest.mark.parametrize(
    "email", ["zoom@owner.test,root", "a@b@c.org", "Ada <ada@example.org>", "ada@[127.0.0.1]", "ada@example"]
)
def test_e_mail_lists_and_odd_forms_are_refused(api: Any, email: str) -> None:
    _settings, client, auth = api
    response = client.post("/api/submissions", json={**BODY, "owner_email": email}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "owner_email"]


def test_the_service_parses_e_mail_the_same_way(api: Any) -> None:
    from web import submissions

    settings, _client, _auth = api
    with pytest.raises(submissions.SubmissionError, match="e-mail"):
        submissions.submit(
            settings, BODY["youtube_url"], BODY["aircraft_sn"], None, "x", "zoom@owner.test,root"
        )


def test_a_good_address_is_normalised(api: Any) -> None:
    from web import submissions

    settings, client, auth = api
    posted = client.post("/api/submissions", json={**BODY, "owner_email": "Ada@Example.ORG"}, headers=auth)
    assert posted.status_code == 202
    assert submissions.get(settings, posted.json()["id"]).owner_email == "Ada@example.org"


# --------------------------------------------------------------------------- 13: passwords


@pytest.mark.parametrize(
    "password", ["password", "        ", "          ", "password123", "short", "rita12345678"]
)
def test_weak_passwords_are_refused(make_settings: Any, sqlite_url: str, password: str) -> None:
    from web.users import UserError, add_user

    settings = make_settings(sqlite_url)
    with pytest.raises(UserError):
        add_user(settings.database_url, "rita", "reviewer", password)


# --------------------------------------------------------------------------- 14: headers


def test_security_headers_on_every_answer(api: Any) -> None:
    _settings, client, auth = api
    answers = [
        client.get("/login"),
        client.get("/static/style.css"),
        client.get("/api/submissions/1", headers=auth),
        client.get("/nowhere"),
        client.post("/api/submissions", json=BODY),
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["x-frame-options"] == "DENY"
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
