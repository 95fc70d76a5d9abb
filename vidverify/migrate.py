"""Alembic for the database schemas: one migration history per package, one runner for all.

Why one history per package (``eligibility/migrations``, ``workers/migrations``,
``web/migrations``), each with its own version table (``alembic_version_<package>``):
- the eligibility core stands alone (DESIGN.md: pipeline and eligibility never import each
  other, the workers join them) and keeps its own store, which may live in a database of its
  own; its history travels with it and never names a workers' or web table;
- no foreign key crosses packages (``wk_submissions.window_id`` and ``web_api_intake``'s
  submission id are plain integers), so the histories have no order to keep between them, and
  a change to one package's tables is reviewed, generated and applied within that package;
- each package can still bring its own tables to head when it opens a database (what its
  ``create_all`` did before), without loading the others' models.
``vidverify db upgrade`` runs all three, eligibility, workers, web, in that order.

When the schema changes: ``VIDVERIFY_DB_UPGRADE=auto`` (the default, as ``create_all`` was)
lets any process that opens a database below head upgrade it, and ``vidverify serve`` and
``vidverify worker`` upgrade every package at start-up; ``off`` leaves the schema to
``vidverify db upgrade`` (a deploy step) and makes every process refuse a database that is not
at head, with that command in the message. Upgrades run in one transaction under a
PostgreSQL advisory lock (SQLite: ``BEGIN IMMEDIATE``), so processes starting together
upgrade once. A database made by the releases before Alembic (``create_all``, eligibility's
``eligibility_schema_version`` table) is recognised by its tables and stamped at the first
revision, which is exactly that schema, then upgraded like any other.

This module imports no package: each one describes its history with a ``History`` in its
``migrations/__init__.py``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.types import TypeDecorator

# The histories in upgrade order (modules exposing ``HISTORY``).
HISTORY_MODULES = ("eligibility.migrations", "workers.migrations", "web.migrations")
MODE_ENV = "VIDVERIFY_DB_UPGRADE"
MODES = ("auto", "off")
_ADVISORY_LOCK_KEY = 0x76646D67  # "vdmg": one lock for every history


class SchemaMismatch(RuntimeError):
    """The database's schema is not one this code can use (behind with upgrades off, ahead,
    or not made by this application)."""


@dataclass(frozen=True)
class History:
    """One package's migrations.

    ``legacy_tables`` are the tables of the first revision: a database holding all of them and
    no version table was made by ``create_all`` and is stamped; some of them only is refused.
    ``legacy_check`` may refuse such a database for reasons of its own (an old version table
    naming a version this code never knew).
    """

    name: str
    script_location: str  # "package:migrations"
    rev_prefix: str  # revision ids: prefix + 4 digits (elig0001)
    metadata: Callable[[], MetaData]
    legacy_tables: tuple[str, ...]
    legacy_check: Callable[[Connection], None] | None = field(default=None, compare=False)

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    def config(self, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", self.script_location)
        cfg.attributes["history"] = self
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def script(self) -> ScriptDirectory:
        return _script(self.script_location)

    def heads(self) -> set[str]:
        return set(self.script().get_heads())

    def base(self) -> str:
        bases = self.script().get_bases()
        if len(bases) != 1:
            raise SchemaMismatch(f"the {self.name} history has {len(bases)} first revisions")
        return bases[0]


@cache
def _script(location: str) -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", location)
    return ScriptDirectory.from_config(cfg)


def histories() -> list[History]:
    return [importlib.import_module(name).HISTORY for name in HISTORY_MODULES]


def mode() -> str:
    value = (os.environ.get(MODE_ENV) or "auto").strip().lower()
    if value not in MODES:
        raise SchemaMismatch(f"{MODE_ENV}={value!r}: use one of {', '.join(MODES)}")
    return value


def engine_for(url: str) -> Engine:
    """An engine for ``vidverify db``: on SQLite, transactions (DDL included) start with
    ``BEGIN IMMEDIATE``, the recipe the stores use, so an upgrade is one transaction."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def current(conn: Connection, history: History) -> set[str]:
    """The revisions the database is at for ``history`` (empty: none recorded)."""
    context = MigrationContext.configure(conn, opts={"version_table": history.version_table})
    return set(context.get_current_heads())


