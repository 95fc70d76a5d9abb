"""A day's work in the pages, in Debian's Chromium at a phone's width (390 px) and a laptop's
(1366 px): claiming, the frame viewer, keyboard decisions, reopening, bulk requeue, the
owner's page and the API docs without network. Screenshots go to the session's folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rq import Queue

from tests.support.page_wait import wait_for
from web import submissions

PASSWORD = "correct horse battery"
WIDTHS = [390, 1366]


@pytest.fixture
def site(make_settings: Any, sqlite_url: str, users: Any, serve: Any) -> tuple[Any, str]:
    from web.users import add_user

    settings = make_settings(sqlite_url)
    users(settings)
    add_user(settings.database_url, "rosa", "reviewer", PASSWORD)
    return settings, serve(settings)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Call with a width: a fresh browser context (its own cookies) and page."""
    contexts = []

    def make(width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 860 if width > 500 else 800})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"page is {width} px wide in a {viewport} px window"


@pytest.mark.parametrize("width", WIDTHS)
def test_reviewer_claims_zooms_seeks_and_decides_by_keyboard(
    width: int, site: Any, open_page: Any, login: Any, make_submission: Any, screenshot: Any
) -> None:
    settings, base = site
    first = make_submission(settings, "flagged", minutes_ago=50)
    second = make_submission(settings, "flagged", minutes_ago=10, with_video=False)

    rita = open_page(width)
    login(rita, base, "rita")
    _no_sideways_scroll(rita)
    rita.goto(f"{base}/review/{first.id}")
    assert "You have claimed this case" in rita.locator("#claim").inner_text()

    # the reason comes first, with its own frame, and that frame is in the viewer
    first_check = rita.locator("#checks li.check").first
    assert "Weak GPS" in first_check.inner_text() and "at 0:27.5" in first_check.inner_text()
    assert rita.locator("#timeline .mark").count() == 1  # the finding on the timeline
    labels = rita.locator("#viewer-boxes .box-label").all_inner_texts()
    assert labels == ["Weak GPS signal · 91 %"]
    wait_for(rita, "document.getElementById('viewer-img').naturalWidth > 0")
    _no_sideways_scroll(rita)
    screenshot(rita, f"w{width}-1-case-claimed")

    # a second reviewer sees the claim, in the queue and on the case
    rosa = open_page(width)
    login(rosa, base, "rosa")
    row = rosa.locator(f"#review-queue li[data-id='{first.id}']")
    assert "claimed by rita" in row.inner_text()
    rosa.goto(f"{base}/review/{first.id}")
    assert "rita claimed this case" in rosa.locator("#claim").inner_text()
    assert rosa.locator("#take-over").is_visible()
    screenshot(rosa, f"w{width}-2-claimed-by-someone-else")

    # zoom the frame, then pick the RC serial frame: the video seeks to it and pauses there
    rita.click("#zoom-in")
    rita.click("#zoom-in")
    assert float(rita.get_attribute("#stage", "data-zoom")) == pytest.approx(2.25)
    transform = rita.eval_on_selector("#canvas", "c => c.style.transform")
    assert "scale(2.25)" in transform
    wait_for(rita, "document.getElementById('player').readyState >= 1")
    rita.locator("#frames button.thumb[data-index='0']").click()  # About page at 0:03.2
    wait_for(
        rita,
        "(() => { const p = document.getElementById('player');"
        " return p.paused && Math.abs(p.currentTime - 3.2) < 0.01 && !p.seeking; })()",
    )
    assert rita.get_attribute("#stage", "data-zoom") == "1.00"  # a new frame starts fitted
    assert "RC serial" in rita.locator("#viewer-caption").inner_text()
    assert rita.locator("#viewer-boxes .box-label").all_inner_texts() == ["1581FB71CL0FKKSRDVPS · 58 %"]
    rita.keyboard.press("j")  # next frame, and the video follows, paused
    wait_for(
        rita,
        "(() => { const p = document.getElementById('player');"
        " return p.paused && Math.abs(p.currentTime - 12.0) < 0.01; })()",
    )
    rita.keyboard.press("+")
    rita.locator("#approve").scroll_into_view_if_needed()
    box = rita.locator("#approve").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # the decision is on screen
    screenshot(rita, f"w{width}-3-zoomed-and-seeked")

    # decide with the keyboard: A, then Enter; on to the next case
    rita.locator("body").click(position={"x": 2, "y": 2})
    rita.keyboard.press("a")
    assert rita.evaluate("document.activeElement.id") == "approve"
    assert "Enter to approve" in rita.locator("#key-hint").inner_text()
    rita.keyboard.press("Enter")
    rita.wait_for_url(f"{base}/review/{second.id}?done={first.id}")
    notice = rita.locator("#flash").inner_text()
    assert f"Submission {first.id} approved by rita" in notice and "next case" in notice
    assert "You have claimed this case" in rita.locator("#claim").inner_text()
    _no_sideways_scroll(rita)
    screenshot(rita, f"w{width}-4-next-case")

    view = submissions.get(settings, first.id)
    assert (view.review_verdict, view.reviewer, view.state.value) == ("approved", "rita", "window_issued")
    # the claim on the decided case is gone; the history names who did what
    rosa.goto(f"{base}/review/{first.id}")
    assert rosa.locator("#claim").count() == 0
    history = rosa.locator("#history").inner_text()
    assert "rita" in history and "claimed the case" in history and "approved" in history


