"""A fresh PostgreSQL schema per test, shared by every suite that talks to PostgreSQL.

Each test gets its own schema on the development server, selected through the ``search_path``
connection option and dropped afterwards, so tests never see each other's rows. A server that
is down makes these tests fail, on purpose: they are not skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("ELIGIBILITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """Yield a URL to a new, empty schema; drop it (and everything in it) on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
