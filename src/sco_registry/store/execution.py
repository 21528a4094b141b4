"""Runs the event log's units of work: inline or one thread hop (SQLite), run_sync (PostgreSQL).

The SQL itself is not here. The store writes each unit of work (one append; one read)
once, as a synchronous function of a SQLAlchemy `Connection`. Only the way it is run
differs by backend:

* PostgreSQL (and an in-memory SQLite database, which only its own engine can see):
  `AsyncConnection.run_sync`. The function's statements reach asyncpg through
  SQLAlchemy's greenlet bridge, on the event loop, with no thread involved; the
  round trips are those of the statements and nothing else.
* SQLite: a synchronous pysqlite engine for the same file (`db.sqlite_sync_engine`). A
  small unit (a few events, a short read) runs on the event loop's thread when SQLite can
  serve it at once (a busy timeout of 0 there; see `SqliteRunner`), any other in one hop
  to a worker thread. Through aiosqlite every DBAPI call
  (BEGIN, each execute, each fetch, COMMIT, the pool's reset on return) is a hop of its
  own to aiosqlite's thread and back through the event loop: about a dozen per append,
  where the statements themselves take microseconds. Writes go to one dedicated thread per
  store, so this store's appends queue there rather than in SQLite's busy handler (which
  sleeps between retries), exactly as the `asyncio.Lock` they replace did; reads use a
  small pool of their own, so they never wait behind a write (WAL).

An optional `before_commit` hook (test-only, async) is awaited inside the transaction; on
SQLite the worker waits for it on the event loop. Cancelling a write that has not reached
COMMIT rolls it back: the worker checks for the cancellation before committing and cancels
a hook it is waiting for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import await_

from sco_registry.db import SQLITE_BEGIN_OPTION, read_only_engine, sqlite_sync_engine

T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]
# A write: the connection (in a transaction holding the append lock on SQLite) and the
# synchronous form of the before-commit hook, to call just before returning.
WriteWork = Callable[[Connection, Callable[[], None] | None], T]
ReadWork = Callable[[Connection], T]

# Threads reading one SQLite file for one store; reads never wait for the writer (WAL).
SQLITE_READ_THREADS = 2


class Runner(Protocol):
    # Whether `small` units may run on the event loop's thread (SQLite on a file).
    inline: bool

    async def write(self, work: WriteWork[T], hook: Hook | None, *, small: bool = False) -> T: ...

    async def read(self, work: ReadWork[T], *, small: bool = False) -> T: ...

    async def close(self) -> None: ...


def runner_for(engine: AsyncEngine) -> Runner:
    if engine.dialect.name != "sqlite":
        return AsyncRunner(engine)
    if _in_memory(engine):
        # A second engine would open a second, empty in-memory database: stay on this one,
        # and queue writes here as SQLite's lock cannot between tasks sharing a connection.
        return AsyncRunner(engine, serialize_writes=True)
    return SqliteRunner(engine)


def _in_memory(engine: AsyncEngine) -> bool:
    database = engine.url.database or ""
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or (engine.url.query.get("mode") == "memory")
    )


class AsyncRunner:
    """Units of work over the async engine's own connections (`run_sync`)."""

    inline = False

    def __init__(self, engine: AsyncEngine, *, serialize_writes: bool = False) -> None:
        self._engine = engine
        self._reader = read_only_engine(engine)
        self._write_lock = asyncio.Lock() if serialize_writes else None
        # PostgreSQL: one read connection kept out of the pool for this store's reads, used
        # by one read at a time. A pool checkout and return measured about as long as the
        # read's own round trip (docs/benchmarks.md). Reads made while it is busy (several
        # tasks reading, or appending in autocommit, at once) take a spare: one kept the
        # same way (up to MAX_SPARES), else a pooled one that then stays as a spare. All go
        # back to the pool once no read is in flight at a turn of the loop.
        self._keep_reader = engine.dialect.name == "postgresql"
        self._kept: AsyncConnection | None = None
        self._kept_loop: asyncio.AbstractEventLoop | None = None
        self._kept_busy = False
        self._spares: list[tuple[AsyncConnection, asyncio.AbstractEventLoop]] = []
        self._active = 0  # reads in flight on the kept connection or a spare
        self._holds = 0
        self._releasing: set[asyncio.Future[None]] = set()
        # At most this many reads at once (PostgreSQL), the others waiting their turn here,
        # first come first served. Waiting inside the pool instead, a read could starve: a
        # read that ends keeps its connection as a spare for the next read to come, which
        # takes it before any read already waiting in the pool (those get one only when
        # the spares are full). With more reads at once than the pool holds (15), one read
        # waited 7-12 s while the others took 60-100 ms (docs/benchmarks.md). The bound
        # leaves room in the pool for the spares kept idle and for a write.
        self._read_slots = _read_slots(engine, self.MAX_SPARES) if self._keep_reader else None
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None

    MAX_SPARES = 4

    async def write(self, work: WriteWork[T], hook: Hook | None, *, small: bool = False) -> T:
        if self._write_lock is None:
            return await self._write(work, hook)
        async with self._write_lock:
            return await self._write(work, hook)

    async def _write(self, work: WriteWork[T], hook: Hook | None) -> T:
        def sync_hook() -> None:
            assert hook is not None
            await_(hook())

        async with self._engine.begin() as conn:
            return await conn.run_sync(work, None if hook is None else sync_hook)

    async def autocommit(self, work: ReadWork[T]) -> T:
        """`work(conn)` with each statement its own transaction (PostgreSQL's one-statement
        append, `SqlEventStore._append_pg`): the kept connection when it is free, as reads."""
        return await self.read(work)

    async def read(self, work: ReadWork[T], *, small: bool = False) -> T:
        if not self._keep_reader:
            async with self._reader.connect() as conn:
                return await conn.run_sync(work)
        slots = self._slots_here()
        if slots is None:
            return await self._read(work)
        async with slots:
            return await self._read(work)

    def _slots_here(self) -> asyncio.Semaphore | None:
        """The bound on reads at once, made on (and for) the running loop."""
        if self._read_slots is None:
            return None
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self._read_slots), loop
        return self._slots

    async def _read(self, work: ReadWork[T]) -> T:
        self._active += 1
        try:
            if not self._kept_busy:
                self._kept_busy = True
                try:
                    return await self._read_kept(work)
                finally:
                    self._kept_busy = False
            return await self._read_spare(work)
        finally:
            self._active -= 1
            if not self._active:
                # Back to the pool once reads pause: at the loop's next turn, unless the
                # next read has begun by then (a caller reading in a row keeps them).
                asyncio.get_running_loop().call_soon(self._release_if_idle)

    async def _read_kept(self, work: ReadWork[T]) -> T:
        loop = asyncio.get_running_loop()
        conn = self._kept
        if conn is not None and self._kept_loop is not loop:
            conn = self._kept = None  # made on another loop: not usable (nor closable) here
        if conn is None:
            conn = await self._reader.connect()
            self._kept, self._kept_loop = conn, loop
        try:
            return await self._run_read(conn, work)
        except BaseException:
            self._kept = None
            raise

    async def _read_spare(self, work: ReadWork[T]) -> T:
        loop = asyncio.get_running_loop()
        conn: AsyncConnection | None = None
        while self._spares and conn is None:
            spare, spare_loop = self._spares.pop()
            if spare_loop is loop:  # else made on another loop: dropped, as the kept one
                conn = spare
        if conn is None:
            conn = await self._reader.connect()
        result = await self._run_read(conn, work)
        if len(self._spares) < self.MAX_SPARES:
            self._spares.append((conn, loop))
        else:
            await conn.close()
        return result

    async def _run_read(self, conn: AsyncConnection, work: ReadWork[T]) -> T:
        try:
            result = await conn.run_sync(work)
            if conn.in_transaction():
                await conn.rollback()
            return result
        except BaseException:
            # A failed or cancelled read may leave the connection mid-protocol: drop it
            # (the next read opens another).
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.invalidate())
            raise

    @contextlib.contextmanager
    def holding_reader(self) -> Iterator[None]:
        """Keep the kept connection between the reads made meanwhile, even across turns of
        the loop (a reader reading one page ahead, `SqlEventStore.iter_all`)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if not self._holds:
                asyncio.get_running_loop().call_soon(self._release_if_idle)

    def _release_if_idle(self) -> None:
        if self._active or self._holds:
            return
        loop = asyncio.get_running_loop()
        conns = [c for c, spare_loop in self._spares if spare_loop is loop]
        self._spares.clear()
        if self._kept is not None:
            conns.append(self._kept)
            self._kept = None
        for conn in conns:
            task = asyncio.ensure_future(conn.close())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        conn, self._kept = self._kept, None
        if conn is not None and self._kept_loop is loop:
            await conn.close()
        spares, self._spares = self._spares, []
        for spare, spare_loop in spares:
            if spare_loop is loop:
                await spare.close()
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)


def _read_slots(engine: AsyncEngine, spares: int) -> int | None:
    """How many reads may run at once on `engine`'s pool: its capacity, less the spares a
    runner keeps idle and one connection for a write (None: a pool without a bound)."""
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)
    if not callable(size) or not isinstance(overflow, int) or overflow < 0:
        return None
    capacity = size()
    if not isinstance(capacity, int):
        return None
    return max(1, capacity + overflow - spares - 1)


class _Cancelled(Exception):
    """The awaiting task was cancelled before COMMIT: roll back."""


class _WriteState:
    """What the event loop and the writer thread share about one write."""

    def __init__(self, loop: asyncio.AbstractEventLoop, hook: Hook | None) -> None:
        self.loop = loop
        self.hook = hook
        self.lock = threading.Lock()
        self.cancelled = False
        self.waiting: concurrent.futures.Future[None] | None = None

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.waiting is not None:
                self.waiting.cancel()

    def check(self) -> None:
        if self.cancelled:
            raise _Cancelled

    def run_hook(self) -> None:
        assert self.hook is not None
        with self.lock:
            self.check()
            self.waiting = asyncio.run_coroutine_threadsafe(_awaited(self.hook()), self.loop)
        try:
            self.waiting.result()
        except concurrent.futures.CancelledError:
            raise _Cancelled from None


async def _awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


class _Busy(Exception):
    """SQLite said SQLITE_BUSY at once (the inline connection does not wait)."""


class SqliteRunner:
    """Units of work on a pysqlite twin of the aiosqlite engine: small ones on the event
    loop's thread when SQLite can serve them at once, the rest in one thread hop each."""

    inline = True

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = sqlite_sync_engine(engine)
        self._reader = self._engine.execution_options(**{SQLITE_BEGIN_OPTION: ""})
        self._inline_conn: Connection | None = None
        self._inline_thread: int | None = None
        # Inline commits and rows changed (`total_changes`) since the last checkpoint.
        self._inline_commits = 0
        self._inline_changes = 0
        self._changes_seen = 0
        # A checkpoint's first pass (beside appends, in a reader thread), then its second
        # (in the writer thread, appends held back): see `_checkpoint`.
        self._first_pass: concurrent.futures.Future[None] | None = None
        self._first_pass_lock = threading.Lock()
        self._checkpointing: concurrent.futures.Future[None] | None = None
        # Set by a checkpoint, cleared by the writer thread's next commit: that commit may
        # restart the WAL, which syncs the WAL's new header, so it is not made inline. Set
        # at first too: the store's first commit may be the first in a new WAL file.
        self._restart_pending = True
        self.checkpoints: list[tuple[int, int, int]] = []
        """What each checkpoint's second pass reported: (busy, frames in the WAL, frames
        checkpointed)."""
        self.first_passes: list[tuple[int, int, int]] = []
        """The same for each first pass (appends ran beside it: frames may exceed copied)."""
        self.longest_inline = 0.0
        """The longest a unit of work has held the event loop's thread, in seconds."""
        self._writer = concurrent.futures.ThreadPoolExecutor(1, "sco-sqlite-write")
        self._write_conn: Connection | None = None
        self._local = threading.local()
        self._read_conns: list[Connection] = []
        self._read_conns_lock = threading.Lock()
        self._closed = False
        self._readers = concurrent.futures.ThreadPoolExecutor(
            SQLITE_READ_THREADS, "sco-sqlite-read"
        )

    async def write(self, work: WriteWork[T], hook: Hook | None, *, small: bool = False) -> T:
        self._second_pass_due()
        if small and hook is None and not self._closed:
            try:
                result = self._write_inline(work)
            except _Busy:
                pass  # another connection holds the write lock: wait for it in the thread
            else:
                await _yield()
                return result
        loop = asyncio.get_running_loop()
        state = _WriteState(loop, hook)
        try:
            return await loop.run_in_executor(self._writer, self._write, work, state)
        except asyncio.CancelledError:
            state.cancel()
            raise

    def _write(self, work: WriteWork[T], state: _WriteState) -> T:
        state.check()  # cancelled while queued: never begin
        # The writer thread keeps one connection: no pool checkout, reset and return for
        # every append. Only this thread ever uses it.
        conn = self._write_conn
        if conn is None or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._write_conn = self._engine.connect()
        with conn.begin():  # BEGIN IMMEDIATE (db.py); ROLLBACK on any exception
            result = work(conn, None if state.hook is None else state.run_hook)
            state.check()  # raising here rolls back
        self._restart_pending = False  # any WAL restart (and its sync) was made here
        return result

    def _close_writer(self) -> None:
        if self._write_conn is not None:
            self._write_conn.close()
            self._write_conn = None

    async def read(self, work: ReadWork[T], *, small: bool = False) -> T:
        if small and not self._closed:
            try:
                result = self._read_inline(work)
            except _Busy:
                pass
            else:
                await _yield()
                return result
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, work)

    # -- on the event loop's thread ---------------------------------------------------------
    #
    # A thread hop costs more than a small unit of work itself (about 60-90 µs against
    # 20-40 µs for a one-event append or a short read here). So a small unit runs on the
    # loop's thread, on a connection of its own whose busy timeout is 0: SQLite then never
    # waits there. BEGIN IMMEDIATE either takes the write lock at once or fails with
    # SQLITE_BUSY, and the unit goes to the writer thread, which waits as before (reads
    # are only ever busy in WAL's rare recovery cases, and fall back the same way). Once
    # BEGIN IMMEDIATE holds the lock nothing in the unit waits: WAL readers take no lock
    # that blocks a writer, and this connection never checkpoints (wal_autocheckpoint=0;
    # a checkpoint's fsync would block the loop): see `_checkpoint`. Positions, the chain and
    # idempotency do not depend on which connection appends: every append takes the same
    # SQLite write lock and reads the head under it. The loop is blocked for the unit's
    # own time only; the store keeps units small (a few events, a short page), and
    # `longest_inline` records the longest.

    # Checkpoint once the inline commits since the last one reach CHECKPOINT_COMMITS or
    # the rows they changed CHECKPOINT_CHANGES, whichever first (SQLite's own default is
    # a checkpoint at 1,000 WAL pages). Measured: a small one-event append writes about 4
    # WAL pages, a benchmark W1 append about 15, so the WAL peaks near 3,000 pages (12 MB)
    # over W1 and W2; `checkpoints` holds what each checkpoint found.
    CHECKPOINT_COMMITS = 200
    CHECKPOINT_CHANGES = 2000

    def _inline(self) -> Connection:
        conn = self._inline_conn
        if conn is not None and not conn.invalidated:
            if self._inline_thread != threading.get_ident():
                raise _Busy  # another thread's loop: its connection is not ours to use
            return conn
        if conn is not None:
            conn.close()
        conn = self._reader.connect()
        _pragma(conn, "busy_timeout = 0")
        _pragma(conn, "wal_autocheckpoint = 0")
        self._inline_conn, self._inline_thread = conn, threading.get_ident()
        return conn

    def _write_inline(self, work: WriteWork[T]) -> T:
        if self._restart_pending or (
            self._checkpointing is not None and not self._checkpointing.done()
        ):
            raise _Busy  # the writer thread is checkpointing, or about to restart the WAL
        conn = self._inline()
        started = time.perf_counter()
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        try:
            # On the DBAPI connection (the engine's BEGIN hook is off on this one, as for
            # reads): SQLITE_BUSY at BEGIN IMMEDIATE must be told apart, and SQLAlchemy's
            # transaction objects cost more here than SQLite's BEGIN and COMMIT.
            _begin_immediate(dbapi_connection)
            try:
                result = work(conn, None)
                if conn.in_transaction():  # the unit used `Connection.execute`
                    conn.commit()
                else:
                    dbapi_connection.commit()
            except BaseException:
                if conn.in_transaction():
                    conn.rollback()
                dbapi_connection.rollback()
                raise
        finally:
            self._note(started)
        self._inline_commits += 1
        changes = dbapi_connection.total_changes
        self._inline_changes += changes - self._changes_seen
        self._changes_seen = changes
        if (
            self._inline_commits >= self.CHECKPOINT_COMMITS
            or self._inline_changes >= self.CHECKPOINT_CHANGES
        ):
            self._checkpoint()
        return result

    def _read_inline(self, work: ReadWork[T]) -> T:
        conn = self._inline()
        started = time.perf_counter()
        try:
            return work(conn)
        except OperationalError as e:
            if _is_busy(e):
                raise _Busy from e
            raise
        finally:
            if conn.in_transaction():
                conn.rollback()
            self._note(started)

    def _note(self, started: float) -> None:
        took = time.perf_counter() - started
        if took > self.longest_inline:
            self.longest_inline = took

    def _checkpoint(self) -> None:
        """Start a checkpoint, in two passes. The first runs in a reader thread beside the
        appends, which go on inline: it copies the WAL as it found it (a recordMeeting
        write leaves about 43 pages, so some 3,000 at CHECKPOINT_CHANGES: 33-47 ms of wall
        time on an idle machine, during which appends used to queue; at 100 writes/s that
        was a stall every 0.7 s). The next append after it ends hands the second pass to
        the writer thread (`_second_pass_due`), which copies what was appended meanwhile
        (a few appends' pages) and is what the rest of this describes. Until it is done and
        the writer thread has committed once more, appends are not made inline
        (`_write_inline` sends them to the writer thread, where they queue behind the
        checkpoint): a checkpoint that
        runs while appends go on copies only the frames it found, the WAL is never fully
        copied, SQLite never restarts it, and it grows without end (334 MB after 40,000
        events of W1 and W2 with concurrent checkpoints every 200 commits). With no
        concurrent append the checkpoint copies the whole WAL (unless a reader still
        needs its frames), and the next commit, on the writer thread, starts it over from
        its first frame; that commit writes the WAL's new header and syncs it, the only
        sync a commit makes at `synchronous = NORMAL`, which is why it too is not made on
        the loop's thread. Durability and crash safety are SQLite's own: only the thread
        and the moment of each checkpoint are chosen here."""
        if self._first_pass is not None or (
            self._checkpointing is not None and not self._checkpointing.done()
        ):
            return
        self._inline_commits = self._inline_changes = 0
        self._first_pass = self._readers.submit(self._checkpoint_beside_appends)

    def _second_pass_due(self) -> None:
        """Once the first pass has ended, hand the second to the writer thread (called
        before each append, on the appending thread: the next inline append then sees it
        running and goes to the writer thread behind it)."""
        first = self._first_pass
        if first is None or not first.done():
            return
        with self._first_pass_lock:
            if self._first_pass is not first:
                return  # another thread's append handed it on
            self._first_pass = None
            self._checkpointing = self._writer.submit(self._checkpoint_in_writer)

    def _checkpoint_beside_appends(self) -> None:
        # On the calling thread's reader connection, as any read (`_read`).
        ((busy, frames, copied),) = self._read(lambda c: _pragma(c, "wal_checkpoint(PASSIVE)"))
        self.first_passes.append((busy, frames, copied))
        del self.first_passes[:-100]

    def _checkpoint_in_writer(self) -> None:
        conn = self._write_conn
        if conn is None or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._write_conn = self._engine.connect()
        # PASSIVE: copies what it can without waiting for readers (nor for a writer, and
        # none is running: this thread is the writer, and inline appends wait).
        try:
            ((busy, frames, copied),) = _pragma(conn, "wal_checkpoint(PASSIVE)")
            self.checkpoints.append((busy, frames, copied))
            del self.checkpoints[:-100]
        finally:
            self._restart_pending = True

    def _read(self, work: ReadWork[T]) -> T:
        # Each reader thread keeps its connection too; a unit leaves no transaction open
        # (reads emit no BEGIN; a SQLAlchemy-level one is ended), so WAL never pins an old
        # snapshot between reads.
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._local.conn = self._reader.connect()
            with self._read_conns_lock:
                self._read_conns.append(conn)
        try:
            return work(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()

    async def close(self) -> None:
        # Queued work runs to its end first; then the threads exit and the files close.
        loop = asyncio.get_running_loop()
        if self._inline_conn is not None and self._inline_thread == threading.get_ident():
            self._inline_conn.close()
            self._inline_conn = None
        await loop.run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.submit(self._close_writer).result()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        if self._inline_conn is not None:  # opened on another thread's loop
            self._inline_conn.close()
            self._inline_conn = None
        for conn in self._read_conns:  # the reader threads have exited
            conn.close()
        self._read_conns.clear()
        self._engine.dispose()


async def _yield() -> None:
    """Let the loop run other tasks once: a unit done inline never waited, and a task that
    appends or reads in a loop would otherwise never let any other task run."""
    await asyncio.sleep(0)


def _pragma(conn: Connection, pragma: str) -> list[tuple[Any, ...]]:
    """The pragma's rows. On the DBAPI connection: through SQLAlchemy it would begin a
    transaction first."""
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        return [tuple(row) for row in cursor.execute(f"PRAGMA {pragma}").fetchall()]
    finally:
        cursor.close()


def _begin_immediate(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        if e.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            raise _Busy from e
        raise
    finally:
        cursor.close()


def _is_busy(error: OperationalError) -> bool:
    orig = error.orig
    return isinstance(orig, sqlite3.OperationalError) and orig.sqlite_errorcode in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )
