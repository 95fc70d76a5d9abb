"""What the bench watches while the load runs, once a second, from outside the workers:
submission states and verdict times (the database's own rows, read-only), queue lengths
(Redis), and CPU and memory of every process (psutil, a process and its children together:
a worker's analyses run in its forked work horse).

Every probe tolerates its service being down (a fault is running): the sample records what
could be read, nothing more.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil
from redis import Redis
from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from workers.models import SubmissionRow

FINAL_STATES = {"decided", "reviewed", "window_issued", "notified", "failed"}
WAITING_STATES = {"received", "queued"}
RUNNING_STATES = {"fetching", "analysing"}


@dataclass
class Row:
    """The last seen database view of one submission."""

    id: int
    state: str
    verdict: str | None
    reasons: list[str]
    attempts: int
    window_id: int | None
    decided_at: float | None
    worker: str | None
    progress: float | None
    durations: dict[str, float]  # stage -> ms, as the workers measured them


@dataclass
class ProcStat:
    cpu_s: float = 0.0  # CPU seconds, process and children, at the last sample
    peak_rss_mb: float = 0.0
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cpu %, rss MB)


def tree_usage(pid: int) -> tuple[float, float]:
    """CPU seconds and RSS (MB) of a process and all its descendants. A work horse lives for
    one job: once it has exited and been waited for, its CPU time is in the parent's
    ``children_*`` times, so it is counted there instead of vanishing."""
    top = psutil.Process(pid)
    t = top.cpu_times()
    cpu = t.user + t.system + t.children_user + t.children_system
    rss = float(top.memory_info().rss)
    for p in top.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            cpu += t.user + t.system
            rss += p.memory_info().rss
    return cpu, rss / 2**20


class Sampler(threading.Thread):
    """Samples every ``every`` seconds until stopped; ``rows`` always holds the latest view."""

    def __init__(
        self,
        database_url: str,
        redis_url: str,
        children: Callable[[], dict[str, Any]],
        queue_prefix: str = "vidverify",
        every: float = 1.0,
    ) -> None:
        super().__init__(daemon=True, name="sampler")
        self.engine = create_engine(database_url, pool_pre_ping=True)
        self.redis = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.children = children
        self.queues = [f"rq:queue:{queue_prefix}-fetch", f"rq:queue:{queue_prefix}-analyse"]
        self.every = every
        self.rows: dict[int, Row] = {}
        self.timeline: list[dict[str, Any]] = []
        self.procs: dict[str, ProcStat] = {}
        self._last: dict[str, tuple[float, float, int]] = {}  # name -> (t, cpu_s, pid)
        self._halt = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self._halt.is_set():
            started = time.time()
            self.sample()
            self._halt.wait(max(0.0, self.every - (time.time() - started)))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)
        self.engine.dispose()
        self.redis.close()

    def sample(self) -> None:
        now = time.time()
        point: dict[str, Any] = {"t": round(now, 2)}
        rows = self.read_rows()
        if rows is not None:
            with self.lock:
                for row in rows:
                    self.rows[row.id] = row
            states = [r.state for r in rows]
            point["waiting"] = sum(s in WAITING_STATES for s in states)
            point["running"] = sum(s in RUNNING_STATES for s in states)
            point["final"] = sum(s in FINAL_STATES for s in states)
        with contextlib.suppress(Exception):
            point["queued_redis"] = sum(int(self.redis.llen(q)) for q in self.queues)
        point["cpu"] = self.sample_procs(now)
        self.timeline.append(point)

    def read_rows(self) -> list[Row] | None:
        cols = (
            SubmissionRow.id,
            SubmissionRow.state,
            SubmissionRow.verdict,
            SubmissionRow.reasons,
            SubmissionRow.attempts,
            SubmissionRow.window_id,
            SubmissionRow.decided_at,
            SubmissionRow.worker,
            SubmissionRow.progress,
            SubmissionRow.durations,
        )
        try:
            with self.engine.connect() as conn:
                result = conn.execute(select(*cols)).all()
        except SQLAlchemyError:
            return None
        return [
            Row(
                r.id,
                str(getattr(r.state, "value", r.state)),
                None if r.verdict is None else str(getattr(r.verdict, "value", r.verdict)),
                list(r.reasons or []),
                r.attempts,
                r.window_id,
                r.decided_at.timestamp() if r.decided_at else None,
                r.worker,
                r.progress,
                dict(r.durations or {}),
            )
            for r in result
        ]

    def sample_procs(self, now: float) -> dict[str, float]:
        """CPU % (of one core) per process since the last sample; also tracks peak RSS."""
        shares: dict[str, float] = {}
        for name, child in self.children().items():
            pid = child.pid
            if pid is None or not child.alive():
                continue
            try:
                cpu, rss = tree_usage(pid)
            except psutil.Error:
                continue
            stat = self.procs.setdefault(name, ProcStat())
            last = self._last.get(name)
            if last is not None and last[2] == pid and now > last[0]:
                pct = 100 * max(0.0, cpu - last[1]) / (now - last[0])
                shares[name] = round(pct, 1)
                stat.samples.append((round(now, 2), round(pct, 1), round(rss, 1)))
            stat.peak_rss_mb = max(stat.peak_rss_mb, rss)
            stat.cpu_s = cpu
            self._last[name] = (now, cpu, pid)
        return shares

    def snapshot(self) -> dict[int, Row]:
        with self.lock:
            return dict(self.rows)


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """n, p50, p95 and max, in seconds with one decimal (None when there is nothing)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }


def cpu_summary(procs: dict[str, ProcStat], since: float, until: float) -> dict[str, dict[str, float]]:
    """Mean and peak CPU % and peak RSS of each process between two times."""
    out = {}
    for name, stat in procs.items():
        window = [s for s in stat.samples if since <= s[0] <= until]
        if not window:
            continue
        cpus = [s[1] for s in window]
        out[name] = {
            "cpu_mean_pct": round(statistics.fmean(cpus), 1),
            "cpu_peak_pct": max(cpus),
            "rss_peak_mb": max(s[2] for s in window),
        }
    return out
