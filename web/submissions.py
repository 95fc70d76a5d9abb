"""Everything the web service asks of the workers, in one place.

The pages and the API call these functions only; ``workers.service`` does the writing
(submission, review, requeue). The read-only queries it does not offer (the review queue
oldest first, failed submissions, figures for the dashboard) are written here against the
workers' tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from web.settings import WebSettings
from workers import service
from workers.db import add_event, get_database, utc_now
from workers.models import State, SubmissionRow, SubmissionView, Verdict
from workers.service import LinkRefused, LinkUnchecked, NotFound, SubmissionError

__all__ = [
    "LinkRefused",
    "LinkUnchecked",
    "NotFound",
    "SubmissionError",
    "Stats",
    "submit",
    "get",
    "events",
    "review_queue",
    "failed",
    "record_review",
    "requeue",
    "reopen",
    "search",
    "video_values",
    "stats",
]


def submit(
    settings: WebSettings,
    youtube_url: str,
    aircraft_sn: str,
    model: str | None,
    owner_name: str | None,
    owner_email: str | None,
    rc_sn: str | None = None,
    client_id: int | None = None,
    locale: str | None = None,
) -> SubmissionView:
    """Store and queue (or find the same) submission; ``SubmissionError`` when refused
    (the workers validate the link: ``LinkRefused``, ``LinkUnchecked``). The same link and
    aircraft posted again by the same client is the same submission; by another client,
    another one (ids are never shared between clients)."""
    return service.submit(
        youtube_url,
        aircraft_sn,
        rc_sn=rc_sn,
        model=model,
        owner_name=owner_name,
        owner_email=owner_email,
        locale=locale,
        allow_local=False,
        settings=settings.workers,
        scope=f"api-client:{client_id}" if client_id is not None else None,
    )


def get(settings: WebSettings, submission_id: int) -> SubmissionView:
    return service.get(submission_id, settings=settings.workers)


def events(settings: WebSettings, submission_id: int) -> list[service.EventView]:
    return service.events(submission_id, settings=settings.workers)


def record_review(
    settings: WebSettings,
    submission_id: int,
    reviewer: str,
    verdict: str,
    reason: str | None,
    comment: str | None,
) -> SubmissionView:
    return service.record_review(submission_id, reviewer, verdict, reason, comment, settings=settings.workers)


def requeue(settings: WebSettings, submission_id: int) -> SubmissionView:
    return service.requeue(submission_id, settings=settings.workers)


def reopen(settings: WebSettings, submission_id: int, operator: str, reason: str) -> SubmissionView:
    """Send a machine rejection to the review queue (an operator doubts it), with the
    reason in its history. The report keeps the machine's verdict; the row's verdict becomes
    ``needs_review`` so the queue and ``record_review`` take it like any flagged case. A
    rejection e-mail already queued is not recalled: the owner hears again when a reviewer
    approves."""
    reason = reason.strip()
    if not reason:
        raise SubmissionError("reopening needs a reason")
    db = get_database(settings.database_url)
    with db.tx() as s:
        row = s.scalar(select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update())
        if row is None:
            raise NotFound(f"no submission {submission_id}")
        if row.state != State.DECIDED.value or row.verdict != "rejected" or row.review_verdict:
            raise SubmissionError(
                f"submission {submission_id} is not a machine rejection (state {row.state}, "
                f"verdict {row.verdict}); only those can be reopened"
            )
        row.verdict = "needs_review"
        row.updated_at = utc_now()
        row.finished_at = None
        add_event(
            s, submission_id, row.state, row.attempts, f"reopened for review by {operator}: {reason[:300]}"
        )
    return get(settings, submission_id)


def search(
    settings: WebSettings,
    text: str = "",
    state: str = "",
    verdict: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SubmissionView]:
    """All submissions, newest first: ``text`` matches a serial, the owner or the id;
    ``verdict`` the machine's or the reviewer's; dates bound the creation time."""
    query = select(SubmissionRow).order_by(SubmissionRow.id.desc()).limit(limit).offset(offset)
    text = text.strip()
    if text:
        like = f"%{text.upper()}%"
        conditions = [
            func.upper(SubmissionRow.aircraft_sn).like(like),
            func.upper(SubmissionRow.rc_sn).like(like),
            func.upper(SubmissionRow.owner_name).like(like),
            func.upper(SubmissionRow.owner_email).like(like),
        ]
        if text.isdigit():
            conditions.append(SubmissionRow.id == int(text))
        query = query.where(or_(*conditions))
    if state:
        query = query.where(SubmissionRow.state == state)
    if verdict:
        query = query.where(or_(SubmissionRow.verdict == verdict, SubmissionRow.review_verdict == verdict))
    if since:
        query = query.where(SubmissionRow.created_at >= since)
    if until:
        query = query.where(SubmissionRow.created_at < until)
    return _rows(settings, query)


def _rows(settings: WebSettings, query) -> list[SubmissionView]:
    db = get_database(settings.database_url)
    with db.read() as s:
        return [SubmissionView.from_row(r, with_report=False) for r in s.scalars(query)]


def review_queue(settings: WebSettings, limit: int = 200) -> list[SubmissionView]:
    """Submissions waiting for a person, oldest decision first."""
    query = (
        select(SubmissionRow)
        .where(SubmissionRow.awaiting_review)
        .order_by(SubmissionRow.decided_at.asc(), SubmissionRow.id.asc())
        .limit(limit)
    )
    return _rows(settings, query)


def failed(settings: WebSettings, limit: int = 50) -> list[SubmissionView]:
    """Failed submissions, most recent first (the dashboard offers to requeue them)."""
    query = (
        select(SubmissionRow)
        .where(SubmissionRow.state == State.FAILED)
        .order_by(SubmissionRow.updated_at.desc())
        .limit(limit)
    )
    return _rows(settings, query)


def video_values(settings: WebSettings, submission_id: int) -> list[str]:
    """What the row says of its recording: the stored download, and a local file submission's
    path (``web.media`` decides which of them, if any, may be served)."""
    db = get_database(settings.database_url)
    with db.read() as s:
        row = s.get(SubmissionRow, submission_id)
        if row is None:
            return []
        values = [row.video_path, row.source if row.source_kind == "file" else None]
    return [v for v in values if v]


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Period:
    label: str
    received: int = 0
    decided: int = 0
    verdicts: dict[Verdict, int] = field(default_factory=dict)  # machine verdict -> count
    reviews: dict[Verdict, int] = field(default_factory=dict)  # reviewer verdict -> count
    failed: int = 0


@dataclass
class Stats:
    states: dict[State, int]
    periods: list[Period]
    # stage -> (p50 ms, p95 ms, samples) over the last day
    latency: dict[str, tuple[float | None, float | None, int]]
    review_waiting: int
    oldest_review: datetime | None


STAGES = ("fetch", "analyse", "queue_wait", "total")


def stats(settings: WebSettings, now: datetime | None = None) -> Stats:
    """Throughput, verdict mix and stage latencies from the submissions table."""
    now = now or utc_now()
    day_ago = now - timedelta(days=1)
    hour_ago = now - timedelta(hours=1)
    states = service.counts(settings=settings.workers)
    db = get_database(settings.database_url)
    with db.read() as s:
        recent = s.execute(
            select(
                SubmissionRow.created_at,
                SubmissionRow.queued_at,
                SubmissionRow.decided_at,
                SubmissionRow.reviewed_at,
                SubmissionRow.updated_at,
                SubmissionRow.state,
                SubmissionRow.verdict,
                SubmissionRow.review_verdict,
                SubmissionRow.durations,
            ).where(SubmissionRow.updated_at >= day_ago)
        ).all()
        oldest = s.scalar(
            select(SubmissionRow.decided_at)
            .where(SubmissionRow.awaiting_review)
            .order_by(SubmissionRow.decided_at.asc())
            .limit(1)
        )
        waiting = s.scalar(
            select(func.count()).select_from(SubmissionRow).where(SubmissionRow.awaiting_review)
        )
    periods = [Period("last hour"), Period("last day")]
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for r in recent:
        for period, since in zip(periods, (hour_ago, day_ago), strict=True):
            if r.created_at >= since:
                period.received += 1
            if r.decided_at and r.decided_at >= since and r.verdict:
                period.decided += 1
                period.verdicts[r.verdict] = period.verdicts.get(r.verdict, 0) + 1
            if r.reviewed_at and r.reviewed_at >= since and r.review_verdict:
                period.reviews[r.review_verdict] = period.reviews.get(r.review_verdict, 0) + 1
            if r.state == State.FAILED and r.updated_at >= since:
                period.failed += 1
        if r.decided_at and r.decided_at >= day_ago:
            durations = r.durations or {}
            for stage in ("fetch", "analyse"):
                if isinstance(durations.get(stage), int | float):
                    samples[stage].append(float(durations[stage]))
            samples["total"].append((r.decided_at - r.created_at).total_seconds() * 1000)
            busy = sum(float(durations.get(k) or 0) for k in ("fetch", "analyse"))
            wait = (r.decided_at - r.created_at).total_seconds() * 1000 - busy
            samples["queue_wait"].append(max(0.0, wait))
    latency = {stage: (percentile(v, 50), percentile(v, 95), len(v)) for stage, v in samples.items()}
    return Stats(
        states=states,
        periods=periods,
        latency=latency,
        review_waiting=int(waiting or 0),
        oldest_review=oldest,
    )
