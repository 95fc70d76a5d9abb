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

The state changes themselves (claim, next stage, new attempt, failure, decision) are in
``workers.lifecycle``; this module decides which one applies.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from sqlalchemy.orm import object_session

from workers import jobfiles, lifecycle, measures
from workers.config import Settings
from workers.db import Database, get_database, utc_now
from workers.handoff import get_store, handoff
from workers.heartbeat import Heartbeat, Superseded
from workers.models import Stage, State, SubmissionRow, Verdict
from workers.storage import StorageError, attempt_prefix, open_storage

__all__ = ["MissingDownload", "StageError", "analyse_job", "fetch_job", "get_store", "handoff"]

log = logging.getLogger(__name__)


class StageError(Exception):
    """A stage failed; ``permanent`` says whether trying again could help."""

    def __init__(self, message: str, permanent: bool, kind: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.kind = kind or ("permanent" if permanent else "transient")


class MissingDownload(StageError):
    """The fetched file is in no store this machine reaches: the fetch stage must run again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False, kind="missing_download")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _context() -> tuple[Settings, Database]:
    settings = Settings.from_env()
    return settings, get_database(settings.database_url)


def _claim(
    settings: Settings, db: Database, submission_id: int, attempt: int, stage: Stage, running: State
) -> SubmissionRow | None:
    """Take the submission for this job, or None if another attempt or copy owns it."""
    with db.tx() as s:
        return lifecycle.claim(s, settings, submission_id, attempt, stage, running, worker_name(), utc_now())


def _duration(row: SubmissionRow, stage: str, started: float) -> None:
    durations = dict(row.durations or {})
    durations[stage] = round((time.perf_counter() - started) * 1000, 1)
    row.durations = durations
    session = object_session(row)
    if session is not None:
        measures.record(session, row.id, stage, durations[stage] / 1000)


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
    retry = None
    with db.tx() as s:
        row = lifecycle.owned(s, submission_id, attempt, running)
        if row is None:
            log.info("submission %s attempt %s: superseded, failure ignored", submission_id, attempt)
            return
        if stage is Stage.FETCH:
            measures.record(s, submission_id, measures.FETCH_FAILURE, label=error.kind)
        if (
            not error.permanent
            and row.stage_retries < retries_allowed
            and row.attempts < settings.max_attempts
        ):
            delay = settings.backoff(row.stage_retries + 1)
            retry = lifecycle.new_attempt(
                s,
                row,
                settings,
                stage,
                now,
                f"{stage.value} failed ({error.kind}): {error}; retry in {delay} s",
                error=f"{stage.value}: {error}",
                error_kind=error.kind,
                retry=True,
                delay_s=delay,
            )
        else:
            tries = row.stage_retries + 1
            why = "permanent" if error.permanent else f"still failing after {tries} tries"
            lifecycle.fail(s, row, now, f"{stage.value} failed ({why}): {error}", error.kind)
    if retry is not None:
        retry.send(settings)


def _classify(exc: BaseException) -> StageError:
    """Map an exception from a stage to permanent or transient, with a readable message."""
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, StageError):
        return exc
    if isinstance(exc, jobfiles.DownloadMissing):
        return MissingDownload(str(exc))
    if isinstance(exc, StorageError):
        return StageError(str(exc), permanent=False, kind="storage")
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


def _fetch(settings: Settings, row: SubmissionRow, hb: Heartbeat) -> str:
    """Get the video into the downloads store; the ``video_path`` to record."""
    storage = open_storage(settings)
    if row.source_kind == "file":
        path = Path(row.source)
        if not path.is_file():
            raise StageError(f"local file {path} does not exist", permanent=True)
        return jobfiles.store_local_file(storage, row, path)
    from pipeline.fetch import FetchPolicy, fetch_video

    policy = FetchPolicy.from_env()
    return jobfiles.store_download(storage, row, lambda folder: Path(fetch_video(row.source, folder, policy)))


def fetch_job(submission_id: int, attempt: int) -> str:
    """Stage 1: get the video into the downloads store, then queue the analysis."""
    settings, db = _context()
    row = _claim(settings, db, submission_id, attempt, Stage.FETCH, State.FETCHING)
    if row is None:
        return "skipped: not the current attempt or not queued for fetch"
    started = time.perf_counter()
    hb = Heartbeat(db, submission_id, attempt, State.FETCHING, settings.heartbeat_s)
    try:
        with hb:
            video_path = _fetch(settings, row, hb)
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
    with db.tx() as s:
        owned = lifecycle.owned(s, submission_id, attempt, State.FETCHING)
        if owned is None:
            return "superseded after fetch"
        owned.video_path = video_path
        _duration(owned, "fetch", started)
        name = video_path.rsplit("/", 1)[-1]
        analyse = lifecycle.next_stage(
            s, owned, settings, Stage.ANALYSE, utc_now(), f"fetched {name}; queued for analysis"
        )
    analyse.send(settings)
    return "fetched"


# --------------------------------------------------------------------------- analyse


def analyse_job(submission_id: int, attempt: int) -> str:
    """Stage 2: run the pipeline, record the verdict, and hand an approval to eligibility."""
    settings, db = _context()
    row = _claim(settings, db, submission_id, attempt, Stage.ANALYSE, State.ANALYSING)
    if row is None:
        return "skipped: not the current attempt or not queued for analysis"
    started = time.perf_counter()
    storage = open_storage(settings)
    prefix = attempt_prefix(submission_id, attempt)
    hb = Heartbeat(db, submission_id, attempt, State.ANALYSING, settings.heartbeat_s)
    try:
        from pipeline.analyse import analyse_file
        from pipeline.models import Claim

        claim = Claim(rc_sn=row.rc_sn, aircraft_sn=row.aircraft_sn, model=row.model)
        # The heartbeat covers the storage moves too: a large download takes a while.
        with (
            hb,
            jobfiles.local_video(storage, row) as video,
            storage.evidence.scratch_folder(prefix) as folder,
        ):
            report = analyse_file(
                video, claim, evidence_dir=folder, progress=hb.on_progress, source=row.source
            )
            jobfiles.publish_evidence(storage.evidence, report, folder, prefix)
    except Superseded:
        return "superseded during analysis"
    except Exception as exc:
        error = _classify(exc)
        log.warning("submission %s analysis failed: %s", submission_id, error)
        if isinstance(error, MissingDownload):
            _refetch(settings, db, submission_id, attempt, error)
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

    with db.tx() as s:
        owned = lifecycle.owned(s, submission_id, attempt, State.ANALYSING)
        if owned is None:
            return "superseded after analysis"
        _duration(owned, "analyse", started)
        verdict = lifecycle.decide(s, owned, report, storage.evidence.location(prefix), utc_now())
        source_kind, video_path = owned.source_kind, owned.video_path
    if verdict == Verdict.APPROVED:
        handoff(submission_id, settings=settings, db=db)
    if verdict != Verdict.NEEDS_REVIEW and not settings.keep_downloads:
        jobfiles.drop_download(storage, submission_id, video_path, source_kind)
    return verdict.value


def _refetch(settings: Settings, db: Database, submission_id: int, attempt: int, error: StageError) -> None:
    """Send a submission whose download disappeared back to the fetch stage."""
    fetch = None
    with db.tx() as s:
        row = lifecycle.owned(s, submission_id, attempt, State.ANALYSING)
        if row is None:
            return
        now = utc_now()
        # A file read in place cannot be fetched again; one copied into object storage can.
        in_place = row.source_kind == "file" and not open_storage(settings).remote
        if row.attempts >= settings.max_attempts or in_place:
            lifecycle.fail(s, row, now, f"analyse failed: {error}", "permanent")
        else:
            fetch = lifecycle.new_attempt(
                s,
                row,
                settings,
                Stage.FETCH,
                now,
                f"{error}; fetching again",
                error=str(error),
                error_kind=error.kind,
            )
    if fetch is not None:
        fetch.send(settings)
