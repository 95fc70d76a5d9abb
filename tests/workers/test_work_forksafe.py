"""SQLite and forks (issue 17, item 4): a work horse forked while the worker's maintenance
thread is inside a transaction gets the database at once, instead of "database is locked"
after 30 s; reads take no write lock. Real SQLite files, real ``os.fork``, real RQ and Redis."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import text

from workers.db import get_database, reset_cache

REDIS_URL = os.environ.get("WORKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    with get_database(url).tx() as s:
        s.execute(text("CREATE TABLE forktest (id INTEGER PRIMARY KEY, value TEXT)"))
    yield url
    reset_cache()


def _hold_a_transaction(url: str, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """The maintenance thread's part: a write transaction held open for ``seconds``."""
    inside = threading.Event()

    def run() -> None:
        with get_database(url).tx() as s:
            s.execute(text("INSERT INTO forktest (value) VALUES ('maintenance')"))
            inside.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run, name="vv-maintenance")
    thread.start()
    assert inside.wait(10)
    return thread, inside


def _values(url: str) -> list[str]:
    with get_database(url).read() as s:
        return [r[0] for r in s.execute(text("SELECT value FROM forktest ORDER BY id"))]


def test_a_child_forked_inside_a_transaction_can_write(url: str) -> None:
    thread, _ = _hold_a_transaction(url, 2.0)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the horse
        code = 1
        try:
            with get_database(url).tx() as s:
                s.execute(text("INSERT INTO forktest (value) VALUES ('horse')"))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    took = time.monotonic() - started
    thread.join()
    assert os.waitstatus_to_exitcode(status) == 0
    assert took < 15  # before: 30 s, then "database is locked"
    assert sorted(_values(url)) == ["horse", "maintenance"]


def test_an_rq_work_horse_forked_during_maintenance_does_its_job(url: str) -> None:
    conn = Redis.from_url(REDIS_URL)
    queue = Queue(f"vvforktest{uuid.uuid4().hex[:8]}", connection=conn)
    try:
        job = queue.enqueue("tests.support.forkjob.write_row", url, "job", job_timeout=120)
        thread, _ = _hold_a_transaction(url, 2.0)
        started = time.monotonic()
        Worker([queue], connection=conn).work(burst=True)
        thread.join()
        job.refresh()
        assert job.get_status() == "finished", job.latest_result()
        assert time.monotonic() - started < 25
        assert sorted(_values(url)) == ["job", "maintenance"]
    finally:
        queue.delete(delete_jobs=True)
        conn.close()


def test_reads_do_not_wait_for_a_writer(url: str) -> None:
    """``BEGIN IMMEDIATE`` on every read made readers queue behind writers."""
    thread, _ = _hold_a_transaction(url, 3.0)
    started = time.monotonic()
    assert _values(url) == []  # the writer has not committed
    assert time.monotonic() - started < 1.5
    thread.join()
    assert _values(url) == ["maintenance"]
