"""The dashboard's figures, gathered once, and their Prometheus text rendering (/metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from web import queues
from web.settings import WebSettings
from web.submissions import Stats, stats
from workers.db import utc_now
from workers.models import REVIEW_VERDICTS, Verdict


@dataclass
class Snapshot:
    at: datetime
    stats: Stats
    queues: list[queues.QueueStats] = field(default_factory=list)
    workers: list[queues.WorkerInfo] = field(default_factory=list)
    failed_jobs: list[queues.FailedJob] = field(default_factory=list)
    redis_error: str | None = None


def snapshot(settings: WebSettings, with_failed_jobs: bool = True) -> Snapshot:
    """Database figures always; Redis figures when Redis answers (else ``redis_error``)."""
    snap = Snapshot(at=utc_now(), stats=stats(settings))
    try:
        conn = queues.redis_connection(settings)
        try:
            snap.queues = queues.queue_stats(settings, conn)
            snap.workers = queues.workers(settings, conn)
            if with_failed_jobs:
                snap.failed_jobs = queues.failed_jobs(settings, conn)
        finally:
            conn.close()
    except Exception as exc:  # Redis down: the page still shows what the database knows
        snap.redis_error = f"{type(exc).__name__}: {exc}"
    return snap


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
            self.lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def prometheus(snap: Snapshot) -> str:
    w = _Writer()
    w.metric("vidverify_redis_up", "gauge", "1 when Redis answered", [({}, 0 if snap.redis_error else 1)])
    for attr, help_text in (
        ("queued", "jobs waiting in the RQ queue"),
        ("started", "jobs being worked on"),
        ("failed", "jobs in the failed registry"),
        ("scheduled", "jobs scheduled for later (retries)"),
        ("deferred", "jobs waiting on a dependency"),
    ):
        w.metric(
            f"vidverify_queue_{attr}_jobs",
            "gauge",
            help_text,
            [({"queue": q.name}, getattr(q, attr)) for q in snap.queues],
        )
    w.metric("vidverify_workers", "gauge", "RQ workers registered", [({}, len(snap.workers))])
    w.metric(
        "vidverify_workers_busy",
        "gauge",
        "RQ workers running a job",
        [({}, sum(1 for x in snap.workers if x.current_job))],
    )
    w.metric(
        "vidverify_submissions",
        "gauge",
        "submissions per state",
        [({"state": k}, v) for k, v in sorted(snap.stats.states.items())],
    )
    w.metric(
        "vidverify_review_waiting",
        "gauge",
        "submissions waiting for a reviewer",
        [({}, snap.stats.review_waiting)],
    )
    windows = {"last hour": "1h", "last day": "1d"}
    w.metric(
        "vidverify_received",
        "gauge",
        "submissions received in the window",
        [({"window": windows[p.label]}, p.received) for p in snap.stats.periods],
    )
    w.metric(
        "vidverify_decided",
        "gauge",
        "submissions decided by the machine in the window",
        [({"window": windows[p.label]}, p.decided) for p in snap.stats.periods],
    )
    w.metric(
        "vidverify_verdicts",
        "gauge",
        "machine verdicts in the window",
        [
            ({"window": windows[p.label], "verdict": v}, p.verdicts.get(v, 0))
            for p in snap.stats.periods
            for v in Verdict
        ],
    )
    w.metric(
        "vidverify_reviews",
        "gauge",
        "reviewer decisions in the window",
        [
            ({"window": windows[p.label], "verdict": v}, p.reviews.get(v, 0))
            for p in snap.stats.periods
            for v in REVIEW_VERDICTS
        ],
    )
    w.metric(
        "vidverify_failed",
        "gauge",
        "submissions failed in the window",
        [({"window": windows[p.label]}, p.failed) for p in snap.stats.periods],
    )
    samples = []
    for stage, (p50, p95, _n) in snap.stats.latency.items():
        if p50 is not None:
            samples.append(({"stage": stage, "quantile": "0.5"}, p50 / 1000))
        if p95 is not None:
            samples.append(({"stage": stage, "quantile": "0.95"}, p95 / 1000))
    w.metric(
        "vidverify_stage_latency_seconds",
        "gauge",
        "stage latency over the last day (nearest-rank quantiles)",
        samples,
    )
    w.metric(
        "vidverify_stage_latency_samples",
        "gauge",
        "submissions behind the latency figures",
        [({"stage": s}, n) for s, (_a, _b, n) in snap.stats.latency.items()],
    )
    return w.text()
