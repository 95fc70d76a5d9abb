"""The RQ jobs: fetch a submission's video, analyse it, decide, hand over to eligibility.

Execution is at least once (RQ retries, the reaper, a worker thought dead that was only
slow), so every job is written to be safe to run twice:

* a job *claims* its submission with a conditional update that only succeeds while the
  row is queued for this stage **and** ``attempts`` equals the job's attempt: a second copy
  of the same job, or a job from an older attempt, finds nothing to claim and returns;
* every later write is fenced the same way (``attempts`` is the fencing token), so a
  superseded job that finishes late cannot overwrite the current attempt's result;
* the hand-off is idempotent by construction: the eligibility core opens at most one
  window per reference ``submission:<id>``, and the outbox has one row per
  (submission, kind).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers import owner_links
from workers.config import Settings
from workers.db import Database, add_event, get_database, utc_now
from workers.models import OutboxRow, Stage, State, SubmissionRow
from workers.queues import enqueue_stage, job_id

log = logging.getLogger(__name__)

WINDOW_SOURCE = "video_verification"
NOTIFY_KIND = "purchase_window"
REJECT_KIND = "rejected"


class Superseded(Exception):
    """This job's attempt is no longer the submission's current one: stop quietly."""


class StageError(Exception):
    """A stage failed; ``permanent`` says whether trying again could help."""

    def __init__(self, message: str, permanent: bool, kind: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.kind = kind or ("permanent" if permanent else "transient")


class MissingDownload(StageError):
    """The fetched file is not on this machine's disk: the fetch stage must run again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False, kind="missing_download")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def reference(submission_id: int) -> str:
    """The eligibility window reference of a submission (idempotency key of the window)."""
    return f"submission:{submission_id}"


# --------------------------------------------------------------------------- context


def _context() -> tuple[Settings, Database]:
    settings = Settings.from_env()
    return settings, get_database(settings.database_url)


_stores: dict[tuple[int, str], Any] = {}


def get_store(url: str) -> Any:
    """The process's eligibility ``Store`` on ``url`` (a new one after a fork)."""
    from eligibility.store import Store

    key = (os.getpid(), url)
    store = _stores.get(key)
    if store is None:
        for old in [k for k in _stores if k[0] != key[0]]:
            _stores.pop(old).engine.dispose(close=False)
        store = _stores[key] = Store(url)
    return store


# --------------------------------------------------------------------------- heartbeat


class Heartbeat:
    """Writes ``heartbeat_at`` (and progress) every few seconds while a stage runs.

    A thread, not the pipeline's progress callback alone, because some stages (decoding
    setup, detection, evidence writing, a slow download) call no callback for long
    stretches; the reaper must only see silence when the process is really gone. If the
    row no longer belongs to this attempt, ``lost`` is set and the progress callback raises
    ``Superseded`` so a duplicate analysis stops early.
    """

    def __init__(self, db: Database, submission_id: int, attempt: int, state: State, every: float):
        self.db = db
        self.submission_id = submission_id
        self.attempt = attempt
        self.state = state
        self.every = max(0.2, every)
        self.progress: float | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vv-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        now = utc_now()
        values: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
        if self.progress is not None:
            values["progress"] = round(self.progress, 4)
        with self.db.tx() as s:
            result = s.execute(
                update(SubmissionRow)
                .where(
                    SubmissionRow.id == self.submission_id,
                    SubmissionRow.attempts == self.attempt,
                    SubmissionRow.state == self.state.value,
                )
                .values(**values)
            )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            self.lost = True

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # a database hiccup must not kill the job; next beat retries
                log.exception("heartbeat for submission %s failed", self.submission_id)

    def on_progress(self, fraction: float, _message: str) -> None:
        """The pipeline's progress callback."""
        self.progress = fraction
        if self.lost:
            raise Superseded(f"submission {self.submission_id} attempt {self.attempt} superseded")


