"""The intake and review API of the workers, used by the CLI and the web pages.

Everything here talks to the database first and to Redis second: a submission that is
stored but could not be enqueued (Redis down) is picked up by the reaper, never lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workers import handoff, jobfiles, lifecycle
from workers.config import Settings
from workers.db import Database, add_event, get_database, utc_now
from workers.emails import normalise_email
from workers.locales import normalise_locale
from workers.models import (
    REVIEW_VERDICTS,
    EventRow,
    OutboxRow,
    Stage,
    State,
    SubmissionRow,
    SubmissionView,
    Verdict,
)
from workers.queues import enqueue_stage, job_id
from workers.storage import open_storage

log = logging.getLogger(__name__)

# Where an operator may start a submission again: failed, or stuck before a decision.
REQUEUEABLE = (State.FAILED, State.RECEIVED, State.QUEUED, State.FETCHING, State.ANALYSING)


class SubmissionError(ValueError):
    """The request cannot be accepted as given (bad source, unknown RC serial, ...)."""


class LinkRefused(SubmissionError):
    """The video link is refused by the fetch policy (host, scheme, playlist, private address)."""


class LinkUnchecked(SubmissionError):
    """The video link could not be checked now (its host does not resolve): try again later."""


class NotFound(LookupError):
    """No submission with that id."""


class EventView(BaseModel):
    at: Any
    state: State
    attempt: int
    message: str


def _ctx(settings: Settings | None) -> tuple[Settings, Database]:
    settings = settings or Settings.from_env()
    return settings, get_database(settings.database_url)


def _is_url(source: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def idempotency_key(source: str, aircraft_sn: str, scope: str | None = None) -> str:
    """The key that makes 'same link, same product' one submission, per ``scope`` (the API
    client: another client posting the same link gets a submission of its own)."""
    text = f"{source}\n{aircraft_sn}" + (f"\n{scope}" if scope else "")
    return hashlib.sha256(text.encode()).hexdigest()


def _normalise_source(source: str, allow_local: bool) -> tuple[str, str]:
    source = source.strip()
    if not source:
        raise SubmissionError("the video source is empty")
    if _is_url(source):
        try:
            from pipeline.fetch import FetchError, FetchPolicy, validate_url
        except ImportError:  # the fetch module is not installed: accept, the fetch stage decides
            return source, "url"
        # The one check of the link on intake (the web layer does not check it again).
        try:
            return validate_url(source, FetchPolicy.from_env()), "url"
        except FetchError as exc:
            if not exc.permanent:
                raise LinkUnchecked(f"cannot check the link now: {exc.message}") from exc
            raise LinkRefused(f"video link refused: {exc.message}") from exc
    if not allow_local:
        raise SubmissionError("a video link (URL) is required; local files only from the CLI")
    path = Path(source).expanduser().resolve()
    if not path.is_file():
        raise SubmissionError(f"no such file: {path}")
    return str(path), "file"


def submit(
    source: str,
    aircraft_sn: str,
    rc_sn: str | None = None,
    model: str | None = None,
    owner_name: str | None = None,
    owner_email: str | None = None,
    locale: str | None = None,
    *,
    allow_local: bool = False,
    settings: Settings | None = None,
    scope: str | None = None,
) -> SubmissionView:
    """Store a submission and queue its fetch; the same source for the same aircraft
    returns the existing submission unchanged (nothing queued twice).

    RC serial and model default to the eligibility product record of ``aircraft_sn``.
    Raises ``SubmissionError`` for a refused link (``LinkRefused``, or ``LinkUnchecked``
    when it cannot be checked now), a missing local file (or any local file unless
    ``allow_local``), an invalid e-mail, a malformed locale, or an RC serial that is neither
    given nor on record. ``locale`` (a BCP 47 tag) is the language of the owner's e-mails,
    kept as the closest one they are written in (``workers.locales``; unknown: English).
    The link is validated here, once per call (a DNS look-up of its host).
    """
    settings, db = _ctx(settings)
    aircraft_sn = aircraft_sn.strip().upper()
    if not aircraft_sn:
        raise SubmissionError("the aircraft serial number is required")
    if owner_email is not None:
        owner_email = owner_email.strip() or None
        if owner_email:
            try:
                owner_email = normalise_email(owner_email)
            except ValueError as exc:
                raise SubmissionError(f"{exc} ({owner_email!r})") from exc
    if locale is not None:
        try:
            locale = normalise_locale(locale)
        except ValueError as exc:
            raise SubmissionError(f"locale: {exc}") from exc
    source, kind = _normalise_source(source, allow_local)
    key = idempotency_key(source, aircraft_sn, scope)

    with db.tx() as s:
        existing = s.scalar(select(SubmissionRow).where(SubmissionRow.idempotency_key == key))
        if existing is not None:
            return SubmissionView.from_row(existing)

    product = handoff.get_store(settings.database_url).get_product(aircraft_sn)
    rc_sn = (rc_sn or "").strip().upper() or (product.rc_sn if product else None)
    model = (model or "").strip() or (product.model if product else None)
    if not rc_sn:
        raise SubmissionError(f"no RC serial given and none on record for aircraft {aircraft_sn}")

    now = utc_now()
    row = SubmissionRow(
        idempotency_key=key,
        source=source,
        source_kind=kind,
        aircraft_sn=aircraft_sn,
        rc_sn=rc_sn,
        model=model,
        owner_name=(owner_name or "").strip() or None,
        owner_email=owner_email,
        locale=locale,
        state=State.RECEIVED,
        stage=Stage.FETCH,
        attempts=1,
        stage_retries=0,
        job_id=job_id(settings, 0, Stage.FETCH, 1),  # replaced below once the id is known
        reasons=[],
        durations={},
        created_at=now,
        updated_at=now,
    )
    try:
        with db.tx() as s:
            s.add(row)
            s.flush()
            row.job_id = job_id(settings, row.id, Stage.FETCH, 1)
            add_event(s, row.id, row.state, 1, f"received {kind} {source}")
    except IntegrityError:  # the same submission arrived concurrently: return that one
        with db.tx() as s:
            existing = s.scalar(select(SubmissionRow).where(SubmissionRow.idempotency_key == key))
            if existing is None:
                raise
            return SubmissionView.from_row(existing)
    return _enqueue_first(settings, db, row.id)


def _enqueue_first(settings: Settings, db: Database, submission_id: int) -> SubmissionView:
    try:
        enqueue_stage(settings, submission_id, Stage.FETCH, 1)
    except Exception as exc:  # Redis down: stays "received"; the reaper enqueues it later
        log.warning("submission %s stored but not queued (%s); the reaper will", submission_id, exc)
        with db.tx() as s:
            row = s.get_one(SubmissionRow, submission_id)
            row.last_error = f"not queued yet: {type(exc).__name__}: {exc}"
            return SubmissionView.from_row(row)
    with db.tx() as s:
        row = lifecycle.locked(s, submission_id)
        assert row is not None
        lifecycle.queued(s, row, utc_now())
        return SubmissionView.from_row(row)


def get(submission_id: int, *, settings: Settings | None = None) -> SubmissionView:
    """One submission with its report; ``NotFound`` if there is none."""
    _, db = _ctx(settings)
    with db.read() as s:
        row = s.get(SubmissionRow, submission_id)
        if row is None:
            raise NotFound(f"no submission {submission_id}")
        return SubmissionView.from_row(row)


def list_submissions(
    state: State | str | None = None,
    verdict: Verdict | str | None = None,
    limit: int = 100,
    offset: int = 0,
    *,
    settings: Settings | None = None,
) -> list[SubmissionView]:
    """Newest first, optionally filtered (e.g. ``verdict="needs_review", state="decided"``
    is the review queue); reports are left out to keep lists light. An unknown state or
    verdict is a ``SubmissionError``."""
    _, db = _ctx(settings)
    query = select(SubmissionRow).order_by(SubmissionRow.id.desc()).limit(limit).offset(offset)
    try:
        if state:
            query = query.where(SubmissionRow.state == State(state))
        if verdict:
            query = query.where(SubmissionRow.verdict == Verdict(verdict))
    except ValueError as exc:
        raise SubmissionError(str(exc)) from exc
    with db.read() as s:
        return [SubmissionView.from_row(r, with_report=False) for r in s.scalars(query)]


def counts(*, settings: Settings | None = None) -> dict[State, int]:
    """Submissions per state, for the operations dashboard."""
    _, db = _ctx(settings)
    with db.read() as s:
        rows = s.execute(select(SubmissionRow.state, func.count()).group_by(SubmissionRow.state)).all()
    return {state: n for state, n in rows}


def events(submission_id: int, *, settings: Settings | None = None) -> list[EventView]:
    """The submission's history, oldest first."""
    _, db = _ctx(settings)
    with db.read() as s:
        rows = s.scalars(
            select(EventRow).where(EventRow.submission_id == submission_id).order_by(EventRow.id)
        ).all()
        return [EventView(at=r.at, state=r.state, attempt=r.attempt, message=r.message) for r in rows]


