"""The e-mails a submission sends its owner, written to the outbox (``workers.notify`` mails them).

One outbox row per (submission, kind), so a job or a review that runs twice queues one e-mail.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers import owner_links
from workers.config import Settings
from workers.models import OutboxRow, SubmissionRow, Verdict

NOTIFY_KIND = "purchase_window"
REJECT_KIND = "rejected"


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


@functools.cache
def _rejection_texts() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "data" / "rejection_texts.json").read_text())


def rejection_notice(row: SubmissionRow) -> tuple[str, str]:
    """Subject and body of the e-mail that tells an owner why the video was not accepted
    (the reviewer's reason when a person decided, else the pipeline's reasons)."""
    texts = _rejection_texts()
    codes = [row.review_reason] if row.review_verdict == Verdict.REJECTED and row.review_reason else []
    codes = codes or list(row.reasons or [])
    lines = [f"- {texts['reasons'].get(code, code)}" for code in codes]
    intro = texts["intro_plural" if len(lines) > 1 else "intro"].format(
        model=row.model or "aircraft", aircraft_sn=row.aircraft_sn
    )
    who = row.owner_name or "DJI customer"
    body = f"Hello {who},\n\n{intro}\n" + "\n".join(lines) + f"\n\n{texts['outro']}\n\n"
    body += f"Reference: submission {row.id}\n" + owner_links.footer(row.id)
    return texts["subject"], body


def queue_rejection(s: Session, row: SubmissionRow, now: datetime) -> None:
    """Queue the rejection e-mail, once per submission, in the caller's transaction."""
    if row.owner_email:
        subject, body = rejection_notice(row)
        _queue_mail(s, row, REJECT_KIND, subject, body, now)


def queue_notification(s: Session, row: SubmissionRow, settings: Settings, now: datetime) -> None:
    """Queue the purchase-window e-mail, once per submission, in the caller's transaction."""
    subject, body = notification(row, settings)
    _queue_mail(s, row, NOTIFY_KIND, subject, body, now)


def _queue_mail(s: Session, row: SubmissionRow, kind: str, subject: str, body: str, now: datetime) -> None:
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
