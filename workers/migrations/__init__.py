"""The workers' migration history (``vidverify.migrate`` runs it); ``wk0001`` is the schema
``create_all`` built before Alembic, so such a database is stamped there."""

from __future__ import annotations

from sqlalchemy import MetaData

from vidverify.migrate import History


def _metadata() -> MetaData:
    from workers.models import Base

    return Base.metadata


HISTORY = History(
    name="workers",
    script_location="workers:migrations",
    rev_prefix="wk",
    metadata=_metadata,
    legacy_tables=("wk_submissions", "wk_outbox", "wk_events"),
)
