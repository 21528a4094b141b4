"""Wake-up signals for readers waiting on the SQL event log: in-process (shared by the stores
on one SQLite file) and PostgreSQL LISTEN/NOTIFY. A signal only wakes; reads decide."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "sco_registry_events"


class Wakeups:
    """Readers waiting for positions after theirs; woken from any task, thread or loop."""

    def __init__(self) -> None:
        self._waiters: dict[asyncio.Future[None], int] = {}
        self._lock = threading.Lock()

    def add(self, after: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiters[future] = after
        return future

    def discard(self, future: asyncio.Future[None]) -> None:
        with self._lock:
            self._waiters.pop(future, None)

    def notify(self, position: int | None) -> None:
        """Wake the readers waiting below `position` (all of them when it is unknown)."""
        with self._lock:
            due = [f for f, after in self._waiters.items() if position is None or position > after]
        for future in due:
            with contextlib.suppress(RuntimeError):  # its loop has closed: nobody waits
                future.get_loop().call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# Stores on the same SQLite file in one process share their wake-ups.
_sqlite_wakeups: weakref.WeakValueDictionary[str, Wakeups] = weakref.WeakValueDictionary()
_sqlite_wakeups_lock = threading.Lock()


def wakeups_for(engine: AsyncEngine) -> Wakeups:
    """The wake-ups for a store on `engine`: one per SQLite file in this process, else new."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return Wakeups()
    path = str(Path(database).resolve())
    with _sqlite_wakeups_lock:
        wakeups = _sqlite_wakeups.get(path)
        if wakeups is None:
            wakeups = _sqlite_wakeups[path] = Wakeups()
        return wakeups


class PgListener:
    """LISTEN on the events channel over one pooled connection, held until `close`."""

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups) -> None:
        self._engine = engine
        self._wakeups = wakeups
        self._conn: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection
        self._lock = asyncio.Lock()
        self._failed = False

    async def ensure(self) -> bool:
        """Listening now? False when LISTEN could not be set up (readers then only poll)."""
        if self._driver is not None and not self._driver.is_closed():
            return True
        if self._failed:
            return False
        async with self._lock:
            if self._driver is not None and not self._driver.is_closed():
                return True
            await self._drop()
            try:
                conn = await self._engine.connect()
                try:
                    raw = await conn.get_raw_connection()
                    driver: Any = raw.driver_connection
                    await driver.add_listener(NOTIFY_CHANNEL, self._on_notify)
                except BaseException:
                    await conn.close()
                    raise
            except (DBAPIError, OSError, AttributeError) as e:
                # Not fatal: correctness never depends on the signal, waiting polls anyway.
                log.warning("LISTEN %s failed, readers will poll: %s", NOTIFY_CHANNEL, e)
                self._failed = True
                return False
            self._conn, self._driver = conn, driver
            return True

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            position: int | None = int(payload)
        except ValueError:
            position = None
        self._wakeups.notify(position)

    async def _drop(self) -> None:
        conn, driver = self._conn, self._driver
        self._conn = self._driver = None
        if driver is not None and not driver.is_closed():
            with contextlib.suppress(Exception):  # the connection is going away regardless
                await driver.remove_listener(NOTIFY_CHANNEL, self._on_notify)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
