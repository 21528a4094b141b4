"""The `store` fixture: every EventStore implementation, each test on an empty log.

PostgreSQL: the schema is migrated once into a template database per session, and each test
gets a clone of it (CREATE DATABASE ... TEMPLATE), which is much faster than migrating anew.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from sco_registry.store.base import EventStore
from sco_registry.store.memory import InMemoryEventStore
from tests.pg import admin_execute, run_in_thread, with_database


@pytest.fixture(scope="session")
def pg_template_url(pg_database_url: str) -> str:
    from sco_registry.db import migrate

    run_in_thread(migrate(pg_database_url))
    return pg_database_url


@pytest.fixture
def pg_clone_url(pg_server_url: str, pg_template_url: str) -> Iterator[str]:
    template = pg_template_url.rsplit("/", 1)[1]
    name = f"sco_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield with_database(pg_server_url, name).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    from sco_registry.db import create_engine, migrate
    from sco_registry.store.sql import SqlEventStore

    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
        await migrate(url)
    else:
        url = request.getfixturevalue("pg_clone_url")
    sql_store = SqlEventStore(create_engine(url))
    try:
        yield sql_store
    finally:
        await sql_store.close()
