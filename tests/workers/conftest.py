"""Fixtures for the queue workers: real Redis (db 5), real PostgreSQL (a schema per test),
SQLite files, a real SMTP server (aiosmtpd), worker subprocesses and a local HTTP server.

Redis and PostgreSQL that are down make these tests fail, on purpose: they are not skipped.
Timings (heartbeat, staleness, reaper interval, retry back-off) are shortened through the
same environment variables production uses, so worker subprocesses pick them up too.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pg_schema import fresh_schema
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
VIDEOS = ROOT / "fixtures" / "videos"
VIDVERIFY = Path(sys.executable).with_name("vidverify")
REDIS_URL = os.environ.get("WORKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

# Fast analyses first: these are the fixtures the end-to-end tests use.
SHORT_CASES = (
    "rej_video_unreadable.mp4",
    "rej_gimbal_calibration_not_found.mp4",
    "rej_flight_status_not_found.mp4",
    "rej_camera_view_too_short.mp4",
)


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
    from workers import jobs

    for store in jobs._stores.values():
        store.close()
    jobs._stores.clear()


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


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(envelope)
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- fixtures' data


@pytest.fixture(scope="session")
def manifest() -> dict[str, dict[str, Any]]:
    """The fixture videos' cases by file name."""
    data = json.loads((VIDEOS / "manifest.json").read_text())
    return {c["file"]: c for c in data["cases"]}


def add_product(database_url: str, product: dict[str, Any]) -> None:
    """Record a fixture's product in the eligibility core (activated long ago: needs video)."""
    from eligibility.errors import InvalidInput
    from eligibility.models import ProductIn
    from eligibility.store import Store

    # Two cases may share a product: an existing one is fine.
    with Store(database_url) as store, contextlib.suppress(InvalidInput):
        store.add_product(
            ProductIn(
                aircraft_sn=product["aircraft_sn"],
                rc_sn=product["rc_sn"],
                model=product["model"],
                region="US",
                activated_at=datetime.now(UTC) - timedelta(days=200),
            )
        )


# --------------------------------------------------------------------------- processes


class Workers:
    """Worker subprocesses (``vidverify worker``), each in its own process group."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], *args: str, name: str | None = None) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        log = open(self.log_dir / f"worker-{n}.log", "wb")  # noqa: SIM115 (closed with the process)
        cmd = [str(VIDVERIFY), "worker", *args]
        if name:
            cmd += ["--name", name]
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL, extra_pids: list[int] = ()) -> None:
        """Signal the worker's process group and ``extra_pids`` (its work horse)."""
        for pid in extra_pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(proc)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.log_dir.glob("worker-*.log"))
        )


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    w = Workers(log_dir)
    yield w
    w.stop_all()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --------------------------------------------------------------------------- http


class VideoServer:
    """Serves fixture videos on 127.0.0.1: ``/flaky/<file>`` answers 503 the first
    ``failures`` times, ``/video/<file>`` always serves, ``/page`` is an HTML page."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.hits: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.hits.append(self.path)
                name = self.path.rsplit("/", 1)[-1]
                flaky = [h for h in server.hits if h.startswith("/flaky/")]
                if self.path.startswith("/flaky/") and len(flaky) <= server.failures:
                    self._reply(503, b"busy", "text/plain")
                elif self.path.startswith(("/flaky/", "/video/")) and (VIDEOS / name).is_file():
                    self._reply(200, (VIDEOS / name).read_bytes(), "video/mp4")
                elif self.path.startswith("/page"):
                    self._reply(200, b"<html><body>no video here</body></html>", "text/html")
                else:
                    self._reply(404, b"not found", "text/plain")

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def video_server() -> Iterator[VideoServer]:
    server = VideoServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
