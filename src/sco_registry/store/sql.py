"""The event log on SQLAlchemy Core: one code path for SQLite and PostgreSQL.

Each unit of work (an append, a read) is one synchronous function of a `Connection`;
`store/execution.py` runs it (SQLite: small units on the loop thread, others in one hop to
a worker thread; PostgreSQL: `run_sync`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from sco_registry.store.base import (
    AppendResult,
    AppendUnit,
    EventStoreBase,
    RecordedEvent,
    StreamAppend,
)
from sco_registry.store.chain import GENESIS_HASH, format_timestamp
from sco_registry.store.errors import (
    AppendOnlyViolation,
    HeadMoved,
    IdempotencyConflict,
    StoreError,
    WrongExpectedVersion,
    batch_key_recorded,
)
from sco_registry.store.execution import AsyncRunner, runner_for
from sco_registry.store.hooks import (
    ProjectionRead,
    ProjectionWrite,
    Projector,
    ProjectorStale,
    recorded_from_rows,
)
from sco_registry.store.rows import (
    INSERT_COLUMNS,
    JSON_COLUMNS,
    READ_RAW_COLUMNS,
    canonical_text,
    decode_page,
    encode_event,
    encode_parts,
    utc,
)
from sco_registry.store.rules import (
    check_expected,
    expected_code,
    fingerprint,
    utc_now,
    validate_batches,
)
from sco_registry.store.schema import events
from sco_registry.store.statements import (
    BATCH_KEYS,
    BATCH_VERSIONS,
    HEAD,
    INSERT_EVENTS,
    INSERT_IDEMPOTENCY,
    KEY_COLUMNS,
    PG_APPEND,
    PG_APPEND_FUNCTION,
    PG_LOCK,
    READ_ALL,
    READ_ALL_PAGE,
    READ_STREAM,
    READ_STREAM_PAGE,
    STREAM_VERSION,
    DriverStatement,
    RawStatement,
    head_statement,
    read_streams_statement,
)
from sco_registry.store.wakeups import NOTIFY_CHANNEL, PgListener, wakeups_for

T = TypeVar("T")

# The key of the transaction-scoped advisory lock that serializes appends on PostgreSQL
# (any constant works; this one is "sco_reg" in ASCII, unlikely to collide with others).
APPEND_LOCK_KEY = 0x73636F5F726567
# The message the append-only triggers start with (see the Alembic revision).
APPEND_ONLY_MESSAGE = "events are append-only"


# The units of work that may run on the event loop's thread on SQLite (`execution.py`):
# appends of at most this many events, reads of at most this many rows (a longer stream
# is read in two parts: its first INLINE_ROWS events there, the rest in a reader thread).
# The bound on how long an inline append holds the loop: about 18 us of CPU per event
# here, so at most about 2.5 ms (a 100-event append measured p50 1.7, max 2.3 ms of CPU,
# loaded machine). With 16, appends of 100 events hopped to the writer thread, which on
# a loaded machine cost more wall time than the append (W2 2.2x slower, A/B).
INLINE_EVENTS = 128
INLINE_ROWS = 32


class _RetryAppend(Exception):
    """An idempotency key was recorded by a writer that did not take the append lock."""


@functools.lru_cache(maxsize=16)
def _read_streams(count: int) -> sa.Select[Any]:
    return read_streams_statement(count)


class SqlEventStore(EventStoreBase):
    """`EventStore` on SQLite (aiosqlite) or PostgreSQL (asyncpg), same semantics as the
    in-memory store. Build the engine with `sco_registry.db.create_engine`."""

    # How often `wait_for_events` also looks at the head: (first interval, longest interval)
    # in seconds, doubling in between; rarely while LISTEN carries other processes' appends.
    poll_seconds: tuple[float, float] = (0.05, 1.0)
    listening_poll_seconds: tuple[float, float] = (1.0, 5.0)

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._engine = engine
        # Runs each unit of work: SQLite in one hop to this store's worker threads (its one
        # writer thread also queues this process's appends ahead of BEGIN IMMEDIATE, which
        # spares them the busy handler's sleep-and-retry); PostgreSQL with `run_sync`.
        self._runner = runner_for(engine)
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._wakeups = wakeups_for(engine)
        self._listener: PgListener | None = None
        self._drivers: dict[tuple[Any, ...], DriverStatement] = {}
        self._append_call: RawStatement | None = None
        # PostgreSQL: whether appends call the append function (revision 0007; None until
        # looked up). Without it (an older schema) they run as statements from here.
        self._server_append: bool | None = None
        # Test-only hook: awaited inside the append transaction, after the inserts and with
        # the append lock held, just before COMMIT (the race tests hold a writer open here).
        self._before_commit: Callable[[], Awaitable[None]] | None = None
        # The inline projections (`store/hooks.py`): run in every append's transaction.
        self._projector: Projector | None = None

    def attach_projector(self, projector: Projector | None) -> None:
        """Run `projector.apply_inline` in every append's transaction from now on (the
        read models' tables come from the Alembic revisions)."""
        self._projector = projector

    # -- writing --------------------------------------------------------------------------

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        validate_batches(batches)
        fp = None if idempotency_key is None else fingerprint(batches)
        for attempt in (1, 2):
            try:
                result = await self._append(batches, idempotency_key, fp)
            except ProjectorStale:
                # Rolled back: the inline projector's assumptions did not hold (it reads
                # what it needs the second time, so this comes once at most).
                if attempt == 2:
                    raise
                continue
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
        if self._postgres and await self._has_append_function():
            return await self._append_pg(batches, key, fp)
        return await self._append_statements(batches, key, fp)

    async def _has_append_function(self) -> bool:
        """Whether the database has `sco_append_events` (revision 0007), looked up once."""
        if self._server_append is None:

            def work(conn: Connection) -> bool:
                found = conn.exec_driver_sql(f"SELECT to_regproc('{PG_APPEND_FUNCTION}')")
                return found.scalar() is not None

            self._server_append = await self._runner.read(work)
        return self._server_append

    async def _append_pg(
        self, batches: Sequence[StreamAppend], key: str | None, fp: str | None
    ) -> AppendResult:
        """PostgreSQL: the whole append is one call of `sco_append_events` (revision 0007),
        which takes the append lock, checks the key and the expected versions, chains the
        hashes and inserts, in the server. Alone it runs in autocommit: one round trip, the
        lock held only while the server runs it. With inline projections (or the tests'
        before-commit hook) it runs in a transaction with them: BEGIN, the call, the
        projections' statements, COMMIT."""
        now = utc(self._clock())
        recorded_text = format_timestamp(now)
        project = self._projector is not None
        params, rows = _call_parameters(batches, key, fp, now, recorded_text, project)
        try:
            if not project and self._before_commit is None:
                runner = self._runner
                assert isinstance(runner, AsyncRunner)

                def call(conn: Connection) -> Sequence[Any]:
                    return self._pg_call(conn).fetch_one(conn, params)

                # The answer is judged outside the unit: a refusal (a version conflict) is
                # not a failed read, and keeps the connection (a failure drops it).
                return _call_result(batches, key, await runner.autocommit(call))

            def work(conn: Connection, before_commit: Callable[[], None] | None) -> AppendResult:
                answer = self._pg_call(conn).fetch_one(conn, params)
                result = _call_result(batches, key, answer)
                if result.replayed:
                    return result
                if self._projector is not None:
                    hashes = answer[7]
                    positions = range(result.first_position, result.last_position + 1)
                    for row, position, digest in zip(rows, positions, hashes, strict=True):
                        row[0], row[-1] = position, digest
                    versions = dict(zip([b.stream_id for b in batches], answer[5], strict=True))
                    for row in reversed(rows):  # each stream's versions, counted back
                        row[3] = versions[row[2]]
                        versions[row[2]] -= 1
                    news = [new for b in batches for new in b.events]
                    recorded = recorded_from_rows(news, [tuple(r) for r in rows], now)
                    self._projector.apply_inline(conn, recorded)
                if before_commit is not None:
                    before_commit()
                return result

            return await self._runner.write(work, self._before_commit)
        except DBAPIError as e:
            translated = await self._translate(e, batches)
            if translated is e:
                raise
            raise translated from e

    async def _append_statements(
        self, batches: Sequence[StreamAppend], key: str | None, fp: str | None
    ) -> AppendResult:
        # The append as statements from the client: SQLite's, and PostgreSQL's on a
        # database without the append function (migrated below revision 0007). PostgreSQL
        # tries the lock within the head query first (see `_append_in`); a head read that
        # turns out stale fails on a unique constraint and is retried once with the lock
        # taken first. SQLite holds its lock from BEGIN IMMEDIATE.
        for try_lock in (True, False) if self._postgres else (False,):

            def work(
                conn: Connection,
                before_commit: Callable[[], None] | None,
                try_lock: bool = try_lock,
            ) -> AppendResult:
                return self._append_in(conn, batches, key, fp, before_commit, try_lock)

            small = sum(len(b.events) for b in batches) <= INLINE_EVENTS
            try:
                return await self._runner.write(work, self._before_commit, small=small)
            except DBAPIError as e:
                if try_lock and _unique_violation(e):
                    continue
                translated = await self._translate(e, batches)
                if translated is e:
                    raise
                raise translated from e
        raise AssertionError("unreachable")

    def _append_in(
        self,
        conn: Connection,
        batches: Sequence[StreamAppend],
        key: str | None,
        fp: str | None,
        before_commit: Callable[[], None] | None,
        try_lock: bool = False,
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
        # On PostgreSQL at revision 0007 and later, these steps run in the server instead,
        # in one call of `sco_append_events` (see `_append_pg` and the revision): the lock,
        # then the head in a statement of its own whose snapshot (READ COMMITTED, a
        # VOLATILE function) is taken after the lock was granted, so no head is stale. What
        # follows is the client-side form, for SQLite and for older PostgreSQL schemas.
        #
        # On PostgreSQL the head query first *tries* the lock (`pg_try_advisory_xact_lock`,
        # which never waits), saving the lock's own round trip. Its snapshot was taken
        # when the statement started, before the lock was held, so it may miss an append
        # that committed in between; a waiting `pg_advisory_xact_lock` in the same
        # statement would miss exactly the commit it waited for, every time. A stale head
        # is harmless, though: the first append to commit after our snapshot read the same
        # head we did (appends run one at a time, each after its predecessors' commits),
        # so it inserted position head + 1, and so do we: our INSERT fails on the primary
        # key (or on the stream version or the idempotency key before that), the
        # transaction rolls back with nothing written, and `_append` retries it once
        # with the lock taken in a statement of its own and the head read afresh after it.
        # If the lock is busy, the query says so, and we wait for it in a statement of its
        # own and read the head again: under contention, the lock is granted while we wait
        # in the server, and the serialized part of an append is head, insert and COMMIT.
        # (An asyncio lock in front, to make the try succeed in one process, measured
        # slower: BEGIN and the try then also fall inside the serialized part.)
        #
        # The cost: appends are serialized, one transaction at a time, for the time between
        # the lock and COMMIT (two statements, one of them an executemany).
        # Readers are never blocked (the lock is advisory; SQLite runs in WAL mode).
        # The alternative, sequence positions with readers that stop below the oldest
        # running transaction (`pg_snapshot_xmin` over an xid8 column, as Emmett does),
        # keeps concurrent appends but leaves gaps from rollbacks (our positions are
        # contiguous so readers can tell missing from not-yet-written), cannot chain
        # hashes, needs a second design for SQLite, and lets one long transaction stall
        # every reader; the same choice as the `eventsourcing` library's table lock.
        if self._postgres and not try_lock:
            self._driver("lock", conn).fetch_one(conn, {"key": APPEND_LOCK_KEY})
        params: dict[str, Any] = {f"s{i}": b.stream_id for i, b in enumerate(batches)}
        if self._postgres:
            params["events"] = sum(len(b.events) for b in batches)
            params["lock_key"] = APPEND_LOCK_KEY
        if key is not None:
            params["key"] = key
        query = self._driver("head", conn, len(batches), key is not None)
        head = query.fetch_one(conn, params)
        n = len(batches)
        if self._postgres and not head[-1]:
            # Busy: wait for the lock, then read the head in a statement started after it.
            self._driver("lock", conn).fetch_one(conn, {"key": APPEND_LOCK_KEY})
            head = query.fetch_one(conn, params)
        if key is not None:
            used_fp, first, last, used_versions = head[2 + n : 6 + n]
            if used_fp is not None:
                if used_fp != fp:
                    raise IdempotencyConflict(key)
                return AppendResult(first, last, dict(used_versions), True)
        position: int = head[0] or 0
        prev: str = head[1] or GENESIS_HASH
        current = head[2 : 2 + n]
        for b, actual in zip(batches, current, strict=True):
            check_expected(b.stream_id, b.expected, actual)
        now = utc(self._clock())
        recorded_text = format_timestamp(now)
        rows: list[tuple[Any, ...]] = []
        ids: set[object] = set()
        versions: dict[str, int] = {}
        for b, version in zip(batches, current, strict=True):
            stream_json = canonical_text(b.stream_id)
            for new in b.events:
                if new.event_id in ids:
                    raise _duplicate_event_id(new.event_id)
                ids.add(new.event_id)
                position += 1
                version += 1
                row, prev = encode_event(
                    new,
                    position=position,
                    stream_id=b.stream_id,
                    stream_json=stream_json,
                    stream_version=version,
                    recorded_at=now,
                    recorded_text=recorded_text,
                    prev_hash=prev,
                )
                rows.append(row)
            versions[b.stream_id] = version
        result = AppendResult(rows[0][0], position, versions)
        self._driver("insert", conn).execute_rows(conn, rows)
        if key is not None:
            self._driver("key", conn).execute_rows(
                conn,
                [(key, fp, result.first_position, result.last_position, versions, now)],
            )
        if self._projector is not None:
            news = [new for b in batches for new in b.events]
            self._projector.apply_inline(conn, recorded_from_rows(news, rows, now))
        if before_commit is not None:
            before_commit()
        return result

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        if not units:
            raise StoreError("nothing to append", code="store.empty_append")
        for unit in units:
            validate_batches(unit.batches)
        fps = [None if u.idempotency_key is None else fingerprint(u.batches) for u in units]

        def work(conn: Connection, before_commit: Callable[[], None] | None) -> list[AppendResult]:
            return self._append_batch_in(conn, units, fps, expected_head, before_commit)

        try:
            try:
                results = await self._runner.write(work, self._before_commit)
            except ProjectorStale:  # rolled back, as in `append_many`: once more
                results = await self._runner.write(work, self._before_commit)
        except DBAPIError as e:
            everything = [b for u in units for b in u.batches]
            translated = await self._translate(e, everything)
            if isinstance(translated, _RetryAppend):
                # Only a writer that bypassed the append lock can record a key under us.
                raise HeadMoved(expected_head, await self.head_position()) from e
            if translated is e:
                raise
            raise translated from e
        self._wakeups.notify(results[-1].last_position)
        return results

    def _append_batch_in(
        self,
        conn: Connection,
        units: Sequence[AppendUnit],
        fps: Sequence[str | None],
        expected_head: int,
        before_commit: Callable[[], None] | None,
    ) -> list[AppendResult]:
        # The same lock, head and chain as `_append_in` (see there), once for all units.
        if self._postgres:
            self._driver("lock", conn).fetch_one(conn, {"key": APPEND_LOCK_KEY})
        params: dict[str, Any] = {}
        if self._postgres:
            params["events"] = sum(len(b.events) for u in units for b in u.batches)
            params["lock_key"] = APPEND_LOCK_KEY
        head = self._driver("head", conn, 0, False).fetch_one(conn, params)
        position: int = head[0] or 0
        prev: str = head[1] or GENESIS_HASH
        if position != expected_head:
            raise HeadMoved(expected_head, position)
        streams = sorted({b.stream_id for u in units for b in u.batches})
        keys = [u.idempotency_key for u in units if u.idempotency_key is not None]
        current: dict[str, int] = dict.fromkeys(streams, 0)
        current.update((s, v) for s, v in conn.execute(BATCH_VERSIONS, {"streams": streams}))
        if keys:
            used = conn.execute(BATCH_KEYS, {"keys": keys}).scalars().first()
            if used is not None:
                raise batch_key_recorded(used)
        now = utc(self._clock())
        recorded_text = format_timestamp(now)
        rows: list[tuple[Any, ...]] = []
        key_rows: list[tuple[Any, ...]] = []
        results: list[AppendResult] = []
        ids: set[object] = set()
        for unit, fp in zip(units, fps, strict=True):
            for b in unit.batches:
                check_expected(b.stream_id, b.expected, current[b.stream_id])
            first = position + 1
            versions: dict[str, int] = {}
            for b in unit.batches:
                version = current[b.stream_id]
                stream_json = canonical_text(b.stream_id)
                for new in b.events:
                    if new.event_id in ids:
                        raise _duplicate_event_id(new.event_id)
                    ids.add(new.event_id)
                    position += 1
                    version += 1
                    row, prev = encode_event(
                        new,
                        position=position,
                        stream_id=b.stream_id,
                        stream_json=stream_json,
                        stream_version=version,
                        recorded_at=now,
                        recorded_text=recorded_text,
                        prev_hash=prev,
                    )
                    rows.append(row)
                current[b.stream_id] = versions[b.stream_id] = version
            results.append(AppendResult(first, position, versions))
            if unit.idempotency_key is not None:
                key_rows.append((unit.idempotency_key, fp, first, position, versions, now))
        self._driver("insert", conn).execute_rows(conn, rows)
        if key_rows:
            self._driver("key", conn).execute_rows(conn, key_rows)
        if self._projector is not None:
            news = [new for u in units for b in u.batches for new in b.events]
            self._projector.apply_inline(conn, recorded_from_rows(news, rows, now))
        if before_commit is not None:
            before_commit()
        return results

    def _pg_call(self, conn: Connection) -> RawStatement:
        if self._append_call is None:
            self._append_call = RawStatement(PG_APPEND, conn.dialect)
        return self._append_call

    def _driver(self, kind: str, conn: Connection, *shape: Any) -> DriverStatement:
        """The append's statements, compiled once for this store's dialect."""
        found = self._drivers.get((kind, *shape))
        if found is None:
            if kind == "head":
                streams, keyed = shape
                statement: Any = head_statement(streams, self._postgres, keyed)
                found = DriverStatement(statement, conn.dialect)
            elif kind == "insert":
                found = DriverStatement(INSERT_EVENTS, conn.dialect, INSERT_COLUMNS, JSON_COLUMNS)
                assert found.names == INSERT_COLUMNS, found.names
            elif kind == "key":
                found = DriverStatement(INSERT_IDEMPOTENCY, conn.dialect, KEY_COLUMNS)
                assert found.names == KEY_COLUMNS, found.names
            elif kind == "read":
                (statement,) = shape
                found = DriverStatement(statement, conn.dialect, raw=READ_RAW_COLUMNS)
            else:
                found = DriverStatement(PG_LOCK, conn.dialect)
            self._drivers[(kind, *shape)] = found
        return found

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
        def work(conn: Connection) -> set[Any]:
            return set(conn.scalars(sa.select(events.c.event_id).where(events.c.event_id.in_(ids))))

        recorded = await self._runner.read(work)
        return [i for i in ids if i in recorded]

    # -- the projection runner's units of work (`store/hooks.py`) -------------------------

    async def run_projection_write(self, work: ProjectionWrite[T]) -> T:
        """`work(conn, head)` in a write transaction holding the append lock.

        On SQLite the unit runs with `secure_delete` FAST (and the connection's own setting
        back after it, before COMMIT): the SQLite builds of Debian and others compile
        SECURE_DELETE in, which overwrites every freed page with zeros, so that dropping a
        rebuild's scratch tables or deleting the live rows at the swap wrote each of their
        pages to the WAL again (a 20,000-event rebuild: 259 MB written by the drop alone,
        against 0.3 MB). The read models hold nothing the log does not keep (they are
        derived from it, and the log is never deleted), so zeroing their freed pages hides
        nothing; FAST still clears deleted cells within the pages it writes anyway."""

        def unit(conn: Connection, before_commit: Callable[[], None] | None) -> T:
            if self._postgres:
                self._driver("lock", conn).fetch_one(conn, {"key": APPEND_LOCK_KEY})
                head = int(self._driver("read", conn, HEAD).fetch_one(conn, {})[0] or 0)
                return work(conn, head)
            previous = _secure_delete(conn, "FAST")
            try:
                head = int(self._driver("read", conn, HEAD).fetch_one(conn, {})[0] or 0)
                return work(conn, head)
            finally:
                _secure_delete(conn, previous)

        return await self._runner.write(unit, None)

    async def run_projection_read(self, work: ProjectionRead[T]) -> T:
        return await self._runner.read(work)

    # -- reading --------------------------------------------------------------------------

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        params: dict[str, Any] = {"stream_id": stream_id, "from_version": from_version}
        if limit is not None:
            params["limit"] = max(limit, 0)
        if self._runner.inline and (limit is None or limit > INLINE_ROWS):
            # The first INLINE_ROWS events on the loop's thread; most streams end there.
            # The rest, if any, in a thread: the stream is append-only, so the two parts
            # make the stream as the second read saw it, as one read would have.
            first = await self._read_events(
                READ_STREAM_PAGE, {**params, "limit": INLINE_ROWS}, small=True
            )
            if len(first) < INLINE_ROWS:
                return first
            params["from_version"] = first[-1].stream_version + 1
            if limit is not None:
                params["limit"] = limit - len(first)
            rest = await self._read_events(
                READ_STREAM if limit is None else READ_STREAM_PAGE, params
            )
            return first + rest
        small = limit is not None and limit <= INLINE_ROWS
        return await self._read_events(
            READ_STREAM if limit is None else READ_STREAM_PAGE, params, small=small
        )

    async def read_streams(self, starts: Mapping[str, int]) -> dict[str, list[RecordedEvent]]:
        """PostgreSQL: one statement for them all (a round trip each was most of a read's
        cost to the process); SQLite reads them one by one, on the loop's thread."""
        if not self._postgres or len(starts) < 2:
            return await super().read_streams(starts)
        streams = list(starts)
        statement = _read_streams(len(streams))
        params: dict[str, Any] = {}
        for i, stream in enumerate(streams):
            params[f"stream_{i}"], params[f"from_{i}"] = stream, starts[stream]
        found: dict[str, list[RecordedEvent]] = {stream: [] for stream in streams}
        for event in await self._read_events(statement, params):
            found[event.stream_id].append(event)
        return found

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        params: dict[str, Any] = {"after": after}
        if limit is not None:
            params["limit"] = max(limit, 0)
        small = limit is not None and limit <= INLINE_ROWS
        return await self._read_events(
            READ_ALL if limit is None else READ_ALL_PAGE, params, small=small
        )

    async def iter_all(
        self, *, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """All events after `after` in pages of `batch_size`; on PostgreSQL reading one page
        ahead: the next page's query runs in the server while this page is decoded and
        handed out. Each page is the query `read_all(after=last,
        limit=batch_size)` makes, started once the page before it is known, so the events
        and their order are exactly those of reading page after page."""
        runner = self._runner
        if batch_size <= INLINE_ROWS or not isinstance(runner, AsyncRunner):
            # SQLite reads and decodes pages in a reader thread: one read ahead there only
            # contends for the GIL with the loop's thread (measured slower, in CPU time).
            async for event in super().iter_all(after=after, batch_size=batch_size):
                yield event
            return
        limit = max(batch_size, 0)

        def start(after: int) -> asyncio.Task[list[Any]]:
            # Rows as the driver gives them; decoded here while the next page is read.
            params = {"after": after, "limit": limit}

            async def rows() -> list[Any]:
                def work(conn: Connection) -> list[Any]:
                    return self._driver("read", conn, READ_ALL_PAGE).fetch_all(conn, params)

                return await runner.read(work)

            return asyncio.ensure_future(rows())

        with runner.holding_reader():
            pending: asyncio.Task[list[Any]] | None = start(after)
            try:
                while pending is not None:
                    page = await pending
                    pending = None
                    if len(page) == limit:
                        pending = start(page[-1][0])  # the page's last position
                        await asyncio.sleep(0)  # let it send its query before decoding
                    for event in decode_page(page):
                        yield event
            finally:
                if pending is not None:  # the caller stopped early: the read ahead is not wanted
                    pending.cancel()
                    pending.add_done_callback(_retrieve)

    async def _read_events(
        self, statement: sa.Select[Any], params: dict[str, Any], *, small: bool = False
    ) -> list[RecordedEvent]:
        def work(conn: Connection) -> list[RecordedEvent]:
            query = self._driver("read", conn, statement)
            return decode_page(query.fetch_all(conn, params))

        return await self._runner.read(work, small=small)

    async def stream_version(self, stream_id: str) -> int:
        def work(conn: Connection) -> int:
            query = self._driver("read", conn, STREAM_VERSION)
            return int(query.fetch_one(conn, {"stream_id": stream_id})[0] or 0)

        return await self._runner.read(work, small=True)

    async def head_position(self) -> int:
        def work(conn: Connection) -> int:
            return int(self._driver("read", conn, HEAD).fetch_one(conn, {})[0] or 0)

        return await self._runner.read(work, small=True)

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
        await self._runner.close()
        await self._engine.dispose()


_SECURE_DELETE = ("0", "1", "FAST")  # PRAGMA secure_delete's values as it reports them (0-2)


def _secure_delete(conn: Connection, value: str) -> str:
    """Set SQLite's `secure_delete` on the connection (0, 1 or FAST); returns the value it
    had. On the DBAPI cursor: SQLite answers a setting with the value it now has."""
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        before = _SECURE_DELETE[int(cursor.execute("PRAGMA secure_delete").fetchone()[0])]
        cursor.execute(f"PRAGMA secure_delete = {value}").fetchall()
        return before
    finally:
        cursor.close()


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Take a dropped read's outcome, so that a failure is not reported as unretrieved."""
    if not task.cancelled():
        task.exception()


def _unique_violation(error: DBAPIError) -> bool:
    """A refusal by the position, stream version or idempotency key uniqueness."""
    message = str(error.orig)
    return any(s in message for s in ("pk_events", "stream_version", "idempotency_keys"))


def _duplicate_event_id(event_id: object) -> StoreError:
    return StoreError(f"event id {event_id} is already recorded", code="store.duplicate_event_id")


def _call_parameters(
    batches: Sequence[StreamAppend],
    key: str | None,
    fp: str | None,
    now: dt.datetime,
    recorded_text: str,
    want_rows: bool,
) -> tuple[list[Any], list[list[Any]]]:
    """The parameters of `sco_append_events` for an append (in its order, see revision
    0007) and, with `want_rows`, the insert rows (`INSERT_COLUMNS` order) with the position,
    stream version and hash left to fill in from the function's answer."""
    columns: list[list[Any]] = [[] for _ in range(15)]
    (ids, types, schemas, data, metadata, valid, valid_from, valid_to, actors, sources) = columns[
        :10
    ]
    cids, causes, env_a, env_b, env_c = columns[10:]
    rows: list[list[Any]] = []
    for b in batches:
        stream_json = canonical_text(b.stream_id)
        for new in b.events:
            parts = encode_parts(new, stream_json=stream_json, recorded_text=recorded_text)
            ids.append(new.event_id)
            types.append(new.type)
            schemas.append(new.schema_version)
            data.append(parts.data)
            metadata.append(parts.metadata)
            valid.append(parts.valid_time)
            valid_from.append(parts.valid_from)
            valid_to.append(parts.valid_to)
            actors.append(new.actor)
            sources.append(parts.sources)
            cids.append(new.correlation_id)
            causes.append(new.causation_id)
            env_a.append(parts.envelope_a)
            env_b.append(parts.envelope_b)
            env_c.append(parts.envelope_c)
            if want_rows:
                rows.append(
                    [
                        0,
                        new.event_id,
                        b.stream_id,
                        0,
                        new.type,
                        new.schema_version,
                        parts.data,
                        parts.metadata,
                        parts.valid_time,
                        parts.valid_from,
                        parts.valid_to,
                        now,
                        new.actor,
                        parts.sources,
                        new.correlation_id,
                        new.causation_id,
                        "",
                    ]
                )
    params = [
        APPEND_LOCK_KEY,
        NOTIFY_CHANNEL,
        key,
        fp,
        [b.stream_id for b in batches],
        [expected_code(b.expected) for b in batches],
        [len(b.events) for b in batches],
        *columns[:12],
        now,
        env_a,
        env_b,
        env_c,
        want_rows,
    ]
    return params, rows


def _call_result(
    batches: Sequence[StreamAppend], key: str | None, answer: Sequence[Any]
) -> AppendResult:
    """`sco_append_events`' answer as the append's result, or its refusal raised."""
    status, failed, actual, first, last, versions, replayed, _hashes = answer
    if status == 0:
        return AppendResult(
            first, last, dict(zip([b.stream_id for b in batches], versions, strict=True))
        )
    if status == 1:
        b = batches[failed]
        check_expected(b.stream_id, b.expected, actual)  # raises WrongExpectedVersion
        raise AssertionError(f"the server refused expected version {b.expected!r} at {actual}")
    if status == 2:
        return AppendResult(first, last, json.loads(replayed), True)
    if status == 3:
        assert key is not None
        raise IdempotencyConflict(key)
    if status == 4:
        seen: set[object] = set()
        for e in (e for b in batches for e in b.events):
            if e.event_id in seen:
                raise _duplicate_event_id(e.event_id)
            seen.add(e.event_id)
    raise AssertionError(f"unexpected answer from {PG_APPEND!r}: {answer!r}")
