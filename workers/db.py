"""Database access for the workers: one engine per process, schema brought to head on first use.

RQ forks a work horse per job; a pooled connection inherited across ``fork`` would be
shared by two processes and corrupt both sessions. ``get_database`` therefore keys its
cache by process id, so each horse opens its own connections, and no SQLite transaction is
open while the process forks (``workers/forksafe.py``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from vidverify.migrate import ensure
from workers import forksafe
from workers.migrations import HISTORY
from workers.models import EventRow

READ_ONLY = "vidverify_read_only"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=3, max_overflow=5)
    engine = create_engine(url, connect_args={"timeout": 30})

    # Several worker processes share one SQLite file: start every transaction with
    # BEGIN IMMEDIATE (SQLAlchemy's documented recipe) so writers queue on the file lock
    # instead of failing when a read transaction later tries to write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Reads (``Database.read``) take no write lock: they neither wait for writers nor
        # hold them up.
        read = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    forksafe.watch(engine)
    return engine


class Database:
    """The workers' tables on one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        # The workers' migrations (workers/migrations), under vidverify.migrate's lock.
        ensure(self.engine, HISTORY)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """A session in one transaction, committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: on SQLite a plain ``BEGIN`` (no write lock)."""
        with self._read_sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def add_event(session: Session, submission_id: int, state: str, attempt: int, message: str) -> None:
    """Append one line to the submission's history."""
    session.add(
        EventRow(
            submission_id=submission_id,
            at=utc_now(),
            state=state,
            attempt=attempt,
            message=message[:4000],
        )
    )


_cache: dict[tuple[int, str], Database] = {}
_lock = threading.Lock()


def get_database(url: str) -> Database:
    """The process's ``Database`` for ``url`` (a new one after a fork)."""
    key = (os.getpid(), url)
    with _lock:
        db = _cache.get(key)
        if db is None:
            for old in [k for k in _cache if k[0] != key[0]]:
                # Inherited from the parent: drop without closing its sockets.
                stale = _cache.pop(old)
                stale.engine.dispose(close=False)
            db = _cache[key] = Database(url)
        return db


def reset_cache() -> None:
    """Forget every cached database (tests switch URLs between cases)."""
    with _lock:
        for db in _cache.values():
            db.close()
        _cache.clear()
