"""The submission lifecycle tables and the pydantic view handed to the CLI and the web.

The database, not Redis, is the source of truth: a row here says where a submission is
(``state``), which processing attempt owns it (``attempts``, also the fencing token every
job checks before it writes), when its job last proved it was alive (``heartbeat_at``),
and what came out. Redis only carries job ids, so a flushed Redis loses nothing the reaper
cannot rebuild from these rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.models import Verdict

__all__ = [
    "ACTIVE_STATES",
    "AWAITING_REVIEW",
    "REVIEW_VERDICTS",
    "RUNNING_STATES",
    "EventRow",
    "OutboxRow",
    "Stage",
    "State",
    "SubmissionRow",
    "SubmissionView",
    "Verdict",
    "awaiting_review",
    "effective_verdict",
]

E = TypeVar("E", bound=StrEnum)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive; this restores UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the workers' tables")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumText(TypeDecorator[E], Generic[E]):
    """A ``StrEnum`` stored as its plain string value (the same VARCHAR as before, no database
    enum type to migrate), read back as the enum member, so rows compare with members."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value  # an unknown value: ValueError

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


class State(StrEnum):
    """Where a submission is. Order of a normal life: top to bottom."""

    RECEIVED = "received"  # stored, not yet handed to Redis
    QUEUED = "queued"  # a job for ``stage`` is in Redis (or scheduled for a retry)
    FETCHING = "fetching"
    ANALYSING = "analysing"
    DECIDED = "decided"  # verdict known; final for rejected, waits for a person if needs_review
    REVIEWED = "reviewed"  # a reviewer decided (final when the reviewer rejected)
    WINDOW_ISSUED = "window_issued"  # the eligibility core opened the 72 h window
    NOTIFIED = "notified"  # the purchase notification was sent
    FAILED = "failed"  # gave up; ``last_error`` says why


class Stage(StrEnum):
    FETCH = "fetch"
    ANALYSE = "analyse"


# States in which a job is (or should be) working on the submission: the reaper's concern.
ACTIVE_STATES = (State.RECEIVED, State.QUEUED, State.FETCHING, State.ANALYSING)
RUNNING_STATES = (State.FETCHING, State.ANALYSING)
# What a person may decide on a flagged submission.
REVIEW_VERDICTS = (Verdict.APPROVED, Verdict.REJECTED)

# The two predicates below are written once, as data, and read both ways: in Python on a row
# or a view, and as SQL through the hybrid properties of ``SubmissionRow`` (queries filter on
# them). A test evaluates both over every combination and expects the same answers.

# The verdict that counts: the first of these columns that is set (a person overrides the machine).
VERDICT_PRECEDENCE = ("review_verdict", "verdict")
# Waiting for a person: the machine decided, and its verdict was "needs review".
AWAITING_REVIEW: dict[str, StrEnum] = {"state": State.DECIDED, "verdict": Verdict.NEEDS_REVIEW}


def effective_verdict(submission: Any) -> Verdict | None:
    """The reviewer's verdict if there is one, else the machine's (a row or a view)."""
    for name in VERDICT_PRECEDENCE:
        value = getattr(submission, name)
        if value is not None:
            return Verdict(value)
    return None


def awaiting_review(submission: Any) -> bool:
    """True while the submission waits for a person's decision (a row or a view)."""
    return all(getattr(submission, name) == value for name, value in AWAITING_REVIEW.items())


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}


