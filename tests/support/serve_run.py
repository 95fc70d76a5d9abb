"""``vidverify serve`` as a real subprocess on a free port, for tests that need uvicorn itself
(its proxy-header handling, its start-up)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

VIDVERIFY = Path(sys.executable).with_name("vidverify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(cwd: Path, *args: str, timeout: float = 30, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``vidverify serve`` with ``env`` (default: the current environment); yields its
    base URL once ``/healthz`` answers, stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(VIDVERIFY),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        env=dict(os.environ) if env is None else env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError as exc:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode()) from exc
                if time.monotonic() > deadline:
                    raise AssertionError(f"vidverify serve did not answer in {timeout} s") from exc
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
