"""Shared fixtures: the PostgreSQL server under test and fresh databases on it.

The server comes from one variable, SCO_REGISTRY_TEST_PG_URL (for example
`postgresql://postgres@127.0.0.1:5432/test`). A fresh database is created per test session
and dropped at its end. Under CI (CI=true) an unset variable or an unreachable server is an
error; elsewhere the PostgreSQL tests skip with one line that says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PG_ENV, admin_execute, run_in_thread, with_database


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get(PG_ENV)
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if not url:
        if in_ci:
            pytest.fail(f"{PG_ENV} is not set: PostgreSQL tests must run in CI")
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set")
    try:
        run_in_thread(admin_execute(url, "SELECT 1"))
    except Exception as e:  # any connection failure means no server here
        if in_ci:
            pytest.fail(f"PostgreSQL at {url} is not reachable in CI: {e}")
        pytest.skip(f"PostgreSQL tests skipped: no server at {url} ({e.__class__.__name__})")
    return url


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database for this test session (asyncpg SQLAlchemy URL)."""
    name = f"sco_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(pg_server_url, name).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture
def fresh_pg_database(pg_server_url: str) -> Iterator[str]:
    """A fresh database for one test (for tests that need an empty schema)."""
    name = f"sco_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(pg_server_url, name).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
