"""The dashboard's figures, gathered once, and /metrics through prometheus-client.

Counters and histograms are derived from the database at scrape time, not kept in process
memory, and prometheus-client's multi-process mode (``PROMETHEUS_MULTIPROC_DIR``) is not used:
- the work happens in RQ work horses, one forked process per job, on several machines (the
  fetch and analysis workers scale separately; compose runs them in separate containers).
  Multi-process mode needs one directory shared by every process on one host, writes one file
  per process id, so a file per job here, and loses nothing only while that directory
  outlives every process; the API would still miss the workers on other machines;
- the workers already write every state change to the database in a transaction. Their
  measurements (``workers/measures.py``: fetch and analysis durations, queue waits, POST to
  verdict, fetch failures) go into the same transaction, where the work happens, so every API
  process reports the same totals, restarts lose nothing, and the counts cannot disagree with
  the dashboard, which reads the same rows;
- the price is one aggregate query per family per scrape, cheap at this service's volume.
``vidverify_submissions_total`` and ``vidverify_reviews_total`` count the submissions table's
verdicts and reviews (each set once per submission); gauges are levels only: queue depths,
workers alive and busy, the review backlog, submissions per state. Rates and quantiles are
Prometheus's to compute (``rate()``, ``histogram_quantile()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from web import queues
from web.settings import WebSettings
from web.submissions import Stats, stats
from workers import measures
from workers.db import get_database, utc_now


@dataclass
class Snapshot:
    at: datetime
    stats: Stats
    totals: measures.Totals
    queues: list[queues.QueueStats] = field(default_factory=list)
    workers: list[queues.WorkerInfo] = field(default_factory=list)
    failed_jobs: list[queues.FailedJob] = field(default_factory=list)
    redis_error: str | None = None


def snapshot(settings: WebSettings, with_failed_jobs: bool = True) -> Snapshot:
    """Database figures always; Redis figures when Redis answers (else ``redis_error``)."""
    snap = Snapshot(
        at=utc_now(),
        stats=stats(settings),
        totals=measures.totals(get_database(settings.database_url)),
    )
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


# Histogram families: observation name -> (metric name, label name or None)
HISTOGRAMS = {
    "fetch": ("vidverify_fetch_duration_seconds", None),
    "analyse": ("vidverify_analyse_duration_seconds", None),
    "queue_wait": ("vidverify_queue_wait_seconds", "queue"),
    "post_to_verdict": ("vidverify_post_to_verdict_seconds", "verdict"),
}
VERDICTS = ("approved", "rejected", "needs_review")
REVIEW_VERDICTS = ("approved", "rejected")


class SnapshotCollector(Collector):
    """Yields the metric families of one snapshot (a registry is built per scrape)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        snap, totals = self.snap, self.snap.totals
        yield from self._counters(totals)
        yield from self._histograms(totals)
        yield from self._gauges(snap)

    def _counters(self, totals: measures.Totals) -> Iterator[CounterMetricFamily]:
        submissions = CounterMetricFamily(
            "vidverify_submissions", "machine verdicts reached", labels=["verdict"]
        )
        for verdict in sorted(set(VERDICTS) | set(totals.verdicts)):
            submissions.add_metric([verdict], totals.verdicts.get(verdict, 0))
        yield submissions
        reviews = CounterMetricFamily("vidverify_reviews", "reviewer decisions", labels=["verdict"])
        for verdict in sorted(set(REVIEW_VERDICTS) | set(totals.reviews)):
            reviews.add_metric([verdict], totals.reviews.get(verdict, 0))
        yield reviews
        failures = CounterMetricFamily(
            "vidverify_fetch_failures", "fetch attempts that failed, by kind", labels=["kind"]
        )
        for kind, n in sorted(totals.fetch_failures.items()):
            failures.add_metric([kind], n)
        yield failures

    def _histograms(self, totals: measures.Totals) -> Iterator[HistogramMetricFamily]:
        for name, (metric, label) in HISTOGRAMS.items():
            family = HistogramMetricFamily(
                metric, measures.DURATIONS[name], labels=[label] if label else None
            )
            for (obs_name, obs_label), hist in sorted(totals.durations.items()):
                if obs_name != name:
                    continue
                pairs = zip(measures.BUCKETS, hist.cumulative, strict=True)
                buckets = [(floatToGoString(b), n) for b, n in pairs]
                buckets.append(("+Inf", hist.count))
                family.add_metric([obs_label] if label else [], buckets, hist.total)
            yield family

    def _gauges(self, snap: Snapshot) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("vidverify_redis_up", "1 when Redis answered", 0 if snap.redis_error else 1)
        jobs = GaugeMetricFamily(
            "vidverify_queue_jobs",
            "RQ jobs per queue being worked on, scheduled, deferred or failed",
            labels=["queue", "status"],
        )
        for q in snap.queues:
            for status in ("started", "scheduled", "deferred", "failed"):  # queued: the depth below
                jobs.add_metric([q.name, status], getattr(q, status))
        yield jobs
        depth = GaugeMetricFamily("vidverify_queue_depth", "jobs waiting in the RQ queue", labels=["queue"])
        for q in snap.queues:
            depth.add_metric([q.name], q.queued)
        yield depth
        yield GaugeMetricFamily("vidverify_workers_alive", "RQ workers registered", len(snap.workers))
        yield GaugeMetricFamily(
            "vidverify_workers_busy",
            "RQ workers running a job",
            sum(1 for w in snap.workers if w.current_job),
        )
        yield GaugeMetricFamily(
            "vidverify_review_backlog", "submissions waiting for a reviewer", snap.stats.review_waiting
        )
        states = GaugeMetricFamily(
            "vidverify_submissions_in_state", "submissions per state", labels=["state"]
        )
        for state, n in sorted(snap.stats.states.items()):
            states.add_metric([state], n)
        yield states


def prometheus(snap: Snapshot) -> str:
    """The exposition text of ``snap`` (prometheus-client's text format 0.0.4)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snap))
    return generate_latest(registry).decode()
