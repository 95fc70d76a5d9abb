"""Every change of a submission's state, written once (as RQ's ``Job.retry`` is for a job).

Jobs, the reaper, the intake service, the outbox sender and the web layer change a
submission only through these functions, so that a retry, a reaper restart and an operator's
requeue cannot drift apart in which fields they reset. Each function changes a row the caller
holds (locked, or just claimed) inside the caller's transaction and appends the history line;
nothing here commits or talks to Redis. A function that queues a job returns an ``Enqueue``
for the caller to send once its transaction has committed (a job that starts before the row
says "queued" would find nothing to claim).

Fencing: ``attempts`` is the token. ``claim`` and ``owned`` only return a row while it still
belongs to the caller's attempt; a superseded job gets None and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workers import measures
from workers.config import Settings
from workers.db import add_event
from workers.mail import queue_notification, queue_rejection
from workers.models import Stage, State, SubmissionRow, Verdict
from workers.queues import enqueue_stage, job_id

if TYPE_CHECKING:
    from eligibility.models import Window
    from pipeline.models import Report

# States from which a job may claim its stage.
CLAIMABLE = (State.RECEIVED, State.QUEUED)
# States an approved submission passes through before its window is open.
BEFORE_WINDOW = (State.DECIDED, State.REVIEWED)


@dataclass(frozen=True)
class Enqueue:
    """A job to put on its queue once the transaction that queued the row has committed."""

    submission_id: int
    stage: Stage
    attempt: int
    delay_s: float = 0

    def send(self, settings: Settings, connection: Redis | None = None) -> str:
        return enqueue_stage(
            settings,
            self.submission_id,
            self.stage,
            self.attempt,
            delay_s=self.delay_s,
            connection=connection,
        )


# --------------------------------------------------------------------------- owning a row


def claim(
    s: Session,
    settings: Settings,
    submission_id: int,
    attempt: int,
    stage: Stage,
    running: State,
    worker: str,
    now: datetime,
) -> SubmissionRow | None:
    """Take the submission for the job of (stage, attempt), or None when another attempt or
    another copy of this job owns it (a conditional update: exactly one copy wins)."""
    result = s.execute(
        update(SubmissionRow)
        .where(
            SubmissionRow.id == submission_id,
            SubmissionRow.attempts == attempt,
            SubmissionRow.stage == stage,
            SubmissionRow.state.in_(CLAIMABLE),
        )
        .values(
            state=running,
            stage_started_at=now,
            heartbeat_at=now,
            updated_at=now,
            progress=0.0,
            worker=worker,
            job_id=job_id(settings, submission_id, stage, attempt),
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return None
    row = s.get_one(SubmissionRow, submission_id, populate_existing=True)
    if row.queued_at is not None:
        waited = (now - row.queued_at).total_seconds()
        measures.record(s, submission_id, "queue_wait", waited, stage.value)
    add_event(s, submission_id, running, attempt, f"{stage.value} started on {worker}")
    return row


def owned(s: Session, submission_id: int, attempt: int, state: State) -> SubmissionRow | None:
    """The row, locked, if ``attempt`` still owns it in ``state``."""
    row = s.scalar(select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update())
    if row is None or row.attempts != attempt or row.state != state:
        return None
    return row


def locked(s: Session, submission_id: int) -> SubmissionRow | None:
    """The row, locked for the rest of the transaction (None if there is none)."""
    return s.scalar(select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update())


def unchanged(s: Session, seen: SubmissionRow) -> SubmissionRow | None:
    """The row, locked, if it is still in the state and attempt ``seen`` read outside this
    transaction (else None: someone else acted on it meanwhile)."""
    return s.scalar(
        select(SubmissionRow)
        .where(
            SubmissionRow.id == seen.id,
            SubmissionRow.attempts == seen.attempts,
            SubmissionRow.state == seen.state,
        )
        .with_for_update()
    )


# --------------------------------------------------------------------------- queueing


def queued(s: Session, row: SubmissionRow, now: datetime) -> bool:
    """A received submission's first job is in Redis: received -> queued (first attempt only)."""
    if row.state != State.RECEIVED or row.attempts != 1:
        return False
    row.state = State.QUEUED
    row.queued_at = row.updated_at = now
    add_event(s, row.id, row.state, row.attempts, f"queued {row.job_id}")
    return True


def next_stage(
    s: Session, row: SubmissionRow, settings: Settings, stage: Stage, now: datetime, message: str
) -> Enqueue:
    """The current stage succeeded: queue ``stage`` within the same attempt."""
    row.state = State.QUEUED
    row.stage = stage
    row.stage_retries = 0
    row.job_id = job_id(settings, row.id, stage, row.attempts)
    row.queued_at = row.updated_at = now
    row.heartbeat_at = None
    row.progress = None
    add_event(s, row.id, row.state, row.attempts, message)
    return Enqueue(row.id, stage, row.attempts)


