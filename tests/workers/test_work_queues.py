"""Job ids on a real Redis: idempotent per deployment, and two deployments sharing one Redis
database keep their jobs apart."""

from __future__ import annotations

from rq import Queue

from workers.config import Settings
from workers.models import Stage
from workers.queues import enqueue_stage, job_id


def test_two_deployments_on_one_redis_keep_their_jobs(redis_conn) -> None:
    ours = Settings.from_env().model_copy(update={"queue_prefix": "vvtest-a"})
    theirs = ours.model_copy(update={"queue_prefix": "vvtest-b"})
    assert job_id(ours, 7, Stage.FETCH, 1) != job_id(theirs, 7, Stage.FETCH, 1)
    first = enqueue_stage(ours, 7, Stage.FETCH, 1, connection=redis_conn)
    again = enqueue_stage(ours, 7, Stage.FETCH, 1, connection=redis_conn)  # a duplicate: no-op
    other = enqueue_stage(theirs, 7, Stage.FETCH, 1, connection=redis_conn)
    assert first == again == "vvtest-a-7-fetch-1" and other == "vvtest-b-7-fetch-1"
    assert Queue("vvtest-a-fetch", connection=redis_conn).job_ids == [first]
    assert Queue("vvtest-b-fetch", connection=redis_conn).job_ids == [other]
