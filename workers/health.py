"""Health checks for containers and operators: can this process reach Redis and the database,
and (for a worker) is an RQ worker on this host registered and heart-beating?

Used by ``vidverify health`` and the compose file's health checks, so an orchestrator
restarts a worker that lost its connections instead of leaving it idle and "up".
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from rq import Worker
from sqlalchemy import text

from workers.config import Settings
from workers.db import get_database
from workers.queues import redis_connection

WORKER_SILENCE = timedelta(minutes=2)


def problems(settings: Settings | None = None, worker: bool = False) -> list[str]:
    """What is wrong, as sentences; an empty list means healthy."""
    settings = settings or Settings.from_env()
    found: list[str] = []
    conn = redis_connection(settings)
    try:
        conn.ping()
    except Exception as exc:
        found.append(f"redis {settings.redis_url}: {exc}")
    try:
        with get_database(settings.database_url).read_engine.connect() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:
        found.append(f"database: {type(exc).__name__}: {exc}")
    if worker and not found:
        host = socket.gethostname()
        now = datetime.now(UTC)
        mine = [w for w in Worker.all(connection=conn) if w.hostname == host]
        if not mine:
            found.append(f"no RQ worker registered for host {host}")
        elif all(
            w.last_heartbeat is None
            or now - w.last_heartbeat.replace(tzinfo=w.last_heartbeat.tzinfo or UTC) > WORKER_SILENCE
            for w in mine
        ):
            found.append(f"RQ worker(s) on {host} stopped heart-beating")
    return found
