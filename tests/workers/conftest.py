"""Fixtures for the queue workers: real Redis (db 5), real PostgreSQL (a schema per test),
SQLite files, a real SMTP server (aiosmtpd), worker subprocesses and a local HTTP server.

Redis and PostgreSQL that are down make these tests fail, on purpose: they are not skipped.
Timings (heartbeat, staleness, reaper interval, retry back-off) are shortened through the
same environment variables production uses, so worker subprocesses pick them up too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.pg_schema import fresh_schema
from tests.support.s3_server import S3Server, s3_server
from tests.support.worker_procs import SmtpSink, VideoServer, Workers

REDIS_URL = os.environ.get("WORKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


# --------------------------------------------------------------------------- databases


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh PostgreSQL schema, dropped afterwards."""
    with fresh_schema("wk_test") as url:
        try:
            yield url
        finally:
            from workers.db import reset_cache

            reset_cache()
            _reset_stores()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'vidverify.db'}"
    from workers.db import reset_cache

    reset_cache()
    _reset_stores()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Tests that take ``db_url`` run once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def _reset_stores() -> None:
    from workers.handoff import reset_stores

    reset_stores()


# --------------------------------------------------------------------------- redis


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    """The test Redis database, empty before and after."""
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


# --------------------------------------------------------------------------- environment


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis_conn: Redis, smtp: SmtpSink
) -> Callable[[str], dict[str, str]]:
    """Call with a database URL: sets the workers' environment and returns it (for children)."""

    def configure(database_url: str) -> dict[str, str]:
        values = {
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": database_url,
            "VIDVERIFY_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "VIDVERIFY_WORK_DIR": str(tmp_path / "work"),
            "VIDVERIFY_HEARTBEAT_S": "0.5",
            "VIDVERIFY_STALE_AFTER_S": "6",
            "VIDVERIFY_REAP_INTERVAL_S": "1",
            "VIDVERIFY_REAP_GRACE_S": "2",
            "VIDVERIFY_RETRY_BACKOFF_S": "1",
            "VIDVERIFY_SMTP_HOST": "127.0.0.1",
            "VIDVERIFY_SMTP_PORT": str(smtp.port),
            "VIDVERIFY_SMTP_FROM": "care@vidverify.test",
            "VIDVERIFY_ALLOWED_HOSTS": "127.0.0.1",
            "VIDVERIFY_ALLOW_PRIVATE": "1",
            "OMP_THREAD_LIMIT": "1",
        }
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return dict(os.environ)

    return configure


# --------------------------------------------------------------------------- smtp


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="session")
def manifest() -> dict[str, dict[str, Any]]:
    """The fixture videos' cases by file name."""
    data = json.loads((VIDEOS / "manifest.json").read_text())
    return {c["file"]: c for c in data["cases"]}


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    w = Workers(log_dir)
    yield w
    w.stop_all()


@pytest.fixture
def video_server() -> Iterator[VideoServer]:
    server = VideoServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's) on 127.0.0.1; each test makes its own bucket."""
    with s3_server() as server:
        yield server
