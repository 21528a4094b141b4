"""Concurrent writers on one SQLite file, on separate connections and in separate processes:
BEGIN IMMEDIATE plus the busy timeout queue them, so none sees "database is locked"."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections import defaultdict

import pytest
from sqlalchemy.exc import OperationalError

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent, RecordedEvent, StreamAppend, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.sql import SqlEventStore


def ev(writer: int, n: int) -> NewEvent:
    return NewEvent(type="Written", data={"writer": writer, "n": n})


def check_log(log: list[RecordedEvent], expected_events: int) -> None:
    assert len(log) == expected_events
    assert [e.position for e in log] == list(range(1, expected_events + 1))
    assert len({e.event_id for e in log}) == expected_events
    versions: dict[str, list[int]] = defaultdict(list)
    for e in log:
        versions[e.stream_id].append(e.stream_version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), stream
    assert verify_events(log).ok


async def test_concurrent_writers_on_separate_connections(migrated_sqlite_url: str) -> None:
    writers, batches = 4, 150
    stores = [SqlEventStore(create_engine(migrated_sqlite_url)) for _ in range(writers)]

    async def write(w: int) -> None:
        for i in range(batches):
            # A shared stream with an exact expected version: a conflict must be re-read,
            # never a "locked" error; and a multi-stream batch on private streams.
            while True:
                version = await stores[w].stream_version("shared")
                try:
                    await stores[w].append_many(
                        [
                            StreamAppend("shared", [ev(w, i)], version),
                            StreamAppend(f"own-{w}", [ev(w, i), ev(w, i)], StreamState.ANY),
                        ]
                    )
                    break
                except Exception as e:
                    assert getattr(e, "code", None) == "store.wrong_expected_version", e

    try:
        await asyncio.gather(*(write(w) for w in range(writers)))
        log = await stores[0].read_all()
    finally:
        for store in stores:
            await store.close()
    check_log(log, writers * batches * 3)
    assert sum(e.stream_id == "shared" for e in log) == writers * batches


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from sco_registry.db import create_engine
    from sco_registry.store.base import NewEvent
    from sco_registry.store.sql import SqlEventStore

    async def main(url, writer, batches):
        store = SqlEventStore(create_engine(url))
        try:
            for i in range(batches):
                await store.append(
                    f"proc-{writer}",
                    [NewEvent("Written", {"writer": writer, "n": i}) for _ in range(2)],
                )
        finally:
            await store.close()

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    """
)


@pytest.mark.slow
async def test_two_processes_writing_the_same_file(migrated_sqlite_url: str) -> None:
    batches = 200
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            migrated_sqlite_url,
            str(w),
            str(batches),
            stderr=asyncio.subprocess.PIPE,
        )
        for w in range(2)
    ]
    finishing = [asyncio.create_task(child.communicate()) for child in children]
    # And this process writes until both children are done, so the three really overlap.
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    written = 0
    try:
        while not all(f.done() for f in finishing):
            await store.append("parent", [ev(9, written)])
            written += 1
        for child, (_, stderr) in zip(children, [f.result() for f in finishing], strict=True):
            assert child.returncode == 0, stderr.decode()
            assert b"database is locked" not in stderr
        log = await store.read_all()
    finally:
        await store.close()
    assert written > batches / 10
    check_log(log, 2 * batches * 2 + written)


async def test_connections_are_set_up_for_concurrent_writers(migrated_sqlite_url: str) -> None:
    engine = create_engine(migrated_sqlite_url, sqlite_busy_timeout_ms=1234)
    other = create_engine(migrated_sqlite_url, sqlite_busy_timeout_ms=0)
    try:
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            }
        assert pragmas == {
            "journal_mode": "wal",
            "busy_timeout": 1234,
            "synchronous": 1,  # NORMAL
            "foreign_keys": 1,
        }
        # A transaction holds the write lock from its BEGIN, before it writes anything:
        # BEGIN IMMEDIATE, not the driver's deferred BEGIN before the first INSERT.
        async with engine.begin() as conn:
            await conn.exec_driver_sql("SELECT count(*) FROM events")
            with pytest.raises(OperationalError, match="database is locked"):
                async with other.begin() as blocked:
                    await blocked.exec_driver_sql("SELECT 1")
        # Reads take no write lock (no BEGIN at all): they run beside an open writer.
        store = SqlEventStore(other)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("SELECT 1")
            assert await store.head_position() == 0
    finally:
        await engine.dispose()
        await other.dispose()
