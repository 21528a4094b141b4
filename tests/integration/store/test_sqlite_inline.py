"""Small SQLite units of work run on the event loop's thread when SQLite serves them at once
(store/execution.py): with the write lock held elsewhere an append waits in the writer
thread instead, the loop stays free meanwhile, and a task appending in a loop still lets
other tasks run."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
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
    # The store's first commit goes to the writer thread (it may start a new WAL file),
    # and so lets other tasks run whatever the yield does: made before the task starts.
    await store.append("first", [NewEvent("E", {})])
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


# -- checkpoints: off the loop's thread, and the WAL stays bounded ----------------------------

WAL_APPENDS = 1500


async def _wal_after_inline_appends(url: str, store: SqlEventStore) -> tuple[int, int]:
    """(the largest the WAL file got, in bytes; appends made inline) for WAL_APPENDS
    one-event appends to new streams, each of which fits inline."""
    wal = url.split("///", 1)[1] + "-wal"

    def wal_size() -> int:
        return os.stat(wal).st_size  # blocking, but one stat of a local file

    inline = 0
    real = runner(store)._write_inline

    def counting(work: object) -> object:
        nonlocal inline
        result = real(work)  # type: ignore[arg-type]
        inline += 1
        return result

    runner(store)._write_inline = counting  # type: ignore[method-assign]
    largest = 0
    for i in range(WAL_APPENDS):
        await store.append(f"s{i}", [NewEvent("E", {"i": i})], StreamState.NO_STREAM)
        if i % 50 == 0:
            largest = max(largest, wal_size())
    largest = max(largest, wal_size())
    assert await store.head_position() == WAL_APPENDS
    assert verify_events(await store.read_all()).ok
    return largest, inline


# Bytes the WAL may reach with a checkpoint every 50 inline commits: a one-event append to a
# new stream here writes a handful of 4 KiB pages (its table's and indexes' leaves), so 50
# of them about 1 MB; well below what WAL_APPENDS of them write with no checkpoint.
WAL_BOUND = 4 * 1024 * 1024


async def test_inline_appends_keep_the_wal_bounded_with_checkpoints_off_the_loop(
    migrated_sqlite_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    r = runner(store)
    r.CHECKPOINT_COMMITS = 50
    try:
        largest, inline = await _wal_after_inline_appends(migrated_sqlite_url, store)
        assert largest < WAL_BOUND, largest
        assert len(r.checkpoints) >= WAL_APPENDS // 50 // 2
        # No append ran while a checkpoint did, so each copied the whole WAL.
        assert all(busy == 0 and frames == copied for busy, frames, copied in r.checkpoints)
        # The commit after each checkpoint (which may restart the WAL and sync its header)
        # was made by the writer thread; all others inline.
        assert WAL_APPENDS - 2 * len(r.checkpoints) - 2 <= inline < WAL_APPENDS
    finally:
        await store.close()


async def test_negative_control_without_checkpoints_the_wal_grows(
    migrated_sqlite_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    r = runner(store)
    r.CHECKPOINT_COMMITS = r.CHECKPOINT_CHANGES = 10**9
    try:
        largest, _inline = await _wal_after_inline_appends(migrated_sqlite_url, store)
        assert largest > WAL_BOUND, largest
        assert r.checkpoints == []
    finally:
        await store.close()


async def test_after_a_checkpoint_the_next_append_commits_in_the_writer_thread(
    migrated_sqlite_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    r = runner(store)
    threads: list[int] = []
    real = r._write

    def recording(work: object, state: object) -> object:
        threads.append(threading.get_ident())
        return real(work, state)  # type: ignore[arg-type]

    r._write = recording  # type: ignore[method-assign]
    r.CHECKPOINT_COMMITS = 3
    try:
        await store.append("s", [NewEvent("E", {})])  # the first: a new WAL, the writer's
        assert len(threads) == 1
        for version in range(1, 4):  # inline; the third starts a checkpoint's first pass
            await store.append("s", [NewEvent("E", {})], version)
        assert len(threads) == 1
        assert r._first_pass is not None
        await asyncio.wrap_future(r._first_pass)
        assert len(r.first_passes) == 1
        # The first pass has ended: this append hands the second to the writer thread and
        # goes there behind it (its commit may restart the WAL).
        await store.append("s", [NewEvent("E", {})], 4)
        assert len(threads) == 2 and threads[1] != threading.get_ident()
        assert len(r.checkpoints) == 1
        await store.append("s", [NewEvent("E", {})], 5)  # inline again
        assert len(threads) == 2
        assert verify_events(await store.read_all()).ok
    finally:
        await store.close()


async def _appends_inline_during_a_first_pass(store: SqlEventStore, wait: float) -> int:
    """How many of 5 appends were made inline while a checkpoint's first pass was held in
    its thread (held until they are done, or `wait` seconds if they are held back too)."""
    r = runner(store)
    await store.append("s", [NewEvent("E", {})])  # the first: a new WAL, the writer's
    release = threading.Event()
    real = r._checkpoint_beside_appends

    def held() -> None:
        release.wait(30)
        real()

    r._checkpoint_beside_appends = held  # type: ignore[method-assign]
    inline = 0
    real_inline = r._write_inline

    def counting(work: object) -> object:
        nonlocal inline
        result = real_inline(work)  # type: ignore[arg-type]
        inline += 1
        return result

    r.CHECKPOINT_COMMITS = 1
    await store.append("s", [NewEvent("E", {})], 1)  # inline; starts the checkpoint
    r.CHECKPOINT_COMMITS = 10**9  # no other one
    r._write_inline = counting  # type: ignore[method-assign]

    async def appends() -> None:
        for version in range(2, 7):
            await store.append("s", [NewEvent("E", {})], version)

    task = asyncio.create_task(appends())
    try:
        await asyncio.wait({task}, timeout=wait)
        made_while_held = inline
    finally:
        release.set()
    await task
    assert verify_events(await store.read_all()).ok
    return made_while_held


async def test_appends_go_on_inline_while_a_checkpoint_copies_the_wal(
    migrated_sqlite_url: str,
) -> None:
    """A checkpoint's long pass (copying the WAL) no longer holds appends back: they go on
    inline beside it; only its short second pass, in the writer thread, does."""
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    try:
        assert await _appends_inline_during_a_first_pass(store, wait=30) == 5
    finally:
        await store.close()


async def test_negative_control_a_checkpoint_in_one_pass_holds_appends_back(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The former way, the whole checkpoint in the writer thread at once: an append made
    while it runs waits behind it in the writer thread (none is made inline meanwhile)."""
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    r = runner(store)

    def whole() -> None:
        r._checkpoint_beside_appends()
        r._checkpoint_in_writer()

    def one_pass() -> None:
        r._inline_commits = r._inline_changes = 0
        r._checkpointing = r._writer.submit(whole)

    monkeypatch.setattr(r, "_checkpoint", one_pass)
    try:
        assert await _appends_inline_during_a_first_pass(store, wait=1) == 0
    finally:
        await store.close()
