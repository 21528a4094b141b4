"""PostgreSQL reads in a row share one connection kept out of the pool (store/execution.py),
which goes back to the pool as soon as reads pause; a failed read drops it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.execution import AsyncRunner
from sco_registry.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres


def checked_out(store: SqlEventStore) -> int:
    pool: Any = store._engine.pool
    return int(pool.checkedout())


async def test_reads_in_a_row_share_one_connection_returned_when_they_pause(
    migrated_pg_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url))
    runner = store._runner
    assert isinstance(runner, AsyncRunner)
    try:
        await store.append("s", [NewEvent("A", {})])
        await asyncio.sleep(0)
        seen = set()
        for _ in range(5):
            assert await store.stream_version("s") == 1
            assert runner._kept is not None
            seen.add(id(runner._kept))
        assert len(seen) == 1  # one kept connection for the whole row of reads
        await asyncio.sleep(0.05)  # reads pause: the connection goes back to the pool
        assert runner._kept is None
        assert checked_out(store) == 0
        # Two reads at once: one on the kept connection, the other on a pooled one.
        versions = await asyncio.gather(store.stream_version("s"), store.stream_version("s"))
        assert versions == [1, 1]
    finally:
        await store.close()
    assert checked_out(store) == 0


async def test_a_failed_read_drops_the_kept_connection(migrated_pg_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url))
    runner = store._runner
    assert isinstance(runner, AsyncRunner)
    try:
        assert await store.head_position() == 0

        def failing(conn: Any) -> None:
            conn.exec_driver_sql("SELECT 1/0")

        kept = runner._kept
        assert kept is not None
        with pytest.raises(DBAPIError):
            await runner.read(failing)
        assert runner._kept is None
        await store.append("s", [NewEvent("A", {})])
        assert await store.head_position() == 1  # a new connection serves the next read
        assert runner._kept is not None and runner._kept is not kept
    finally:
        await store.close()


async def test_iter_all_reads_its_pages_on_the_kept_connection(migrated_pg_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url))
    runner = store._runner
    assert isinstance(runner, AsyncRunner)
    try:
        for i in range(5):
            await store.append("s", [NewEvent("A", {"i": i, "j": j}) for j in range(40)])
        seen = set()
        count = 0
        async for _event in store.iter_all(batch_size=50):
            count += 1
            await asyncio.sleep(0)  # turns of the loop between events, and between pages
            if runner._kept is not None:
                seen.add(id(runner._kept))
        assert count == 200
        assert len(seen) == 1  # every page (read one ahead) on the one kept connection
        await asyncio.sleep(0.05)  # the iteration is over: back to the pool
        assert runner._kept is None and checked_out(store) == 0
        # Stopped early, with a page being read ahead: nothing stays checked out.
        it = store.iter_all(batch_size=50)
        assert (await anext(it)).position == 1
        await it.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
        assert runner._kept is None and checked_out(store) == 0
        assert await store.head_position() == 200
    finally:
        await store.close()
    assert checked_out(store) == 0


async def test_concurrent_readers_and_refused_appends_keep_their_connections(
    migrated_pg_url: str,
) -> None:
    from sqlalchemy import event

    from sco_registry.store.errors import WrongExpectedVersion

    store = SqlEventStore(create_engine(migrated_pg_url))
    runner = store._runner
    assert isinstance(runner, AsyncRunner)
    checkouts = 0

    def count(*_args: Any) -> None:
        nonlocal checkouts
        checkouts += 1

    event.listen(store._engine.sync_engine, "checkout", count)
    try:
        await store.append("s", [NewEvent("A", {})])
        conflicts = 0

        async def writer() -> None:
            nonlocal conflicts
            for _ in range(25):
                version = await store.stream_version("s")
                try:
                    await store.append("s", [NewEvent("B", {})], version)
                except WrongExpectedVersion:
                    conflicts += 1

        before = checkouts
        await asyncio.gather(*(writer() for _ in range(4)))
        assert conflicts > 0  # refusals happened, and did not cost a connection
        # Four tasks reading and appending at once: the kept connection and three spares,
        # each taken from the pool once (without spares: one checkout per read).
        assert checkouts - before <= 1 + runner.MAX_SPARES
        assert await store.head_position() == 101 - conflicts
        await asyncio.sleep(0.05)  # reads pause: every one of them back to the pool
        assert runner._kept is None and not runner._spares and checked_out(store) == 0
        # A refused append does not drop the kept connection.
        assert await store.stream_version("s") == 101 - conflicts
        kept = runner._kept
        with pytest.raises(WrongExpectedVersion):
            await store.append("s", [NewEvent("C", {})], 3)
        assert runner._kept is kept is not None
    finally:
        await store.close()
    assert checked_out(store) == 0
