"""The eligibility core's migration history (``vidverify.migrate`` runs it).

Revision ``elig0001`` is the schema the releases before Alembic built with ``create_all``,
including their ``eligibility_schema_version`` table; ``elig0002`` drops that table, whose job
the Alembic version table now does. A database from those releases is stamped at
``elig0001`` when its version table says 1; any other number was never released and is refused.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, inspect, text

from vidverify.migrate import History, SchemaMismatch


def _metadata() -> MetaData:
    from eligibility.tables import Base

    return Base.metadata


def _legacy_check(conn: Connection) -> None:
    if "eligibility_schema_version" not in inspect(conn).get_table_names():
        raise SchemaMismatch("eligibility tables without eligibility_schema_version: repair by hand")
    version = conn.execute(text("SELECT max(version) FROM eligibility_schema_version")).scalar()
    if version != 1:
        raise SchemaMismatch(
            f"the eligibility schema in this database is version {version}, newer than "
            "this code knows (1); upgrade the application"
        )


HISTORY = History(
    name="eligibility",
    script_location="eligibility:migrations",
    rev_prefix="elig",
    metadata=_metadata,
    legacy_tables=(
        "eligibility_schema_version",
        "eligibility_products",
        "eligibility_plans",
        "eligibility_replacements",
        "eligibility_windows",
        "eligibility_window_references",
        "eligibility_audit",
    ),
    legacy_check=_legacy_check,
)
