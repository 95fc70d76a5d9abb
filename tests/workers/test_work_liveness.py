"""Worker liveness across a Redis restart (issue 17, item 16): a real ``redis-server`` of
this test's own on a free port, stopped and started again empty, and a real ``vidverify
worker`` that must show up again in RQ's registry (``vidverify health --worker``, and what
the dashboard's ``vidverify_workers`` counts)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker

VIDVERIFY = Path(sys.executable).with_name("vidverify")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


class RedisServer:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert _until(self.answers, 10), "redis-server did not start"

    def answers(self) -> bool:
        try:
            with Redis(port=self.port, socket_timeout=1) as r:
                return bool(r.ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(_free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_worker_registers_again_after_a_redis_restart(redis_server: RedisServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'vidverify.db'}",
        "VIDVERIFY_QUEUE_PREFIX": f"vvlive{uuid.uuid4().hex[:6]}",
        "VIDVERIFY_WORK_DIR": str(tmp_path / "work"),
        "VIDVERIFY_EVIDENCE_DIR": str(tmp_path / "evidence"),
        "VIDVERIFY_WORKER_TTL_S": "20",
        "VIDVERIFY_REAP_INTERVAL_S": "2",
    }

    def healthy() -> bool:
        done = subprocess.run(
            [str(VIDVERIFY), "health", "--worker"], env=env, capture_output=True, text=True, timeout=60
        )
        return done.returncode == 0

    def registered() -> int:
        with Redis(port=redis_server.port) as r:
            return len(Worker.all(connection=r))

    worker = subprocess.Popen(
        [str(VIDVERIFY), "worker", "--queues", "fetch"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert _until(lambda: registered() == 1, 60), "the worker never registered"
        assert healthy()
        redis_server.stop()
        time.sleep(1)
        redis_server.start()  # empty: no rq:workers any more
        assert registered() == 0
        assert _until(lambda: registered() == 1, 45), "the worker did not register again"
        assert worker.poll() is None
        assert healthy()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
