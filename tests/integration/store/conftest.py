"""Fixtures for the SQL store's integration tests: freshly migrated SQLite and PostgreSQL
databases, one per test (these tests write, so they never share the session database)."""

from __future__ import annotations

import pytest

from sco_registry.db import migrate
from tests.pg import run_in_thread


@pytest.fixture
def migrated_sqlite_url(sqlite_url: str) -> str:
    run_in_thread(migrate(sqlite_url))
    return sqlite_url


@pytest.fixture
def migrated_pg_url(fresh_pg_database: str) -> str:
    run_in_thread(migrate(fresh_pg_database))
    return fresh_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest) -> str:
    """A migrated database on each backend (resolved outside the test's event loop)."""
    name = "migrated_sqlite_url" if request.param == "sqlite" else "migrated_pg_url"
    url: str = request.getfixturevalue(name)
    return url
