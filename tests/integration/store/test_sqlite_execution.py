"""SQLite: the store runs each unit of work on a synchronous twin of the aiosqlite engine, in
one hop to its own threads. The twin must be set up like the engine it derives from, and a
held write must not hold up reads."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from sco_registry.db import create_engine, sqlite_sync_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.schema import metadata
from sco_registry.store.sql import SqlEventStore


async def test_the_sync_twin_is_set_up_like_its_engine(migrated_sqlite_url: str) -> None:
    engine = create_engine(migrated_sqlite_url, sqlite_busy_timeout_ms=1234)
    twin = sqlite_sync_engine(engine)
    impatient = sqlite_sync_engine(create_engine(migrated_sqlite_url, sqlite_busy_timeout_ms=0))
    try:
        with twin.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            }
        assert pragmas == {
            "journal_mode": "wal",
            "busy_timeout": 1234,
            "synchronous": 1,  # NORMAL
            "foreign_keys": 1,
        }
        # Write transactions take the lock at BEGIN (IMMEDIATE), and a refusal is
        # SQLAlchemy's OperationalError, as on the async engine.
        async with engine.begin() as held:
            await held.exec_driver_sql("SELECT 1")
            with (
                pytest.raises(OperationalError, match="database is locked"),
                impatient.begin() as blocked,
            ):
                blocked.exec_driver_sql("SELECT 1")
    finally:
        twin.dispose()
        impatient.dispose()
        await engine.dispose()


async def test_reads_do_not_wait_for_a_held_write(migrated_sqlite_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        await store.append("s", [NewEvent("First", {})])
        inside, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            inside.set()
            await release.wait()

        store._before_commit = hold
        held = asyncio.create_task(store.append("s", [NewEvent("Held", {})]))
        await asyncio.wait_for(inside.wait(), 10)
        # The writer thread is inside the held append; reads run on their own threads.
        assert [e.type for e in await asyncio.wait_for(store.read_all(), 5)] == ["First"]
        assert await asyncio.wait_for(store.stream_version("s"), 5) == 1
        release.set()
        assert (await held).last_position == 2
        store._before_commit = None
        assert [e.type for e in await store.read_all()] == ["First", "Held"]
    finally:
        await store.close()


async def test_an_in_memory_database_stays_on_its_own_engine() -> None:
    # A second (sync) engine would open a second, empty database: the store must not.
    engine = create_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    store = SqlEventStore(engine)
    try:
        await store.append("s", [NewEvent("One", {})])
        await store.append("s", [NewEvent("Two", {})], 1)
        assert [e.type for e in await store.read_all()] == ["One", "Two"]
        assert await store.stream_version("s") == 2
    finally:
        await store.close()


async def test_projection_writes_run_with_secure_delete_fast_and_restore_it(
    migrated_sqlite_url: str,
) -> None:
    """A projection unit (rebuild pages, swap, dropping scratch tables) runs with
    `secure_delete` FAST; the connection's own setting (appends) is back after it, also
    when the unit fails."""
    store = SqlEventStore(create_engine(migrated_sqlite_url))

    def secure_delete(conn: Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)

    def set_on(conn: Connection, head: int) -> int:
        conn.exec_driver_sql("PRAGMA secure_delete = 1")  # as SECURE_DELETE builds have it
        return 0

    def inside(conn: Connection, head: int) -> int:
        return secure_delete(conn)

    def failing(conn: Connection, head: int) -> int:
        raise RuntimeError("boom")

    try:
        # Set "on" on the writer's connection outside a projection unit (a plain unit of
        # the store's runner, as appends use it: the same writer thread and connection).
        await store._runner.write(lambda conn, hook: set_on(conn, 0), None)
        assert await store.run_projection_write(inside) == 2  # FAST
        with pytest.raises(RuntimeError):
            await store.run_projection_write(failing)
        assert await store._runner.write(lambda conn, hook: secure_delete(conn), None) == 1
    finally:
        await store.close()
