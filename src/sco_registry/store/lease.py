"""A lease on the database: at most one process of a kind (the projection worker) does its
work at a time, and another takes over when that process dies.

On PostgreSQL the lease is a session advisory lock held by a connection of its own: the
server releases it the moment that connection ends, and a process killed by any signal
ends its connections with it (the kernel closes the socket), so a standby worker's next
try, `poll` seconds later at most, takes it over. On SQLite (one machine) it is an
exclusive `flock` on a file beside the database, which the kernel drops with the process.

The lease is for liveness and economy, not safety: the work it guards must be safe under
two holders anyway (the projection runner applies each page under the append lock after
re-reading its checkpoint), because a holder may stall past the moment it is thought dead.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sco_registry.db import create_engine, sqlite_file
from sco_registry.store.errors import StoreError

#: The advisory lock key of the projection worker's lease (the append lock's is another).
WORKER_LEASE_KEY = 0x73636F5F776B72


class LeaseLost(StoreError):
    """The lease's connection ended: another process may hold it now."""

    code = "store.lease_lost"


class Lease(Protocol):
    @property
    def held(self) -> bool: ...

    async def try_acquire(self) -> bool:
        """Take the lease if it is free; True when this process holds it (now or already)."""
        ...

    async def check(self) -> None:
        """`LeaseLost` unless the lease is still held (a round trip on PostgreSQL)."""
        ...

    async def release(self) -> None: ...


class PostgresLease:
    """A session advisory lock on a connection of its own (autocommit: never idle in a
    transaction while it waits)."""

    def __init__(self, url: str, key: int = WORKER_LEASE_KEY) -> None:
        self._engine: AsyncEngine = create_engine(url)
        self._key = key
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = await self._engine.connect()
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = (
                await conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            ).scalar_one()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def check(self) -> None:
        if self._conn is None:
            raise LeaseLost("the lease is not held")
        try:
            await self._conn.execute(sa.text("SELECT 1"))
        except Exception as e:
            await self._drop()
            raise LeaseLost(f"the lease's connection ended ({e.__class__.__name__})") from e

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # The connection is gone already: there is nothing to give back.
            with contextlib.suppress(Exception):
                await conn.invalidate()

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            finally:
                await conn.close()
        await self._engine.dispose()


class FileLease:
    """An exclusive, non-blocking `flock` on `path` (created if missing)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def check(self) -> None:
        if self._fd is None:
            raise LeaseLost("the lease is not held")

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def open_lease(database_url: str) -> Lease:
    """The worker's lease on the database `database_url` names."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLease(database_url)
    path = sqlite_file(url)
    if path is None:  # an in-memory SQLite database lives in one process: a lock of its own
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"sco-registry-{os.getpid()}.lease"
    return FileLease(path.with_name(path.name + ".worker-lease"))
