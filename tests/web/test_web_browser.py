"""The pages in a real browser: Debian's Chromium, driven by Playwright, against uvicorn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rq import Queue, Worker

from tests.support.page_wait import wait_for
from web import submissions

RC_SN = "1581FB71CL0FKKSRDVPS"


@pytest.fixture
def site(make_settings: Any, sqlite_url: str, users: Any, serve: Any) -> tuple[Any, str]:
    settings = make_settings(sqlite_url)
    users(settings)
    return settings, serve(settings)


def test_reviewer_approves_a_flagged_submission(
    site: Any, page: Any, login: Any, make_submission: Any, screenshot: Any
) -> None:
    settings, base = site
    older = make_submission(settings, "flagged", minutes_ago=50)
    newer = make_submission(settings, "flagged", minutes_ago=10, with_video=False)
    decided = make_submission(settings, "approved", minutes_ago=30)

    login(page, base, "rita")
    assert page.url.endswith("/review")
    rows = page.locator("#review-queue li.case-row")
    assert [rows.nth(i).get_attribute("data-id") for i in range(rows.count())] == [
        str(older.id),
        str(newer.id),
    ]
    assert decided.id not in [int(rows.nth(i).get_attribute("data-id")) for i in range(rows.count())]
    assert "Weak GPS" in rows.first.inner_text()  # the reason's label, not its code
    screenshot(page, "1-review-queue")

    page.click(f"#review-queue li[data-id='{older.id}'] a.button")
    page.wait_for_url(f"{base}/review/{older.id}")
    wait_for(page, "Array.from(document.images).every(i => i.complete)")
    widths = page.eval_on_selector_all("#frames img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 3 and all(w > 0 for w in widths), widths
    assert RC_SN in page.locator("#serials .serial-read").first.inner_text()
    assert RC_SN in page.locator("#frames").inner_text()  # the OCR text read, beside the frame
    assert page.locator("#steps tr.missing").count() == 1  # camera view not held with GPS
    assert page.locator("#timeline .span").count() == 5

    # the recording is stored in the work dir: a step's link seeks the player
    wait_for(page, "document.getElementById('player').readyState >= 1")
    page.locator("#steps button.seek").nth(1).click()  # gimbal calibration, at 8.8 s
    wait_for(page, "Math.abs(document.getElementById('player').currentTime - 8.8) < 0.6")
    page.evaluate("document.getElementById('player').pause(); window.scrollTo(0, 0)")
    screenshot(page, "2-submission")

    page.fill("#comment", "RC serial legible on the About page; GPS recovered.")
    page.click("#approve")
    page.wait_for_url(f"{base}/review/{newer.id}?done={older.id}")  # on to the next case
    assert "window open until" in page.locator("#flash").inner_text()
    page.goto(f"{base}/review/{older.id}")
    assert page.locator("#window-issued").is_visible()
    assert "approved by rita" in page.locator("#review-record").inner_text()

    view = submissions.get(settings, older.id)
    assert view.state.value == "window_issued"
    assert view.reviewer == "rita" and view.review_verdict == "approved"
    assert view.review_comment.startswith("RC serial legible")
    window = view.window_expires_at - view.reviewed_at
    assert window == pytest.approx(timedelta(hours=72), abs=timedelta(minutes=1))
    from workers import service

    assert [n["status"] for n in service.outbox(older.id, settings=settings.workers)] == ["pending"]

    page.goto(f"{base}/review")
    assert page.locator(f"#review-queue li[data-id='{older.id}']").count() == 0
    assert page.locator(f"#review-queue li[data-id='{newer.id}']").count() == 1


def test_reviewer_rejects_with_a_reason_code(site: Any, page: Any, login: Any, make_submission: Any) -> None:
    settings, base = site
    made = make_submission(settings, "flagged", with_video=False)
    login(page, base, "rita")
    page.goto(f"{base}/review/{made.id}")
    page.fill("#comment", "GPS weak through the camera view")
    page.click("#reject")  # no reason chosen: refused in place, the comment kept
    assert "Choose a reason to reject." in page.locator("#form-error").inner_text()
    assert page.input_value("#comment") == "GPS weak through the camera view"
    assert submissions.get(settings, made.id).review_verdict is None
    assert page.locator("#reason option[value=gps_weak]").inner_text() == "Weak GPS"
    page.select_option("#reason", "gps_weak")
    page.click("#reject")
    page.wait_for_selector("#review-record")
    view = submissions.get(settings, made.id)
    assert (view.state.value, view.review_verdict, view.review_reason) == ("reviewed", "rejected", "gps_weak")
    assert view.window_expires_at is None


def test_operator_dashboard_matches_redis(
    site: Any, page: Any, login: Any, make_submission: Any, redis_conn: Any, screenshot: Any
) -> None:
    settings, base = site
    prefix = settings.workers.queue_prefix
    fetch = Queue(f"{prefix}-fetch", connection=redis_conn)
    analyse = Queue(f"{prefix}-analyse", connection=redis_conn)
    for i in range(3):
        fetch.enqueue("os.getcwd", job_id=f"dummy-fetch-{i}", description=f"dummy fetch {i}")
    for i in range(2):
        analyse.enqueue("os.getcwd", job_id=f"dummy-analyse-{i}")
    analyse.enqueue_in(timedelta(hours=1), "os.getcwd", job_id="dummy-later")
    worker = Worker([fetch, analyse], connection=redis_conn, name=f"{prefix}-worker-1")
    worker.register_birth()
    for kind, minutes in (("approved", 20), ("rejected", 40), ("flagged", 90), ("approved", 600)):
        make_submission(settings, kind, minutes_ago=minutes, with_video=False)
    failed = make_submission(settings, "failed", minutes_ago=15)
    try:
        login(page, base, "otto")
        assert page.url.endswith("/ops")

        def depth(name: str) -> int:
            return int(page.locator(f"#queues tr[data-queue='{name}'] td.depth").inner_text())

        assert depth(fetch.name) == fetch.count == 3
        assert depth(analyse.name) == analyse.count == 2
        scheduled = page.locator(f"#queues tr[data-queue='{analyse.name}'] td.scheduled").inner_text()
        assert int(scheduled) == analyse.scheduled_job_registry.count == 1
        assert worker.name in page.locator("#workers").inner_text()
        throughput = page.locator("#throughput").inner_text()
        assert "last hour" in throughput and "last day" in throughput
        assert "analyse\t42.0 s" in page.locator("#latency").inner_text()
        assert "refused the download (HTTP 403)" in page.locator("#failed").inner_text()
        screenshot(page, "3-dashboard")

        page.click(f"#failed li[data-id='{failed.id}'] button.requeue")
        assert page.locator(f"#confirm-list li[data-id='{failed.id}']").count() == 1  # asked first
        assert submissions.get(settings, failed.id).state.value == "failed"
        page.click("#confirm-requeue")
        page.wait_for_url(f"{base}/ops?requeued={failed.id}")
        assert f"#{failed.id} (queued, attempt 2)" in page.locator("#flash").inner_text()
        assert fetch.count == 4 and depth(fetch.name) == 4
        assert submissions.get(settings, failed.id).state.value == "queued"

        metrics = page.request.get(f"{base}/metrics").text()
        assert f'vidverify_queue_depth{{queue="{fetch.name}"}} 4.0' in metrics
        assert f'vidverify_queue_depth{{queue="{analyse.name}"}} 2.0' in metrics
    finally:
        worker.register_death()


def test_roles_and_anonymous_access(site: Any, page: Any, login: Any, make_submission: Any) -> None:
    settings, base = site
    made = make_submission(settings, "flagged", with_video=False)

    # anonymous: every page sends to the log-in form, no evidence leaks
    for path in ("/review", f"/review/{made.id}", "/ops", f"/review/{made.id}/frames/0"):
        response = page.goto(f"{base}{path}")
        assert response.status == 200 and "/login?next=" in page.url, path
        assert page.locator("input[name=password]").count() == 1

    # a reviewer sees the review pages, not the operator's
    login(page, base, "rita")
    response = page.goto(f"{base}/ops")
    assert response.status == 403
    assert "Not allowed" in page.content()
    assert page.locator("nav a[href='/ops']").count() == 0
    assert page.goto(f"{base}/review/{made.id}").status == 200

    # logging out ends the session
    page.click("button:has-text('Log out')")
    page.goto(f"{base}/review")
    assert "/login" in page.url

    # an operator may open both
    login(page, base, "otto")
    assert page.goto(f"{base}/review").status == 200
    assert page.goto(f"{base}/ops").status == 200


def test_a_wrong_password_is_refused(site: Any, page: Any) -> None:
    _settings, base = site
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "Wrong name or password" in page.locator(".flash").inner_text()
    assert page.goto(f"{base}/review").url.startswith(f"{base}/login")


def test_dashboard_refreshes_itself(
    make_settings: Any, sqlite_url: str, users: Any, serve: Any, page: Any, login: Any, redis_conn: Any
) -> None:
    settings = make_settings(sqlite_url, VIDVERIFY_WEB_REFRESH_S="1")
    users(settings)
    base = serve(settings)
    fetch = Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn)
    login(page, base, "otto")
    cell = f"#queues tr[data-queue='{fetch.name}'] td.depth"
    assert page.locator(cell).inner_text() == "0"
    fetch.enqueue("os.getcwd", job_id="late-arrival")
    wait_for(page, f"document.querySelector(\"{cell}\").textContent.trim() === '1'", timeout=10)
