"""Shared fixtures: the PostgreSQL server under test and fresh databases on it.

The server comes from one variable, SCO_REGISTRY_TEST_PG_URL (for example
`postgresql://postgres@127.0.0.1:5432/test`). A fresh database is created per test session
and dropped at its end. Under CI (CI=true) an unset variable or an unreachable server is an
error; elsewhere the PostgreSQL tests are left out, and one line at the end says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PG_ENV, admin_execute, run_in_thread, with_database


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when the server answers."""
    url = os.environ.get(PG_ENV)
    if not url:
        return f"{PG_ENV} is not set"
    try:
        run_in_thread(admin_execute(url, "SELECT 1"))
    except Exception as e:  # any connection failure means no server here
        return f"no server at {url} ({e.__class__.__name__}: {e})"
    return None


_PG_STASH = pytest.StashKey[tuple[str, int]]()


def _needs_pg(item: pytest.Item) -> bool:
    return "postgres" in item.keywords or "pg_server_url" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The `slow` tests first (a stable sort: the rest keep their order), so that under
    pytest-xdist they start at once on the workers instead of lengthening the run's tail;
    then, outside CI, with no server, leave the PostgreSQL tests out and say so once."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if _in_ci() or not any(_needs_pg(i) for i in items):
        return
    reason = _pg_unavailable()
    if reason is None:
        return
    left_out = [i for i in items if _needs_pg(i)]
    items[:] = [i for i in items if not _needs_pg(i)]
    config.hook.pytest_deselected(items=left_out)
    config.stash[_PG_STASH] = (reason, len(left_out))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    if _PG_STASH in config.stash:
        reason, count = config.stash[_PG_STASH]
        terminalreporter.write_line(f"PostgreSQL tests skipped ({count}): {reason}")
    elif getattr(config.option, "numprocesses", None) and not _in_ci():
        # Under pytest-xdist the workers collect (and leave the tests out); the controller,
        # which prints this summary, asks the server itself to say the same line once.
        reason = _pg_unavailable()
        if reason is not None:
            terminalreporter.write_line(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get(PG_ENV, "")
    reason = _pg_unavailable()
    if reason is not None:
        if _in_ci():
            pytest.fail(f"PostgreSQL tests must run in CI, but: {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
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