def requeue(submission_id: int, *, settings: Settings | None = None) -> SubmissionView:
    """Start a failed (or stuck) submission again as a new attempt, from the right stage.

    Decided submissions are not re-analysed (a person reviews those); ``SubmissionError``.
    """
    settings, db = _ctx(settings)
    with db.tx() as s:
        row = lifecycle.locked(s, submission_id)
        if row is None:
            raise NotFound(f"no submission {submission_id}")
        if row.state not in REQUEUEABLE:
            raise SubmissionError(f"submission {submission_id} is {row.state}; nothing to requeue")
        if row.effective_verdict == Verdict.APPROVED and row.error_kind == "handoff":
            raise SubmissionError("approved already; fix the product record, then run the reaper")
        has_video = jobfiles.has_download(open_storage(settings), row)
        stage = Stage.ANALYSE if has_video else Stage.FETCH
        again = lifecycle.new_attempt(
            s, row, settings, stage, utc_now(), f"requeued by an operator ({stage.value})"
        )
    again.send(settings)
    return get(submission_id, settings=settings)


def record_review(
    submission_id: int,
    reviewer: str,
    verdict: str,
    reason: str | None = None,
    comment: str | None = None,
    *,
    settings: Settings | None = None,
) -> SubmissionView:
    """Record a person's decision on a ``needs_review`` submission.

    ``verdict`` is ``approved`` or ``rejected``; ``reason`` a DESIGN.md reason code (expected
    with a rejection). Approval opens the 72 h window and queues the notification.
    Repeating the same decision is a no-op; a different one on a reviewed submission is a
    ``SubmissionError``.
    """
    settings, db = _ctx(settings)
    reviewer = reviewer.strip()
    try:
        decision = Verdict(verdict.strip().lower())
    except ValueError:
        decision = None
    if decision not in REVIEW_VERDICTS:
        raise SubmissionError(f"verdict must be one of {', '.join(REVIEW_VERDICTS)}")
    if not reviewer:
        raise SubmissionError("the reviewer's name is required")
    if reason:
        from pipeline.models import Reason

        if reason not in {r.value for r in Reason}:
            raise SubmissionError(f"unknown reason code {reason!r}")
    with db.tx() as s:
        row = lifecycle.locked(s, submission_id)
        if row is None:
            raise NotFound(f"no submission {submission_id}")
        repeat = row.review_verdict is not None
        if repeat and row.review_verdict != decision:
            raise SubmissionError(
                f"submission {submission_id} was already reviewed ({row.review_verdict} by {row.reviewer})"
            )
        if not repeat:
            if not row.awaiting_review:
                raise SubmissionError(
                    f"submission {submission_id} is not awaiting review "
                    f"(state {row.state}, verdict {row.verdict})"
                )
            comment = (comment or "").strip() or None
            lifecycle.review(s, row, reviewer, decision, reason or None, comment, utc_now())
    if decision == Verdict.APPROVED:
        handoff.handoff(submission_id, settings=settings, db=db)
    view = get(submission_id, settings=settings)
    if repeat:
        log.info("review of %s repeated; nothing changed", submission_id)
    return view


def outbox(submission_id: int, *, settings: Settings | None = None) -> list[dict[str, Any]]:
    """The notifications queued for a submission (kind, recipient, status, sent_at)."""
    _, db = _ctx(settings)
    with db.read() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.submission_id == submission_id)).all()
        return [
            {
                "kind": r.kind,
                "recipient": r.recipient,
                "status": r.status,
                "tries": r.tries,
                "sent_at": r.sent_at,
                "last_error": r.last_error,
            }
            for r in rows
        ]
