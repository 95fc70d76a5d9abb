"""What Redis says about the RQ queues and workers, for the dashboard and /metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq import Queue, Worker
from rq.job import Job

from web.settings import WebSettings
from workers.models import Stage
from workers.queues import queue_name


@dataclass
class QueueStats:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int
    deferred: int
    finished: int
    oldest_enqueued_at: datetime | None = None  # of the job waiting longest in the queue


@dataclass
class WorkerInfo:
    name: str
    state: str
    queues: list[str]
    current_job: str | None
    current_description: str | None
    last_heartbeat: datetime | None
    successful: int
    failed: int


@dataclass
class FailedJob:
    queue: str
    job_id: str
    description: str
    submission_id: int | None
    error: str
    ended_at: datetime | None


def redis_connection(settings: WebSettings) -> Redis:
    return Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)


def queue_names(settings: WebSettings) -> list[str]:
    return [queue_name(settings.workers, stage) for stage in Stage]


def queue_stats(settings: WebSettings, conn: Redis) -> list[QueueStats]:
    result = []
    for name in queue_names(settings):
        q = Queue(name, connection=conn)
        oldest = None
        first = q.get_job_ids(0, 1)
        if first:
            job = Job.fetch_many(first, connection=conn)[0]
            oldest = job.enqueued_at if job is not None else None
            if oldest is not None and oldest.tzinfo is None:  # RQ keeps naive UTC times
                oldest = oldest.replace(tzinfo=UTC)
        result.append(
            QueueStats(
                name=name,
                queued=q.count,
                started=q.started_job_registry.count,
                failed=q.failed_job_registry.count,
                scheduled=q.scheduled_job_registry.count,
                deferred=q.deferred_job_registry.count,
                finished=q.finished_job_registry.count,
                oldest_enqueued_at=oldest,
            )
        )
    return result


def workers(settings: WebSettings, conn: Redis) -> list[WorkerInfo]:
    result = []
    for w in Worker.all(connection=conn):
        job_id = w.get_current_job_id()
        description = None
        if job_id:
            job = Job.fetch_many([job_id], connection=conn)[0]
            description = job.description if job is not None else None
        result.append(
            WorkerInfo(
                name=w.name,
                state=str(w.get_state()),
                queues=list(w.queue_names()),
                current_job=job_id,
                current_description=description,
                last_heartbeat=w.last_heartbeat,
                successful=w.successful_job_count,
                failed=w.failed_job_count,
            )
        )
    return sorted(result, key=lambda w: w.name)


def failed_jobs(settings: WebSettings, conn: Redis, limit: int = 20) -> list[FailedJob]:
    """The most recent failed RQ jobs with the last line of their error."""
    result = []
    for name in queue_names(settings):
        registry = Queue(name, connection=conn).failed_job_registry
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=conn):
            if job is None:
                continue
            error = ""
            try:
                latest = job.latest_result()
                if latest is not None and latest.exc_string:
                    error = latest.exc_string.strip().splitlines()[-1]
            except Exception:  # an unreadable result: show the job without its error
                error = ""
            meta = job.meta or {}
            result.append(
                FailedJob(
                    queue=name,
                    job_id=job.id,
                    description=job.description or "",
                    submission_id=meta.get("submission_id"),
                    error=error,
                    ended_at=job.ended_at,
                )
            )
    return result[:limit]
