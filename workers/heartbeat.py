"""The heartbeat of a running stage: the reaper's evidence that its worker is alive."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import update

from workers.db import Database, utc_now
from workers.models import State, SubmissionRow

log = logging.getLogger(__name__)


class Superseded(Exception):
    """This job's attempt is no longer the submission's current one: stop quietly."""


class Heartbeat:
    """Writes ``heartbeat_at`` (and progress) every few seconds while a stage runs.

    A thread, not the pipeline's progress callback alone, because some stages (decoding
    setup, detection, evidence writing, a slow download) call no callback for long
    stretches; the reaper must only see silence when the process is really gone. If the
    row no longer belongs to this attempt, ``lost`` is set and the progress callback raises
    ``Superseded`` so a duplicate analysis stops early.
    """

    def __init__(self, db: Database, submission_id: int, attempt: int, state: State, every: float):
        self.db = db
        self.submission_id = submission_id
        self.attempt = attempt
        self.state = state
        self.every = max(0.2, every)
        self.progress: float | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vv-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        now = utc_now()
        values: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
        if self.progress is not None:
            values["progress"] = round(self.progress, 4)
        with self.db.tx() as s:
            result = s.execute(
                update(SubmissionRow)
                .where(
                    SubmissionRow.id == self.submission_id,
                    SubmissionRow.attempts == self.attempt,
                    SubmissionRow.state == self.state,
                )
                .values(**values)
            )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            self.lost = True

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # a database hiccup must not kill the job; next beat retries
                log.exception("heartbeat for submission %s failed", self.submission_id)

    def on_progress(self, fraction: float, _message: str) -> None:
        """The pipeline's progress callback."""
        self.progress = fraction
        if self.lost:
            raise Superseded(f"submission {self.submission_id} attempt {self.attempt} superseded")