# --------------------------------------------------------------------------- claiming


def _claim(
    settings: Settings, db: Database, submission_id: int, attempt: int, stage: Stage, running: State
) -> SubmissionRow | None:
    """Take the submission for this job, or None if another attempt or copy owns it."""
    now = utc_now()
    with db.tx() as s:
        result = s.execute(
            update(SubmissionRow)
            .where(
                SubmissionRow.id == submission_id,
                SubmissionRow.attempts == attempt,
                SubmissionRow.stage == stage.value,
                SubmissionRow.state.in_([State.RECEIVED.value, State.QUEUED.value]),
            )
            .values(
                state=running.value,
                stage_started_at=now,
                heartbeat_at=now,
                updated_at=now,
                progress=0.0,
                worker=worker_name(),
                job_id=job_id(settings, submission_id, stage, attempt),
            )
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return None
        row = s.get_one(SubmissionRow, submission_id)
        add_event(s, submission_id, running.value, attempt, f"{stage.value} started on {worker_name()}")
        return row


def _owned(s: Session, submission_id: int, attempt: int, state: State) -> SubmissionRow | None:
    """The row, locked, if this attempt still owns it in ``state``."""
    row = s.scalar(select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update())
    if row is None or row.attempts != attempt or row.state != state.value:
        return None
    return row


def _duration(row: SubmissionRow, stage: str, started: float) -> None:
    durations = dict(row.durations or {})
    durations[stage] = round((time.perf_counter() - started) * 1000, 1)
    row.durations = durations


# --------------------------------------------------------------------------- failures


def _fail_or_retry(
    settings: Settings,
    db: Database,
    submission_id: int,
    attempt: int,
    stage: Stage,
    running: State,
    error: StageError,
    retries_allowed: int,
) -> None:
    """Schedule a retry with back-off for a transient fault, or record the final failure."""
    now = utc_now()
    delay = 0
    next_attempt = None
    with db.tx() as s:
        row = _owned(s, submission_id, attempt, running)
        if row is None:
            log.info("submission %s attempt %s: superseded, failure ignored", submission_id, attempt)
            return
        row.last_error = f"{stage.value}: {error}"
        row.error_kind = error.kind
        row.updated_at = now
        retry = (
            not error.permanent
            and row.stage_retries < retries_allowed
            and row.attempts < settings.max_attempts
        )
        if retry:
            row.stage_retries += 1
            row.attempts += 1
            next_attempt = row.attempts
            delay = settings.backoff(row.stage_retries)
            row.state = State.QUEUED.value
            row.job_id = job_id(settings, submission_id, stage, next_attempt)
            row.queued_at = now
            row.heartbeat_at = None
            add_event(
                s,
                submission_id,
                row.state,
                next_attempt,
                f"{stage.value} failed ({error.kind}): {error}; retry in {delay} s",
            )
        else:
            tries = row.stage_retries + 1
            why = "permanent" if error.permanent else f"still failing after {tries} tries"
            row.last_error = f"{stage.value} failed ({why}): {error}"
            row.state = State.FAILED.value
            row.finished_at = now
            add_event(s, submission_id, row.state, attempt, row.last_error)
    if next_attempt is not None:
        enqueue_stage(settings, submission_id, stage, next_attempt, delay_s=delay)


def _classify(exc: BaseException) -> StageError:
    """Map an exception from a stage to permanent or transient, with a readable message."""
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, StageError):
        return exc
    if isinstance(exc, JobTimeoutException):
        return StageError(f"timed out: {exc}", permanent=False, kind="timeout")
    fetch_error = _fetch_error_type()
    if fetch_error is not None and isinstance(exc, fetch_error):
        return StageError(str(exc), permanent=bool(getattr(exc, "permanent", False)))
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return StageError(f"{type(exc).__name__}: {exc}", permanent=False)
    return StageError(f"internal error {type(exc).__name__}: {exc}", permanent=False, kind="internal")


