"""Small SQLite units of work run on the event loop's thread when SQLite serves them at once
(store/execution.py): with the write lock held elsewhere an append waits in the writer
thread instead, the loop stays free meanwhile, and a task appending in a loop still lets
other tasks run."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from sco_registry.db import create_engine
from sco_registry.store import execution
from sco_registry.store.base import NewEvent, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.execution import SqliteRunner
from sco_registry.store.sql import INLINE_EVENTS, SqlEventStore


def runner(store: SqlEventStore) -> SqliteRunner:
    assert isinstance(store._runner, SqliteRunner)
    return store._runner


async def test_small_appends_and_reads_run_inline(migrated_sqlite_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        loop_thread_units = 0
        real = runner(store)._write_inline

        def counting(work: object) -> object:
            nonlocal loop_thread_units
            loop_thread_units += 1
            return real(work)  # type: ignore[arg-type]

        runner(store)._write_inline = counting  # type: ignore[method-assign]
        await store.append("s", [NewEvent("A", {})], StreamState.NO_STREAM)
        await store.append("s", [NewEvent("B", {}) for _ in range(INLINE_EVENTS + 1)], 1)
        assert loop_thread_units == 1  # the large batch went to the writer thread
        assert await store.stream_version("s") == INLINE_EVENTS + 2
        log = await store.read_all()
        assert [e.position for e in log] == list(range(1, INLINE_EVENTS + 3))
        assert verify_events(log).ok
        assert 0 < runner(store).longest_inline < 1.0
    finally:
        await store.close()


async def test_a_held_write_lock_sends_the_append_to_the_writer_thread(
    migrated_sqlite_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    other = sqlite3.connect(migrated_sqlite_url.split("///", 1)[1], isolation_level=None)
    try:
        await store.append("s", [NewEvent("First", {})])
        other.execute("BEGIN IMMEDIATE")  # another connection holds SQLite's write lock
        appending = asyncio.create_task(store.append("s", [NewEvent("Second", {})], 1))
        ticks = 0
        started = time.perf_counter()
        while time.perf_counter() - started < 0.3:  # the loop keeps running meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks >= 10
        assert not appending.done()  # waiting for the lock, in the writer thread
        other.execute("ROLLBACK")
        result = await asyncio.wait_for(appending, 10)
        assert (result.first_position, result.stream_versions) == (2, {"s": 2})
        assert verify_events(await store.read_all()).ok
    finally:
        other.close()
        await store.close()


async def test_a_task_appending_in_a_loop_lets_other_tasks_run(
    migrated_sqlite_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        assert await _other_task_ran_while_appending(store)
    finally:
        await store.close()


async def test_negative_control_without_the_yield_the_other_task_starves(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_yield() -> None:
        return None

    monkeypatch.setattr(execution, "_yield", no_yield)
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        assert not await _other_task_ran_while_appending(store)
    finally:
        await store.close()


async def _other_task_ran_while_appending(store: SqlEventStore) -> bool:
    """Whether a task started before 50 inline appends ran before they ended."""
    ran = asyncio.Event()

    async def other() -> None:
        ran.set()

    task = asyncio.create_task(other())
    seen = False
    for i in range(50):
        await store.append("loop", [NewEvent("E", {"i": i})])
        seen = seen or ran.is_set()
    await task
    return seen
