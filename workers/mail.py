"""The e-mails a submission sends its owner, written to the outbox (``workers.notify`` mails them).

One outbox row per (submission, kind), so a job or a review that runs twice queues one e-mail.
Each is written in the submission's ``locale`` (English when it has none), from the texts in
``workers/data/emails/``; the row keeps the language so the sender can say it in the headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers import email_texts, owner_links
from workers.config import Settings
from workers.models import OutboxRow, SubmissionRow, Verdict

NOTIFY_KIND = "purchase_window"
REJECT_KIND = "rejected"


@dataclass(frozen=True)
class Mail:
    """One e-mail to an owner: its subject, its plain-text body, and the language of both."""

    subject: str
    body: str
    language: str


def _frame(row: SubmissionRow, t: dict[str, str], middle: str) -> str:
    """The greeting, ``middle``, the reference and the status link, as every mail has them."""
    hello = t["greeting"].format(name=row.owner_name) if row.owner_name else t["greeting_anonymous"]
    body = f"{hello}\n\n{middle}\n\n{t['reference'].format(submission_id=row.id)}\n"
    url = owner_links.link(row.id)
    return body + (f"\n{t['status_link'].format(url=url)}\n" if url else "")


def notification(row: SubmissionRow, settings: Settings) -> Mail:
    """The purchase-window e-mail."""
    t = email_texts.texts(row.locale)
    expires = row.window_expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.window_expires_at else ""
    middle = t["purchase_window"]["body"].format(
        model=row.model or t["default_model"],
        aircraft_sn=row.aircraft_sn,
        expires=expires,
        purchase_url=settings.purchase_url,
    )
    return Mail(t["purchase_window"]["subject"], _frame(row, t, middle), email_texts.language(row.locale))


def rejection_notice(row: SubmissionRow) -> Mail:
    """The e-mail that tells an owner why the video was not accepted (the reviewer's reason
    when a person decided, else the pipeline's reasons), and how to record again."""
    t = email_texts.texts(row.locale)
    codes = [row.review_reason] if row.review_verdict == Verdict.REJECTED and row.review_reason else []
    codes = codes or list(row.reasons or [])
    lines = [f"- {t['reasons'].get(code, code)}" for code in codes]
    rejected = t["rejected"]
    intro = rejected["intro_plural" if len(lines) > 1 else "intro"].format(
        model=row.model or t["default_model"], aircraft_sn=row.aircraft_sn
    )
    middle = f"{intro}\n" + "\n".join(lines) + f"\n\n{rejected['outro']}"
    return Mail(rejected["subject"], _frame(row, t, middle), email_texts.language(row.locale))


def queue_rejection(s: Session, row: SubmissionRow, now: datetime) -> None:
    """Queue the rejection e-mail, once per submission, in the caller's transaction."""
    if row.owner_email:
        _queue_mail(s, row, REJECT_KIND, rejection_notice(row), now)


def queue_notification(s: Session, row: SubmissionRow, settings: Settings, now: datetime) -> None:
    """Queue the purchase-window e-mail, once per submission, in the caller's transaction."""
    _queue_mail(s, row, NOTIFY_KIND, notification(row, settings), now)


def _queue_mail(s: Session, row: SubmissionRow, kind: str, mail: Mail, now: datetime) -> None:
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
                    subject=mail.subject,
                    body=mail.body,
                    language=mail.language,
                    status="pending",
                    tries=0,
                    created_at=now,
                )
            )
    except IntegrityError:  # another copy of this job queued it a moment ago
        pass
