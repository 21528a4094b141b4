"""The projection runner: inline apply, catch-up, rebuild with a swap, status and verify.

* **Inline**: attached to a store (`attach`), `apply_inline` runs in every append's
  transaction (`store/hooks.py`): for each projection whose checkpoint is exactly the
  position before the append's first event and whose stored version is the code's, it
  applies the events and moves the checkpoint, in that transaction. A stale projection (a
  checkpoint of another version) or a lagging one (a checkpoint behind: a database migrated
  under a log that already held events) is left alone there: never applied out of order,
  never skipping an event; `catch-up` or `rebuild` brings it up.
* **Catch-up** reads the log after the checkpoint in batches, and applies each batch with
  its checkpoint in one transaction holding the append lock (so inline applies and catch-up
  never interleave: each transaction re-reads the checkpoint and applies only what follows).
* **Rebuild** streams the whole log in batches (memory bounded by the batch: one page of
  `batch_size` events is held at a time, whatever the log's size) into fresh scratch
  tables (`<table>__rebuild`), each batch its own transaction, while the live tables keep
  serving readers (and, when current, keep being applied inline). Rebuilding several
  projections reads the log once: each page is applied to every one of them, in one
  transaction. Once the scratch tables have reached the head, one transaction holding the
  append lock swaps them all in and sets each checkpoint to the head and the code's
  version. On PostgreSQL it deletes the live rows and copies the scratch rows into the live
  tables (the live tables are never dropped or renamed). On SQLite, where a copy wrote every
  row again (the swap was an eighth of a 20,000-event rebuild), the scratch tables are
  created with the live tables' own CREATE TABLE statements as the schema holds them, and
  the swap drops each live table, renames its scratch table to its name and creates the
  live indexes again from the schema's own CREATE INDEX statements: the schema stays the
  Alembic revisions' (names, columns, constraints), and no row is copied. Readers see the
  old models or the new ones, never a half-built one (the swap is one transaction, DDL
  included; WAL on SQLite, MVCC on PostgreSQL), and a crash before its COMMIT leaves the
  live tables as they were.
* **Verify** rebuilds into `<table>__verify` up to the live checkpoint and compares the two,
  row by row, in one transaction holding the append lock: drift detection.

A failing projection raises `ProjectionFailed` (`projection.failed`, naming the event's
position): the transaction, an append included, is rolled back.

**Units and batches.** Each projection applies a page (rebuild, verify, catch-up) or an
append's events (inline) under a unit of work (`unit.py`): its reads of kept streams and
open rows are made once and its writes buffered, then flushed with one `executemany` per
table; the rows are those of the events applied one by one. A projection may instead
define `apply_batch(conn, tables, events)` (see `BatchProjection`): the effect of `apply`
on each event in order, done its own way; rebuild, verify and catch-up then use it for
their pages. If a page's unit or `apply_batch` raises anything but `ProjectionFailed`, the
page's transaction is rolled back and the page applied again event by event (no unit) in a
new one, so the failure still names its event (and a page `apply` takes is committed: the
two are equal by contract, which the rebuild = inline tests check). Inline, a failure to
flush names the append's first event and the positions being written.
Inline, each projection's unit starts from the open rows its previous inline unit left
(`unit.Carried`) when the append's first event follows that unit's last in the hash chain.
Each page is read and applied with the cyclic garbage collector paused
(`_collector_paused`).
`apply_seconds` adds up, per projection, the time its `apply`/`apply_batch` took in
rebuilds and catch-ups (the benchmark reports it: where a rebuild's time goes).
"""

from __future__ import annotations

import gc
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections import statements, unit
from sco_registry.projections.base import (
    Projection,
    ProjectionError,
    ProjectionFailed,
    Tables,
    checkpoints,
    metadata,
)
from sco_registry.store.base import RecordedEvent
from sco_registry.store.chain import chain_hash, envelope_of
from sco_registry.store.hooks import ProjectionRead, ProjectionWrite, Projector, ProjectorStale
from sco_registry.store.statements import DriverStatement

