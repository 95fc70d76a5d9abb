"""The people's side of a submission's history: who claimed, took over, decided, reopened or
requeued it, with their comment. The machine's side is the workers' event list; ``history``
merges both in time order for the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from web.settings import WebSettings
from web.tables import AuditRow, sessions
from workers.db import utc_now
from workers.service import EventView

ACTIONS = {
    "claim": "claimed the case",
    "take_over": "took the case over",
    "approved": "approved",
    "rejected": "rejected",
    "reopen": "reopened the machine decision for review",
    "requeue": "requeued",
    "stale": "decision refused: already decided",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str  # a person's name, or "system" for the workers' events
    what: str
    detail: str | None
    state: str | None = None


def record(
    settings: WebSettings, submission_id: int, actor: str, action: str, detail: str | None = None
) -> None:
    with sessions(settings.database_url).begin() as s:
        s.add(
            AuditRow(
                submission_id=submission_id,
                at=utc_now(),
                actor=actor,
                action=action,
                detail=(detail or "").strip()[:4000] or None,
            )
        )


def entries(settings: WebSettings, submission_id: int) -> list[Entry]:
    with sessions(settings.database_url)() as s:
        rows = s.scalars(
            select(AuditRow).where(AuditRow.submission_id == submission_id).order_by(AuditRow.id)
        ).all()
    return [Entry(r.at, r.actor, ACTIONS.get(r.action, r.action), r.detail) for r in rows]


def history(settings: WebSettings, submission_id: int, events: list[EventView]) -> list[Entry]:
    """Workers' events and people's actions, newest first."""
    merged = [Entry(e.at, "system", e.message, None, e.state) for e in events]
    merged += entries(settings, submission_id)
    return sorted(merged, key=lambda e: e.at, reverse=True)
