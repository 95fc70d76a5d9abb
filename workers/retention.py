"""Deleting what a finished submission left in storage, after a retention period.

Evidence frames and the report (``submission-N/`` of the evidence store: a folder under
``VIDVERIFY_EVIDENCE_DIR``, or objects under ``s3://bucket/prefix/evidence/``) and kept
downloads (``submission-N/`` of the downloads store) are what a reviewer or an auditor looks
at; once a submission is finished and older than ``VIDVERIFY_RETENTION_DAYS`` they only fill
the disk or the bucket.
The database row and its history stay: they are small, and they are the record. A submission
still waiting for a person (``needs_review``) or still running is never touched, whatever its age.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from workers.config import Settings
from workers.db import add_event, get_database, utc_now
from workers.models import State, SubmissionRow, Verdict
from workers.storage import StorageError, open_storage, submission_prefix

log = logging.getLogger(__name__)

FINISHED = (State.REVIEWED, State.NOTIFIED, State.FAILED, State.WINDOW_ISSUED)


def sweep(settings: Settings, now: datetime | None = None) -> list[int]:
    """Delete the stored files of analysed, finished submissions older than the retention
    period; returns the ids swept. ``retention_days`` 0 keeps everything. A swept row's
    ``evidence_dir`` is cleared, which is also what keeps it from being swept again; a row
    whose files could not be deleted (the object store unreachable) is tried next time."""
    if settings.retention_days <= 0:
        return []
    now = now or utc_now()
    cutoff = now - timedelta(days=settings.retention_days)
    db = get_database(settings.database_url)
    storage = open_storage(settings)
    finished = or_(
        SubmissionRow.state.in_(FINISHED),
        (SubmissionRow.state == State.DECIDED) & (SubmissionRow.verdict == Verdict.REJECTED),
    )
    with db.tx() as s:
        rows = s.scalars(
            select(SubmissionRow).where(
                finished,
                SubmissionRow.evidence_dir.is_not(None),
                SubmissionRow.updated_at < cutoff,
            )
        ).all()
        swept = []
        for row in rows:
            prefix = submission_prefix(row.id)
            try:
                storage.evidence.delete_prefix(prefix)
                storage.downloads.delete_prefix(prefix)
            except StorageError:
                log.warning("retention: submission %s kept for now", row.id, exc_info=True)
                continue
            row.evidence_dir = None
            note = f"files removed after {settings.retention_days} days"
            add_event(s, row.id, row.state, row.attempts, note)
            swept.append(row.id)
    if swept:
        log.info("retention: removed the files of %d submission(s)", len(swept))
    return swept