class SubmissionRow(Base):
    __tablename__ = "wk_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # sha256 of (normalised source, aircraft SN): the same link for the same product is one row.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(8))  # "url" | "file"
    aircraft_sn: Mapped[str] = mapped_column(String(64), index=True)
    rc_sn: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(100))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    # The owner's language for e-mails, a supported locale (``workers.locales``); None: English.
    locale: Mapped[str | None] = mapped_column(String(16))

    state: Mapped[State] = mapped_column(EnumText(State, 20), index=True)
    stage: Mapped[Stage | None] = mapped_column(EnumText(Stage, 10))  # next/current stage while active
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    stage_retries: Mapped[int] = mapped_column(Integer, default=0)  # transient retries, this stage
    job_id: Mapped[str | None] = mapped_column(String(100))
    worker: Mapped[str | None] = mapped_column(String(200))
    progress: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(20))  # transient|permanent|lost|internal

    video_path: Mapped[str | None] = mapped_column(Text)
    evidence_dir: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[Verdict | None] = mapped_column(EnumText(Verdict, 20), index=True)  # the machine's
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    report_json: Mapped[str | None] = mapped_column(Text)
    durations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # stage -> ms

    window_id: Mapped[int | None] = mapped_column(Integer)
    window_expires_at: Mapped[datetime | None] = mapped_column()

    review_verdict: Mapped[Verdict | None] = mapped_column(EnumText(Verdict, 20))
    reviewer: Mapped[str | None] = mapped_column(String(200))
    review_reason: Mapped[str | None] = mapped_column(String(64))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column()

    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None] = mapped_column()
    stage_started_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    @hybrid_property
    def effective_verdict(self) -> Verdict | None:
        return effective_verdict(self)

    @effective_verdict.inplace.expression
    @classmethod
    def _effective_verdict_sql(cls) -> ColumnElement[Verdict | None]:
        return func.coalesce(*(getattr(cls, name) for name in VERDICT_PRECEDENCE))

    @hybrid_property
    def awaiting_review(self) -> bool:
        return awaiting_review(self)

    @awaiting_review.inplace.expression
    @classmethod
    def _awaiting_review_sql(cls) -> ColumnElement[bool]:
        return and_(*(getattr(cls, name) == value for name, value in AWAITING_REVIEW.items()))


class OutboxRow(Base):
    """A notification to send; one per (submission, kind) so a repeated job sends once."""

    __tablename__ = "wk_outbox"
    __table_args__ = (UniqueConstraint("submission_id", "kind", name="uq_wk_outbox_sub_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("wk_submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))  # of subject and body; None: English
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending|sending|sent|failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class EventRow(Base):
    """An append-only history of state changes, for the operations dashboard and debugging."""

    __tablename__ = "wk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("wk_submissions.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    state: Mapped[State] = mapped_column(EnumText(State, 20))
    attempt: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)


class ObservationRow(Base):
    """One measurement taken by a worker where the work happened (``workers/measures.py``):
    a stage duration, a queue wait, the time from the POST to the verdict, a fetch failure."""

    __tablename__ = "wk_observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("wk_submissions.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    name: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str] = mapped_column(String(40), default="")  # queue, verdict or failure kind
    seconds: Mapped[float | None] = mapped_column(Float)


class SubmissionView(BaseModel):
    """A submission as the CLI, the web pages and the API see it (no ORM object leaks out)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    source_kind: str
    aircraft_sn: str
    rc_sn: str
    model: str | None
    owner_name: str | None
    owner_email: str | None
    locale: str | None = None  # the owner's e-mails' language; None: English
    state: State
    stage: Stage | None
    attempts: int
    job_id: str | None
    worker: str | None  # host:pid of the process running the current stage
    progress: float | None
    last_error: str | None
    error_kind: str | None
    verdict: Verdict | None  # the machine's
    reasons: list[str]
    report: dict[str, Any] | None = None
    evidence_dir: str | None
    durations: dict[str, Any]
    window_id: int | None
    window_expires_at: datetime | None
    review_verdict: Verdict | None
    reviewer: str | None
    review_reason: str | None
    review_comment: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    heartbeat_at: datetime | None
    decided_at: datetime | None
    finished_at: datetime | None

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> list[str]:
        return list(value or [])

    @field_validator("durations", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})

    @classmethod
    def from_row(cls, row: SubmissionRow, with_report: bool = True) -> SubmissionView:
        view = cls.model_validate(row)
        if with_report and row.report_json:
            view.report = json.loads(row.report_json)
        return view

    @property
    def effective_verdict(self) -> Verdict | None:
        return effective_verdict(self)

    @property
    def awaiting_review(self) -> bool:
        return awaiting_review(self)

    @property
    def final(self) -> bool:
        """True when no machine will act on it again (a reviewer still may on needs_review)."""
        return self.state in (State.DECIDED, State.REVIEWED, State.NOTIFIED, State.FAILED) or (
            self.state == State.WINDOW_ISSUED and not self.owner_email
        )
