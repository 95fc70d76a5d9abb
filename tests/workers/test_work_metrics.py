"""/metrics after a real run: a real worker process fetches (with 503s and a permanent failure)
and analyses fixture videos; the counters and histograms prometheus-client exposes must agree
with the dashboard's own figures (``web.metrics.snapshot``, what ``/ops`` renders) and with the
submissions' history."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from workers import service
from workers.models import State

pytestmark = pytest.mark.slow

VIDEOS = Path(__file__).resolve().parents[2] / "fixtures" / "videos"
FINAL = {State.DECIDED, State.REVIEWED, State.WINDOW_ISSUED, State.NOTIFIED, State.FAILED}
PASSWORD = "correct horse battery"


def _submit(db_url: str, case: dict[str, Any], source: str) -> int:
    from eligibility.errors import InvalidInput
    from eligibility.models import ProductIn
    from eligibility.store import Store

    product = case["product"]
    with Store(db_url) as store, contextlib.suppress(InvalidInput):
        store.add_product(
            ProductIn(
                aircraft_sn=product["aircraft_sn"],
                rc_sn=product["rc_sn"],
                model=product["model"],
                region="US",
                activated_at=datetime.now(UTC) - timedelta(days=200),
            )
        )
    view = service.submit(
        source, product["aircraft_sn"], rc_sn=product["rc_sn"], model=product["model"], allow_local=True
    )
    return view.id


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, labels), parsed by prometheus-client's own parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _wait(predicate: Any, timeout: float, what: str) -> None:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_metrics_agree_with_the_dashboard_after_a_run(pg_url, env, manifest, workers, video_server):
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.metrics import snapshot
    from web.settings import WebSettings
    from web.users import add_user

    child_env = env(pg_url)
    # Nothing is killed here: the production staleness margin keeps a slow machine from having
    # the reaper restart a stage (which would rightly count twice in the histograms).
    child_env["VIDVERIFY_STALE_AFTER_S"] = "60"
    unreadable = manifest["rej_video_unreadable.mp4"]
    analysed = manifest["rej_gimbal_calibration_not_found.mp4"]
    ids = [
        _submit(pg_url, unreadable, video_server.url(f"/flaky/{unreadable['file']}")),  # 503, 503, ok
        _submit(pg_url, unreadable, video_server.url("/page")),  # permanent fetch failure
        _submit(pg_url, analysed, str(VIDEOS / analysed["file"])),  # a full analysis
    ]
    workers.start(child_env, name="metrics-worker")
    try:
        _wait(lambda: all(service.get(i).state in FINAL for i in ids), 600, "three final states")
    except AssertionError:
        print(workers.logs())
        raise

    # Scraped as Prometheus would: /metrics is not public by default (issue 17), a token opens it.
    settings = WebSettings.from_env().model_copy(update={"metrics_token": "scraper-token"})
    add_user(settings.database_url, "otto", "operator", PASSWORD)
    with TestClient(create_app(settings)) as client:
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scraper-token"})
        assert scraped.status_code == 200, scraped.text
        text = scraped.text
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        client.post("/login", data={"username": "otto", "password": PASSWORD, "csrf": csrf})
        ops = client.get("/ops")
    assert ops.status_code == 200
    samples = _samples(text)
    snap = snapshot(settings)
    day = snap.stats.periods[-1]
    assert day.label == "last day"

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    # Counters: the dashboard's verdict mix (everything happened within the day).
    for verdict in ("approved", "rejected", "needs_review"):
        assert value("vidverify_submissions_total", verdict=verdict) == day.verdicts.get(verdict, 0)
    assert value("vidverify_submissions_total", verdict="rejected") == 2
    assert value("vidverify_reviews_total", verdict="approved") == day.reviews.get("approved", 0) == 0
    # Fetch failures: two 503s retried, one HTML page given up (the dashboard's one failure).
    retries = [e for e in service.events(ids[0]) if "retry in" in e.message]
    assert value("vidverify_fetch_failures_total", kind="transient") == len(retries) == 2
    assert value("vidverify_fetch_failures_total", kind="permanent") == day.failed == 1

    # Histograms: one observation per stage that finished, as the dashboard's latency samples.
    assert value("vidverify_fetch_duration_seconds_count") == snap.stats.latency["fetch"][2] == 2
    assert value("vidverify_analyse_duration_seconds_count") == snap.stats.latency["analyse"][2] == 2
    post = value("vidverify_post_to_verdict_seconds_count", verdict="rejected")
    assert post == snap.stats.latency["total"][2] == 2
    views = [service.get(i) for i in ids[::2]]
    took = sum((v.decided_at - v.created_at).total_seconds() for v in views)
    assert value("vidverify_post_to_verdict_seconds_sum", verdict="rejected") == pytest.approx(took, abs=0.01)
    analyse_ms = sum(v.durations["analyse"] for v in views)
    assert value("vidverify_analyse_duration_seconds_sum") == pytest.approx(analyse_ms / 1000, abs=0.01)
    # Every claim of a job from its queue is one queue-wait observation.
    claims = {"fetch": 0, "analyse": 0}
    for i in ids:
        for e in service.events(i):
            for stage in claims:
                claims[stage] += e.message.startswith(f"{stage} started on")
    for stage, n in claims.items():
        assert value("vidverify_queue_wait_seconds_count", queue=stage) == n > 0
    buckets = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == "vidverify_fetch_duration_seconds_bucket"
    )
    counts = [v for _le, v in buckets]
    assert counts == sorted(counts) and counts[-1] == 2  # cumulative, +Inf holds them all

    # Gauges: the levels the dashboard shows.
    assert value("vidverify_review_backlog") == snap.stats.review_waiting == 0
    assert f'id="review-waiting">{snap.stats.review_waiting}<' in ops.text
    assert value("vidverify_workers_alive") == len(snap.workers) == 1
    for q in snap.queues:
        assert value("vidverify_queue_depth", queue=q.name) == q.queued
    for state, n in snap.stats.states.items():
        assert value("vidverify_submissions_in_state", state=state) == n
