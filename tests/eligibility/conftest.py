"""Fixtures for the eligibility core: pure product records, and stores on SQLite and PostgreSQL.

PostgreSQL tests use the development server (``ELIGIBILITY_TEST_PG_URL``, default
127.0.0.1:5432 database ``test``). Each test gets its own schema, selected through the
``search_path`` connection option, and dropped afterwards, so tests never see each other's
rows. A server that is down makes these tests fail, on purpose: they are not skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eligibility.store import Store
from tests.support.pg_schema import fresh_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema, dropped after the test."""
    with fresh_schema("elig_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A URL to a SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'eligibility.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def store(db_url) -> Iterator[Store]:
    s = Store(db_url)
    try:
        yield s
    finally:
        s.close()