def _check_known(history: History, revisions: set[str]) -> None:
    unknown = {r for r in revisions if _lookup(history, r) is None}
    if unknown:
        raise SchemaMismatch(
            f"the {history.name} schema in this database is at revision {', '.join(sorted(unknown))}, "
            "newer than this code knows; upgrade the application"
        )


def _lookup(history: History, revision: str) -> Any:
    try:
        return history.script().get_revision(revision)
    except Exception:
        return None


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        yield conn


def _stamp_legacy(conn: Connection, history: History) -> None:
    """A database without ``history``'s version table: stamp it if ``create_all`` made it."""
    existing = set(inspect(conn).get_table_names())
    present = [t for t in history.legacy_tables if t in existing]
    if not present:
        return
    missing = [t for t in history.legacy_tables if t not in existing]
    if missing:
        raise SchemaMismatch(
            f"this database has {history.name} tables ({', '.join(present)}) but not "
            f"{', '.join(missing)}: not a schema this application made; repair it by hand"
        )
    if history.legacy_check is not None:
        history.legacy_check(conn)
    command.stamp(history.config(conn), history.base())


def upgrade(engine: Engine, history: History, revision: str = "head") -> set[str]:
    """Bring ``history``'s tables to ``revision`` in one transaction; return where they are."""
    with _locked(engine) as conn:
        at = current(conn, history)
        _check_known(history, at)
        if not at:
            _stamp_legacy(conn, history)
        if revision != "head" or current(conn, history) != history.heads():
            command.upgrade(history.config(conn), revision)
        return current(conn, history)


def ensure(engine: Engine, history: History) -> str:
    """Called when a package opens a database: at head, or upgraded (``auto``), or refused."""
    heads = history.heads()
    with engine.connect() as conn:
        at = current(conn, history)
        conn.rollback()
    if at == heads:
        return next(iter(heads))
    _check_known(history, at)
    if mode() == "off":
        where = ", ".join(sorted(at)) or "no revision"
        raise SchemaMismatch(
            f"the {history.name} schema is at {where}, this code needs {', '.join(sorted(heads))}; "
            f"run `vidverify db upgrade` ({MODE_ENV}=off)"
        )
    return next(iter(upgrade(engine, history)))


def startup(url: str) -> None:
    """``serve`` and ``worker`` start-up: upgrade every history (``auto``) or check them all
    (``off``), so a process never starts on a schema it cannot use."""
    engine = engine_for(url)
    try:
        for history in histories():
            if mode() == "auto":
                upgrade(engine, history)
            else:
                ensure(engine, history)
    finally:
        engine.dispose()


def drift(conn: Connection, history: History) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: nothing)."""
    from alembic.autogenerate import compare_metadata

    metadata = history.metadata()
    context = MigrationContext.configure(
        conn,
        opts={
            "version_table": history.version_table,
            "include_name": _only_tables_of(metadata),
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, metadata))


def _only_tables_of(metadata: MetaData) -> Callable[[str | None, str, Any], bool]:
    """Autogenerate looks at this history's tables only: the others' are not its business."""

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    return include_name


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations name plain SQLAlchemy types, never the packages' own type decorators, so a
    migration file keeps working whatever later happens to the model modules."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        return f"sa.{impl!r}"
    return False


def run_env(context: EnvironmentContext) -> None:
    """The body of every package's ``migrations/env.py``."""
    history: History = context.config.attributes["history"]
    metadata = history.metadata()
    conn: Connection | None = context.config.attributes.get("connection")
    engine = None
    if conn is None:  # plain ``alembic`` use: DATABASE_URL
        engine = engine_for(os.environ.get("DATABASE_URL") or "sqlite:///vidverify.db")
        conn = engine.connect()
    try:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table=history.version_table,
            include_name=_only_tables_of(metadata),
            render_item=_render_item,
            render_as_batch=conn.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if engine is not None:
            conn.commit()
            conn.close()
            engine.dispose()
