"""``vidverify tokens add``, ``vidverify users add`` and ``vidverify serve``."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.support.serve_run import served
from vidverify.cli import main

VIDVERIFY = Path(sys.executable).with_name("vidverify")


def test_tokens_add_prints_a_working_token_once_and_stores_its_hash(
    make_settings: Any, sqlite_url: str, client_for: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from web.tables import TokenRow, sessions

    settings = make_settings(sqlite_url)
    assert main(["tokens", "add", "partner-portal"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("vv_") and len(token) > 40
    with sessions(settings.database_url).begin() as s:
        row = s.scalar(select(TokenRow))
        assert row.name == "partner-portal" and token not in row.token_hash
    client = client_for(settings)
    assert client.get("/api/submissions/1", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_users_add_reads_the_password_from_stdin(
    make_settings: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from web.users import authenticate

    settings = make_settings(sqlite_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", "rita", "--role", "reviewer"]) == 0
    user = authenticate(settings.database_url, "rita", "a long enough password")
    assert user is not None and user.role == "reviewer"
    assert authenticate(settings.database_url, "rita", "wrong") is None

    monkeypatch.setattr(sys, "stdin", io.StringIO("another password\n"))
    assert main(["users", "add", "rita", "--role", "operator"]) == 2  # exists already
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "add", "olga", "--role", "operator"]) == 2
    assert "at least" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["users", "add", "olga", "--role", "admin"])


def test_serve_starts_uvicorn(
    make_settings: Any, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_settings(sqlite_url)
    with served(tmp_path) as base:
        response = httpx.get(f"{base}/healthz", timeout=5)
        assert response.status_code == 200 and response.json() == {"live": True, "ready": True}
        assert httpx.get(f"{base}/openapi.json").status_code == 404  # off by default
        assert "server" not in response.headers
    monkeypatch.setenv("VIDVERIFY_WEB_PUBLIC_DOCS", "1")
    with served(tmp_path) as base:
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "vidverify"
