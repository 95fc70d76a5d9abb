"""Run the ``vidverify`` command as a real subprocess, with the store chosen by the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def vidverify(
    *args: str, cwd: Path, db: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``db`` becomes ``DATABASE_URL``; without it the command uses its embedded default."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if db:
        env["DATABASE_URL"] = db
    cmd = [sys.executable, "-m", "vidverify.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
