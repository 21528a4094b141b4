"""The in-memory event log for unit tests: the same semantics as the SQL store, no I/O."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from sco_registry.store import fastjson
from sco_registry.store.base import (
    AppendResult,
    AppendUnit,
    EventStoreBase,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from sco_registry.store.chain import GENESIS_HASH
from sco_registry.store.errors import HeadMoved, IdempotencyConflict, StoreError, batch_key_recorded
from sco_registry.store.hooks import ProjectionRead, ProjectionWrite, Projector
from sco_registry.store.rules import check_expected, fingerprint, record, utc_now, validate_batches

T = TypeVar("T")


class InMemoryEventStore(EventStoreBase):
    def __init__(
        self, *, clock: Callable[[], dt.datetime] = utc_now, scratch: bool = False
    ) -> None:
        """`scratch`: a rehearsal's log (`bootstrap.scratch_stores`), thrown away after it:
        no hash chain (every hash empty), and reads share the stored data and metadata
        instead of copying them, so a reader must not change them (nothing in src does).
        A third of a 10,000-record import's rehearsal went to these two (docs/benchmarks.md)."""
        self._scratch = scratch
        self._clock = clock
        self._events: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._ids: set[object] = set()
        self._idempotency: dict[str, tuple[str, AppendResult]] = {}
        self._lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self._projector: Projector | None = None
        self._read_models: Engine | None = None

    # -- read models: a stdlib SQLite database in memory (`store/hooks.py`) ----------------

    def _models(self) -> Engine:
        if self._read_models is None:
            engine = sa.create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )

            # pysqlite's own transaction handling off, SQLAlchemy's BEGIN on: DDL and DML
            # of a unit of work then commit or roll back together.
            @sa.event.listens_for(engine, "connect")
            def _connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None

            @sa.event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                conn.exec_driver_sql("BEGIN")

            self._read_models = engine
        return self._read_models

    def attach_projector(self, projector: Projector | None) -> None:
        """Run `projector.apply_inline` in every append's unit of work from now on; its
        tables are created here, in this store's in-memory SQLite database."""
        if projector is not None:
            with self._models().begin() as conn:
                projector.create_schema(conn)
        self._projector = projector

    async def run_projection_write(self, work: ProjectionWrite[T]) -> T:
        async with self._lock:
            with self._models().begin() as conn:
                return work(conn, len(self._events))

    async def run_projection_read(self, work: ProjectionRead[T]) -> T:
        with self._models().connect() as conn:
            return work(conn)

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        validate_batches(batches)
        async with self._lock:
            fp = fingerprint(batches)
            if idempotency_key is not None and idempotency_key in self._idempotency:
                used_fp, result = self._idempotency[idempotency_key]
                if used_fp != fp:
                    raise IdempotencyConflict(idempotency_key)
                return AppendResult(
                    result.first_position, result.last_position, result.stream_versions, True
                )
            result = self._apply(batches, idempotency_key, fp, project=True)
        async with self._changed:
            self._changed.notify_all()
        return result

    def _apply(
        self,
        batches: Sequence[StreamAppend],
        idempotency_key: str | None,
        fp: str,
        *,
        project: bool,
    ) -> AppendResult:
        """Check and append one unit (the lock held): raises with nothing changed. With
        `project`, the projector's unit of work runs for it first (`append_batch` runs one
        for all its units instead)."""
        for b in batches:
            check_expected(b.stream_id, b.expected, len(self._streams.get(b.stream_id, ())))
        now = self._clock()
        staged: list[RecordedEvent] = []
        prev = self._events[-1].hash if self._events else GENESIS_HASH
        position = len(self._events)
        versions: dict[str, int] = {}
        ids: set[object] = set()
        for b in batches:
            version = len(self._streams.get(b.stream_id, ()))
            for new in b.events:
                if new.event_id in self._ids or new.event_id in ids:
                    raise StoreError(
                        f"event id {new.event_id} is already recorded",
                        code="store.duplicate_event_id",
                    )
                ids.add(new.event_id)
                position += 1
                version += 1
                # Round-trip through JSON, as the SQL store does, so that tests cannot
                # pass on objects a database would refuse or change.
                frozen = NewEvent(
                    type=new.type,
                    data=fastjson.roundtrip(new.data),
                    valid_time=new.valid_time,
                    schema_version=new.schema_version,
                    metadata=fastjson.roundtrip(new.metadata),
                    sources=tuple(new.sources),
                    actor=new.actor,
                    correlation_id=new.correlation_id,
                    causation_id=new.causation_id,
                    event_id=new.event_id,
                )
                rec = record(
                    frozen,
                    position=position,
                    stream_id=b.stream_id,
                    stream_version=version,
                    recorded_at=now,
                    prev_hash=prev,
                    chained=not self._scratch,
                )
                prev = rec.hash
                staged.append(rec)
            versions[b.stream_id] = version
        if project:
            self._project(staged)
        for rec in staged:
            self._events.append(rec)
            self._streams.setdefault(rec.stream_id, []).append(rec)
            self._ids.add(rec.event_id)
        result = AppendResult(staged[0].position, staged[-1].position, versions)
        if idempotency_key is not None:
            self._idempotency[idempotency_key] = (fp, result)
        return result

    def _project(self, staged: Sequence[RecordedEvent]) -> None:
        if self._projector is not None:
            # The projections' unit of work; the log changes only once it committed.
            with self._models().begin() as conn:
                self._projector.apply_inline(conn, [_copy(r) for r in staged])

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        for unit in units:
            validate_batches(unit.batches)
        if not units:
            raise StoreError("nothing to append", code="store.empty_append")
        async with self._lock:
            if len(self._events) != expected_head:
                raise HeadMoved(expected_head, len(self._events))
            events, keys = len(self._events), set(self._idempotency)
            results: list[AppendResult] = []
            try:
                for unit in units:
                    key = unit.idempotency_key
                    if key is not None and key in self._idempotency:
                        raise batch_key_recorded(key)
                    fp = fingerprint(unit.batches)
                    results.append(self._apply(unit.batches, key, fp, project=False))
                self._project(self._events[events:])
            except BaseException:
                # All or nothing: take back the units applied before the failing one.
                for rec in self._events[events:]:
                    self._streams[rec.stream_id].pop()
                    self._ids.discard(rec.event_id)
                del self._events[events:]
                for key in set(self._idempotency) - keys:
                    del self._idempotency[key]
                raise
        async with self._changed:
            self._changed.notify_all()
        return results

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        events = self._streams.get(stream_id, [])[max(from_version, 1) - 1 :]
        events = events[:limit] if limit is not None else events
        return list(events) if self._scratch else [_copy(e) for e in events]

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        events = self._events[max(after, 0) :]
        events = events[:limit] if limit is not None else events
        return list(events) if self._scratch else [_copy(e) for e in events]

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, ()))

    async def head_position(self) -> int:
        return len(self._events)

    async def wait_for_events(self, after: int, timeout: float) -> bool:
        if len(self._events) > after:
            return True
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self._events) > after), timeout
                )
            except TimeoutError:
                return False
        return True

    async def close(self) -> None:
        return None


def _copy(event: RecordedEvent) -> RecordedEvent:
    """The caller's own copy of a recorded event, as a database read gives one: fresh data
    and metadata (mutable JSON containers); every other field is immutable and shared.
    A `deepcopy` did the same at about 30 times the cost."""
    return replace(event, data=_copy_json(event.data), metadata=_copy_json(event.metadata))


def _copy_json(value: Any) -> Any:
    # Only what `json.loads` builds is stored here (see `append_many`).
    if type(value) is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_json(v) for v in value]
    return value
