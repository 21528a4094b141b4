"""The worker's lease (`store/lease.py`): one holder at a time, and free again the moment the
holder's connection (PostgreSQL) or process (SQLite's file lock) is gone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sco_registry.db import create_engine
from sco_registry.store.lease import FileLease, LeaseLost, PostgresLease, open_lease


@pytest.mark.postgres
async def test_one_postgres_holder_and_free_once_its_connection_ends(
    fresh_pg_database: str,
) -> None:
    first, second = PostgresLease(fresh_pg_database), PostgresLease(fresh_pg_database)
    try:
        assert await first.try_acquire() and first.held
        assert await first.try_acquire()  # held already: still True, nothing new taken
        # Control: while the holder lives, the other never gets it.
        assert not await second.try_acquire() and not second.held
        assert not await second.try_acquire()
        await first.check()
        # The holder's connection ends (as when its process is killed): the server frees it.
        engine = create_engine(fresh_pg_database)
        async with engine.connect() as conn:
            ended = await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE "
                    "l.locktype = 'advisory' AND l.pid <> pg_backend_pid() "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database())"
                )
            )
            assert ended.scalars().all() == [True]
        await engine.dispose()
        with pytest.raises(LeaseLost):
            await first.check()
        assert not first.held
        assert await second.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_one_file_holder_and_free_once_released(tmp_path: Path) -> None:
    path = tmp_path / "db.worker-lease"
    first, second = FileLease(path), FileLease(path)
    assert await first.try_acquire()
    assert not await second.try_acquire()  # control: held, so refused
    await first.release()
    assert await second.try_acquire()
    await second.release()


def test_a_killed_holder_frees_the_file_lease(tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, f"sqlite+aiosqlite:///{database}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lease = open_lease(f"sqlite+aiosqlite:///{database}")
        assert not asyncio.run(lease.try_acquire())  # control: the live holder keeps it
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        assert asyncio.run(lease.try_acquire())
        asyncio.run(lease.release())
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


HOLD = """
import asyncio, sys, time
from sco_registry.store.lease import open_lease
lease = open_lease(sys.argv[1])
assert asyncio.run(lease.try_acquire())
print("held", flush=True)
time.sleep(600)
"""
