"""The Alembic revisions build exactly the tables of store/schema.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from sco_registry.db import alembic_config, create_engine, migrate
from sco_registry.store.schema import metadata


def differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def check_migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert version == head
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "fresh_pg_database"
    )
    return url


async def test_migrations_match_the_schema(empty_url: str) -> None:
    await migrate(empty_url)
    await check_migrated(empty_url)


async def test_migrating_again_changes_nothing(empty_url: str) -> None:
    await migrate(empty_url)
    await migrate(empty_url)
    await check_migrated(empty_url)


async def test_migrate_works_from_another_directory(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert not (Path(os.getcwd()) / "migrations").exists()
    await migrate(sqlite_url)
    await check_migrated(sqlite_url)


async def test_migrate_runs_inside_a_running_event_loop(sqlite_url: str) -> None:
    # This test itself runs in the loop; migrate must not call asyncio.run.
    assert asyncio.get_running_loop().is_running()
    await migrate(sqlite_url)
    await check_migrated(sqlite_url)


async def test_a_drifted_schema_is_noticed(sqlite_url: str) -> None:
    """The comparison can fail: a column the revisions do not have is reported."""
    await migrate(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ALTER TABLE events ADD COLUMN extra TEXT")
        async with engine.connect() as conn:
            found = await conn.run_sync(differences)
        assert any(d[0] == "remove_column" and d[3].name == "extra" for d in found), found
    finally:
        await engine.dispose()
