"""Which API client posted which submission, and what it said that the workers do not keep.

An API token reads only the submissions it posted (another client's id answers 404, as an
unknown one does, so ids reveal nothing). Posting the same link for the same aircraft again
returns the client's existing submission; another client posting it gets its own. The gimbal serial
a client gives (handheld gimbals) is kept here, beside the claim.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.settings import WebSettings
from web.tables import IntakeRow, read_sessions, sessions
from workers.db import utc_now


def _find(s: Session, submission_id: int, client_id: int) -> IntakeRow | None:
    return s.scalar(
        select(IntakeRow).where(IntakeRow.submission_id == submission_id, IntakeRow.client_id == client_id)
    )


def record(settings: WebSettings, submission_id: int, client_id: int, gimbal_sn: str | None) -> None:
    with sessions(settings.database_url)() as s:
        if _find(s, submission_id, client_id) is not None:
            return
        s.add(
            IntakeRow(
                submission_id=submission_id, client_id=client_id, gimbal_sn=gimbal_sn, created_at=utc_now()
            )
        )
        try:
            s.commit()
        except IntegrityError:  # the same post twice at once: one row is enough
            s.rollback()


def posted_by(settings: WebSettings, submission_id: int, client_id: int) -> IntakeRow | None:
    with read_sessions(settings.database_url)() as s:
        return _find(s, submission_id, client_id)
