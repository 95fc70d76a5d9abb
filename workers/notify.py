"""The outbox sender: mails queued notifications over SMTP and marks them sent.

Jobs never talk to SMTP themselves: they write an outbox row in the same database as the
decision (one row per submission and kind), and this sender delivers it. A job that runs
twice therefore cannot send twice, and a mail server that is down delays mail instead of
failing a verification. Several senders may run at once (every worker runs one): a row is
claimed with a conditional update before it is sent. A sender that dies between SMTP
acceptance and marking the row may cause one duplicate after ``RECLAIM_AFTER``; that is the
price of at-least-once delivery and is much rarer than a lost mail.

Mail is UTF-8 and says its language (``Content-Language``, from the outbox row); a body that
is not plain ASCII goes quoted-printable or base64 (whichever is shorter), never raw 8-bit,
so a Japanese or Czech text arrives intact through a relay that only speaks 7-bit SMTP.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage

from sqlalchemy import or_, select, update

from workers import lifecycle
from workers.config import Settings
from workers.db import Database, get_database, utc_now
from workers.locales import DEFAULT as DEFAULT_LOCALE
from workers.models import OutboxRow

log = logging.getLogger(__name__)

RECLAIM_AFTER = timedelta(minutes=10)
# The default policy, but bodies in a 7-bit transfer encoding (subjects are RFC 2047 words).
_POLICY = policy.default.clone(cte_type="7bit")


def _message(row: OutboxRow, settings: Settings) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = settings.smtp_from
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Message-ID"] = f"<vidverify-{row.submission_id}-{row.kind}@{settings.smtp_from.split('@')[-1]}>"
    msg.set_content(row.body, charset="utf-8")
    msg["Content-Language"] = row.language or DEFAULT_LOCALE  # after: set_content drops Content-*
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    if settings.smtp_starttls:
        smtp.starttls()
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def _claim(db: Database, outbox_id: int, tries: int) -> OutboxRow | None:
    """Take the row if it is still as this sender saw it: pending (or stuck in sending) with
    ``tries`` tries. A row another sender tried in the meantime waits for its next turn."""
    now = utc_now()
    with db.tx() as s:
        result = s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == outbox_id,
                OutboxRow.tries == tries,
                or_(
                    OutboxRow.status == "pending",
                    (OutboxRow.status == "sending") & (OutboxRow.claimed_at < now - RECLAIM_AFTER),
                ),
            )
            .values(status="sending", claimed_at=now, tries=OutboxRow.tries + 1)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return None
        return s.get_one(OutboxRow, outbox_id)


def due(tries: int, claimed_at: datetime | None, now: datetime, settings: Settings) -> bool:
    """A row that failed ``tries`` times waits ``notify_backoff(tries)`` after its last try,
    so a mail server down for a while costs a few tries, not all of them in a minute (every
    worker runs a sender every ``reap_interval_s``)."""
    if tries == 0 or claimed_at is None:
        return True
    return now - claimed_at >= timedelta(seconds=settings.notify_backoff(tries))


def send_pending(settings: Settings | None = None, db: Database | None = None, limit: int = 50) -> int:
    """Send every pending notification that is due (up to ``limit``); returns how many were
    sent."""
    settings = settings or Settings.from_env()
    db = db or get_database(settings.database_url)
    now = utc_now()
    with db.tx() as s:
        candidates = s.execute(
            select(OutboxRow.id, OutboxRow.tries, OutboxRow.claimed_at, OutboxRow.status)
            .where(
                or_(
                    OutboxRow.status == "pending",
                    (OutboxRow.status == "sending") & (OutboxRow.claimed_at < now - RECLAIM_AFTER),
                )
            )
            .order_by(OutboxRow.id)
            .limit(20 * limit)
        ).all()
    todo = [
        (c.id, c.tries)
        for c in candidates
        if c.status == "sending" or due(c.tries, c.claimed_at, now, settings)
    ][:limit]
    if not todo:
        return 0
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for outbox_id, tries in todo:
            row = _claim(db, outbox_id, tries)
            if row is None:
                continue
            try:
                if smtp is None:
                    smtp = _connect(settings)
                smtp.send_message(_message(row, settings))
            except (OSError, smtplib.SMTPException) as exc:
                _failed(db, row, settings, exc)
                smtp = None  # reconnect for the next one
                continue
            _sent(db, row)
            sent += 1
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return sent


def _sent(db: Database, row: OutboxRow) -> None:
    now = utc_now()
    with db.tx() as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id)
            .values(status="sent", sent_at=now, last_error=None)
        )
        sub = lifecycle.locked(s, row.submission_id)
        if sub is not None:
            lifecycle.notified(s, sub, row.kind, row.recipient, now)


def _failed(db: Database, row: OutboxRow, settings: Settings, exc: BaseException) -> None:
    final = row.tries >= settings.notify_max_tries
    log.warning("outbox %s: sending failed (%s)%s", row.id, exc, "; giving up" if final else "")
    with db.tx() as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id)
            .values(status="failed" if final else "pending", last_error=f"{type(exc).__name__}: {exc}")
        )
