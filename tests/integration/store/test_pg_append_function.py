"""PostgreSQL: the append function of revision 0007 (`sco_append_events`), one round trip per
append. Its hashes are the chain's own (the client-side append and `verify` agree, byte for
byte); it reads the head only after the append lock is granted (a single statement that
took the lock and read the head would see a stale head: the negative control); a database
without it (below 0007) still appends, as statements from the client; it refuses to run
outside READ COMMITTED."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from sco_registry.db import create_engine, migrate
from sco_registry.domain.time import PartialDate
from sco_registry.store import rows as store_rows
from sco_registry.store.base import NewEvent, Source, StreamAppend, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import IdempotencyConflict, StoreError, WrongExpectedVersion
from sco_registry.store.sql import APPEND_LOCK_KEY, SqlEventStore
from tests.integration.store.test_migrations import migrate_to

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return T0


def events(n: int, tag: str) -> list[NewEvent]:
    """Events with every field in use, and JSON the canonical form must get right."""
    return [
        NewEvent(
            type=f"Type{i % 3}",
            data={"é ☃": [i, True, None, '\u0000\n"\\'], "b": {"z": 1, "a": [{}]}, "n": -i},
            valid_time=PartialDate.parse(["2001", "2001-06", "2001-06-15"][i % 3]),
            schema_version=1 + i % 2,
            metadata={"tag": tag, "k": 2**62} if i % 2 else {},
            sources=[Source("Charter, Art. 1", "https://example.org/ü")] if i % 2 == 0 else [],
            actor=None if i % 3 == 0 else "reviewer ü",
            correlation_id=None if i % 2 else uuid.UUID(int=i + 1),
            causation_id=uuid.UUID(int=i + 7) if i % 3 == 1 else None,
            event_id=uuid.UUID(int=(hash(tag) % 10**6) * 1000 + i),
        )
        for i in range(n)
    ]


async def write_history(store: SqlEventStore) -> None:
    await store.append("a", events(1, "a1"), StreamState.NO_STREAM)
    await store.append_many(
        [
            StreamAppend("a", events(3, "a2"), 1),
            StreamAppend("b ☃", events(2, "b"), StreamState.NO_STREAM),
            StreamAppend("c", [], StreamState.NO_STREAM),  # a read check, no events
        ],
        idempotency_key="k1",
    )
    await store.append("b ☃", events(5, "b2"), StreamState.STREAM_EXISTS)


async def test_server_hashes_are_the_client_chain(migrated_pg_url: str) -> None:
    """The same appends through the function and through the client-side statements (same
    ids, same clock) give the same rows and hashes, and `verify` accepts them."""
    store = SqlEventStore(create_engine(migrated_pg_url), clock=clock)
    try:
        await write_history(store)
        assert store._server_append is True
        by_function = await store.read_all()
    finally:
        await store.close()
    assert verify_events(by_function).ok
    assert len(by_function) == 11

    engine = create_engine(migrated_pg_url)
    try:
        async with engine.begin() as conn:  # the same database, emptied (test-only)
            await conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
            await conn.execute(sa.text("DELETE FROM events"))
            await conn.execute(sa.text("DELETE FROM idempotency_keys"))
            await conn.execute(sa.text("ALTER TABLE events ENABLE TRIGGER USER"))
    finally:
        await engine.dispose()
    store = SqlEventStore(create_engine(migrated_pg_url), clock=clock)
    store._server_append = False
    try:
        await write_history(store)
        by_statements = await store.read_all()
    finally:
        await store.close()
    assert by_statements == by_function


async def test_control_a_wrong_envelope_piece_breaks_the_chain(
    migrated_pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above can fail: the server hashes what the client sends it, so a
    piece of the envelope that differs from the canonical form gives hashes `verify`
    refuses."""
    real = store_rows.encode_parts

    def off_by_one_space(*args: object, **kwargs: object) -> store_rows.EventParts:
        parts = real(*args, **kwargs)  # type: ignore[arg-type]
        return parts._replace(envelope_c=parts.envelope_c.replace(":", ": ", 1))

    monkeypatch.setattr("sco_registry.store.sql.encode_parts", off_by_one_space)
    store = SqlEventStore(create_engine(migrated_pg_url), clock=clock)
    try:
        await write_history(store)
        log = await store.read_all()
    finally:
        await store.close()
    report = verify_events(log)
    assert not report.ok and report.broken_at == 1