T = TypeVar("T")
BATCH_SIZE = 2000
"""Events per page (and so per transaction) in catch-up, rebuild and verify: the memory
bound (one page of decoded events) against the per-transaction cost."""
Progress = Callable[[str, int, int], None]


class ProjectionHost(Protocol):
    """What the runner needs of a store (every store here has it: `store/hooks.py`)."""

    def attach_projector(self, projector: Projector | None) -> None: ...

    async def run_projection_write(self, work: ProjectionWrite[T]) -> T: ...

    async def run_projection_read(self, work: ProjectionRead[T]) -> T: ...

    async def read_all(
        self, *, after: int = 0, limit: int | None = None
    ) -> list[RecordedEvent]: ...

    async def head_position(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Checkpoint:
    version: int | None  # None: no checkpoint stored yet (nothing applied)
    position: int


@dataclass(frozen=True, slots=True)
class Status:
    name: str
    version: int  # the code's
    stored_version: int | None
    checkpoint: int
    head: int

    @property
    def lag(self) -> int:
        return self.head - self.checkpoint

    @property
    def state(self) -> str:
        if self.stored_version is not None and self.stored_version != self.version:
            return "stale"
        return "current" if self.lag == 0 else "lagging"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    name: str
    position: int
    live_rows: int
    rebuilt_rows: int
    only_live: list[str] = field(default_factory=list)
    only_rebuilt: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.only_live and not self.only_rebuilt


_ADVANCE = (
    checkpoints.update()
    .where(
        checkpoints.c.name == sa.bindparam("p_name"),
        checkpoints.c.version == sa.bindparam("p_version"),
        checkpoints.c.position == sa.bindparam("p_before"),
    )
    .values(position=sa.bindparam("p_last"))
)
_READ = sa.select(checkpoints.c.version, checkpoints.c.position).where(
    checkpoints.c.name == sa.bindparam("name")
)


# The checkpoints, as one value (a JSON array of [name, version, position], or NULL: none)
# that the statement of an append's writes checks (PostgreSQL, `statements.Deferred.check`).
_CHECKPOINTS_SQL = (
    "SELECT json_agg(json_build_array(c.name, c.version, c.position))::text"
    f" FROM {checkpoints.name} AS c"
)


def _checkpoints_hold(value: str | None, known: dict[str, tuple[int, int]]) -> bool:
    """Whether the checkpoints the statement found (`_CHECKPOINTS_SQL`'s value) are `known`."""
    return _same_checkpoints([] if value is None else orjson.loads(value), known)


def _same_checkpoints(found: Sequence[Sequence[Any]], known: dict[str, tuple[int, int]]) -> bool:
    """Whether the checkpoint rows `found` are those `known` says."""
    return {str(n): (int(v), int(p)) for n, v, p in found} == known


def _read_checkpoints(conn: Connection) -> dict[str, tuple[int, int]]:
    """Every stored checkpoint: name -> (version, position), in one statement on the DBAPI
    cursor (`DriverStatement`: SQLAlchemy's SQL and conversions)."""
    dialect = conn.dialect

    def build(t: sa.Table) -> DriverStatement:
        return DriverStatement(sa.select(t.c.name, t.c.version, t.c.position), dialect)

    query = statements.cached(checkpoints, ("driver-all", dialect.name, dialect.driver), build)
    return {str(n): (int(v), int(p)) for n, v, p in query.fetch_all(conn, {})}


def _follows(
    carried: unit.Carried, first: RecordedEvent, seen: dict[tuple[int, str], bool]
) -> bool:
    """Whether `first` is the event right after the one `carried` stands at: the next
    position, and a hash chained on that event's hash (so the log up to it is the one the
    carried rows were made from: an append rolled back after them, or another writer's
    events, make another chain). `seen`: the answers of this append, by position and hash."""
    key = (carried.position, carried.hash)
    found = seen.get(key)
    if found is None:
        found = seen[key] = (
            carried.position == first.position - 1
            and bool(first.hash)
            and (chain_hash(carried.hash, envelope_of(first)) == first.hash)
        )
    return found


def read_checkpoint(conn: Connection, name: str) -> Checkpoint:
    row = conn.execute(_READ, {"name": name}).first()
    return Checkpoint(None, 0) if row is None else Checkpoint(int(row[0]), int(row[1]))


def save_checkpoint(conn: Connection, name: str, version: int, position: int) -> None:
    done = conn.execute(
        checkpoints.update()
        .where(checkpoints.c.name == name)
        .values(version=version, position=position)
    )
    if done.rowcount == 0:
        conn.execute(checkpoints.insert().values(name=name, version=version, position=position))


@runtime_checkable
class BatchProjection(Protocol):
    """A projection that can apply a page of events at once (optional; see the module's
    docstring): the same rows as `apply` on each event in order, or an exception."""

    def apply_batch(
        self, conn: Connection, tables: Tables, events: Sequence[RecordedEvent]
    ) -> None: ...


class _ReplayPage(Exception):
    """`apply_batch` failed: roll the page back and apply it event by event."""


def apply_page(
    conn: Connection,
    projection: Projection,
    tables: Tables,
    events: Sequence[RecordedEvent],
    *,
    batched: bool = True,
) -> None:
    """Apply a page of events in order, with `apply_batch` where the projection has it
    (and `batched`); raises `_ReplayPage` when `apply_batch` fails other than by
    `ProjectionFailed` (the caller rolls back and calls again with `batched=False`)."""
    if not batched:
        apply_events(conn, projection, tables, events)
        return
    try:
        if len(events) > 1 and isinstance(projection, BatchProjection):
            projection.apply_batch(conn, tables, events)
        else:
            with unit.buffered(conn) as buffer:
                apply_events(conn, projection, tables, events)
                buffer.flush(conn)
    except ProjectionFailed:
        raise
    except Exception as e:
        raise _ReplayPage() from e


def apply_buffered(
    conn: Connection,
    projection: Projection,
    tables: Tables,
    events: Sequence[RecordedEvent],
    *,
    carried: unit.Carried | None = None,
    carry: bool = False,
) -> unit.Carried | None:
    """Apply events in order under a unit (`unit.py`), flushed at the end. A failure to
    write the unit's rows (the events' own failures name them) names the first event and
    says which positions were being written. `carried`: the open rows the previous unit
    left (the caller vouches that they are the tables' as these events find them);
    `carry`: return the open rows this unit leaves (None under a unit already active)."""
    nested = unit.active(conn) is not None
    with unit.buffered(conn, None if nested else carried) as buffer:
        apply_events(conn, projection, tables, events)
        try:
            if carry and not nested:
                last = events[-1]
                return buffer.flush_carried(conn, last.position, last.hash)
            buffer.flush(conn)
            return None
        except Exception as e:
            first, last = events[0], events[-1]
            cause = RuntimeError(
                f"writing the rows of the events at positions {first.position}-{last.position}:"
                f" {e.__class__.__name__}: {e}"
            )
            raise ProjectionFailed(projection.name, first.position, first.event_id, cause) from e


def apply_events(
    conn: Connection, projection: Projection, tables: Tables, events: Sequence[RecordedEvent]
) -> None:
    """Apply events in order; the first failure raises `ProjectionFailed` naming it."""
    for event in events:
        try:
            projection.apply(conn, tables, event)
        except ProjectionFailed:
            raise
        except Exception as e:
            raise ProjectionFailed(projection.name, event.position, event.event_id, e) from e


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a page is read or applied (rebuild, verify,
    catch-up), back on after it (as it was: left off if it was off). A page allocates some hundred
    thousand dicts and tuples, nearly all freed by reference counting; the collections they
    trigger, each a walk over the young objects and, every so often, over the whole heap,
    took a quarter to a third of a rebuild's apply time. Memory stays bounded: the garbage in
    cycles, if any, is a page's, collected once the collector is back."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _recreate(conn: Connection, tables: Tables) -> None:
    for table in tables.values():
        table.drop(conn, checkfirst=True)
        table.create(conn)


_CREATE_TABLE = re.compile(r'^\s*CREATE\s+TABLE\s+("?)([A-Za-z0-9_]+)\1\s*\(', re.IGNORECASE)


def _schema_sql(conn: Connection, kind: str, table: str) -> list[str]:
    found = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL"
        " ORDER BY name",
        (kind, table),
    )
    return [str(sql) for (sql,) in found]


