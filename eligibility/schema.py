"""Create or upgrade the eligibility schema when a store opens.

Why not Alembic: the core owns six small tables and ships inside the application, with no
deploy step where someone would run ``alembic upgrade``. ``metadata.create_all`` creates
what is missing and is idempotent; a ``eligibility_schema_version`` table records which
version the database is at, and ``MIGRATIONS`` maps each later version to a function run
once, in order, inside the same transaction. A database newer than the code is refused
rather than used wrongly. On PostgreSQL the whole step holds an advisory lock, so several
workers starting together do not race to create the same tables.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, select, text

from eligibility.errors import SchemaError
from eligibility.tables import Base, SchemaVersion
from eligibility.timeutil import utc_now

SCHEMA_VERSION = 1

# version -> upgrade from version - 1; version 1 is what create_all builds.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

_ADVISORY_LOCK_KEY = 0x656C6967  # "elig"


def ensure_schema(engine: Engine) -> int:
    """Create missing tables, apply pending migrations, return the schema version."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        Base.metadata.create_all(conn)
        current = conn.execute(select(SchemaVersion.version).order_by(SchemaVersion.version.desc())).scalar()
        if current is None:
            conn.execute(
                SchemaVersion.__table__.insert().values(version=SCHEMA_VERSION, applied_at=utc_now())
            )
            return SCHEMA_VERSION
        if current > SCHEMA_VERSION:
            raise SchemaError(
                f"the eligibility schema in this database is version {current}, newer than "
                f"this code ({SCHEMA_VERSION}); upgrade the application"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
            conn.execute(SchemaVersion.__table__.insert().values(version=version, applied_at=utc_now()))
        return SCHEMA_VERSION
