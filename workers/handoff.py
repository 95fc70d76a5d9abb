"""The hand-off of an approved recording to the eligibility core: its 72-hour purchase window.

``open_window`` is the one call that turns an approval into a window, used by the queue (for
a submission, ``handoff``) and by ``vidverify check`` (for a recording checked directly). The
window is idempotent per reference, so the reference names what was approved:

* a submission: ``submission:<id>`` (one submission is one link for one aircraft; its jobs
  and the reaper may hand it off any number of times);
* a direct check, which has no submission: ``video:<sha256 of the file>``, the recording
  itself, however often it is checked and from wherever it is read, so repeating a check
  opens no second window. A reference belongs to one product, so the same file checked for
  another aircraft is refused (``HandoffRefused``): one recording is the evidence of one
  product. (The same reference ``check`` always used, so windows it opened are found again.)
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workers.config import Settings
from workers.db import Database, get_database, utc_now
from workers.lifecycle import BEFORE_WINDOW, fail, locked, window_issued
from workers.models import State, SubmissionRow, Verdict

if TYPE_CHECKING:
    from eligibility.models import Window
    from eligibility.store import Store

log = logging.getLogger(__name__)

WINDOW_SOURCE = "video_verification"


class HandoffRefused(Exception):
    """The eligibility core opened no window for an approval (e.g. the product is unknown)."""


def submission_reference(submission_id: int) -> str:
    """The window reference of a submission."""
    return f"submission:{submission_id}"


def recording_reference(video_sha256: str) -> str:
    """The window reference of a recording checked without a submission."""
    return f"video:{video_sha256}"


def open_window(store: Store, aircraft_sn: str, reference: str, now: datetime) -> Window:
    """Open (or find again) the purchase window an approval gives; ``HandoffRefused`` when
    the eligibility core refuses one."""
    from eligibility.errors import InvalidInput

    try:
        return store.issue_window(aircraft_sn, WINDOW_SOURCE, reference, now)
    except InvalidInput as exc:
        raise HandoffRefused(f"approved, but the eligibility core opened no window: {exc}") from exc


_stores: dict[tuple[int, str], Any] = {}


def get_store(url: str) -> Store:
    """The process's eligibility ``Store`` on ``url`` (a new one after a fork)."""
    from eligibility.store import Store

    key = (os.getpid(), url)
    store = _stores.get(key)
    if store is None:
        for old in [k for k in _stores if k[0] != key[0]]:
            _stores.pop(old).engine.dispose(close=False)
        store = _stores[key] = Store(url)
    return store


def reset_stores() -> None:
    """Close and forget every cached store (tests switch URLs between cases)."""
    for store in _stores.values():
        store.close()
    _stores.clear()


def handoff(submission_id: int, settings: Settings | None = None, db: Database | None = None) -> bool:
    """Open the eligibility window for an approved submission and queue its notification.

    Safe to call any number of times: the window is idempotent per reference and the
    outbox row unique per (submission, kind). Returns True when a window is (now) issued.
    A refusal fails the submission (``error_kind`` "handoff").
    """
    settings = settings or Settings.from_env()
    db = db or get_database(settings.database_url)
    with db.tx() as s:
        row = s.get(SubmissionRow, submission_id)
        if row is None or row.effective_verdict != Verdict.APPROVED:
            return False
        if row.state not in (*BEFORE_WINDOW, State.WINDOW_ISSUED):
            return row.state == State.NOTIFIED
        aircraft_sn = row.aircraft_sn
    try:
        store = get_store(settings.database_url)
        window = open_window(store, aircraft_sn, submission_reference(submission_id), utc_now())
    except HandoffRefused as exc:
        with db.tx() as s:
            row = locked(s, submission_id)
            assert row is not None
            fail(s, row, utc_now(), str(exc), "handoff")
        return False
    with db.tx() as s:
        row = locked(s, submission_id)
        assert row is not None
        window_issued(s, row, window, settings, utc_now())
    return True
