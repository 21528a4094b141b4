"""The composition root: the one place that builds concrete parts from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sco_registry.config import Settings
from sco_registry.db import create_engine, migrate
from sco_registry.store.sql import SqlEventStore


@asynccontextmanager
async def open_store(
    settings: Settings, *, migrate_first: bool = False
) -> AsyncIterator[SqlEventStore]:
    """An SqlEventStore on the configured database (migrated first if asked), closed on exit."""
    if migrate_first:
        await migrate(settings.database_url)
    store = SqlEventStore(
        create_engine(
            settings.database_url,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            echo=settings.echo_sql,
        )
    )
    try:
        yield store
    finally:
        await store.close()
