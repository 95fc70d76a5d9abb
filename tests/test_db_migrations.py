"""The Alembic histories (``vidverify.migrate``) on real SQLite and PostgreSQL databases.

An empty database upgrades to head with ``vidverify db upgrade``; the models and the migrations
agree (autogenerate finds nothing to do); a database made by the releases before Alembic
(``create_all`` and eligibility's own version table) is recognised, stamped and upgraded with
its rows kept; what this code cannot use is refused with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, inspect, text

from tests.support.cli_run import vidverify
from tests.support.pg_schema import fresh_schema
from vidverify import migrate

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        with fresh_schema("mig") as pg_url:
            yield pg_url


@pytest.fixture
def engine(url):
    eng = migrate.engine_for(url)
    yield eng
    eng.dispose()


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _at_head_without_drift(engine) -> None:
    with engine.connect() as conn:
        for history in migrate.histories():
            assert migrate.current(conn, history) == history.heads(), history.name
            assert migrate.drift(conn, history) == [], history.name


def test_db_upgrade_takes_an_empty_database_to_head(url, engine, tmp_path):
    result = vidverify("db", "upgrade", cwd=tmp_path, db=url)
    assert result.returncode == 0, result.stderr
    for history in migrate.histories():
        assert f"{history.name}: {next(iter(history.heads()))}" in result.stdout
    _at_head_without_drift(engine)
    every_model_table = {t for h in migrate.histories() for t in h.metadata().tables}
    versions = {h.version_table for h in migrate.histories()}
    assert _tables(engine) == every_model_table | versions
    # Upgrading again is a no-op, and ``current`` says every package is at head.
    assert vidverify("db", "upgrade", cwd=tmp_path, db=url).returncode == 0
    current = vidverify("db", "current", cwd=tmp_path, db=url)
    assert current.returncode == 0 and current.stdout.count("(head)") == 3, current.stdout


def test_db_current_says_behind_on_an_empty_database(url, tmp_path):
    result = vidverify("db", "current", cwd=tmp_path, db=url)
    assert result.returncode == 1
    assert "eligibility: none (behind head)" in result.stdout


def test_every_history_downgrades_to_nothing_and_back(engine):
    for history in migrate.histories():
        migrate.upgrade(engine, history)
    for history in reversed(migrate.histories()):
        with engine.begin() as conn:
            command.downgrade(history.config(conn), "base")
    assert _tables(engine) <= {h.version_table for h in migrate.histories()}
    for history in migrate.histories():
        migrate.upgrade(engine, history)
    _at_head_without_drift(engine)


def _legacy_database(engine, eligibility_version: int = 1) -> None:
    """What the releases before Alembic built: ``create_all`` of every package's models as they
    were then (the tables of each first revision), and eligibility's version table with its
    row; one row in two packages to prove none is lost."""
    old_version = Table(
        "eligibility_schema_version",
        MetaData(),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("applied_at", DateTime(timezone=True)),
    )
    # Each first revision is exactly that schema (today's models have more columns since).
    for history in migrate.histories():
        migrate.upgrade(engine, history, history.base())
    with engine.begin() as conn:
        for history in migrate.histories():
            conn.execute(text(f"DROP TABLE {history.version_table}"))
        old_version.create(conn, checkfirst=True)  # elig0001 has it (it is what elig0002 drops)
        conn.execute(insert(old_version).values(version=eligibility_version, applied_at=T0))
        conn.execute(
            text(
                "INSERT INTO eligibility_products (aircraft_sn, model, category, region, created_at) "
                "VALUES ('1581F5FJD2390007', 'DJI Mini 4 Pro', 'aircraft', 'EU', :t)"
            ),
            {"t": T0.replace(tzinfo=None)},
        )
        conn.execute(
            text(
                "INSERT INTO web_users (name, role, password_hash, active, created_at) "
                "VALUES ('ops', 'operator', 'x', :yes, :t)"
            ),
            {"t": T0.replace(tzinfo=None), "yes": True},
        )


def test_a_database_from_the_create_all_releases_is_stamped_and_upgraded(url, engine, tmp_path):
    _legacy_database(engine)
    result = vidverify("db", "upgrade", cwd=tmp_path, db=url)
    assert result.returncode == 0, result.stderr
    _at_head_without_drift(engine)
    assert "eligibility_schema_version" not in _tables(engine)  # elig0002 replaced it
    from eligibility.store import Store

    with Store(url) as store:
        product = store.get_product("1581F5FJD2390007")
        assert product is not None and product.model == "DJI Mini 4 Pro"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM web_users")).scalars().all() == ["ops"]


def test_opening_the_stores_upgrades_a_legacy_database_in_auto_mode(url, engine, monkeypatch):
    from eligibility.store import Store
    from web.tables import sessions
    from workers.db import get_database, reset_cache

    monkeypatch.delenv(migrate.MODE_ENV, raising=False)
    _legacy_database(engine)
    reset_cache()
    try:
        with Store(url) as store:
            assert {store.schema_version} == migrate.histories()[0].heads()
        get_database(url)
        sessions(url)
        _at_head_without_drift(engine)
    finally:
        reset_cache()


def test_an_old_version_number_never_released_is_refused(url, engine, tmp_path):
    _legacy_database(engine, eligibility_version=7)
    result = vidverify("db", "upgrade", cwd=tmp_path, db=url)
    assert result.returncode == 1
    assert "version 7, newer than this code" in result.stderr
    with engine.connect() as conn:  # nothing was stamped or dropped
        assert migrate.current(conn, migrate.histories()[0]) == set()
    assert "eligibility_schema_version" in _tables(engine)


def test_a_partial_schema_is_refused(engine):
    from workers.models import SubmissionRow

    with engine.begin() as conn:
        SubmissionRow.__table__.create(conn)
    workers_history = migrate.histories()[1]
    with pytest.raises(migrate.SchemaMismatch, match="not wk_outbox, wk_events"):
        migrate.upgrade(engine, workers_history)


def test_with_upgrades_off_a_process_refuses_a_database_behind_head(url, monkeypatch, tmp_path):
    from eligibility.errors import SchemaError
    from eligibility.store import Store
    from workers.db import Database

    monkeypatch.setenv(migrate.MODE_ENV, "off")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # the worker must stop before Redis
    with pytest.raises(migrate.SchemaMismatch, match="run `vidverify db upgrade`"):
        Database(url)
    with pytest.raises(SchemaError, match="vidverify db upgrade"):
        Store(url)
    worker = vidverify("worker", "--burst", cwd=tmp_path, db=url)
    assert worker.returncode == 1 and "vidverify db upgrade" in worker.stderr
    assert vidverify("db", "upgrade", cwd=tmp_path, db=url).returncode == 0
    Database(url).close()
    with Store(url) as store:
        assert store.get_product("none") is None


def test_a_bad_mode_is_a_clear_error(monkeypatch, engine):
    monkeypatch.setenv(migrate.MODE_ENV, "sometimes")
    with pytest.raises(migrate.SchemaMismatch, match="use one of auto, off"):
        migrate.ensure(engine, migrate.histories()[0])


def test_each_history_names_only_its_own_tables():
    """Eligibility's migrations never touch the workers' or web tables, and so on."""
    for history in migrate.histories():
        package = history.script_location.split(":")[0]
        prefix = {"eligibility": "eligibility_", "workers": "wk_", "web": "web_"}[package]
        for path in (ROOT / package / "migrations" / "versions").glob("*.py"):
            source = path.read_text()
            for other in {"eligibility_", "wk_", "web_"} - {prefix}:
                assert f"'{other}" not in source and f'"{other}' not in source, path
        assert all(t.startswith(prefix) for t in history.metadata().tables)
        assert all(t.startswith(prefix) for t in history.legacy_tables)