def _recreate_like_live(conn: Connection, live: Tables, tables: Tables) -> None:
    """SQLite: each scratch table created with its live table's CREATE TABLE as the schema
    holds it (the Alembic revision's), renamed; its indexes as the scratch's own (named
    with the suffix: index names are the schema's, the live ones are taken). A live table
    missing from the schema: the scratch's definition."""
    for key, table in tables.items():
        table.drop(conn, checkfirst=True)
        found = _schema_sql(conn, "table", live[key].name)
        match = _CREATE_TABLE.match(found[0]) if len(found) == 1 else None
        if match is None or match.group(2) != live[key].name:
            table.create(conn)
            continue
        conn.exec_driver_sql(f'CREATE TABLE "{table.name}" (' + found[0][match.end() :])
        for index in table.indexes:
            index.create(conn)


def _rename_into(conn: Connection, scratch: sa.Table, live: sa.Table) -> None:
    """SQLite's swap of one table, inside the swap's transaction: the live table dropped,
    the scratch one renamed to its name, and the live indexes created again on it from the
    schema's own CREATE INDEX statements (the Alembic revisions' names and columns; the
    scratch's suffixed indexes dropped). No row is copied; SQLite's DDL is transactional,
    so readers (WAL) see the old table or the new one, and a crash leaves the old one."""
    indexes = _schema_sql(conn, "index", live.name)
    for index in scratch.indexes:
        index.drop(conn)
    live.drop(conn)
    conn.exec_driver_sql(f'ALTER TABLE "{scratch.name}" RENAME TO "{live.name}"')
    for sql in indexes:
        conn.exec_driver_sql(sql)