def new_attempt(
    s: Session,
    row: SubmissionRow,
    settings: Settings,
    stage: Stage,
    now: datetime,
    message: str,
    *,
    error: str | None = None,
    error_kind: str | None = None,
    retry: bool = False,
    delay_s: float = 0,
) -> Enqueue:
    """Start a new processing attempt at ``stage``: ``attempts`` + 1 (which fences off every
    job of the old attempt), queued, a new job id.

    Used by a transient-fault retry (``retry=True``: same stage, one more ``stage_retries``,
    after ``delay_s``), a vanished download sent back to fetch, a reaper restart and an
    operator's requeue (``stage_retries`` back to 0). Whatever describes the previous
    attempt's run or end is reset: ``queued_at``/``updated_at`` now, no ``heartbeat_at``, no
    ``progress``, no ``finished_at``. ``error``/``error_kind`` (why the previous attempt
    ended) replace the last ones when given, else stay for the operator to read. Kept:
    ``worker`` and ``stage_started_at`` (the last run's, overwritten by the next claim), the
    verdict and review fields (a new attempt is only started before a decision).
    """
    row.attempts += 1
    row.state = State.QUEUED
    row.stage = stage
    row.stage_retries = row.stage_retries + 1 if retry else 0
    row.job_id = job_id(settings, row.id, stage, row.attempts)
    row.queued_at = row.updated_at = now
    row.heartbeat_at = None
    row.progress = None
    row.finished_at = None
    if error is not None:
        row.last_error = error
        row.error_kind = error_kind
    add_event(s, row.id, row.state, row.attempts, message)
    return Enqueue(row.id, stage, row.attempts, delay_s)


def fail(s: Session, row: SubmissionRow, now: datetime, error: str, error_kind: str | None) -> None:
    """Give up on the submission: failed, with why (an operator may requeue it)."""
    row.state = State.FAILED
    row.last_error = error
    row.error_kind = error_kind
    row.finished_at = row.updated_at = now
    add_event(s, row.id, row.state, row.attempts, error)


# --------------------------------------------------------------------------- decisions


def decide(s: Session, row: SubmissionRow, report: Report, evidence_dir: str, now: datetime) -> Verdict:
    """Record the machine's verdict. A rejection is final (its e-mail is queued here); an
    approval still needs its hand-off; needs_review waits for a person."""
    verdict = Verdict(report.verdict)
    row.state = State.DECIDED
    row.stage = None
    row.verdict = verdict
    row.reasons = [r.value for r in report.reasons]
    row.report_json = report.model_dump_json()
    row.evidence_dir = evidence_dir
    row.progress = 1.0
    row.decided_at = row.updated_at = now
    row.last_error = None
    row.error_kind = None
    since_post = (now - row.created_at).total_seconds()
    measures.record(s, row.id, "post_to_verdict", since_post, verdict.value)
    if verdict != Verdict.APPROVED:
        row.finished_at = now
    if verdict == Verdict.REJECTED:
        queue_rejection(s, row, now)
    reasons = f": {', '.join(row.reasons)}" if row.reasons else ""
    add_event(s, row.id, row.state, row.attempts, f"decided {verdict.value}{reasons}")
    return verdict


def review(
    s: Session,
    row: SubmissionRow,
    reviewer: str,
    verdict: Verdict,
    reason: str | None,
    comment: str | None,
    now: datetime,
) -> None:
    """Record a person's decision on a submission awaiting review (the caller checked that).
    A rejection is final and its e-mail queued; an approval still needs its hand-off."""
    row.review_verdict = verdict
    row.reviewer = reviewer
    row.review_reason = reason
    row.review_comment = comment
    row.reviewed_at = row.updated_at = now
    row.state = State.REVIEWED
    if verdict == Verdict.REJECTED:
        row.finished_at = now
        queue_rejection(s, row, now)
    add_event(
        s, row.id, row.state, row.attempts, f"{reviewer} {verdict.value}" + (f" ({reason})" if reason else "")
    )


def window_issued(s: Session, row: SubmissionRow, window: Window, settings: Settings, now: datetime) -> None:
    """The eligibility core opened (or had opened) the window: record it once, move on to
    window_issued, and queue the owner's e-mail (once per submission)."""
    if row.window_id is None:
        row.window_id = window.id
        row.window_expires_at = window.expires_at
        add_event(
            s,
            row.id,
            State.WINDOW_ISSUED,
            row.attempts,
            f"window {window.id} open until {window.expires_at.isoformat()}",
        )
    if row.state in BEFORE_WINDOW:
        row.state = State.WINDOW_ISSUED
        row.updated_at = now
        row.finished_at = now if not row.owner_email else None
    if row.owner_email:
        queue_notification(s, row, settings, now)


def notified(s: Session, row: SubmissionRow, kind: str, recipient: str, now: datetime) -> None:
    """An e-mail went out; the purchase-window one finishes the submission."""
    if row.state != State.WINDOW_ISSUED:
        return
    row.state = State.NOTIFIED
    row.finished_at = row.updated_at = now
    add_event(s, row.id, row.state, row.attempts, f"{kind} mailed to {recipient}")