@pytest.mark.parametrize("width", WIDTHS)
def test_operator_reopens_a_machine_rejection_and_requeues_in_bulk(
    width: int,
    site: Any,
    open_page: Any,
    login: Any,
    make_submission: Any,
    redis_conn: Any,
    screenshot: Any,
) -> None:
    settings, base = site
    rejected = make_submission(settings, "rejected", minutes_ago=30)
    make_submission(settings, "approved", minutes_ago=20)
    failed = [make_submission(settings, "failed", minutes_ago=m) for m in (5, 6, 7)]

    otto = open_page(width)
    login(otto, base, "otto")
    otto.goto(f"{base}/submissions")
    otto.select_option("#verdict-filter", "rejected")
    otto.click("form.search button[type=submit]")
    rows = otto.locator("#submissions li.case-row")
    assert [rows.nth(i).get_attribute("data-id") for i in range(rows.count())] == [str(rejected.id)]
    _no_sideways_scroll(otto)
    screenshot(otto, f"w{width}-5-search")

    otto.click(f"#submissions li[data-id='{rejected.id}'] a.case-link")
    otto.fill("#reopen-reason", "The RC serial looks right to me on the About frame")
    otto.click("#reopen")
    otto.wait_for_url(f"{base}/review/{rejected.id}")
    assert otto.locator("#reopened").is_visible() and otto.locator("#approve").is_visible()
    assert "machine: rejected" in otto.locator("#machine-verdict").inner_text().lower()
    history = otto.locator("#history").inner_text()
    assert "otto" in history and "The RC serial looks right to me" in history
    # no recording here: a time shows the kept frame nearest to it
    otto.locator("#steps button.seek").nth(1).click()  # gimbal calibration from 0:08.8
    assert "Gimbal auto calibration" in otto.locator("#viewer-caption").inner_text()
    assert submissions.get(settings, rejected.id).verdict == "needs_review"
    screenshot(otto, f"w{width}-6-reopened")
    otto.goto(f"{base}/review")
    assert otto.locator(f"#review-queue li[data-id='{rejected.id}']").count() == 1

    otto.goto(f"{base}/ops")
    fetch = Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn)
    assert fetch.count == 0
    otto.check("#pick-all")
    assert otto.locator("input.pick:checked").count() == 3
    _no_sideways_scroll(otto)
    screenshot(otto, f"w{width}-7-ops-ticked")
    # a row's own button asks about that row only, whatever is ticked
    otto.click(f"#failed li[data-id='{failed[0].id}'] button.requeue")
    assert [otto.locator("#confirm-list li").first.get_attribute("data-id")] == [str(failed[0].id)]
    assert otto.locator("#confirm-list li").count() == 1
    otto.go_back()
    otto.check("#pick-all")
    otto.click("#requeue-selected")
    listed = otto.locator("#confirm-list li")
    assert sorted(int(listed.nth(i).get_attribute("data-id")) for i in range(3)) == sorted(
        f.id for f in failed
    )
    assert all(submissions.get(settings, f.id).state.value == "failed" for f in failed)  # not yet
    screenshot(otto, f"w{width}-8-confirm-requeue")
    otto.click("#confirm-requeue")
    otto.wait_for_url(f"{base}/ops?requeued=*")
    notice = otto.locator("#flash").inner_text()
    assert all(f"#{f.id} (queued, attempt 2)" in notice for f in failed), notice
    assert fetch.count == 3
    assert otto.locator("#failed li").count() == 0
    otto.goto(f"{base}/review/{failed[0].id}")
    assert "otto" in otto.locator("#history").inner_text()  # the requeue is logged with a name


