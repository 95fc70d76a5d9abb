"""``--profile S``: py-spy over worker 0 and its work horses for S seconds of a load phase,
every thread, folded into kinds of work by ``bench.profile`` (the same buckets ``make
profile`` uses for one ``vidverify check``). The folded stacks go to
``bench/load_profile.folded`` for a flame-graph viewer.

Sampling costs CPU on a machine the load already fills, so the phase it runs in measures a
little slow; it is off by default.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bench.profile import summarise

FOLDED = Path(__file__).resolve().parents[1] / "load_profile.folded"


def spy_path() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


class Profiler(threading.Thread):
    """Records ``pid`` and its subprocesses for ``seconds`` in the background."""

    def __init__(self, pid: int, seconds: float, rate: int = 50) -> None:
        super().__init__(daemon=True, name="py-spy")
        self.pid, self.seconds, self.rate = pid, seconds, rate
        self.result: dict[str, Any] = {}

    def run(self) -> None:
        spy = spy_path()
        if spy is None:
            self.result = {"error": "py-spy is not installed"}
            return
        cmd = [
            spy,
            "record",
            "--pid",
            str(self.pid),
            "--subprocesses",
            "--threads",
            "--rate",
            str(self.rate),
            "--duration",
            str(int(self.seconds)),
            "--format",
            "raw",
            "--output",
            str(FOLDED),
            "--nonblocking",
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.result = {"error": "py-spy did not finish"}
            return
        if not FOLDED.exists() or not FOLDED.stat().st_size:
            self.result = {"error": "py-spy recorded nothing (it needs ptrace)"}
            return
        folded = FOLDED.read_text()
        self.result = {
            "seconds": self.seconds,
            "summary": summarise(folded).splitlines(),
            "by_stage": by_stage(folded),
            "folded": str(FOLDED.name),
        }


# Which job a work horse's stack belongs to, by the frame that names it.
STAGES = (("analyse", "analyse_job"), ("fetch", "fetch_job"), ("outbox and reaper", "maintenance_pass"))


def by_stage(folded: str) -> dict[str, float]:
    """Share of all samples (busy or not) per kind of job: what a worker spends itself on."""
    counts: dict[str, int] = {}
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        name = next((label for label, mark in STAGES if mark in stack), "worker loop and other")
        counts[name] = counts.get(name, 0) + int(count)
    return {k: round(100 * v / max(1, total), 1) for k, v in sorted(counts.items(), key=lambda x: -x[1])}
