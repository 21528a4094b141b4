"""The composition root: the one place that builds concrete parts from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sco_registry.config import Settings
from sco_registry.db import migrate, open_engine
from sco_registry.store.sql import SqlEventStore


@asynccontextmanager
async def open_store(
    settings: Settings, *, migrate_first: bool = False
) -> AsyncIterator[SqlEventStore]:
    """An SqlEventStore on the configured database (migrated first if asked), closed on exit.

    The database must be reachable and at this code's schema: otherwise a
    `DatabaseUnavailable` (store/errors.py) says why, and nothing is created or written."""
    if migrate_first:
        await migrate(settings.database_url)
    engine = await open_engine(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        echo=settings.echo_sql,
    )
    store = SqlEventStore(engine)
    # The read models are applied inline in every append (sco_registry/projections/).
    from sco_registry.projections.runner import runner_for

    runner_for(store)
    try:
        yield store
    finally:
        await store.close()
