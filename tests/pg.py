"""Helpers for tests that talk to the PostgreSQL server under test."""

from __future__ import annotations

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