def _analyze(conn: Connection, live: sa.Table) -> None:
    """PostgreSQL's statistics of a live table its rebuild has just refilled, in the swap's
    transaction (ANALYZE counts the transaction's own new rows as live): the planner's
    estimates are those of the new rows from the swap's commit on. A table never analyzed
    (a fresh database; autovacuum off, or not come round yet) is planned from defaults:
    on the 100,000-event log the page of 100 meetings was a full scan and sort of the
    meetings' 27,000 rows and its documents a full scan of 62,000 rows (EXPLAIN ANALYZE:
    37-124 ms and 105 ms of the server's time, on the loaded 2-core machine, against 0.2
    and 0.9 ms off the indexes once analyzed)."""
    conn.exec_driver_sql(f'ANALYZE "{live.name}"')


def _names_table_of(message: str, projection: Projection | None) -> bool:
    """Whether a database error's message names one of `projection`'s tables (or a
    constraint named after it, as PostgreSQL's default names are: `<table>_pkey`)."""
    return projection is not None and any(t.name in message for t in projection.tables.values())


def _drop(conn: Connection, tables: Tables) -> None:
    for table in tables.values():
        table.drop(conn, checkfirst=True)


def _rows(conn: Connection, projection: Projection, table: sa.Table) -> list[str]:
    query = sa.select(table).order_by(*projection.order_by(table))
    return [
        json.dumps(list(r), sort_keys=True, default=str, separators=(",", ":"))
        for r in conn.execute(query)
    ]