def test_dashboard_refresh_keeps_the_scroll_position(
    make_settings: Any, sqlite_url: str, users: Any, serve: Any, open_page: Any, login: Any, redis_conn: Any
) -> None:
    settings = make_settings(sqlite_url, VIDVERIFY_WEB_REFRESH_S="1")
    users(settings)
    base = serve(settings)
    otto = open_page(390)
    login(otto, base, "otto")
    otto.evaluate("window.scrollTo(0, 400)")
    before = otto.evaluate("window.scrollY")
    assert before > 0
    Queue(f"{settings.workers.queue_prefix}-fetch", connection=redis_conn).enqueue("os.getcwd", job_id="x-1")
    cell = f"#queues tr[data-queue='{settings.workers.queue_prefix}-fetch'] td.depth"
    wait_for(otto, f"document.querySelector(\"{cell}\").textContent.trim() === '1'", timeout=10)
    assert otto.evaluate("window.scrollY") == before
    assert otto.locator(f"{cell} ~ td.oldest").inner_text() != "—"  # the oldest job's age


def test_owner_page_shows_the_failed_step_and_its_frame(
    site: Any, open_page: Any, make_submission: Any, screenshot: Any
) -> None:
    from workers import owner_links

    settings, base = site
    made = make_submission(settings, "rejected")
    page = open_page(390)
    page.goto(f"{base}/status/{made.id}/{owner_links.token(made.id, settings.owner_secret)}")
    assert page.locator("#result").inner_text() == "Not accepted."
    failure = page.locator("#failed-steps article").first
    text = failure.inner_text()
    assert "RC serial (About page)" in text and "at 0:03.2" in text
    assert "not the one registered with this aircraft" in text
    wait_for(page, "document.querySelector('.owner-frame img').naturalWidth > 0")
    assert "One continuous recording" in page.locator("#how-to").inner_text()
    assert page.locator("nav").count() == 0  # no staff navigation for the owner
    _no_sideways_scroll(page)
    screenshot(page, "w390-9-owner")


def test_docs_render_with_the_network_blocked(
    make_settings: Any, sqlite_url: str, serve: Any, open_page: Any, screenshot: Any
) -> None:
    base = serve(make_settings(sqlite_url, VIDVERIFY_WEB_PUBLIC_DOCS="1"))  # off by default
    page = open_page(1366)
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "vidverify" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-summary-path:has-text('/api/submissions')")
    screenshot(page, "w1366-10-docs")
    page.goto(f"{base}/redoc")
    page.wait_for_selector("h1:has-text('vidverify')")
    page.wait_for_selector("h2:has-text('Create Submission')")  # an operation, rendered
    assert page.locator("h2:has-text('Healthz')").count() == 1  # each operation once
    screenshot(page, "w1366-11-redoc")
    # ReDoc's own "powered by" badge is the one thing it asks the network for (refused here,
    # and the page is whole without it); Swagger UI asks for nothing.
    assert [u for u in outside if not u.startswith("https://cdn.redoc.ly/redoc/logo-mini.svg")] == []
