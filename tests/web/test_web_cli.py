"""``vidverify tokens add``, ``vidverify users add`` and ``vidverify serve``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

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


def test_serve_starts_uvicorn(make_settings: Any, sqlite_url: str, tmp_path: Path) -> None:
    import socket

    make_settings(sqlite_url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(VIDVERIFY), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=dict(os.environ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError as exc:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode()) from exc
                if time.monotonic() > deadline:
                    raise AssertionError("vidverify serve did not answer in 30 s") from exc
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["ready"] is True
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"] == "vidverify"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