def _fetch_error_type() -> type[Exception] | None:
    try:
        from pipeline.fetch import FetchError
    except ImportError:
        return None
    return FetchError


# --------------------------------------------------------------------------- fetch


def _fetch(settings: Settings, row: SubmissionRow, hb: Heartbeat) -> Path:
    if row.source_kind == "file":
        path = Path(row.source)
        if not path.is_file():
            raise StageError(f"local file {path} does not exist", permanent=True)
        return path
    from pipeline.fetch import FetchPolicy, fetch_video

    workdir = settings.work_folder(row.id)
    workdir.mkdir(parents=True, exist_ok=True)
    return Path(fetch_video(row.source, workdir, FetchPolicy.from_env()))


def fetch_job(submission_id: int, attempt: int) -> str:
    """Stage 1: get the video onto local (shared) disk, then queue the analysis."""
    settings, db = _context()
    row = _claim(settings, db, submission_id, attempt, Stage.FETCH, State.FETCHING)
    if row is None:
        return "skipped: not the current attempt or not queued for fetch"
    started = time.perf_counter()
    hb = Heartbeat(db, submission_id, attempt, State.FETCHING, settings.heartbeat_s)
    try:
        with hb:
            path = _fetch(settings, row, hb)
    except Exception as exc:
        error = _classify(exc)
        log.warning("submission %s fetch failed: %s", submission_id, error)
        _fail_or_retry(
            settings,
            db,
            submission_id,
            attempt,
            Stage.FETCH,
            State.FETCHING,
            error,
            settings.fetch_retries,
        )
        return f"fetch failed: {error}"
    now = utc_now()
    with db.tx() as s:
        owned = _owned(s, submission_id, attempt, State.FETCHING)
        if owned is None:
            return "superseded after fetch"
        owned.video_path = str(path)
        owned.state = State.QUEUED.value
        owned.stage = Stage.ANALYSE.value
        owned.stage_retries = 0
        owned.job_id = job_id(settings, submission_id, Stage.ANALYSE, attempt)
        owned.queued_at = now
        owned.updated_at = now
        owned.heartbeat_at = None
        owned.progress = None
        _duration(owned, "fetch", started)
        add_event(s, submission_id, owned.state, attempt, f"fetched {path.name}; queued for analysis")
    enqueue_stage(settings, submission_id, Stage.ANALYSE, attempt)
    return "fetched"


# --------------------------------------------------------------------------- analyse


