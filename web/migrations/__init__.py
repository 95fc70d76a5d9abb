"""The web service's migration history (``vidverify.migrate`` runs it); ``web0001`` is the
schema ``create_all`` built before Alembic, so such a database is stamped there."""

from __future__ import annotations

from sqlalchemy import MetaData

from vidverify.migrate import History


def _metadata() -> MetaData:
    from web.tables import WebBase

    return WebBase.metadata


HISTORY = History(
    name="web",
    script_location="web:migrations",
    rev_prefix="web",
    metadata=_metadata,
    legacy_tables=("web_users", "web_api_tokens", "web_api_intake"),
)
