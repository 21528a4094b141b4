"""A cancelled append (a request that timed out) writes nothing and releases the append
lock, so the next append goes through."""

from __future__ import annotations

import asyncio

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.sql import SqlEventStore


async def test_cancelled_append_writes_nothing_and_frees_the_lock(migrated_url: str) -> None:
    held = SqlEventStore(create_engine(migrated_url))
    other = SqlEventStore(create_engine(migrated_url))
    try:
        inside = asyncio.Event()

        async def hang() -> None:
            inside.set()
            await asyncio.sleep(3600)

        held._before_commit = hang
        task = asyncio.create_task(held.append("s", [NewEvent("Lost", {})]))
        await asyncio.wait_for(inside.wait(), 10)
        waiting = asyncio.create_task(other.append("s", [NewEvent("Kept", {})]))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # queued behind the held append's lock
        task.cancel()
        result = await asyncio.wait_for(waiting, 20)
        assert (result.first_position, result.last_position) == (1, 1)
        assert [e.type for e in await other.read_all()] == ["Kept"]
        held._before_commit = None
        assert (await held.append("s", [NewEvent("After", {})])).last_position == 2
    finally:
        await held.close()
        await other.close()
