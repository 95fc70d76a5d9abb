"""Deleting what a finished submission left on disk, after a retention period.

Evidence frames (``VIDVERIFY_EVIDENCE_DIR/submission-N``) and kept downloads
(``VIDVERIFY_WORK_DIR/submission-N``) are what a reviewer or an auditor looks at; once a
submission is finished and older than ``VIDVERIFY_RETENTION_DAYS`` they only fill the disk.
The database row and its history stay: they are small, and they are the record. A submission
still waiting for a person (``needs_review``) or still running is never touched, whatever its age.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from workers.config import Settings
from workers.db import add_event, get_database, utc_now
from workers.models import State, SubmissionRow, Verdict

log = logging.getLogger(__name__)

FINISHED = (State.REVIEWED, State.NOTIFIED, State.FAILED, State.WINDOW_ISSUED)


def sweep(settings: Settings, now: datetime | None = None) -> list[int]:
    """Delete the folders of analysed, finished submissions older than the retention period;
    returns the ids swept. ``retention_days`` 0 keeps everything. A swept row's
    ``evidence_dir`` is cleared, which is also what keeps it from being swept again."""
    if settings.retention_days <= 0:
        return []
    now = now or utc_now()
    cutoff = now - timedelta(days=settings.retention_days)
    db = get_database(settings.database_url)
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
            for folder in (settings.evidence_folder(row.id), settings.work_folder(row.id)):
                shutil.rmtree(folder, ignore_errors=True)
            row.evidence_dir = None
            note = f"files removed after {settings.retention_days} days"
            add_event(s, row.id, row.state, row.attempts, note)
            swept.append(row.id)
    if swept:
        log.info("retention: removed the files of %d submission(s)", len(swept))
    return swept
