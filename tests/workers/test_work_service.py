"""Intake, idempotency, hand-off, outbox, review and reaper logic, run in-process.

Jobs are called directly (as a work horse would call them) on SQLite and PostgreSQL with
the real Redis; the pipeline is replaced by a stub where only the verdict matters, so these
tests take seconds. The end-to-end tests run the real pipeline in real worker processes.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue
from sqlalchemy import func, select, update

from eligibility.store import Store
from pipeline.models import Reason, Report, Verdict
from tests.support.elig_helpers import add_product
from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.worker_procs import free_port
from vidverify.cli import main as vidverify_main
from workers import jobs, lifecycle, notify, reaper, service
from workers.config import Settings
from workers.db import get_database, utc_now
from workers.models import OutboxRow, State, SubmissionRow

PRODUCT = {
    "aircraft_sn": "1581FMG9PPM1EK73SNK5",
    "rc_sn": "1581FB71CL0FKKSRDVPS",
    "model": "DJI Air 3",
}
EMAIL = "owner@example.test"


@pytest.fixture
def setup(db_url, env, tmp_path):
    """Environment on ``db_url``, the product on record, and a local video to submit."""
    env(db_url)
    add_product(db_url, PRODUCT)
    video = tmp_path / "clip.mp4"
    shutil.copy(VIDEOS / "rej_video_unreadable.mp4", video)
    return video


def stub_pipeline(monkeypatch, verdict: Verdict, reasons: list[Reason] | None = None) -> list:
    """Replace the pipeline by a stub returning ``verdict``; returns the list of its calls."""
    calls: list = []

    def fake(path, claim, *, evidence_dir=None, progress=None, source=None, **_):
        calls.append((path, claim))
        if progress:
            progress(0.5, "reading screens")
        return Report(verdict=verdict, reasons=reasons or [], source=source or str(path))

    monkeypatch.setattr("pipeline.analyse.analyse_file", fake)
    return calls


def run_stages(submission_id: int, attempt: int = 1) -> str:
    assert jobs.fetch_job(submission_id, attempt) == "fetched"
    return jobs.analyse_job(submission_id, attempt)


def windows(db_url: str, aircraft_sn: str) -> list:
    with Store(db_url) as store:
        return [a for a in store.audit_trail(aircraft_sn) if a.action == "window_issued"]


# --------------------------------------------------------------------------- intake


def test_submit_is_idempotent_and_defaults_from_product_record(setup, redis_conn):
    first = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    again = service.submit(str(setup), PRODUCT["aircraft_sn"].lower(), allow_local=True)
    assert again.id == first.id
    assert first.state == State.QUEUED and first.attempts == 1
    assert first.rc_sn == PRODUCT["rc_sn"] and first.model == PRODUCT["model"]
    queue = Queue("vidverify-fetch", connection=redis_conn)
    assert queue.job_ids == [f"vidverify-{first.id}-fetch-1"]
    other = service.submit(str(setup), "0H5BF9D0084BGD", rc_sn="3N8WT6Q003429S", allow_local=True)
    assert other.id != first.id  # same video, another product: another submission


def test_submit_refuses_what_it_cannot_process(setup):
    with pytest.raises(service.SubmissionError, match="RC serial"):
        service.submit(str(setup), "0H5BF9D0084BGD", allow_local=True)  # no record, no RC SN
    with pytest.raises(service.SubmissionError, match="URL"):
        service.submit(str(setup), PRODUCT["aircraft_sn"])  # local files only from the CLI
    with pytest.raises(service.SubmissionError, match="not allowed"):
        service.submit("https://evil.example/v.mp4", PRODUCT["aircraft_sn"])
    with pytest.raises(service.SubmissionError, match="e-mail"):
        service.submit(str(setup), PRODUCT["aircraft_sn"], owner_email="nope", allow_local=True)


def test_submit_while_redis_is_down_is_kept_and_reaped(setup, monkeypatch, redis_conn):
    redis_url = os.environ["REDIS_URL"]  # the test database the env fixture chose
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    assert view.state == State.RECEIVED and "not queued yet" in view.last_error
    monkeypatch.setenv("REDIS_URL", redis_url)
    _age(view.id, seconds=30)
    result = reaper.reap()
    assert result.restarted == [view.id]
    view = service.get(view.id)
    assert view.state == State.QUEUED and view.attempts == 2
    assert Queue("vidverify-fetch", connection=redis_conn).job_ids == [f"vidverify-{view.id}-fetch-2"]


# --------------------------------------------------------------------------- idempotent jobs


def test_double_execution_one_window_one_email(setup, monkeypatch, db_url, smtp):
    calls = stub_pipeline(monkeypatch, Verdict.APPROVED)
    view = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, owner_name="Ann", allow_local=True
    )
    assert run_stages(view.id) == "approved"
    # The same jobs delivered again (RQ retry, a second copy): nothing to claim, no effect.
    assert jobs.fetch_job(view.id, 1).startswith("skipped")
    assert jobs.analyse_job(view.id, 1).startswith("skipped")
    assert len(calls) == 1
    # The hand-off repeated (a crash before its last write, the reaper finishing it).
    assert jobs.handoff(view.id) and jobs.handoff(view.id)
    assert notify.send_pending() == 1
    assert notify.send_pending() == 0
    jobs.handoff(view.id)
    assert notify.send_pending() == 0

    view = service.get(view.id)
    assert view.state == State.NOTIFIED and view.verdict == "approved"
    assert view.window_id is not None and view.window_expires_at is not None
    assert len(windows(db_url, PRODUCT["aircraft_sn"])) == 1
    assert len(smtp.messages) == 1 and smtp.to(EMAIL)
    body = smtp.messages[0].content.decode()
    assert PRODUCT["aircraft_sn"] in body and "72 hours" in body
    with get_database(db_url).tx() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRow)) == 1


def test_a_rejection_is_mailed_once_with_its_reasons(setup, monkeypatch, db_url, smtp):
    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK, Reason.RC_SERIAL_MISMATCH])
    view = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, owner_name="Ann", allow_local=True
    )
    assert run_stages(view.id) == "rejected"
    assert jobs.analyse_job(view.id, 1).startswith("skipped")  # a second copy of the job
    assert notify.send_pending() == 1
    assert notify.send_pending() == 0
    assert len(smtp.messages) == 1 and smtp.to(EMAIL)
    body = smtp.messages[0].content.decode()
    assert "Hello Ann" in body and PRODUCT["aircraft_sn"] in body
    assert "GPS signal was weak" in body and "not the one registered" in body
    view = service.get(view.id)
    assert view.state == State.DECIDED and view.window_id is None  # no window, state unchanged
    assert windows(db_url, PRODUCT["aircraft_sn"]) == []


def test_a_mail_server_down_costs_a_few_tries_not_the_email(setup, monkeypatch, db_url, smtp):
    """Every worker runs a sender every few seconds: without a wait between tries, a mail
    server down for a minute used up every try and the e-mail was given up (make loadtest)."""
    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK])
    view = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, owner_name="Ann", allow_local=True
    )
    assert run_stages(view.id) == "rejected"
    monkeypatch.setenv("VIDVERIFY_SMTP_PORT", str(free_port()))  # nobody listens: refused
    monkeypatch.setenv("VIDVERIFY_NOTIFY_BACKOFF_S", "10,30")
    for _ in range(5):  # five passes within the first wait: one try
        assert notify.send_pending() == 0

    def outbox() -> OutboxRow:
        with get_database(db_url).tx() as s:
            row = s.scalars(select(OutboxRow)).one()
            s.expunge(row)
            return row

    row = outbox()
    assert (row.status, row.tries) == ("pending", 1) and "refused" in row.last_error.lower()
    with get_database(db_url).tx() as s:  # the first wait (10 s) is over
        s.execute(update(OutboxRow).values(claimed_at=row.claimed_at - timedelta(seconds=11)))
    assert notify.send_pending() == 0
    assert outbox().tries == 2  # tried again, failed again, now waits 30 s
    monkeypatch.setenv("VIDVERIFY_SMTP_PORT", str(smtp.port))  # the server is back
    assert notify.send_pending() == 0 and not smtp.messages  # still within the 30 s
    with get_database(db_url).tx() as s:
        s.execute(update(OutboxRow).values(claimed_at=utc_now() - timedelta(seconds=31)))
    assert notify.send_pending() == 1
    assert (outbox().status, outbox().tries) == ("sent", 3) and len(smtp.messages) == 1


def test_a_reviewer_rejection_is_mailed_with_the_reviewers_reason(setup, monkeypatch, smtp):
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    view = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, owner_name="Ann", allow_local=True
    )
    assert run_stages(view.id) == "needs_review"
    assert notify.send_pending() == 0  # nothing is said while a person looks at it
    service.record_review(view.id, "rita", "rejected", "video_edited")
    service.record_review(view.id, "rita", "rejected", "video_edited")  # repeated: no-op
    assert notify.send_pending() == 1
    body = smtp.messages[0].content.decode()
    assert "appears to be edited" in body and "for this reason:" in body


def test_superseded_attempt_cannot_write(setup, monkeypatch, db_url):
    """A worker presumed dead that finishes late is fenced off by the attempt number."""
    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK])
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    assert jobs.fetch_job(view.id, 1) == "fetched"
    settings = Settings.from_env()
    db = get_database(db_url)
    row = jobs._claim(settings, db, view.id, 1, jobs.Stage.ANALYSE, State.ANALYSING)
    assert row is not None
    _age(view.id, seconds=60, heartbeat=True)
    assert reaper.reap(settings).restarted == [view.id]
    # Attempt 1 now tries to record its verdict: fenced.
    with db.tx() as s:
        assert lifecycle.owned(s, view.id, 1, State.ANALYSING) is None
    assert jobs.analyse_job(view.id, 1).startswith("skipped")
    assert jobs.analyse_job(view.id, 2) == "rejected"
    view = service.get(view.id)
    assert view.attempts == 2 and view.reasons == ["gps_weak"]
    assert "no heartbeat" in " ".join(e.message for e in service.events(view.id))


def test_needs_review_waits_then_reviewer_approves(setup, monkeypatch, db_url, smtp):
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, allow_local=True)
    assert run_stages(view.id) == "needs_review"
    assert service.get(view.id).state == State.DECIDED
    assert [v.id for v in service.list_submissions(state="decided", verdict="needs_review")] == [view.id]
    with pytest.raises(service.SubmissionError):
        service.record_review(view.id, "rev", "maybe")
    reviewed = service.record_review(view.id, "rev", "approved", comment="frames fine")
    assert reviewed.state == State.WINDOW_ISSUED and reviewed.reviewer == "rev"
    again = service.record_review(view.id, "rev", "approved")  # double click: no-op
    assert again.window_id == reviewed.window_id
    with pytest.raises(service.SubmissionError, match="already reviewed"):
        service.record_review(view.id, "other", "rejected", reason="gps_weak")
    assert notify.send_pending() == 1
    assert service.get(view.id).state == State.NOTIFIED
    assert len(windows(db_url, PRODUCT["aircraft_sn"])) == 1 and len(smtp.messages) == 1


def test_reviewer_rejects(setup, monkeypatch, db_url):
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    run_stages(view.id)
    with pytest.raises(service.SubmissionError, match="reason"):
        service.record_review(view.id, "rev", "rejected", reason="blurry")
    done = service.record_review(view.id, "rev", "rejected", reason="gps_weak", comment="weak")
    assert done.state == State.REVIEWED and done.review_reason == "gps_weak"
    assert done.window_id is None and not windows(db_url, PRODUCT["aircraft_sn"])


def test_interrupted_handoff_is_finished_by_reaper(setup, monkeypatch, db_url, smtp):
    stub_pipeline(monkeypatch, Verdict.APPROVED)
    real_handoff = jobs.handoff
    monkeypatch.setattr(jobs, "handoff", lambda *a, **k: False)  # "crash" after deciding
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], owner_email=EMAIL, allow_local=True)
    run_stages(view.id)
    monkeypatch.setattr(jobs, "handoff", real_handoff)
    assert service.get(view.id).state == State.DECIDED
    _age(view.id, seconds=30)
    assert reaper.reap().handed_off == [view.id]
    assert notify.send_pending() == 1
    assert service.get(view.id).state == State.NOTIFIED


# --------------------------------------------------------------------------- failures


def test_missing_local_file_fails_once_with_cause(setup, db_url):
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    Path(setup).unlink()
    assert jobs.fetch_job(view.id, 1).startswith("fetch failed")
    view = service.get(view.id)
    assert view.state == State.FAILED and view.attempts == 1
    assert "does not exist" in view.last_error and "permanent" in view.last_error


def test_transient_error_is_retried_with_backoff_then_gives_up(setup, monkeypatch, redis_conn):
    monkeypatch.setenv("VIDVERIFY_FETCH_RETRIES", "2")

    def boom(*_a, **_k):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(jobs, "_fetch", boom)
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    for attempt in (1, 2, 3):
        jobs.fetch_job(view.id, attempt)
    view = service.get(view.id)
    assert view.state == State.FAILED and view.attempts == 3
    assert "network unreachable" in view.last_error and "after 3 tries" in view.last_error
    scheduled = Queue("vidverify-fetch", connection=redis_conn).scheduled_job_registry
    assert sorted(scheduled.get_job_ids()) == [f"vidverify-{view.id}-fetch-2", f"vidverify-{view.id}-fetch-3"]
    # An operator may try again.
    assert service.requeue(view.id).attempts == 4


def test_lost_worker_gives_up_after_max_attempts(setup, monkeypatch):
    monkeypatch.setenv("VIDVERIFY_MAX_ATTEMPTS", "2")
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    for expected in ("restarted", "failed"):
        db = get_database(Settings.from_env().database_url)
        with db.tx() as s:
            s.execute(
                update(SubmissionRow).where(SubmissionRow.id == view.id).values(state=State.FETCHING.value)
            )
        _age(view.id, seconds=60, heartbeat=True)
        result = reaper.reap()
        assert view.id in getattr(result, expected)
    view = service.get(view.id)
    assert view.state == State.FAILED and "gave up after 2 attempts" in view.last_error


# --------------------------------------------------------------------------- CLI


def test_cli_submit_and_status(setup, monkeypatch, capsys):
    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.VIDEO_UNREADABLE])
    assert vidverify_main(["submit", str(setup), "--aircraft-sn", PRODUCT["aircraft_sn"]]) == 0
    sid = int(capsys.readouterr().out.strip())
    assert vidverify_main(["status", str(sid)]) == 0
    out = capsys.readouterr().out
    assert "queued" in out and "attempts: 1" in out and "verdict:  -" in out
    run_stages(sid)
    assert vidverify_main(["status", str(sid)]) == 0
    out = capsys.readouterr().out
    assert "decided" in out and "verdict:  rejected (video_unreadable)" in out
    assert vidverify_main(["status", str(sid), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["state"], data["attempts"], data["verdict"]) == ("decided", 1, "rejected")
    assert vidverify_main(["status", "999999"]) == 2
    assert vidverify_main(["submit", "/nonexistent.mp4", "--aircraft-sn", "X1"]) == 2


def _age(submission_id: int, seconds: float, heartbeat: bool = False) -> None:
    """Pretend the row was last touched ``seconds`` ago (instead of sleeping)."""
    past = utc_now() - timedelta(seconds=seconds)
    values = {"updated_at": past}
    if heartbeat:
        values["heartbeat_at"] = past
    db = get_database(Settings.from_env().database_url)
    with db.tx() as s:
        s.execute(update(SubmissionRow).where(SubmissionRow.id == submission_id).values(**values))


def test_retention_removes_old_files_of_finished_submissions_only(setup, monkeypatch):
    from workers import retention

    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK])
    done = service.submit(str(setup), PRODUCT["aircraft_sn"], allow_local=True)
    assert run_stages(done.id) == "rejected"
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    waiting = service.submit(str(setup), "0H5BF9D0084BGD", rc_sn="3N8WT6Q003429S", allow_local=True)
    assert run_stages(waiting.id) == "needs_review"
    settings = Settings.from_env()
    folders = {}
    for sid in (done.id, waiting.id):
        evidence = settings.evidence_dir / f"submission-{sid}" / "attempt-1"
        evidence.mkdir(parents=True, exist_ok=True)
        (evidence / "frame-0.jpg").write_bytes(b"jpeg")
        download = settings.work_dir / f"submission-{sid}"
        download.mkdir(parents=True, exist_ok=True)
        folders[sid] = (evidence.parent, download)

    assert retention.sweep(settings, now=utc_now() + timedelta(days=1)) == []  # too recent
    later = utc_now() + timedelta(days=settings.retention_days + 1)
    assert retention.sweep(settings, now=later) == [done.id]
    assert not any(f.exists() for f in folders[done.id])
    assert all(f.exists() for f in folders[waiting.id])  # a person has yet to look at it
    assert service.get(done.id).evidence_dir is None
    assert "files removed" in " ".join(e.message for e in service.events(done.id))
    assert retention.sweep(settings, now=later) == []  # nothing twice
    keep_all = settings.model_copy(update={"retention_days": 0})
    assert retention.sweep(keep_all, now=later + timedelta(days=999)) == []
