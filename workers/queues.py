"""The two RQ queues and how a stage of a submission becomes a job on them.

Fetching waits on the network and analysis burns CPU, so they live on separate queues
(``vidverify-fetch``, ``vidverify-analyse``) and scale separately (``--scale``).
A job id is ``<prefix>-<submission>-<stage>-<attempt>``: enqueuing the same attempt twice is a
no-op (``unique=True``), and a new attempt (retry or reaper restart) gets a new id, so an
old job can never be mistaken for the current one.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from workers.config import Settings
from workers.models import Stage

log = logging.getLogger(__name__)

JOB_FUNCS = {Stage.FETCH: "workers.jobs.fetch_job", Stage.ANALYSE: "workers.jobs.analyse_job"}

# RQ job statuses that mean "the job will still run or is running".
LIVE_STATUSES = {
    JobStatus.QUEUED,
    JobStatus.SCHEDULED,
    JobStatus.DEFERRED,
    JobStatus.STARTED,
}


def redis_connection(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url)


def queue_name(settings: Settings, stage: Stage | str) -> str:
    return f"{settings.queue_prefix}-{Stage(stage).value}"


def get_queue(settings: Settings, stage: Stage | str, connection: Redis | None = None) -> Queue:
    timeout = settings.fetch_timeout_s if Stage(stage) == Stage.FETCH else settings.analyse_timeout_s
    return Queue(
        queue_name(settings, stage),
        connection=connection or redis_connection(settings),
        default_timeout=timeout,
    )


def job_id(settings: Settings, submission_id: int, stage: Stage | str, attempt: int) -> str:
    """The id of the job that runs ``stage`` of a submission for processing ``attempt``. It
    carries the queue prefix: two deployments sharing one Redis database must not take each
    other's jobs for duplicates of their own."""
    return f"{settings.queue_prefix}-{submission_id}-{Stage(stage).value}-{attempt}"


def enqueue_stage(
    settings: Settings,
    submission_id: int,
    stage: Stage | str,
    attempt: int,
    delay_s: float = 0,
    connection: Redis | None = None,
) -> str:
    """Put the job for (submission, stage, attempt) on its queue, after ``delay_s`` if given.

    Idempotent: if that job already exists in Redis nothing changes. Delays need a worker
    started with the scheduler (``vidverify worker`` always starts it).
    """
    stage = Stage(stage)
    queue = get_queue(settings, stage, connection)
    jid = job_id(settings, submission_id, stage, attempt)
    timeout = settings.fetch_timeout_s if stage == Stage.FETCH else settings.analyse_timeout_s
    options = {
        "job_id": jid,
        "job_timeout": timeout,
        "result_ttl": settings.result_ttl_s,
        "failure_ttl": settings.failure_ttl_s,
        "description": f"submission {submission_id}: {stage.value} (attempt {attempt})",
        "unique": True,
        "meta": {"submission_id": submission_id, "stage": stage.value, "attempt": attempt},
    }
    try:
        if delay_s > 0:
            queue.enqueue_in(timedelta(seconds=delay_s), JOB_FUNCS[stage], submission_id, attempt, **options)
        else:
            queue.enqueue(JOB_FUNCS[stage], submission_id, attempt, **options)
    except DuplicateJobError:
        log.info("job %s already in Redis", jid)
    return jid


def job_status(connection: Redis, jid: str) -> JobStatus | None:
    """The RQ status of a job, or None when Redis no longer knows it."""
    try:
        job = Job.fetch(jid, connection=connection)
    except NoSuchJobError:
        return None
    try:
        return job.get_status(refresh=False)
    except Exception:  # a half-written job hash (e.g. during a flush): treat as gone
        return None
