"""A job for the fork tests: one write to a SQLite file from the RQ work horse."""

from __future__ import annotations

from sqlalchemy import text


def write_row(database_url: str, value: str) -> str:
    from workers.db import get_database

    with get_database(database_url).tx() as s:
        s.execute(text("INSERT INTO forktest (value) VALUES (:v)"), {"v": value})
    return value
