"""wait_for_events: woken by an append through another engine, times out otherwise."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.sql import SqlEventStore


def ev() -> NewEvent:
    return NewEvent(type="Happened", data={})


async def test_woken_by_an_append_from_another_engine(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Polls so rare that only the signal can wake the waiter in time: LISTEN/NOTIFY on
    # PostgreSQL, on SQLite the in-process signal shared by engines on the same file.
    monkeypatch.setattr(SqlEventStore, "poll_seconds", (60.0, 60.0))
    monkeypatch.setattr(SqlEventStore, "listening_poll_seconds", (60.0, 60.0))
    waiter = SqlEventStore(create_engine(migrated_url))
    writer = SqlEventStore(create_engine(migrated_url))
    try:
        await writer.append("s", [ev()])
        waiting = asyncio.create_task(waiter.wait_for_events(1, timeout=20))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        started = time.monotonic()
        await writer.append("s", [ev()])
        assert await waiting is True
        assert time.monotonic() - started < 1
    finally:
        await waiter.close()
        await writer.close()


async def test_times_out_without_appends(migrated_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        await store.append("s", [ev()])
        started = time.monotonic()
        assert await store.wait_for_events(1, timeout=0.4) is False
        assert 0.35 < time.monotonic() - started < 3
    finally:
        await store.close()


async def test_returns_at_once_when_events_are_already_there(migrated_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        await store.append("s", [ev(), ev()])
        started = time.monotonic()
        assert await store.wait_for_events(1, timeout=10) is True
        assert await store.wait_for_events(0, timeout=10) is True
        assert time.monotonic() - started < 1
    finally:
        await store.close()


async def test_an_append_below_the_waiters_position_does_not_wake_it(
    migrated_url: str,
) -> None:
    # A waiter at position 5 of a log of 2 is not woken by the third event.
    store = SqlEventStore(create_engine(migrated_url))
    try:
        await store.append("s", [ev(), ev()])
        waiting = asyncio.create_task(store.wait_for_events(5, timeout=0.6))
        await asyncio.sleep(0.1)
        await store.append("s", [ev()])
        assert await waiting is False
    finally:
        await store.close()


async def test_woken_by_another_process_on_sqlite(migrated_sqlite_url: str) -> None:
    """No shared memory with the writer: the poll finds the append."""
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        waiting = asyncio.create_task(store.wait_for_events(0, timeout=20))
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import asyncio, sys\n"
            "from sco_registry.db import create_engine\n"
            "from sco_registry.store.base import NewEvent\n"
            "from sco_registry.store.sql import SqlEventStore\n"
            "async def main():\n"
            "    s = SqlEventStore(create_engine(sys.argv[1]))\n"
            "    await s.append('s', [NewEvent('Happened', {})])\n"
            "    await s.close()\n"
            "asyncio.run(main())\n",
            migrated_sqlite_url,
        )
        assert await child.wait() == 0
        started = time.monotonic()
        assert await waiting is True
        assert time.monotonic() - started < 1.5
    finally:
        await store.close()
