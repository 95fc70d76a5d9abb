"""The reaper: finds submissions whose job is gone or whose worker died, and restarts them.

RQ by itself recovers an abandoned job only on another worker's maintenance pass (every
10 minutes, after the job's heartbeat expired) and forgets everything when Redis restarts
empty. The database knows better: a submission in an active state must either have a live
job in Redis (queued, scheduled, running) or, while running, a fresh ``heartbeat_at``.
Anything else is restarted as a new attempt (``attempts`` + 1, a new job id); the old job,
should it still be alive somewhere, is fenced off by the attempt number.

Also finishes hand-offs interrupted between "decided approved" and "window issued".
Safe to run from many processes at once: every restart is a conditional update, and only
the process whose update matched enqueues.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis import Redis
from rq.job import JobStatus
from sqlalchemy import select

from workers import handoff, lifecycle
from workers.config import Settings
from workers.db import Database, get_database, utc_now
from workers.models import ACTIVE_STATES, RUNNING_STATES, OutboxRow, Stage, State, SubmissionRow, Verdict
from workers.queues import LIVE_STATUSES, job_status, redis_connection

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class ReapResult:
    """What one pass did, by submission id."""

    restarted: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    handed_off: list[int] = field(default_factory=list)
    checked: int = 0

    def summary(self) -> str:
        return (
            f"checked {self.checked}; restarted {self.restarted or 'none'}; "
            f"gave up {self.failed or 'none'}; hand-offs finished {self.handed_off or 'none'}"
        )


def _lost_reason(row: SubmissionRow, now: datetime, settings: Settings, connection: Redis) -> str | None:
    """Why this active submission has nobody working on it, or None if it looks fine."""
    grace = timedelta(seconds=settings.grace_s)
    stale = timedelta(seconds=settings.stale_after_s)
    if row.state in RUNNING_STATES:
        last = row.heartbeat_at or row.stage_started_at or row.updated_at
        if now - last <= stale:
            return None
        return (
            f"worker {row.worker or '?'} stopped during {row.stage}: "
            f"no heartbeat since {last.isoformat(timespec='seconds')}"
        )
    # received / queued: there must be a live job in Redis.
    if now - row.updated_at <= grace:
        return None
    status = job_status(connection, row.job_id) if row.job_id else None
    if status in LIVE_STATUSES and status != JobStatus.STARTED:
        return None
    if status == JobStatus.STARTED:
        # Dequeued but never claimed: fine for a moment, lost if it stays that way.
        if now - row.updated_at <= stale:
            return None
        return f"job {row.job_id} started but never reported (worker died while starting)"
    if status is None:
        return f"job {row.job_id or '(none)'} missing from Redis"
    return f"job {row.job_id} is {status.value} but the submission is still {row.state}"


def _restart(settings: Settings, db: Database, connection: Redis, seen: SubmissionRow, why: str) -> str:
    """Restart one lost submission as a new attempt; 'restarted', 'failed' or 'raced'."""
    now = utc_now()
    restart = None
    with db.tx() as s:
        row = lifecycle.unchanged(s, seen)
        if row is None:  # another reaper, or the job itself, moved it on meanwhile
            return "raced"
        if row.attempts >= settings.max_attempts:
            lifecycle.fail(s, row, now, f"reaper gave up after {row.attempts} attempts; last: {why}", "lost")
        else:
            stage = row.stage or Stage.FETCH
            if stage == Stage.ANALYSE and row.source_kind == "url" and not row.video_path:
                stage = Stage.FETCH
            restart = lifecycle.new_attempt(
                s,
                row,
                settings,
                stage,
                now,
                f"reaper: {why}; restarting {stage.value}",
                error=why,
                error_kind="lost",
            )
    if restart is None:
        return "failed"
    restart.send(settings, connection=connection)
    return "restarted"


def reap(
    settings: Settings | None = None,
    db: Database | None = None,
    connection: Redis | None = None,
) -> ReapResult:
    """One pass over the active submissions; returns what it did."""
    settings = settings or Settings.from_env()
    db = db or get_database(settings.database_url)
    connection = connection or redis_connection(settings)
    result = ReapResult()
    now = utc_now()
    with db.tx() as s:
        rows = s.scalars(
            select(SubmissionRow)
            .where(SubmissionRow.state.in_(ACTIVE_STATES))
            .order_by(SubmissionRow.id)
            .limit(BATCH)
        ).all()
    for row in rows:
        result.checked += 1
        why = _lost_reason(row, now, settings, connection)
        if why is None:
            continue
        outcome = _restart(settings, db, connection, row, why)
        log.warning("submission %s: %s -> %s", row.id, why, outcome)
        if outcome == "restarted":
            result.restarted.append(row.id)
        elif outcome == "failed":
            result.failed.append(row.id)
    result.handed_off = _finish_handoffs(settings, db, now)
    return result


def _finish_handoffs(settings: Settings, db: Database, now: datetime) -> list[int]:
    """Approved submissions whose window or notification was interrupted by a crash."""
    cutoff = now - timedelta(seconds=settings.grace_s)
    with db.tx() as s:
        no_window = s.scalars(
            select(SubmissionRow.id).where(
                SubmissionRow.state.in_(lifecycle.BEFORE_WINDOW),
                SubmissionRow.effective_verdict == Verdict.APPROVED,
                SubmissionRow.updated_at < cutoff,
            )
        ).all()
        no_mail = s.scalars(
            select(SubmissionRow.id).where(
                SubmissionRow.state == State.WINDOW_ISSUED,
                SubmissionRow.owner_email.is_not(None),
                SubmissionRow.updated_at < cutoff,
                ~select(OutboxRow.id).where(OutboxRow.submission_id == SubmissionRow.id).exists(),
            )
        ).all()
    done = []
    for sid in [*no_window, *no_mail]:
        try:
            if handoff.handoff(sid, settings=settings, db=db):
                done.append(sid)
        except Exception:
            log.exception("hand-off of submission %s failed; next pass retries", sid)
    return done