def analyse_job(submission_id: int, attempt: int) -> str:
    """Stage 2: run the pipeline, record the verdict, and hand an approval to eligibility."""
    settings, db = _context()
    row = _claim(settings, db, submission_id, attempt, Stage.ANALYSE, State.ANALYSING)
    if row is None:
        return "skipped: not the current attempt or not queued for analysis"
    started = time.perf_counter()
    evidence_dir = settings.evidence_folder(submission_id) / f"attempt-{attempt}"
    hb = Heartbeat(db, submission_id, attempt, State.ANALYSING, settings.heartbeat_s)
    try:
        from pipeline.analyse import analyse_file
        from pipeline.models import Claim

        if not row.video_path or not Path(row.video_path).is_file():
            # The download vanished (another machine's disk, a cleaned work dir): fetch again.
            raise MissingDownload(f"fetched video {row.video_path} is missing")
        claim = Claim(rc_sn=row.rc_sn, aircraft_sn=row.aircraft_sn, model=row.model)
        with hb:
            report = analyse_file(
                Path(row.video_path),
                claim,
                evidence_dir=evidence_dir,
                progress=hb.on_progress,
                source=row.source,
            )
    except Superseded:
        return "superseded during analysis"
    except Exception as exc:
        error = _classify(exc)
        log.warning("submission %s analysis failed: %s", submission_id, error)
        if isinstance(error, MissingDownload):
            _refetch(settings, db, submission_id, attempt, str(error))
        else:
            _fail_or_retry(
                settings,
                db,
                submission_id,
                attempt,
                Stage.ANALYSE,
                State.ANALYSING,
                error,
                settings.analyse_retries,
            )
        return f"analysis failed: {error}"

    now = utc_now()
    verdict = report.verdict.value
    with db.tx() as s:
        owned = _owned(s, submission_id, attempt, State.ANALYSING)
        if owned is None:
            return "superseded after analysis"
        owned.state = State.DECIDED.value
        owned.stage = None
        owned.verdict = verdict
        owned.reasons = [r.value for r in report.reasons]
        owned.report_json = report.model_dump_json()
        owned.evidence_dir = str(evidence_dir)
        owned.progress = 1.0
        owned.decided_at = now
        owned.updated_at = now
        owned.last_error = None
        owned.error_kind = None
        _duration(owned, "analyse", started)
        if verdict != "approved":
            owned.finished_at = now
        if verdict == "rejected":
            queue_rejection(s, owned, now)
        add_event(
            s,
            submission_id,
            owned.state,
            attempt,
            f"decided {verdict}" + (f": {', '.join(owned.reasons)}" if owned.reasons else ""),
        )
        source_kind, video_path = owned.source_kind, owned.video_path
    if verdict == "approved":
        handoff(submission_id, settings=settings, db=db)
    if source_kind == "url" and verdict != "needs_review" and not settings.keep_downloads:
        shutil.rmtree(Path(video_path).parent, ignore_errors=True)
    return verdict


def _refetch(settings: Settings, db: Database, submission_id: int, attempt: int, why: str) -> None:
    """Send a submission whose download disappeared back to the fetch stage."""
    with db.tx() as s:
        row = _owned(s, submission_id, attempt, State.ANALYSING)
        if row is None:
            return
        if row.attempts >= settings.max_attempts or row.source_kind == "file":
            row.state = State.FAILED.value
            row.last_error = f"analyse failed: {why}"
            row.error_kind = "permanent"
            row.finished_at = utc_now()
            add_event(s, submission_id, row.state, attempt, row.last_error)
            return
        row.attempts += 1
        row.state = State.QUEUED.value
        row.stage = Stage.FETCH.value
        row.stage_retries = 0
        row.job_id = job_id(settings, submission_id, Stage.FETCH, row.attempts)
        row.last_error = why
        row.updated_at = utc_now()
        next_attempt = row.attempts
        add_event(s, submission_id, row.state, next_attempt, f"{why}; fetching again")
    enqueue_stage(settings, submission_id, Stage.FETCH, next_attempt)


# --------------------------------------------------------------------------- hand-off


def effective_verdict(row: SubmissionRow) -> str | None:
    """The verdict that counts: the reviewer's if there is one, else the machine's."""
    return row.review_verdict or row.verdict


def notification(row: SubmissionRow, settings: Settings) -> tuple[str, str]:
    """Subject and body of the purchase-window email."""
    expires = row.window_expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.window_expires_at else ""
    who = row.owner_name or "DJI customer"
    subject = "Your DJI Care Refresh purchase window is open"
    body = (
        f"Hello {who},\n\n"
        f"The verification video for your {row.model or 'aircraft'} (serial {row.aircraft_sn}) "
        f"has passed.\nYou may now buy a DJI Care Refresh plan for it; the plan must be bought "
        f"and bound before {expires} (72 hours).\n\n{settings.purchase_url}\n\n"
        f"Reference: submission {row.id}\n"
    ) + owner_links.footer(row.id)
    return subject, body


