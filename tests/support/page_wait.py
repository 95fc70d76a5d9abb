"""Waiting on a page's state in browser tests under the pages' Content-Security-Policy."""

from __future__ import annotations

import time
from typing import Any


def wait_for(page: Any, expression: str, timeout: float = 15) -> None:
    """Poll a JavaScript expression from outside the page. Playwright's ``wait_for_function``
    evaluates a string with ``eval`` inside the page, which ``script-src 'self'`` forbids (as
    it should); ``page.evaluate`` goes through the debugging protocol instead."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception:  # the page is navigating (the dashboard reloads itself)
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        time.sleep(0.1)
