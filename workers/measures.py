"""What the workers measure, recorded as rows where the work happens, and the totals over them.

Each observation is written in the same transaction as the state change it measures (a fetch
finishing, a job claimed from its queue, a verdict, a fetch failing), so the totals can never
disagree with the submissions table, whichever process asks, and nothing is lost when a worker
or its RQ work horse exits. ``web/metrics.py`` turns ``totals`` into Prometheus counters and
histograms (its docstring says why this is preferred to prometheus-client's multi-process mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workers.db import Database, utc_now
from workers.models import ObservationRow, SubmissionRow

# name -> what it measures (the label's meaning in brackets)
DURATIONS = {
    "fetch": "time a fetch job took to get the video",
    "analyse": "time an analysis job took to reach a verdict",
    "queue_wait": "time a job waited in its queue before a worker took it (label: queue)",
    "post_to_verdict": "time from the submission's POST to the machine verdict (label: verdict)",
}
FETCH_FAILURE = "fetch_failure"  # label: the failure's kind (transient, permanent, timeout...)
# Upper bounds in seconds: a fetch takes seconds, an analysis tens of seconds, a wait up to hours.
BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0)


def record(
    session: Session, submission_id: int, name: str, seconds: float | None = None, label: str = ""
) -> None:
    """Add one observation to the caller's transaction."""
    if name not in DURATIONS and name != FETCH_FAILURE:
        raise ValueError(f"unknown observation {name!r}")
    session.add(
        ObservationRow(
            submission_id=submission_id,
            at=utc_now(),
            name=name,
            label=label[:40],
            seconds=None if seconds is None else max(0.0, float(seconds)),
        )
    )


@dataclass(frozen=True)
class Histogram:
    count: int
    total: float  # sum of the observed seconds
    cumulative: tuple[int, ...]  # observations <= each of BUCKETS


@dataclass(frozen=True)
class Totals:
    verdicts: dict[str, int] = field(default_factory=dict)  # machine verdicts, all time
    reviews: dict[str, int] = field(default_factory=dict)  # reviewer decisions, all time
    fetch_failures: dict[str, int] = field(default_factory=dict)  # kind -> count
    durations: dict[tuple[str, str], Histogram] = field(default_factory=dict)  # (name, label)


def totals(db: Database) -> Totals:
    """Every counter and histogram, each one aggregate query over the database."""
    obs = ObservationRow
    buckets = [func.sum(case((obs.seconds <= b, 1), else_=0)) for b in BUCKETS]
    with db.tx() as s:
        verdicts = s.execute(
            select(SubmissionRow.verdict, func.count())
            .where(SubmissionRow.verdict.is_not(None))
            .group_by(SubmissionRow.verdict)
        ).all()
        reviews = s.execute(
            select(SubmissionRow.review_verdict, func.count())
            .where(SubmissionRow.review_verdict.is_not(None))
            .group_by(SubmissionRow.review_verdict)
        ).all()
        failures = s.execute(
            select(obs.label, func.count()).where(obs.name == FETCH_FAILURE).group_by(obs.label)
        ).all()
        histograms = s.execute(
            select(obs.name, obs.label, func.count(), func.coalesce(func.sum(obs.seconds), 0.0), *buckets)
            .where(obs.name.in_(list(DURATIONS)), obs.seconds.is_not(None))
            .group_by(obs.name, obs.label)
        ).all()
    return Totals(
        verdicts={v: int(n) for v, n in verdicts},
        reviews={v: int(n) for v, n in reviews},
        fetch_failures={k: int(n) for k, n in failures},
        durations={
            (name, label): Histogram(int(n), float(total), tuple(int(c or 0) for c in cum))
            for name, label, n, total, *cum in histograms
        },
    )
