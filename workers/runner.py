"""The worker process: an RQ worker with its scheduler plus a maintenance thread.

RQ forks a work horse per job; heavy imports (OpenCV, Tesseract bindings, the pipeline and
its templates) and the Tesseract models are loaded once here, before the first fork, so each
job starts warm.
The maintenance thread runs the reaper and the outbox sender every
``VIDVERIFY_REAP_INTERVAL_S`` seconds, so any running worker heals lost submissions and
mails notifications without a separate cron job.
"""

from __future__ import annotations

import importlib
import logging
import threading

from workers import notify, reaper, retention
from workers.config import Settings
from workers.liveness import RegisteredWorker
from workers.models import Stage
from workers.queues import get_queue, redis_connection

log = logging.getLogger(__name__)

# yt_dlp and its generic extractor are imported lazily by pipeline.fetch, and the eligibility
# store by the hand-off: without them here every fetch job imported yt-dlp anew (make
# loadtest's profile: about 8 % of a worker's CPU).
PRELOAD = (
    "cv2",
    "numpy",
    "tesserocr",
    "pytesseract",
    "pipeline.analyse",
    "pipeline.fetch",
    "yt_dlp",
    "yt_dlp.extractor.generic",
    "eligibility.store",
)


def preload() -> None:
    """Import the heavy modules once in the parent so forked horses share them."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            log.debug("preload: %s not available", name)
    try:
        from pipeline.templates import load_templates

        load_templates()
    except Exception:  # a template problem shows up, with its message, in the first job
        log.exception("preload: templates")
    try:
        from pipeline.ocr import READ_THREADS, default_engine

        default_engine().load_now(READ_THREADS)  # horses inherit loaded Tesseract models
    except Exception:  # no OCR engine: the first job says why
        log.exception("preload: OCR engine")


def maintenance_pass(settings: Settings) -> None:
    """One reaper pass, one outbox pass and one retention sweep; errors are logged, never
    raised."""
    try:
        result = reaper.reap(settings)
        if result.restarted or result.failed or result.handed_off:
            log.warning("reaper: %s", result.summary())
    except Exception:
        log.exception("reaper pass failed")
    try:
        sent = notify.send_pending(settings)
        if sent:
            log.info("outbox: %d notification(s) sent", sent)
    except Exception:
        log.exception("outbox pass failed")
    try:
        retention.sweep(settings)
    except Exception:
        log.exception("retention pass failed")


class Maintenance(threading.Thread):
    """Runs ``maintenance_pass`` periodically until stopped."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="vv-maintenance", daemon=True)
        self.settings = settings
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.settings.reap_interval_s):
            maintenance_pass(self.settings)

    def stop(self) -> None:
        self.stopped.set()


def run_worker(
    stages: list[Stage],
    burst: bool = False,
    settings: Settings | None = None,
    name: str | None = None,
    maintenance: bool = True,
) -> int:
    """Work the queues of ``stages`` until stopped (or until empty with ``burst``)."""
    settings = settings or Settings.from_env()
    preload()
    connection = redis_connection(settings)
    queues = [get_queue(settings, stage, connection) for stage in stages]
    thread = None
    if maintenance:
        maintenance_pass(settings)
        thread = Maintenance(settings)
        thread.start()
    worker = RegisteredWorker(queues, connection=connection, name=name, worker_ttl=settings.worker_ttl_s)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        if thread is not None:
            thread.stop()
            thread.join(timeout=30)
            if burst:
                maintenance_pass(settings)
    return 0