def handoff(submission_id: int, settings: Settings | None = None, db: Database | None = None) -> bool:
    """Open the eligibility window for an approved submission and queue its notification.

    Safe to call any number of times: the window is idempotent per reference and the
    outbox row unique per (submission, kind). Returns True when a window is (now) issued.
    """
    if settings is None or db is None:
        settings, db = _context()
    from eligibility.errors import InvalidInput

    with db.tx() as s:
        row = s.get(SubmissionRow, submission_id)
        if row is None or effective_verdict(row) != "approved":
            return False
        if row.state not in (State.DECIDED.value, State.REVIEWED.value, State.WINDOW_ISSUED.value):
            return row.state == State.NOTIFIED.value
        aircraft_sn = row.aircraft_sn
    try:
        window = get_store(settings.database_url).issue_window(
            aircraft_sn, WINDOW_SOURCE, reference=reference(submission_id), now=utc_now()
        )
    except InvalidInput as exc:
        with db.tx() as s:
            row = s.get_one(SubmissionRow, submission_id)
            row.state = State.FAILED.value
            row.last_error = f"approved, but the eligibility core opened no window: {exc}"
            row.error_kind = "handoff"
            row.finished_at = row.updated_at = utc_now()
            add_event(s, submission_id, row.state, row.attempts, row.last_error)
        return False
    now = utc_now()
    with db.tx() as s:
        row = s.scalar(select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update())
        assert row is not None
        if row.window_id is None:
            row.window_id = window.id
            row.window_expires_at = window.expires_at
            add_event(
                s,
                submission_id,
                State.WINDOW_ISSUED.value,
                row.attempts,
                f"window {window.id} open until {window.expires_at.isoformat()}",
            )
        if row.state in (State.DECIDED.value, State.REVIEWED.value):
            row.state = State.WINDOW_ISSUED.value
            row.updated_at = now
            row.finished_at = now if not row.owner_email else None
        if row.owner_email:
            _queue_notification(s, row, settings, now)
    return True


@functools.cache
def _rejection_texts() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "data" / "rejection_texts.json").read_text())


def rejection_notice(row: SubmissionRow) -> tuple[str, str]:
    """Subject and body of the e-mail that tells an owner why the video was not accepted
    (the reviewer's reason when a person decided, else the pipeline's reasons)."""
    texts = _rejection_texts()
    codes = [row.review_reason] if row.review_verdict == "rejected" and row.review_reason else []
    codes = codes or list(row.reasons or [])
    lines = [f"- {texts['reasons'].get(code, code)}" for code in codes]
    intro = texts["intro_plural" if len(lines) > 1 else "intro"].format(
        model=row.model or "aircraft", aircraft_sn=row.aircraft_sn
    )
    who = row.owner_name or "DJI customer"
    body = f"Hello {who},\n\n{intro}\n" + "\n".join(lines) + f"\n\n{texts['outro']}\n\n"
    body += f"Reference: submission {row.id}\n" + owner_links.footer(row.id)
    return texts["subject"], body


def queue_rejection(s: Session, row: SubmissionRow, now: Any) -> None:
    """Queue the rejection e-mail, once per submission, in the caller's transaction."""
    if row.owner_email:
        subject, body = rejection_notice(row)
        _queue_mail(s, row, REJECT_KIND, subject, body, now)


def _queue_notification(s: Session, row: SubmissionRow, settings: Settings, now: Any) -> None:
    subject, body = notification(row, settings)
    _queue_mail(s, row, NOTIFY_KIND, subject, body, now)


def _queue_mail(s: Session, row: SubmissionRow, kind: str, subject: str, body: str, now: Any) -> None:
    exists = s.scalar(select(OutboxRow.id).where(OutboxRow.submission_id == row.id, OutboxRow.kind == kind))
    if exists is not None:
        return
    try:
        with s.begin_nested():
            s.add(
                OutboxRow(
                    submission_id=row.id,
                    kind=kind,
                    recipient=row.owner_email or "",
                    subject=subject,
                    body=body,
                    status="pending",
                    tries=0,
                    created_at=now,
                )
            )
    except IntegrityError:  # another copy of this job queued it a moment ago
        pass
