"""Helpers shared by the workers' tests: a real SMTP sink, worker subprocesses, a local
HTTP server for fixture videos, and the product records the fixtures claim.

Plain classes and functions (the fixtures that build them live in ``tests/workers/conftest.py``),
so test modules import them by their package name, in any collection order.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.fixture_videos import ROOT

VIDVERIFY = Path(sys.executable).with_name("vidverify")

# Fast analyses first: these are the fixtures the end-to-end tests use.
SHORT_CASES = (
    "rej_video_unreadable.mp4",
    "rej_gimbal_calibration_not_found.mp4",
    "rej_flight_status_not_found.mp4",
    "rej_camera_view_too_short.mp4",
)


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

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


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
