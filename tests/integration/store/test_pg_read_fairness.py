"""PostgreSQL reads wait their turn in the runner, first come first served, never inside the
pool (store/execution.py, `AsyncRunner._read_slots`): more reads at once than the pool holds
each get served, and the reads never hold the pool's last connection (a write finds one).
Waiting in the pool, a read could starve: each read that ended kept its connection as a
spare for the next read to come, ahead of the reads already waiting there (one waited
7-12 s while the others took 60-100 ms). Negative control: without the bound, some reads
wait while the others are served over and over, and the reads take the whole pool."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sco_registry.db import create_engine
from sco_registry.store.execution import AsyncRunner
from sco_registry.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres

TASKS = 30  # twice the pool's 15 connections
READS = 600


async def _closed_loop(store: SqlEventStore) -> tuple[list[int], int]:
    """Each of TASKS tasks reads again as soon as its read is answered, READS in all: how
    many each got, and the most connections the pool had checked out during a read."""
    runner = store._runner
    assert isinstance(runner, AsyncRunner)
    pool: Any = store._engine.pool
    done = [0] * TASKS
    left = [READS]
    most = [0]

    def work(conn: Any) -> None:
        most[0] = max(most[0], int(pool.checkedout()))
        conn.exec_driver_sql("SELECT pg_sleep(0.002)")

    async def task(i: int) -> None:
        while left[0] > 0:
            left[0] -= 1
            await runner.read(work)
            done[i] += 1

    await asyncio.gather(*(task(i) for i in range(TASKS)))
    return done, most[0]


async def test_every_read_is_served_and_a_connection_is_left(migrated_pg_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url))
    try:
        runner = store._runner
        assert isinstance(runner, AsyncRunner)
        assert runner._read_slots == 10  # 5 + 10 pooled, less 4 spares and 1 for a write
        done, most = await _closed_loop(store)
        assert sum(done) == READS
        # first come first served: every task had its turns (20 each if perfectly even)
        assert min(done) >= READS // TASKS // 2, done
        assert most <= 14  # the pool's 15th connection never taken by a read
    finally:
        await store.close()


async def test_negative_control_waiting_in_the_pool_starves_reads(migrated_pg_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_pg_url))
    try:
        runner = store._runner
        assert isinstance(runner, AsyncRunner)
        runner._read_slots = None
        done, most = await _closed_loop(store)
        assert sum(done) == READS
        assert min(done) < READS // TASKS // 2, done
        assert most == 15
    finally:
        await store.close()
