"""Bring the eligibility schema to head when a store opens (Alembic, ``eligibility/migrations``).

The core keeps creating its own tables on open, as it did with ``create_all``: the store ships
inside the application and a developer's SQLite file needs no deploy step. The migrations and
their rules (``VIDVERIFY_DB_UPGRADE``, the advisory lock, stamping a database from the releases
before Alembic) are in ``vidverify.migrate``; a database this code cannot use is a
``SchemaError`` here.
"""

from __future__ import annotations

from sqlalchemy import Engine

from eligibility.errors import SchemaError
from eligibility.migrations import HISTORY
from vidverify.migrate import SchemaMismatch, ensure


def ensure_schema(engine: Engine) -> str:
    """Upgrade (or check) the eligibility tables; return the revision they are at."""
    try:
        return ensure(engine, HISTORY)
    except SchemaMismatch as exc:
        raise SchemaError(str(exc)) from exc
