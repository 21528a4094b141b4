"""The `eventsourcing` library (9.5.x), through its persistence layer directly.

It is synchronous, so it runs in its natural form: plain calls, and four threads sharing
one datastore for W5. What is used:

* SQLite: `SQLiteDatastore` + `SQLiteApplicationRecorder` (WAL is switched on by the
  library). The only change from its defaults: `PRAGMA synchronous` is set on each new
  connection to the same level as the other subjects, so durability is equal.
* PostgreSQL: `PostgresDatastore` (psycopg 3 pool) + `PostgresApplicationRecorder`, whose
  `insert_events` takes `LOCK TABLE ... IN EXCLUSIVE MODE` per transaction so that
  notification ids commit in order (its answer to readers skipping events).

Events are `StoredEvent(originator_id, originator_version, topic, state)` with the topic
the event type and the state the JSON of data, valid time and sources (what its mapper
would produce, without the mapper). W3 reads `select_notifications` pages, W4
`select_events`; both decode each state with `json.loads`. Optimistic concurrency is its
own: the (originator_id, originator_version) primary key raises `IntegrityError`.
"""

from __future__ import annotations

import gc
import json
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
)

from bench.payloads import EventSpec
from bench.plan import PAGE_SIZE, W5_WRITERS, Plan
from bench.subject import BenchError, Subject
from bench.targets import SQLITE

LOCK_TIMEOUT_S = 30


class _SyncPool(SQLiteConnectionPool):
    """The library's pool, plus `PRAGMA synchronous` on every new connection."""

    def __init__(self, *, synchronous: str, **kwargs: Any) -> None:
        self._synchronous = synchronous
        super().__init__(**kwargs)

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        conn._sqlite_conn.execute(f"PRAGMA synchronous={self._synchronous}")
        return conn


def _stored(stream: uuid.UUID, version: int, spec: EventSpec) -> StoredEvent:
    return StoredEvent(
        originator_id=stream,
        originator_version=version,
        topic=spec.type,
        state=spec.state_bytes(),
    )


class EventsourcingSubject(Subject):
    name = "eventsourcing"

    recorder: SQLiteApplicationRecorder | PostgresApplicationRecorder
    datastore: SQLiteDatastore | PostgresDatastore

    def open(self) -> None:
        if self.target.backend == SQLITE:
            assert self.target.sqlite_path is not None
            datastore = SQLiteDatastore(str(self.target.sqlite_path), lock_timeout=LOCK_TIMEOUT_S)
            datastore.pool.close()
            datastore.pool = _SyncPool(
                synchronous=self.sqlite_synchronous,
                db_name=str(self.target.sqlite_path),
                lock_timeout=LOCK_TIMEOUT_S,
            )
            self.datastore = datastore
            self.recorder = SQLiteApplicationRecorder(datastore)
        else:
            pg = self.target.pg
            pg_datastore = PostgresDatastore(
                dbname=pg.dbname,
                host=pg.host,
                port=pg.port,
                user=pg.user,
                password=pg.password,
                pool_size=W5_WRITERS,
                max_overflow=0,
            )
            self.datastore = pg_datastore
            self.recorder = PostgresApplicationRecorder(pg_datastore)
        self.recorder.create_table()

    def settings(self) -> dict[str, Any]:
        if isinstance(self.datastore, SQLiteDatastore):
            with self.datastore.transaction(commit=False) as c:
                out: dict[str, Any] = {}
                for pragma in ("journal_mode", "synchronous", "busy_timeout"):
                    c.execute(f"PRAGMA {pragma}")
                    out[pragma] = c.fetchone()[0]
                return out
        with self.datastore.get_connection() as conn:
            row = conn.execute("SHOW synchronous_commit").fetchone()
            assert row is not None
            return {"synchronous_commit": row["synchronous_commit"], "driver": "psycopg 3"}

    def w1(self, plan: Plan) -> float:
        recorder = self.recorder
        gc.collect()
        start = time.perf_counter()
        for stream, spec in plan.w1:
            recorder.insert_events([_stored(uuid.UUID(stream), 1, spec)])
        return time.perf_counter() - start

    def _write_batches(self, stream_id: str, batches: Sequence[Sequence[EventSpec]]) -> None:
        stream = uuid.UUID(stream_id)
        version = 0
        for batch in batches:
            stored = []
            for spec in batch:
                version += 1
                stored.append(_stored(stream, version, spec))
            self.recorder.insert_events(stored)

    def w2(self, plan: Plan) -> float:
        gc.collect()
        start = time.perf_counter()
        self._write_batches(plan.w2_stream, plan.w2_batches)
        return time.perf_counter() - start

    def setup_w4(self, plan: Plan) -> None:
        self._write_batches(plan.w4_stream, plan.w4_batches)

    def w3(self, plan: Plan) -> tuple[float, int]:
        recorder = self.recorder
        loads = json.loads
        read = 0
        gc.collect()
        start = time.perf_counter()
        last = 0
        while True:
            page = recorder.select_notifications(
                start=last, limit=PAGE_SIZE, inclusive_of_start=False
            )
            for notification in page:
                loads(notification.state)
            read += len(page)
            if len(page) < PAGE_SIZE:
                break
            last = page[-1].id
        elapsed = time.perf_counter() - start
        return elapsed, read

    def w4(self, plan: Plan) -> tuple[float, int]:
        stream = uuid.UUID(plan.w4_stream)
        loads = json.loads
        gc.collect()
        start = time.perf_counter()
        events = self.recorder.select_events(stream)
        decoded = [loads(e.state) for e in events]
        elapsed = time.perf_counter() - start
        return elapsed, len(decoded)

    def w5(self, plan: Plan) -> tuple[float, int]:
        recorder = self.recorder
        conflicts = [0] * len(plan.w5_writers)
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(plan.w5_writers) + 1)

        def writer(index: int) -> None:
            try:
                work = [(uuid.UUID(s), spec) for s, spec in plan.w5_writers[index]]
                barrier.wait()
                for stream, spec in work:
                    while True:
                        last = recorder.select_events(stream, desc=True, limit=1)
                        version = last[0].originator_version if last else 0
                        try:
                            recorder.insert_events([_stored(stream, version + 1, spec)])
                            break
                        except IntegrityError:
                            conflicts[index] += 1
            except BaseException as e:  # surfaced after join
                errors.append(e)

        threads = [
            threading.Thread(target=writer, args=(i,), name=f"es-w5-{i}")
            for i in range(len(plan.w5_writers))
        ]
        for t in threads:
            t.start()
        gc.collect()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise BenchError(f"eventsourcing W5 writer failed: {errors[0]!r}") from errors[0]
        return elapsed, sum(conflicts)

    def count(self) -> int:
        total = 0
        last = 0
        while True:
            page = self.recorder.select_notifications(
                start=last, limit=10_000, inclusive_of_start=False
            )
            total += len(page)
            if len(page) < 10_000:
                return total
            last = page[-1].id

    def close(self) -> None:
        self.datastore.close()
