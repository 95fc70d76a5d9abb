"""Hourly figures over the last day, for the dashboard's charts: submissions received,
decisions by verdict, failures, and the analyse stage's latency (p50, p95) per hour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from web.settings import WebSettings
from web.submissions import percentile
from workers.db import get_database, utc_now
from workers.models import State, SubmissionRow


@dataclass
class Hour:
    start: datetime
    received: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    analyse_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float | None:
        return percentile(self.analyse_ms, 50)

    @property
    def p95(self) -> float | None:
        return percentile(self.analyse_ms, 95)


def hourly(settings: WebSettings, hours: int = 24, now: datetime | None = None) -> list[Hour]:
    now = now or utc_now()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    buckets = [Hour(first + timedelta(hours=i)) for i in range(hours)]

    def bucket(at: datetime | None) -> Hour | None:
        if at is None or at < first:
            return None
        i = int((at - first).total_seconds() // 3600)
        return buckets[i] if 0 <= i < hours else None

    db = get_database(settings.database_url)
    with db.tx() as s:
        rows = s.execute(
            select(
                SubmissionRow.created_at,
                SubmissionRow.decided_at,
                SubmissionRow.updated_at,
                SubmissionRow.state,
                SubmissionRow.verdict,
                SubmissionRow.durations,
            ).where(or_(SubmissionRow.created_at >= first, SubmissionRow.updated_at >= first))
        ).all()
    for r in rows:
        if (b := bucket(r.created_at)) is not None:
            b.received += 1
        if r.verdict and (b := bucket(r.decided_at)) is not None:
            b.verdicts[r.verdict] = b.verdicts.get(r.verdict, 0) + 1
            analyse = (r.durations or {}).get("analyse")
            if isinstance(analyse, int | float):
                b.analyse_ms.append(float(analyse))
        if r.state == State.FAILED.value and (b := bucket(r.updated_at)) is not None:
            b.failed += 1
    return buckets
