"""The submission state changes, each written once in ``workers.lifecycle``: every path that
starts a new attempt resets the same fields; the two predicates (effective verdict, awaiting
review) answer the same in Python and in SQL; states and verdicts are enums on the way out and
checked on the way in; the hand-off's window is idempotent for a submission and for a
recording checked directly. On SQLite and PostgreSQL, with the real Redis."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from eligibility.store import Store
from tests.support.elig_helpers import add_product
from workers import jobs, reaper, service
from workers.config import Settings
from workers.db import get_database, utc_now
from workers.handoff import HandoffRefused, open_window, recording_reference, submission_reference
from workers.models import (
    EventRow,
    Stage,
    State,
    SubmissionRow,
    SubmissionView,
    Verdict,
    awaiting_review,
    effective_verdict,
)
from workers.queues import job_id

PRODUCT = {"aircraft_sn": "1581FMG9PPM1EK73SNK5", "rc_sn": "1581FB71CL0FKKSRDVPS", "model": "DJI Air 3"}
OTHER = {"aircraft_sn": "0H5BF9D0084BGD", "rc_sn": "3N8WT6Q003429S", "model": "DJI Air 3"}


def make_row(db_url: str, state: State, **fields) -> int:
    """A submission row written directly, with every field a finished or running attempt
    leaves behind set (so that a reset shows)."""
    long_ago = utc_now() - timedelta(hours=1)
    values = {
        "idempotency_key": uuid.uuid4().hex,
        "source": "https://www.youtube.com/watch?v=lifecycle",
        "source_kind": "url",
        "aircraft_sn": PRODUCT["aircraft_sn"],
        "rc_sn": PRODUCT["rc_sn"],
        "state": state,
        "stage": Stage.ANALYSE,
        "attempts": 1,
        "stage_retries": 1,
        "job_id": "old-job",
        "worker": "host:123",
        "progress": 0.4,
        "last_error": "old error",
        "error_kind": "transient",
        "reasons": [],
        "durations": {},
        "created_at": long_ago,
        "updated_at": long_ago,
        "queued_at": long_ago,
        "stage_started_at": long_ago,
        "heartbeat_at": long_ago,
        "finished_at": long_ago,
        **fields,
    }
    with get_database(db_url).tx() as s:
        row = SubmissionRow(**values)
        s.add(row)
        s.flush()
        return row.id


def read(db_url: str, submission_id: int) -> SubmissionRow:
    with get_database(db_url).tx() as s:
        return s.get_one(SubmissionRow, submission_id)


# --------------------------------------------------------------------------- new attempt


def _retry(settings, db_url, sid, conn):
    error = jobs.StageError("network unreachable", permanent=False)
    jobs._fail_or_retry(settings, get_database(db_url), sid, 1, Stage.ANALYSE, State.ANALYSING, error, 3)


def _refetch(settings, db_url, sid, conn):
    jobs._refetch(settings, get_database(db_url), sid, 1, jobs.MissingDownload("video gone"))


def _reap(settings, db_url, sid, conn):
    outcome = reaper._restart(settings, get_database(db_url), conn, read(db_url, sid), "worker died")
    assert outcome == "restarted"


def _requeue(settings, db_url, sid, conn):
    service.requeue(sid, settings=settings)


# path: (how, state before, stage after, stage_retries after, last_error after, error_kind after)
NEW_ATTEMPTS = {
    "retry": (_retry, State.ANALYSING, Stage.ANALYSE, 2, "analyse: network unreachable", "transient"),
    "refetch": (_refetch, State.ANALYSING, Stage.FETCH, 0, "video gone", "missing_download"),
    "reaper": (_reap, State.ANALYSING, Stage.FETCH, 0, "worker died", "lost"),
    "requeue": (_requeue, State.FAILED, Stage.FETCH, 0, "old error", "transient"),
}


@pytest.mark.parametrize("path", sorted(NEW_ATTEMPTS))
def test_every_new_attempt_resets_the_same_fields(path, db_url, env, redis_conn):
    """A retry, a re-fetch, a reaper restart and an operator's requeue: one function, one reset."""
    env(db_url)
    settings = Settings.from_env()
    how, before, stage, retries, last_error, error_kind = NEW_ATTEMPTS[path]
    sid = make_row(db_url, before)
    old = read(db_url, sid)
    started = utc_now()
    how(settings, db_url, sid, redis_conn)
    row = read(db_url, sid)
    assert (row.attempts, row.state, row.stage, row.stage_retries) == (2, State.QUEUED, stage, retries)
    assert row.job_id == job_id(settings, sid, stage, 2)
    assert row.queued_at == row.updated_at and row.queued_at >= started
    assert (row.heartbeat_at, row.progress, row.finished_at) == (None, None, None)
    assert (row.last_error, row.error_kind) == (last_error, error_kind)
    # What describes the last run stays until the next claim overwrites it.
    assert (row.worker, row.stage_started_at) == (old.worker, old.stage_started_at)
    with get_database(db_url).tx() as s:
        events = s.scalars(select(EventRow).where(EventRow.submission_id == sid)).all()
    assert [(e.state, e.attempt) for e in events] == [(State.QUEUED, 2)]
    # The new attempt's job is in Redis: on its queue, or scheduled after a retry's back-off.
    queue = Queue(f"{settings.queue_prefix}-{stage.value}", connection=redis_conn)
    waiting = queue.scheduled_job_registry.get_job_ids() if path == "retry" else queue.job_ids
    assert waiting == [row.job_id]


