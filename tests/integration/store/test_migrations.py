"""The Alembic revisions build exactly the tables of store/schema.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from sco_registry.db import alembic_config, create_engine, migrate
from sco_registry.projections.base import metadata as read_models
from sco_registry.projections.runner import default_projections
from sco_registry.store.base import NewEvent, Source, StreamAppend
from sco_registry.store.chain import verify_events
from sco_registry.store.rows import canonical_text
from sco_registry.store.schema import metadata
from sco_registry.store.sql import SqlEventStore


def differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    default_projections()  # every projection's tables defined on `read_models`
    return list(compare_metadata(context, [metadata, read_models]))  # type: ignore[arg-type]


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


async def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:

            def run(sync_conn: Connection) -> None:
                config.attributes["connection"] = sync_conn
                (command.downgrade if down else command.upgrade)(config, revision)

            await conn.run_sync(run)
    finally:
        await engine.dispose()


# Keys that jsonb orders differently from canonical JSON (by length first: "b" before "aa"),
# numbers it prints differently (1e-07 as 0.0000001), nesting, empty containers.
OLD_DATA: list[dict[str, Any]] = [
    {"aa": 1, "b": {"ccc": [1.0, 0.1, 1e-7, 9999999999999998.0, 2**70], "dd": {}}, "e": []},
    {"zz": "é ☃", "y": None, "xxx": True, "w": -0},
]


async def test_events_recorded_under_jsonb_still_verify_after_0002(empty_url: str) -> None:
    """A log written at revision 0001 (jsonb on PostgreSQL) migrated to 0002 (json): the
    rows now hold jsonb's text form, not the canonical text that was hashed, and every
    event still reads back equal and verifies; the idempotency record still replays."""
    await migrate_to(empty_url, "0001")
    store = SqlEventStore(create_engine(empty_url))
    try:
        for i, data in enumerate(OLD_DATA):
            await store.append(
                f"s{i}", [NewEvent("Old", data, metadata=data, sources=[Source("t", "u")])]
            )
        first = await store.append_many(
            [StreamAppend("k", [NewEvent("Keyed", {"bb": 2, "a": 1})])], idempotency_key="key-1"
        )
    finally:
        await store.close()

    await migrate(empty_url)
    await check_migrated(empty_url)

    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                types = dict(
                    (
                        await conn.execute(
                            sa.text(
                                "SELECT table_name || '.' || column_name, data_type "
                                "FROM information_schema.columns WHERE data_type LIKE 'json%' "
                                "AND table_name IN ('events', 'idempotency_keys')"
                            )
                        )
                    ).all()
                )
                assert types == {
                    "events.data": "json",
                    "events.metadata": "json",
                    "events.sources": "json",
                    "idempotency_keys.stream_versions": "json",
                }
            stored = (
                await conn.scalars(sa.text("SELECT CAST(data AS TEXT) FROM events ORDER BY 1"))
            ).all()
    finally:
        await engine.dispose()
    canonical = sorted(canonical_text(d) for d in [*OLD_DATA, {"bb": 2, "a": 1}])
    if empty_url.startswith("postgresql"):
        assert sorted(stored) != canonical  # jsonb's text form, as the conversion left it
    else:
        assert sorted(stored) == canonical

    store = SqlEventStore(create_engine(empty_url))
    try:
        log = await store.read_all()
        assert [e.data for e in log[:2]] == OLD_DATA
        assert [e.metadata for e in log[:2]] == OLD_DATA
        assert verify_events(log).ok
        again = await store.append_many(
            [StreamAppend("k", [NewEvent("Keyed", {"bb": 2, "a": 1})])], idempotency_key="key-1"
        )
        assert again.replayed and again.stream_versions == first.stream_versions
        await store.append("new", [NewEvent("New", {"x": 1e100, "y": -0.0})])
        log = await store.read_all()
        assert len(log) == 4 and verify_events(log).ok
    finally:
        await store.close()


async def test_0002_downgrades_and_upgrades_again(empty_url: str) -> None:
    await migrate(empty_url)
    store = SqlEventStore(create_engine(empty_url))
    try:
        await store.append("s", [NewEvent("E", OLD_DATA[0], metadata=OLD_DATA[1])])
    finally:
        await store.close()
    await migrate_to(empty_url, "0001", down=True)
    await migrate(empty_url)
    await check_migrated(empty_url)
    store = SqlEventStore(create_engine(empty_url))
    try:
        assert verify_events(await store.read_all()).ok
    finally:
        await store.close()
