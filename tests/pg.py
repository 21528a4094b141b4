"""Helpers for tests that talk to the PostgreSQL server under test."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

PG_ENV = "SCO_REGISTRY_TEST_PG_URL"


def plain_pg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(url: str, database: str) -> str:
    base, _, _ = plain_pg_url(url).rpartition("/")
    return f"{base}/{database}"


async def admin_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(plain_pg_url(url), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh event loop in another thread.

    Sync fixtures use this: under pytest-asyncio an async test's loop may already be running
    in this thread, where `asyncio.run` is refused."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
