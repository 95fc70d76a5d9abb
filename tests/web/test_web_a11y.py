"""Accessibility: axe-core (bundled in the axe-playwright-python package, injected into the
page, nothing fetched) finds no serious or critical violation on the review, ops and owner
pages, at a phone's width and a laptop's."""

from __future__ import annotations

from typing import Any

import pytest

WIDTHS = [390, 1366]


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(
    width: int,
    make_settings: Any,
    sqlite_url: str,
    users: Any,
    serve: Any,
    browser: Any,
    login: Any,
    make_submission: Any,
) -> None:
    from workers import owner_links

    settings = make_settings(sqlite_url)
    users(settings)
    base = serve(settings)
    flagged = make_submission(settings, "flagged")
    rejected = make_submission(settings, "rejected", with_video=False)
    make_submission(settings, "failed")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        login(page, base, "otto")
        pages = {
            "queue": f"{base}/review",
            "case": f"{base}/review/{flagged.id}",
            "machine rejection": f"{base}/review/{rejected.id}",
            "all submissions": f"{base}/submissions",
            "ops": f"{base}/ops",
            "owner": f"{base}/status/{rejected.id}/{owner_links.token(rejected.id, settings.owner_secret)}",
        }
        found = {}
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("load")
            problems = _serious(page)
            if problems:
                found[name] = problems
        assert found == {}
    finally:
        context.close()
