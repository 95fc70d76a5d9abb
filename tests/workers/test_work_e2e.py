"""End to end: real ``vidverify worker`` processes, real Redis, real PostgreSQL (and SQLite),
the real pipeline on the fixture videos. Slow by nature (each analysis takes 20-40 s on CPU),
so they use the shortest fixtures and as few as prove the point.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.elig_helpers import add_product
from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.worker_procs import SHORT_CASES, Workers, wait_for
from vidverify.cli import main as vidverify_main
from workers import service
from workers.models import State

pytestmark = pytest.mark.slow

FINAL = {State.DECIDED, State.REVIEWED, State.WINDOW_ISSUED, State.NOTIFIED, State.FAILED}


def submit_case(db_url: str, case: dict, source: str | None = None, email: str | None = None):
    add_product(db_url, case["product"])
    return service.submit(
        source or str(VIDEOS / case["file"]),
        case["product"]["aircraft_sn"],
        rc_sn=case["product"]["rc_sn"],
        model=case["product"]["model"],
        owner_email=email,
        allow_local=True,
    )


def all_final(ids: list[int]) -> bool:
    return all(service.get(i).state in FINAL for i in ids)


def status_json(capsys, submission_id: int) -> dict:
    capsys.readouterr()
    vidverify_main(["status", str(submission_id), "--json"])
    return json.loads(capsys.readouterr().out)


def ten_shortest(manifest: dict) -> list[dict]:
    cases = sorted(manifest.values(), key=lambda c: (c.get("duration") or 0, c["file"]))
    return cases[:10]


def test_ten_submissions_two_workers(pg_url, env, manifest, workers: Workers, capsys, smtp):
    child_env = env(pg_url)
    # Two workers analysing on two cores starve each other's heartbeat threads now and then;
    # nothing is killed here, so give staleness the production margin instead of the kill
    # tests' six seconds (attempts must stay at 1).
    child_env["VIDVERIFY_STALE_AFTER_S"] = "60"
    cases = ten_shortest(manifest)
    views = [submit_case(pg_url, c, email=f"{c['file']}@example.test") for c in cases]
    workers.start(child_env, name="w1")
    workers.start(child_env, name="w2")
    try:
        wait_for(lambda: all_final([v.id for v in views]), 900, "ten verdicts", every=2)
    except AssertionError:
        print(workers.logs())
        raise
    wrong = []
    for case, view in zip(cases, views, strict=True):
        data = status_json(capsys, view.id)
        assert data["attempts"] == 1 and data["stage"] is None, data
        got = (data["verdict"], sorted(data["reasons"]))
        want = (case["expected_verdict"], sorted(case["expected_reasons"]))
        if got != want:
            wrong.append(f"{case['file']}: got {got}, expected {want}")
        if case["expected_verdict"] == "approved" and got == want:
            wait_for(lambda v=view: service.get(v.id).state == State.NOTIFIED, 30, "notification")
    assert not wrong, "\n".join(wrong)
    # One e-mail per decided owner: the purchase window, or why the video was not accepted.
    approved = sum(c["expected_verdict"] == "approved" for c in cases)
    rejected = sum(c["expected_verdict"] == "rejected" for c in cases)
    wait_for(lambda: len(smtp.messages) >= approved + rejected, 60, "e-mails", every=1)
    subjects = [m.content.decode().split("Subject: ", 1)[1].split("\n", 1)[0].strip() for m in smtp.messages]
    assert len(smtp.messages) == approved + rejected
    assert sum("purchase window is open" in x for x in subjects) == approved
    assert sum("was not accepted" in x for x in subjects) == rejected


def test_sigkill_mid_analysis_then_restart(pg_url, env, manifest, workers: Workers, capsys):
    child_env = env(pg_url)
    case = manifest[SHORT_CASES[1]]
    view = submit_case(pg_url, case)
    first = workers.start(child_env, name="doomed")
    wait_for(
        lambda: (v := service.get(view.id)).state == State.ANALYSING and (v.progress or 0) > 0.1,
        120,
        "the analysis to be under way",
    )
    # SIGKILL to the worker and to its work horse (RQ puts the horse in its own process
    # group), as when the machine or container dies.
    horse = int(service.get(view.id).worker.rsplit(":", 1)[1])
    workers.kill(first, extra_pids=[horse])
    assert service.get(view.id).state == State.ANALYSING  # nobody told the database
    workers.start(child_env, name="rescuer")
    try:
        wait_for(lambda: service.get(view.id).state in FINAL, 180, "the verdict after restart")
    except AssertionError:
        print(workers.logs())
        raise
    data = status_json(capsys, view.id)
    assert data["state"] == "decided" and data["attempts"] == 2
    assert (data["verdict"], data["reasons"]) == (
        case["expected_verdict"],
        case["expected_reasons"],
    )
    assert "no heartbeat" in " ".join(e.message for e in service.events(view.id))


def test_redis_flushed_while_in_flight(pg_url, env, manifest, workers: Workers, redis_conn, tmp_path):
    child_env = env(pg_url)
    slow = manifest[SHORT_CASES[2]]
    quick = manifest[SHORT_CASES[0]]
    views = [submit_case(pg_url, slow)]
    for n in range(2):  # distinct sources: distinct submissions
        copy = tmp_path / f"unreadable-{n}.mp4"
        shutil.copy(VIDEOS / quick["file"], copy)
        views.append(submit_case(pg_url, quick, source=str(copy)))
    workers.start(child_env, name="survivor")
    wait_for(lambda: service.get(views[0].id).state == State.ANALYSING, 120, "first analysis")
    queued = [v.id for v in views[1:] if service.get(v.id).state == State.QUEUED]
    redis_conn.flushdb()  # Redis restarts empty: queued jobs and registries are gone
    try:
        wait_for(lambda: all_final([v.id for v in views]), 240, "all verdicts", every=1)
    except AssertionError:
        print(workers.logs())
        raise
    for view, case in zip(views, [slow, quick, quick], strict=True):
        got = service.get(view.id)
        assert (got.verdict, got.reasons) == (case["expected_verdict"], case["expected_reasons"])
        assert got.attempts == (2 if view.id in queued else 1)
    assert queued, "the flush came too late to catch queued submissions"


def test_transient_fetch_retried_permanent_fails_once(
    sqlite_url, env, manifest, workers: Workers, video_server
):
    """On SQLite: 503 twice then the video; an HTML page is a permanent failure."""
    child_env = env(sqlite_url)
    case = manifest[SHORT_CASES[0]]
    flaky = submit_case(sqlite_url, case, source=video_server.url(f"/flaky/{case['file']}"))
    page = submit_case(sqlite_url, case, source=video_server.url("/page"))
    workers.start(child_env, name="fetcher")
    try:
        wait_for(lambda: all_final([flaky.id, page.id]), 120, "both submissions")
    except AssertionError:
        print(workers.logs())
        raise
    got = service.get(flaky.id)
    assert got.state == State.DECIDED and got.verdict == "rejected"
    assert got.reasons == ["video_unreadable"] and got.attempts == 3
    # Two 503s, then yt-dlp's probe and download on the third attempt.
    assert sum(h.startswith("/flaky/") for h in video_server.hits) >= 3
    assert "retry in" in " ".join(e.message for e in service.events(flaky.id))
    failed = service.get(page.id)
    assert failed.state == State.FAILED and failed.attempts == 1
    assert "permanent" in failed.last_error and "Unsupported URL" in failed.last_error
    assert failed.verdict is None


def test_burst_worker_drains_both_queues_and_exits(pg_url, env, manifest, workers: Workers):
    """``vidverify worker --burst``: fetch and analysis run, then the process ends by itself."""
    child_env = env(pg_url)  # first: it also points this process at the test database
    case = ten_shortest(manifest)[0]
    view = submit_case(pg_url, case)
    proc = workers.start(child_env, "--burst", name="burst")
    try:
        assert proc.wait(timeout=600) == 0
    except Exception:
        print(workers.logs())
        raise
    done = service.get(view.id)
    assert done.state in FINAL and done.attempts == 1, done
    want = (case["expected_verdict"], sorted(case["expected_reasons"]))
    assert (done.verdict, sorted(done.reasons)) == want
