"""The whole stack of one load run: Redis, PostgreSQL (or SQLite), ``vidverify serve``,
N workers, the SMTP sink and the video host, configured the way production is, through the
environment. ``System`` is a context manager: leaving it (normally, by an exception, by
Ctrl-C) stops every child.

Workers are supervised like ``restart: unless-stopped`` in docker-compose: one that exits by
itself (a Redis connection lost, say) is started again, and counted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from bench.load.sinks import SmtpSink, VideoHost
from bench.load.stack import VIDVERIFY, Child, Postgres, Redis, Serve, Worker

# Shortened (but not test-short) timings: recovery from a fault takes seconds, not minutes,
# and two or three analyses sharing two cores never starve a heartbeat this long.
TIMINGS = {
    "VIDVERIFY_HEARTBEAT_S": "2",
    "VIDVERIFY_STALE_AFTER_S": "20",
    "VIDVERIFY_REAP_INTERVAL_S": "3",
    "VIDVERIFY_REAP_GRACE_S": "5",
    "VIDVERIFY_RETRY_BACKOFF_S": "2,5,10",
    "VIDVERIFY_SMTP_TIMEOUT_S": "5",
    "VIDVERIFY_WORKER_TTL_S": "20",
}


class System:
    def __init__(self, db: str = "postgresql", keep: bool = False) -> None:
        if db not in ("postgresql", "sqlite"):
            raise ValueError(f"unknown database {db!r}: use postgresql or sqlite")
        self.db_kind = db
        self.keep = keep
        self.dir = Path(tempfile.mkdtemp(prefix="vidverify-load-"))
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        os.chmod(self.dir, 0o755)
        self.redis = Redis(self.logs)
        self.postgres = Postgres(self.logs, self.dir / "pg") if db == "postgresql" else None
        self.smtp = SmtpSink()
        self.videos = VideoHost()
        self.serve: Serve | None = None
        self.workers: list[Worker] = []
        self.restarts = 0  # workers the supervisor started again
        self._halt = threading.Event()
        self._lock = threading.RLock()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True, name="supervisor")

    @property
    def database_url(self) -> str:
        if self.postgres is not None:
            return self.postgres.url
        return f"sqlite:///{self.dir / 'vidverify.db'}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({k: v for k, v in TIMINGS.items() if k not in os.environ})  # the caller's win
        env.update(
            {
                "REDIS_URL": self.redis.url,
                "DATABASE_URL": self.database_url,
                "VIDVERIFY_EVIDENCE_DIR": str(self.dir / "evidence"),
                "VIDVERIFY_WORK_DIR": str(self.dir / "work"),
                "VIDVERIFY_SMTP_HOST": "127.0.0.1",
                "VIDVERIFY_SMTP_PORT": str(self.smtp.port),
                "VIDVERIFY_SMTP_FROM": "care@vidverify.test",
                "VIDVERIFY_ALLOWED_HOSTS": "127.0.0.1",
                "VIDVERIFY_ALLOW_PRIVATE": "1",
                "VIDVERIFY_WEB_RATE_PER_MINUTE": "100000",
                "VIDVERIFY_WEB_SECRET": "load-bench-secret",
                "OMP_THREAD_LIMIT": "1",
            }
        )
        return env

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> System:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        self.redis.start()
        if self.postgres is not None:
            self.postgres.init()
            self.postgres.start()
            self.postgres.create_database()
        self.smtp.start()
        self.videos.start()
        subprocess.run([str(VIDVERIFY), "db", "upgrade"], env=self.env(), check=True, capture_output=True)
        self.serve = Serve(self.logs, self.env())
        self.serve.start()
        self._supervisor.start()

    def close(self) -> None:
        self._halt.set()
        with self._lock:
            for worker in self.workers:
                worker.stop()
        children: list[Child | None] = [self.serve, self.postgres, self.redis]
        for child in children:
            if child is not None:
                child.stop()
        self.smtp.stop()
        self.videos.stop()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ workers

    def scale(self, n: int) -> None:
        """Run exactly ``n`` workers (stopping extra ones with SIGTERM: RQ's warm shutdown)."""
        with self._lock:
            while len(self.workers) > n:
                self.workers.pop().stop()
            while len(self.workers) < n:
                worker = Worker(len(self.workers), self.logs, self.env())
                worker.start()
                self.workers.append(worker)

    def _supervise(self) -> None:
        while not self._halt.wait(1.0):
            with self._lock:
                for worker in self.workers:
                    if not worker.alive() and not self._halt.is_set() and not worker.held:
                        worker.start()
                        self.restarts += 1

    def kill_worker(self, index: int) -> None:
        """SIGKILL a worker and its work horse; the caller starts it again (``restart_worker``)."""
        with self._lock:
            worker = self.workers[index]
            worker.held = True
            worker.kill()

    def restart_worker(self, index: int) -> None:
        with self._lock:
            worker = self.workers[index]
            worker.start()
            worker.held = False

    def children(self) -> dict[str, Child]:
        """Every child process by name, for the CPU and memory sampler."""
        found: dict[str, Child] = {"redis": self.redis}
        if self.postgres is not None:
            found["postgres"] = self.postgres
        if self.serve is not None:
            found["serve"] = self.serve
        with self._lock:
            found.update({w.name: w for w in self.workers})
        return found

    def wait_workers_ready(self, timeout: float = 90) -> None:
        """Until every worker has registered with RQ (imports and templates loaded)."""
        from redis import Redis as RedisClient

        client = RedisClient.from_url(self.redis.url)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                names = {m.decode() for m in client.smembers("rq:workers")}
                want = {f"rq:worker:{w.rq_name}" for w in self.workers}
                if want <= names:
                    return
                time.sleep(0.5)
        finally:
            client.close()
        raise RuntimeError(f"workers not registered after {timeout:.0f} s; logs in {self.logs}")