def test_an_old_attempt_cannot_start_a_new_one(db_url, env, redis_conn):
    """The fencing token: a job of attempt 1 reporting a fault after attempt 2 began changes
    nothing, nor does a reaper acting on what it read before another one restarted the row."""
    env(db_url)
    settings = Settings.from_env()
    sid = make_row(db_url, State.ANALYSING)
    seen = read(db_url, sid)
    _reap(settings, db_url, sid, redis_conn)
    assert reaper._restart(settings, get_database(db_url), redis_conn, seen, "again") == "raced"
    _retry(settings, db_url, sid, redis_conn)
    _refetch(settings, db_url, sid, redis_conn)
    row = read(db_url, sid)
    assert (row.attempts, row.state, row.last_error) == (2, State.QUEUED, "worker died")


# --------------------------------------------------------------------------- predicates


def test_effective_verdict_and_awaiting_review_agree_in_python_and_sql(db_url):
    """Both predicates are written once and read as Python and as SQL: same answers on every
    combination of state, machine verdict and reviewer verdict."""
    db = get_database(db_url)
    combos = list(itertools.product(State, [None, *Verdict], [None, Verdict.APPROVED, Verdict.REJECTED]))
    ids = {make_row(db_url, state, verdict=v, review_verdict=rv): (state, v, rv) for state, v, rv in combos}
    with db.tx() as s:
        rows = s.scalars(select(SubmissionRow)).all()
        by_sql = {
            v: set(s.scalars(select(SubmissionRow.id).where(SubmissionRow.effective_verdict == v)))
            for v in Verdict
        }
        by_sql[None] = set(
            s.scalars(select(SubmissionRow.id).where(SubmissionRow.effective_verdict.is_(None)))
        )
        waiting_sql = set(s.scalars(select(SubmissionRow.id).where(SubmissionRow.awaiting_review)))
        selected = dict(s.execute(select(SubmissionRow.id, SubmissionRow.effective_verdict)).all())
    assert len(rows) == len(combos)
    for row in rows:
        view = SubmissionView.from_row(row)
        expected = effective_verdict(row)
        assert expected == view.effective_verdict == row.effective_verdict == selected[row.id]
        assert row.id in by_sql[expected]
        assert awaiting_review(row) == view.awaiting_review == (row.id in waiting_sql)
    # And the definitions say what they mean: a person's verdict wins; waiting means the
    # machine asked for a person and nobody has acted since.
    for verdict in [None, *Verdict]:
        assert by_sql[verdict] == {i for i, (_, v, rv) in ids.items() if (rv or v) == verdict}
    assert waiting_sql == {
        i for i, (state, v, _) in ids.items() if (state, v) == (State.DECIDED, Verdict.NEEDS_REVIEW)
    }


def test_states_and_verdicts_are_enums_in_and_out(db_url):
    sid = make_row(db_url, State.DECIDED, verdict=Verdict.NEEDS_REVIEW)
    row = read(db_url, sid)
    assert row.state is State.DECIDED and row.verdict is Verdict.NEEDS_REVIEW and row.stage is Stage.ANALYSE
    with pytest.raises(StatementError, match="is not a valid Verdict"), get_database(db_url).tx() as s:
        s.get_one(SubmissionRow, sid).verdict = "maybe"
    assert read(db_url, sid).verdict is Verdict.NEEDS_REVIEW
    with pytest.raises(service.SubmissionError):
        service.list_submissions(state="nonsense", settings=Settings(database_url=db_url))


# --------------------------------------------------------------------------- hand-off


def test_a_window_reference_opens_one_window_for_one_product(db_url):
    """The references of the hand-off: repeated, the same window; a recording approved for a
    second product is refused (one recording is the evidence of one product)."""
    add_product(db_url, PRODUCT)
    add_product(db_url, OTHER)
    now = utc_now()
    with Store(db_url) as store:
        first = open_window(store, PRODUCT["aircraft_sn"], recording_reference("ab" * 32), now)
        again = open_window(store, PRODUCT["aircraft_sn"], recording_reference("ab" * 32), now)
        assert again.id == first.id and again.expires_at == first.expires_at
        # A submission of the same product while that window is open: the same window.
        assert open_window(store, PRODUCT["aircraft_sn"], submission_reference(7), now).id == first.id
        with pytest.raises(HandoffRefused, match="another product"):
            open_window(store, OTHER["aircraft_sn"], recording_reference("ab" * 32), now)
        with pytest.raises(HandoffRefused, match="opened no window"):
            open_window(store, "UNKNOWN00000001", submission_reference(8), now)
        issued = [a for a in store.audit_trail(PRODUCT["aircraft_sn"]) if a.action == "window_issued"]
    assert len(issued) == 1
    assert recording_reference("ab" * 32) == "video:" + "ab" * 32  # what `check` always used