class ProjectionRunner:
    """The projections of one store; also its inline `Projector`."""

    def __init__(
        self,
        host: ProjectionHost,
        projections: Sequence[Projection],
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.host = host
        self.projections = list(projections)
        self.batch_size = batch_size
        # Per projection, the open rows its last inline unit left (`unit.Carried`): the next
        # append's unit starts from them instead of reading its scopes again, when its first
        # event follows that unit's last in the hash chain (`_follows`). Dropped by every
        # other write of the runner (catch-up, rebuild, verify), under the append lock.
        self._carried: dict[str, unit.Carried] = {}
        # PostgreSQL: the checkpoints as this runner's last inline apply left them. The
        # next append's decisions rest on them instead of a read (a round trip), and its
        # one statement of writes returns the checkpoints as the database held them under
        # the append lock: if they differ, the append is rolled back and made again
        # (`ProjectorStale`), reading them. None: read them.
        self._known: dict[str, tuple[int, int]] | None = None
        # Seconds each projection's apply took in rebuilds, verifies and catch-ups.
        self.apply_seconds: defaultdict[str, float] = defaultdict(float)

    def attach(self) -> ProjectionRunner:
        """Apply the projections inline in every append of the host from now on."""
        self.host.attach_projector(self)
        return self

    def select(self, name: str | None = None) -> list[Projection]:
        if name is None:
            return list(self.projections)
        found = [p for p in self.projections if p.name == name]
        if not found:
            known = ", ".join(p.name for p in self.projections)
            raise ProjectionError(
                f"no projection {name!r} (known: {known})",
                code="projection.unknown",
                details={"name": name},
            )
        return found

    # -- the store's hook ---------------------------------------------------------------------

    def create_schema(self, conn: Connection) -> None:
        metadata.create_all(conn)

    def apply_inline(self, conn: Connection, events: Sequence[RecordedEvent]) -> None:
        """Two statements for the checkpoints of all the projections, whatever their
        number: one read of them all, and one executemany moving those that are current
        and just before these events (`_ADVANCE`, its condition kept); the rows follow in
        the same transaction. The append holds the store's append lock (so does every
        other checkpoint writer: catch-up, rebuild's swap), so no checkpoint moves between
        the read and the update. One statement per projection cost 0.3 ms (SQLite) to
        1 ms (PostgreSQL, a round trip each) of an append.

        On PostgreSQL the rows every projection writes and the checkpoints' move are one
        statement (`statements.Deferred`): each executemany was a round trip of its own
        (ten for a meeting), each costing the process more CPU time than the rows it
        writes. The writes are the same; a failing one fails the append, naming the
        projection whose table the database named. There the checkpoints are not read
        either, once known: the decisions rest on those this runner's previous append
        left (`_known`), and the statement's main query returns them as the database holds
        them under the append lock; if they differ, `ProjectorStale` rolls the append back
        and the store makes it again (the checkpoints then read)."""
        if not events:
            return
        if conn.dialect.name != "postgresql":
            self._apply_inline(conn, events, None)
            return
        known, self._known = self._known, None
        with statements.deferred(conn) as pending:
            stored, after = self._apply_inline(conn, events, pending, known)
            if stored is known:
                # Another writer may have moved a checkpoint since this runner's last
                # append (a catch-up, a rebuild, another process's runner of another
                # version): then the decisions above rest on the wrong ones.
                pending.check(
                    _CHECKPOINTS_SQL,
                    lambda value: _checkpoints_hold(value, stored),
                    "the projections' checkpoints moved",
                    self._carried.clear,
                )
            owners = pending.owners() or ["checkpoints"]
            try:
                failed = pending.run(conn)
            except Exception as e:
                said = str(getattr(e, "orig", e))  # the database's words, not the SQL
                named = [o for o in owners if _names_table_of(said, self._by_name(o))]
                first = events[0]
                raise ProjectionFailed(
                    (named or owners)[0], first.position, first.event_id, e
                ) from e
        if failed:
            # What a unit took as known did not hold: roll back; the append is made again
            # (each check's `stale` dropped what it rested on: read this time).
            raise ProjectorStale("; ".join(failed))
        self._known = after

    def _by_name(self, name: str) -> Projection | None:
        return next((p for p in self.projections if p.name == name), None)

    def _apply_inline(
        self,
        conn: Connection,
        events: Sequence[RecordedEvent],
        pending: statements.Deferred | None,
        known: dict[str, tuple[int, int]] | None = None,
    ) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
        """Apply `events` to each current projection; returns the checkpoints the
        decisions rested on (`known` itself when they were taken from it rather than read)
        and those the transaction leaves."""
        first, last = events[0].position, events[-1].position
        if known is not None and all(p.name in known for p in self.projections):
            stored = known
        else:
            stored = _read_checkpoints(conn)
        after = dict(stored)
        moved = {"p_before": first - 1, "p_last": last}
        advance: list[dict[str, Any]] = []
        follows: dict[tuple[int, str], bool] = {}
        for p in self.projections:
            carried = self._carried.pop(p.name, None)
            cp = stored.get(p.name)
            if cp is None:
                if first != 1:
                    continue  # lagging (nothing applied, the log not empty): catch-up
                save_checkpoint(conn, p.name, p.version, last)  # the log's first append
            elif cp != (p.version, first - 1):
                continue  # stale or lagging: catch-up or rebuild applies these, in order
            else:
                advance.append({"p_name": p.name, "p_version": p.version, **moved})
            after[p.name] = (p.version, last)
            if carried is not None and not _follows(carried, events[0], follows):
                carried = None
            if pending is not None:
                pending.owner = p.name
            kept = apply_buffered(conn, p, p.tables, events, carried=carried, carry=True)
            if kept is not None:
                self._carried[p.name] = kept
        if pending is not None:
            pending.owner = "checkpoints"
        statements.update_rows(conn, checkpoints, "advance", lambda t: _ADVANCE, advance)
        return stored, after

    # -- reading ------------------------------------------------------------------------------

    async def read(self, work: ProjectionRead[T]) -> T:
        """Run a read function (`work(conn)`) over the read models."""
        return await self.host.run_projection_read(work)

    async def status(self) -> list[Status]:
        head = await self.host.head_position()

        def work(conn: Connection) -> list[Checkpoint]:
            return [read_checkpoint(conn, p.name) for p in self.projections]

        found = await self.host.run_projection_read(work)
        return [
            Status(p.name, p.version, cp.version, cp.position, max(head, cp.position))
            for p, cp in zip(self.projections, found, strict=True)
        ]

    async def _projection_write(self, work: ProjectionWrite[T]) -> T:
        """`work` in the host's write transaction (under the append lock), the open rows
        carried between inline units dropped first: whatever `work` does to the live
        tables, the next inline unit reads its scopes from them."""

        def run(conn: Connection, head: int) -> T:
            self._carried.clear()
            self._known = None
            return work(conn, head)

        return await self.host.run_projection_write(run)

    # -- pages ----------------------------------------------------------------------------

    def _apply_timed(
        self,
        conn: Connection,
        p: Projection,
        tables: Tables,
        events: Sequence[RecordedEvent],
        batched: bool,
    ) -> None:
        started = time.perf_counter()
        try:
            with _collector_paused():
                apply_page(conn, p, tables, events, batched=batched)
        finally:
            self.apply_seconds[p.name] += time.perf_counter() - started

    async def _write_page(self, work: Callable[[Connection, int, bool], T]) -> T:
        """`work(conn, head, batched)` in a write transaction; when an `apply_batch` in it
        fails (`_ReplayPage`), rolled back and run again with `batched=False`, so that the
        failure names its event."""
        try:
            return await self._projection_write(lambda c, h: work(c, h, True))
        except _ReplayPage:
            return await self._projection_write(lambda c, h: work(c, h, False))

    # -- catch-up -----------------------------------------------------------------------------

    async def catch_up(
        self, name: str | None = None, *, progress: Progress | None = None
    ) -> dict[str, int]:
        """Apply what follows each checkpoint, batch by batch; returns events applied per
        projection. A stale projection is refused (`projection.stale`): rebuild it.
        `progress(name, checkpoint, head)` after each batch committed."""
        applied: dict[str, int] = {}
        for p in self.select(name):
            applied[p.name] = await self._catch_up(p, progress)
        return applied

    async def _catch_up(self, p: Projection, progress: Progress | None = None) -> int:
        total = 0
        while True:
            cp = await self.host.run_projection_read(lambda c: read_checkpoint(c, p.name))
            self._refuse_stale(p, cp)
            with _collector_paused():  # a page's events: some thousand objects each
                events = await self.host.read_all(after=cp.position, limit=self.batch_size)
            if not events:
                return total

            def work(
                conn: Connection, head: int, batched: bool, events: list[RecordedEvent] = events
            ) -> int:
                now = read_checkpoint(conn, p.name)
                self._refuse_stale(p, now)
                todo = [e for e in events if e.position > now.position]
                if not todo:
                    return 0
                self._apply_timed(conn, p, p.tables, todo, batched)
                save_checkpoint(conn, p.name, p.version, todo[-1].position)
                return len(todo)

            total += await self._write_page(work)
            if progress is not None:
                progress(p.name, events[-1].position, await self.host.head_position())

    @staticmethod
    def _refuse_stale(p: Projection, cp: Checkpoint) -> None:
        if cp.version is not None and cp.version != p.version:
            raise ProjectionError(
                f"projection {p.name!r} is stale (its rows are of version {cp.version}, "
                f"the code's is {p.version}): rebuild it",
                code="projection.stale",
                details={"name": p.name, "stored": cp.version, "version": p.version},
            )

    # -- rebuild ------------------------------------------------------------------------------

    async def rebuild(self, name: str | None = None, *, progress: Progress | None = None) -> int:
        """Rebuild from the whole log into scratch tables, then swap; returns the position
        the rebuilt models stand at. Several projections (`name` None: all) are rebuilt
        together: one read of the log, one transaction per page for all, one swap."""
        return await self._rebuild(self.select(name), progress)

    async def rebuild_stale(self, *, progress: Progress | None = None) -> list[str]:
        """Rebuild the stale projections, then catch the others up (`run` at start-up)."""
        stale = {s.name for s in await self.status() if s.state == "stale"}
        rebuilt = [p for p in self.projections if p.name in stale]
        if rebuilt:
            await self._rebuild(rebuilt, progress)
        await self.catch_up()
        return [p.name for p in rebuilt]

    async def _build(
        self,
        ps: Sequence[Projection],
        scratch: Sequence[Tables],
        until: int | None,
        progress: Progress | None,
        *,
        like_live: bool = False,
    ) -> int:
        """Apply the log after 0 (up to `until`, or the head) to freshly created scratch
        tables, one transaction per batch; returns the position reached. `like_live`: on
        SQLite, each scratch table is created with its live table's own CREATE TABLE (so
        that it can be renamed into the live one at the swap: `_rename_into`)."""

        def recreate(conn: Connection, head: int) -> None:
            for p, tables in zip(ps, scratch, strict=True):
                if like_live and conn.dialect.name == "sqlite":
                    _recreate_like_live(conn, p.tables, tables)
                else:
                    _recreate(conn, tables)

        await self._projection_write(recreate)
        total = until if until is not None else await self.host.head_position()
        return await self._extend(ps, scratch, 0, until, total, progress)

    async def _extend(
        self,
        ps: Sequence[Projection],
        scratch: Sequence[Tables],
        position: int,
        until: int | None,
        total: int,
        progress: Progress | None,
    ) -> int:
        label = ps[0].name if len(ps) == 1 else f"{len(ps)} projections"
        while until is None or position < until:
            limit = self.batch_size if until is None else min(self.batch_size, until - position)
            with _collector_paused():  # a page's events: some thousand objects each
                events = await self.host.read_all(after=position, limit=limit)
            if not events:
                break

            def work(
                conn: Connection, head: int, batched: bool, events: list[RecordedEvent] = events
            ) -> None:
                for p, tables in zip(ps, scratch, strict=True):
                    self._apply_timed(conn, p, tables, events, batched)

            await self._write_page(work)
            position = events[-1].position
            del events  # the page is the memory bound: drop it before reading the next
            if progress is not None:
                progress(label, position, max(total, position))
        return position

    async def _rebuild(self, ps: Sequence[Projection], progress: Progress | None) -> int:
        scratch = [p.define(sa.MetaData(), "__rebuild") for p in ps]
        try:
            position = await self._build(ps, scratch, None, progress, like_live=True)
            while True:

                def swap(conn: Connection, head: int, position: int = position) -> bool:
                    if head != position:
                        return False  # appended meanwhile: apply those to the scratch first
                    rename = conn.dialect.name == "sqlite"
                    for p, tables in zip(ps, scratch, strict=True):
                        for key, live in p.tables.items():
                            if rename:
                                _rename_into(conn, tables[key], live)
                                continue
                            conn.execute(live.delete())
                            columns = [c.name for c in live.columns]
                            rows = sa.select(*(tables[key].c[c] for c in columns))
                            conn.execute(live.insert().from_select(columns, rows))
                            _analyze(conn, live)
                        save_checkpoint(conn, p.name, p.version, position)
                    return True

                if await self._projection_write(swap):
                    return position
                head = await self.host.head_position()
                position = await self._extend(ps, scratch, position, None, head, progress)
        finally:

            def drop(conn: Connection, head: int) -> None:
                for tables in scratch:
                    _drop(conn, tables)

            await self._projection_write(drop)

    # -- verify -------------------------------------------------------------------------------

    async def verify(self, name: str | None = None) -> list[VerifyReport]:
        """Rebuild each projection into scratch tables up to its live checkpoint and compare
        them row by row with the live tables."""
        return [await self._verify(p) for p in self.select(name)]

    async def _verify(self, p: Projection) -> VerifyReport:
        cp = await self.host.run_projection_read(lambda c: read_checkpoint(c, p.name))
        self._refuse_stale(p, cp)
        scratch = p.define(sa.MetaData(), "__verify")
        try:
            position = await self._build([p], [scratch], cp.position, None)
            while True:

                def compare(
                    conn: Connection, head: int, position: int = position
                ) -> VerifyReport | int:
                    live_cp = read_checkpoint(conn, p.name)
                    if live_cp.position != position:
                        return live_cp.position  # inline applies moved on: follow them
                    only_live: list[str] = []
                    only_rebuilt: list[str] = []
                    live_n = rebuilt_n = 0
                    for key, live in p.tables.items():
                        a = Counter(_rows(conn, p, live))
                        b = Counter(_rows(conn, p, scratch[key]))
                        live_n += sum(a.values())
                        rebuilt_n += sum(b.values())
                        only_live += [f"{key}: {r}" for r in (a - b).elements()]
                        only_rebuilt += [f"{key}: {r}" for r in (b - a).elements()]
                    return VerifyReport(
                        p.name, position, live_n, rebuilt_n, only_live, only_rebuilt
                    )

                outcome = await self._projection_write(compare)
                if isinstance(outcome, VerifyReport):
                    return outcome
                if outcome < position:  # rebuilt meanwhile: the live model is another build
                    raise ProjectionError(
                        f"projection {p.name!r} was rebuilt during verify: verify again",
                        code="projection.verify_raced",
                        details={"name": p.name},
                    )
                position = await self._extend([p], [scratch], position, outcome, outcome, None)
        finally:
            await self._projection_write(lambda conn, head: _drop(conn, scratch))


def default_projections() -> list[Projection]:
    from sco_registry.projections.audit import AuditProjection
    from sco_registry.projections.bodies import BodiesProjection
    from sco_registry.projections.compliance import ComplianceProjection
    from sco_registry.projections.documents import DocumentsProjection
    from sco_registry.projections.mandates import MandatesProjection
    from sco_registry.projections.meetings import MeetingsProjection
    from sco_registry.projections.membership import MembershipProjection
    from sco_registry.projections.offices import OfficesProjection
    from sco_registry.projections.organizations import OrganizationsProjection
    from sco_registry.projections.timeline import TimelineProjection

    return [
        MembershipProjection(),
        BodiesProjection(),
        OfficesProjection(),
        MandatesProjection(),
        MeetingsProjection(),
        DocumentsProjection(),
        OrganizationsProjection(),
        TimelineProjection(),
        AuditProjection(),
        ComplianceProjection(),
    ]


def runner_for(host: ProjectionHost, **kwargs: Any) -> ProjectionRunner:
    """The registry's projections over `host`, attached to its appends."""
    return ProjectionRunner(host, default_projections(), **kwargs).attach()