async def test_the_function_refuses_what_the_client_side_refuses(migrated_pg_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url), clock=clock)
    try:
        await store.append("s", events(2, "s"))
        with pytest.raises(WrongExpectedVersion) as conflict:
            await store.append_many(
                [StreamAppend("t", events(1, "t"), 0), StreamAppend("s", events(1, "x"), 1)]
            )
        assert (conflict.value.stream_id, conflict.value.actual) == ("s", 2)
        with pytest.raises(WrongExpectedVersion):
            await store.append("new", events(1, "n"), StreamState.STREAM_EXISTS)
        twice = events(1, "d")
        with pytest.raises(StoreError) as dup:
            await store.append("d", [*twice, *twice])
        assert dup.value.code == "store.duplicate_event_id"
        with pytest.raises(StoreError) as again:
            await store.append("d", events(2, "s")[:1])  # recorded by the first append
        assert again.value.code == "store.duplicate_event_id"
        first = await store.append("k", events(1, "k"), idempotency_key="key")
        replay = await store.append("k", events(1, "k2"), idempotency_key="key")
        assert replay.replayed and replay.first_position == first.first_position
        assert replay.stream_versions == first.stream_versions == {"k": 1}
        with pytest.raises(IdempotencyConflict):
            await store.append("k", [NewEvent("Other", {})], idempotency_key="key")
        log = await store.read_all()
        assert [e.position for e in log] == [1, 2, 3]
        assert verify_events(log).ok
    finally:
        await store.close()


async def test_the_head_is_read_after_the_lock(migrated_pg_url: str) -> None:
    """An append that waits for the lock numbers its event after the append it waited for.
    Negative control: one statement that takes the lock and reads the head (a CTE, as a
    single-statement append would) reads the head as it was before the wait."""
    holder = SqlEventStore(create_engine(migrated_pg_url))
    waiter = SqlEventStore(create_engine(migrated_pg_url))
    engine = create_engine(migrated_pg_url)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        inside.set()
        await release.wait()

    try:
        await holder.append("warm", [NewEvent("Warm", {})])  # position 1
        holder._before_commit = hold
        holder_task = asyncio.create_task(holder.append("h", [NewEvent("Held", {})]))
        await inside.wait()  # the holder has run the function and holds the lock

        async def single_statement_head() -> int:
            async with engine.connect() as conn:
                found = await conn.execute(
                    sa.text(
                        "WITH l AS (SELECT pg_advisory_xact_lock(:k)) "
                        "SELECT coalesce(max(position), 0) FROM events, l"
                    ),
                    {"k": APPEND_LOCK_KEY},
                )
                head = int(found.scalar_one())
                await conn.rollback()
                return head

        control = asyncio.create_task(single_statement_head())
        waiting = asyncio.create_task(waiter.append("w", [NewEvent("Waited", {})]))
        await asyncio.sleep(0.5)
        assert not waiting.done() and not control.done()  # both wait for the lock
        release.set()
        await holder_task
        result = await waiting
        assert await control == 1  # its snapshot predates the holder's commit (position 2)
        assert result.first_position == 3
        log = await waiter.read_all()
        assert [e.type for e in log] == ["Warm", "Held", "Waited"]
        assert verify_events(log).ok
    finally:
        release.set()
        await holder.close()
        await waiter.close()
        await engine.dispose()


async def test_a_schema_without_the_function_appends_as_statements(
    fresh_pg_database: str,
) -> None:
    await migrate_to(fresh_pg_database, "0006")
    store = SqlEventStore(create_engine(fresh_pg_database))
    try:
        await store.append("s", events(2, "old"))
        assert store._server_append is False
        assert verify_events(await store.read_all()).ok
    finally:
        await store.close()
    await migrate(fresh_pg_database)
    store = SqlEventStore(create_engine(fresh_pg_database))
    try:
        await store.append("s", events(1, "new"), 2)
        assert store._server_append is True
        log = await store.read_all()
        assert [e.stream_version for e in log] == [1, 2, 3] and verify_events(log).ok
    finally:
        await store.close()


async def test_the_function_refuses_repeatable_read(migrated_pg_url: str) -> None:
    """Under REPEATABLE READ every statement would share the transaction's first snapshot,
    and the head read after the lock could be stale: the function refuses to run."""
    store = SqlEventStore(create_engine(migrated_pg_url))
    engine = create_engine(migrated_pg_url)
    try:
        await store.append("s", events(1, "s"))  # the store's statement, to call it by hand
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            with pytest.raises(sa.exc.DBAPIError, match="needs READ COMMITTED"):
                await conn.execute(
                    sa.text(
                        "SELECT * FROM sco_append_events(1, 'c', NULL, NULL, ARRAY['x'], "
                        "ARRAY[-1]::bigint[], ARRAY[0], '{}', '{}', '{}', '{}', '{}', '{}', "
                        "'{}', '{}', '{}', '{}', '{}', '{}', now(), '{}', '{}', '{}', false)"
                    )
                )
    finally:
        await store.close()
        await engine.dispose()
