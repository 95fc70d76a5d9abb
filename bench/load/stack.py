"""The real pieces of the system, each started on a free loopback port by the load bench.

Redis and PostgreSQL are the bench's own (a ``redis-server`` and an ``initdb`` cluster in a
temporary directory), never the machine's shared servers: the bench restarts them as faults.
Every child runs in its own process group and is stopped by ``Stack.close()``, which the
runner calls on exit, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
VIDVERIFY = Path(sys.executable).with_name("vidverify")


def _pg_bin() -> Path:
    """``VIDVERIFY_PG_BIN``, else the newest Debian PostgreSQL (``/usr/lib/postgresql/N/bin``)."""
    if os.environ.get("VIDVERIFY_PG_BIN"):
        return Path(os.environ["VIDVERIFY_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    """Poll ``check`` (exceptions count as not yet) until true; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Child:
    """One long-running child process with its log file, in its own process group."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        log_dir: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> None:
        self.name, self.cmd, self.env, self.user = name, cmd, env, user
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open by the child)
        kwargs: dict[str, Any] = {}
        if self.user:  # PostgreSQL refuses to run as root
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid}
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        log.close()
        self.starts += 1

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.send(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL to the whole group (RQ's work horse is in a group of its own: see Stack)."""
        self.send(signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)


def _run_as(user: str | None, cmd: list[str]) -> None:
    kwargs: dict[str, Any] = {}
    if user:
        entry = pwd.getpwnam(user)
        kwargs = {"user": entry.pw_uid, "group": entry.pw_gid}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/", **kwargs)


class Redis(Child):
    """A ``redis-server`` without persistence: a restart comes back empty."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--maxmemory-policy",
            "noeviction",
        ]
        super().__init__("redis", cmd, log_dir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_until(lambda: port_open(self.port), 20, "redis-server")


class Postgres(Child):
    """A PostgreSQL cluster of its own (``initdb`` into ``data_dir``, trust auth, loopback)."""

    def __init__(self, log_dir: Path, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        user = "postgres" if os.geteuid() == 0 else None
        cmd = [
            str(PG_BIN / "postgres"),
            "-D",
            str(data_dir),
            "-p",
            str(self.port),
            "-k",
            str(data_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
        ]
        super().__init__("postgres", cmd, log_dir, user=user)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/vidverify"

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            os.chown(self.log_path.parent, entry.pw_uid, entry.pw_gid)
        _run_as(
            self.user,
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )

    def start(self) -> None:
        super().start()
        wait_until(self._ready, 30, "PostgreSQL")

    def _ready(self) -> bool:
        out = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
        )
        return out.returncode == 0

    def create_database(self) -> None:
        psql = [
            str(PG_BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-q",
            "-c",
            "CREATE DATABASE vidverify",
        ]
        subprocess.run(psql, check=True, capture_output=True)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> None:
        super().stop(sig, timeout)  # SIGINT: PostgreSQL's fast shutdown


class Serve(Child):
    """``vidverify serve`` on a free port."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        cmd = [
            str(VIDVERIFY),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        super().__init__("serve", cmd, log_dir, env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_until(
            lambda: httpx.get(f"{self.url}/healthz", timeout=2).status_code < 500, 60, "vidverify serve"
        )


class Worker(Child):
    """``vidverify worker`` (fetch and analyse queues)."""

    def __init__(self, index: int, log_dir: Path, env: dict[str, str]) -> None:
        self.index = index
        self.held = False  # killed on purpose: the supervisor leaves it down
        super().__init__(f"worker-{index}", [], log_dir, env=env)

    @property
    def rq_name(self) -> str:
        """A new name per start: RQ refuses a name whose registration (a killed worker's) has
        not expired yet, as a container's fresh hostname would not clash either."""
        return f"load-w{self.index}-{self.starts}"

    def start(self) -> None:
        self.cmd = [str(VIDVERIFY), "worker", "--name", f"load-w{self.index}-{self.starts + 1}"]
        super().start()

    def process_tree(self) -> list[int]:
        """The worker and its descendants (the work horse is forked into a group of its own,
        so killing the group alone would leave it running)."""
        import psutil

        if not self.alive():
            return []
        try:
            top = psutil.Process(self.pid)
            return [top.pid, *(c.pid for c in top.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        for pid in reversed(self.process_tree()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        super().kill()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        horses = self.process_tree()[1:]
        super().stop(sig, timeout)
        for pid in horses:  # a horse left behind by a worker that did not wait for it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
