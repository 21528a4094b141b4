"""The event log on SQLAlchemy Core (async): one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sco_registry.db import read_only_engine
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import (
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    Source,
    StreamAppend,
    StreamState,
)
from sco_registry.store.chain import GENESIS_HASH
from sco_registry.store.errors import (
    AppendOnlyViolation,
    IdempotencyConflict,
    StoreError,
    WrongExpectedVersion,
)
from sco_registry.store.rules import check_expected, fingerprint, record, utc_now, validate_batches
from sco_registry.store.schema import events, idempotency_keys
from sco_registry.store.wakeups import NOTIFY_CHANNEL, PgListener, wakeups_for

# The key of the transaction-scoped advisory lock that serializes appends on PostgreSQL
# (any constant works; this one is "sco_reg" in ASCII, unlikely to collide with others).
APPEND_LOCK_KEY = 0x73636F5F726567
# The message the append-only triggers start with (see the Alembic revision).
APPEND_ONLY_MESSAGE = "events are append-only"

_c = events.c
_COLUMNS = (
    _c.position,
    _c.event_id,
    _c.stream_id,
    _c.stream_version,
    _c.event_type,
    _c.schema_version,
    _c.data,
    _c.metadata,
    _c.valid_time,
    _c.recorded_at,
    _c.actor,
    _c.sources,
    _c.correlation_id,
    _c.causation_id,
    _c.hash,
)
_READ_ALL = sa.select(*_COLUMNS).where(_c.position > sa.bindparam("after")).order_by(_c.position)
_READ_ALL_PAGE = _READ_ALL.limit(sa.bindparam("limit"))
_READ_STREAM = (
    sa.select(*_COLUMNS)
    .where(_c.stream_id == sa.bindparam("stream_id"))
    .where(_c.stream_version >= sa.bindparam("from_version"))
    .order_by(_c.stream_version)
)
_READ_STREAM_PAGE = _READ_STREAM.limit(sa.bindparam("limit"))
_HEAD = sa.select(sa.func.coalesce(sa.func.max(_c.position), 0))
_STREAM_VERSION = sa.select(sa.func.coalesce(sa.func.max(_c.stream_version), 0)).where(
    _c.stream_id == sa.bindparam("stream_id")
)
_IDEMPOTENCY = sa.select(
    idempotency_keys.c.fingerprint,
    idempotency_keys.c.first_position,
    idempotency_keys.c.last_position,
    idempotency_keys.c.stream_versions,
).where(idempotency_keys.c.key == sa.bindparam("key"))
_INSERT_EVENTS = events.insert()
_INSERT_IDEMPOTENCY = idempotency_keys.insert()
_PG_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("key", type_=sa.BigInteger)))


@functools.cache
def _head_statement(streams: int, notify: bool) -> sa.Select[Any]:
    """One round trip for what an append must know: the last position and hash, and the
    current version of each of `streams` streams (bound as s0, s1, ...).

    With `notify` (PostgreSQL) it also queues NOTIFY with the new last position (the head
    plus the bound number of `events`): delivered at COMMIT, dropped by a ROLLBACK, so a
    failed append wakes nobody, and it costs no round trip of its own."""
    last = sa.select(_c.position, _c.hash).order_by(_c.position.desc()).limit(1).subquery()
    head = sa.select(last.c.position).scalar_subquery()
    versions = [
        sa.select(sa.func.coalesce(sa.func.max(_c.stream_version), 0))
        .where(_c.stream_id == sa.bindparam(f"s{i}"))
        .scalar_subquery()
        for i in range(streams)
    ]
    columns: list[Any] = [head, sa.select(last.c.hash).scalar_subquery(), *versions]
    if notify:
        new_last = sa.func.coalesce(head, 0) + sa.bindparam("events", type_=sa.BigInteger)
        columns.append(sa.func.pg_notify(NOTIFY_CHANNEL, sa.cast(new_last, sa.Text)))
    return sa.select(*columns)


@functools.lru_cache(maxsize=4096)
def _partial_date(text: str) -> PartialDate:
    return PartialDate.parse(text)


def _decode(row: Sequence[Any]) -> RecordedEvent:
    (
        position,
        event_id,
        stream_id,
        stream_version,
        event_type,
        schema_version,
        data,
        metadata,
        valid_time,
        recorded_at,
        actor,
        sources,
        correlation_id,
        causation_id,
        hash_,
    ) = row
    if recorded_at.tzinfo is None:  # SQLite keeps no zone; the store writes UTC.
        recorded_at = recorded_at.replace(tzinfo=dt.UTC)
    return RecordedEvent(
        position=position,
        event_id=event_id,
        stream_id=stream_id,
        stream_version=stream_version,
        type=event_type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
        valid_time=None if valid_time is None else _partial_date(valid_time),
        recorded_at=recorded_at,
        actor=actor,
        sources=tuple(Source(s.get("title"), s.get("url")) for s in sources),
        correlation_id=correlation_id,
        causation_id=causation_id,
        hash=hash_,
    )


def _row(event: RecordedEvent) -> dict[str, Any]:
    vt = event.valid_time
    return {
        "position": event.position,
        "event_id": event.event_id,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "valid_time": None if vt is None else str(vt),
        "valid_from": None if vt is None else vt.lower,
        "valid_to": None if vt is None else vt.upper,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "sources": [s.to_json() for s in event.sources],
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "hash": event.hash,
    }


class _RetryAppend(Exception):
    """An idempotency key was recorded by a writer that did not take the append lock."""


class SqlEventStore:
    """`EventStore` on SQLite (aiosqlite) or PostgreSQL (asyncpg), same semantics as the
    in-memory store. Build the engine with `sco_registry.db.create_engine`."""

    # How often `wait_for_events` also looks at the head: (first interval, longest interval)
    # in seconds, doubling in between; rarely while LISTEN carries other processes' appends.
    poll_seconds: tuple[float, float] = (0.05, 1.0)
    listening_poll_seconds: tuple[float, float] = (1.0, 5.0)

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._engine = engine
        self._reader = read_only_engine(engine)
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._wakeups = wakeups_for(engine)
        # SQLite serializes writers itself (BEGIN IMMEDIATE); queueing this process's own
        # appends here first spares them the busy handler's sleep-and-retry.
        self._local_write_lock = None if self._postgres else asyncio.Lock()
        self._listener: PgListener | None = None
        # Test-only hook: awaited inside the append transaction, after the inserts and with
        # the append lock held, just before COMMIT (the race tests hold a writer open here).
        self._before_commit: Callable[[], Awaitable[None]] | None = None

    # -- writing --------------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected: ExpectedVersion = StreamState.ANY,
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self.append_many(
            [StreamAppend(stream_id, events, expected)], idempotency_key=idempotency_key
        )

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        validate_batches(batches)
        if self._postgres:
            _check_jsonb_faithful(batches)
        fp = None if idempotency_key is None else fingerprint(batches)
        for attempt in (1, 2):
            try:
                if self._local_write_lock is None:
                    result = await self._append(batches, idempotency_key, fp)
                else:
                    async with self._local_write_lock:
                        result = await self._append(batches, idempotency_key, fp)
            except _RetryAppend:
                if attempt == 2:
                    raise StoreError(
                        f"idempotency key {idempotency_key!r} raced twice",
                        code="store.idempotency_race",
                    ) from None
                continue
            if not result.replayed:
                self._wakeups.notify(result.last_position)
            return result
        raise AssertionError("unreachable")

    async def _append(
        self, batches: Sequence[StreamAppend], key: str | None, fp: str | None
    ) -> AppendResult:
        try:
            async with self._engine.begin() as conn:
                return await self._append_in(conn, batches, key, fp)
        except DBAPIError as e:
            translated = await self._translate(e, batches)
            if translated is e:
                raise
            raise translated from e

    async def _append_in(
        self,
        conn: AsyncConnection,
        batches: Sequence[StreamAppend],
        key: str | None,
        fp: str | None,
    ) -> AppendResult:
        # Positions must become visible in order: a reader that has seen position p must
        # never later find an event below p, or a checkpointed reader loses it for good.
        # A sequence cannot promise that on PostgreSQL: transaction A takes 7, B takes 8,
        # B commits first, a reader sees 8 and moves on, then A commits 7 behind it.
        #
        # So every append first takes one transaction-scoped lock (PostgreSQL: an advisory
        # xact lock, released by COMMIT or ROLLBACK; SQLite: BEGIN IMMEDIATE already holds
        # the database's single write lock), and only then reads the head. The next appender
        # can read the head only after this one has committed, so it numbers its events
        # after every visible event, and positions become visible in commit order, without
        # gaps. The hash chain needs exactly this order too: each event's hash covers the
        # previous event's hash, which must be committed and final.
        #
        # The cost: appends are serialized, one transaction at a time, for the time between
        # the lock and COMMIT (about a millisecond: four round trips, one executemany).
        # Readers are never blocked (the lock is advisory; SQLite runs in WAL mode).
        # The alternative, sequence positions with readers that stop below the oldest
        # running transaction (`pg_snapshot_xmin` over an xid8 column, as Emmett does),
        # keeps concurrent appends but leaves gaps from rollbacks (our positions are
        # contiguous so readers can tell missing from not-yet-written), cannot chain
        # hashes, needs a second design for SQLite, and lets one long transaction stall
        # every reader; the same choice as the `eventsourcing` library's table lock.
        if self._postgres:
            await conn.execute(_PG_LOCK, {"key": APPEND_LOCK_KEY})
        if key is not None:
            used = (await conn.execute(_IDEMPOTENCY, {"key": key})).first()
            if used is not None:
                if used.fingerprint != fp:
                    raise IdempotencyConflict(key)
                return AppendResult(
                    used.first_position, used.last_position, dict(used.stream_versions), True
                )
        params: dict[str, Any] = {f"s{i}": b.stream_id for i, b in enumerate(batches)}
        if self._postgres:
            params["events"] = sum(len(b.events) for b in batches)
        head = (await conn.execute(_head_statement(len(batches), self._postgres), params)).one()
        position: int = head[0] or 0
        prev: str = head[1] or GENESIS_HASH
        current = head[2 : 2 + len(batches)]
        for b, actual in zip(batches, current, strict=True):
            check_expected(b.stream_id, b.expected, actual)
        now = _utc(self._clock())
        rows: list[dict[str, Any]] = []
        ids: set[object] = set()
        versions: dict[str, int] = {}
        for b, version in zip(batches, current, strict=True):
            for new in b.events:
                if new.event_id in ids:
                    raise _duplicate_event_id(new.event_id)
                ids.add(new.event_id)
                position += 1
                version += 1
                rec = record(
                    new,
                    position=position,
                    stream_id=b.stream_id,
                    stream_version=version,
                    recorded_at=now,
                    prev_hash=prev,
                )
                prev = rec.hash
                rows.append(_row(rec))
            versions[b.stream_id] = version
        result = AppendResult(rows[0]["position"], position, versions)
        await conn.execute(_INSERT_EVENTS, rows)
        if key is not None:
            await conn.execute(
                _INSERT_IDEMPOTENCY,
                {
                    "key": key,
                    "fingerprint": fp,
                    "first_position": result.first_position,
                    "last_position": result.last_position,
                    "stream_versions": versions,
                    "recorded_at": now,
                },
            )
        if self._before_commit is not None:
            await self._before_commit()
        return result

    async def _translate(self, error: DBAPIError, batches: Sequence[StreamAppend]) -> Exception:
        """The store error for a database refusal of an append (already rolled back)."""
        message = str(error.orig)
        if "idempotency_keys" in message:
            return _RetryAppend()
        if "event_id" in message:
            duplicate = await self._recorded_ids([e.event_id for b in batches for e in b.events])
            if duplicate:
                return _duplicate_event_id(duplicate[0])
        if any(s in message for s in ("stream_version", "pk_events", "events.position")) or (
            APPEND_ONLY_MESSAGE in message and "position" in message
        ):
            # Only a writer that bypassed the append lock can race us to a position or a
            # stream version; to the caller it is a concurrency conflict like any other.
            b = batches[0]
            return WrongExpectedVersion(
                b.stream_id, b.expected, (await self.stream_version(b.stream_id)) or None
            )
        if APPEND_ONLY_MESSAGE in message:
            return AppendOnlyViolation(message.splitlines()[0])
        return error

    async def _recorded_ids(self, ids: list[Any]) -> list[Any]:
        async with self._reader.connect() as conn:
            found = await conn.scalars(sa.select(_c.event_id).where(_c.event_id.in_(ids)))
            recorded = set(found)
        return [i for i in ids if i in recorded]

    # -- reading --------------------------------------------------------------------------

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        params: dict[str, Any] = {"stream_id": stream_id, "from_version": from_version}
        if limit is not None:
            params["limit"] = max(limit, 0)
        statement = _READ_STREAM if limit is None else _READ_STREAM_PAGE
        async with self._reader.connect() as conn:
            rows = (await conn.execute(statement, params)).all()
        return [_decode(r) for r in rows]

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        params: dict[str, Any] = {"after": after}
        if limit is not None:
            params["limit"] = max(limit, 0)
        statement = _READ_ALL if limit is None else _READ_ALL_PAGE
        async with self._reader.connect() as conn:
            rows = (await conn.execute(statement, params)).all()
        return [_decode(r) for r in rows]

    async def iter_all(
        self, *, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        while True:
            page = await self.read_all(after=after, limit=batch_size)
            for event in page:
                yield event
            if len(page) < batch_size:
                return
            after = page[-1].position

    async def stream_version(self, stream_id: str) -> int:
        async with self._reader.connect() as conn:
            return int(await conn.scalar(_STREAM_VERSION, {"stream_id": stream_id}) or 0)

    async def head_position(self) -> int:
        async with self._reader.connect() as conn:
            return int(await conn.scalar(_HEAD) or 0)

    # -- waiting --------------------------------------------------------------------------

    async def wait_for_events(self, after: int, timeout: float) -> bool:
        """Woken by this process's appends at once, by other processes' through LISTEN on
        PostgreSQL; polls the head as well (with a backoff) in case a signal is missed."""
        listening = self._postgres and await self._listen()
        poll, poll_max = self.listening_poll_seconds if listening else self.poll_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Registered before the first look at the head, so no append falls in between.
        woken = self._wakeups.add(after)
        try:
            while True:
                if await self.head_position() > after:
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(asyncio.shield(woken), min(poll, remaining))
                except TimeoutError:
                    poll = min(poll * 2, poll_max)
                    continue
                return True
        finally:
            self._wakeups.discard(woken)

    async def _listen(self) -> bool:
        if self._listener is None:
            self._listener = PgListener(self._engine, self._wakeups)
        return await self._listener.ensure()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        await self._engine.dispose()


def _check_jsonb_faithful(batches: Sequence[StreamAppend]) -> None:
    """Refuse what jsonb would not give back as written, before it is hashed and stored.

    jsonb keeps numbers as `numeric`: a float written in exponent form (|x| >= 1e16, such
    as 1e+100) comes back as an integer, and -0.0 as 0.0; it also refuses U+0000 in strings.
    The chain hash covers the values as appended, so such an event would later fail `verify`
    as if tampered with. Refused loudly here instead (SQLite's JSON text keeps them)."""
    for b in batches:
        for new in b.events:
            stack: list[Any] = [new.data, new.metadata, [s.to_json() for s in new.sources]]
            while stack:
                value = stack.pop()
                if isinstance(value, str):
                    bad = "\x00" in value
                elif isinstance(value, float):
                    bad = abs(value) >= 1e16 or (value == 0 and math.copysign(1, value) < 0)
                elif isinstance(value, dict):
                    stack.extend(value)
                    stack.extend(value.values())
                    continue
                elif isinstance(value, list | tuple):
                    stack.extend(value)
                    continue
                else:
                    continue
                if bad:
                    raise StoreError(
                        f"event {new.event_id}: {value!r} cannot be stored faithfully in "
                        "PostgreSQL jsonb (floats of 1e16 or more, -0.0, U+0000)",
                        code="store.value_not_storable",
                        details={"event_id": str(new.event_id), "stream_id": b.stream_id},
                    )


def _utc(value: dt.datetime) -> dt.datetime:
    # Naive means UTC, as in the hash envelope; SQLite stores no zone, so store UTC only.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _duplicate_event_id(event_id: object) -> StoreError:
    return StoreError(f"event id {event_id} is already recorded", code="store.duplicate_event_id")
