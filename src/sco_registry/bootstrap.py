"""The composition root: the one place that builds concrete parts from settings.

`open_registry(settings)` builds the whole registry: the event store on the configured
database, the clock every part reads the time from, the factory of scratch (in-memory)
stores that the importer rehearses on, and the read models' projection runner. The command
line takes everything from the `Registry` it yields (and so will the API); no other module
picks a concrete store (`tests/unit/test_layers.py`). Nothing is built at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sco_registry.config import Settings
from sco_registry.db import migrate, open_engine
from sco_registry.projections.runner import ProjectionRunner, runner_for
from sco_registry.store.base import EventStore
from sco_registry.store.memory import InMemoryEventStore
from sco_registry.store.rules import utc_now
from sco_registry.store.sql import SqlEventStore

Clock = Callable[[], dt.datetime]
ScratchStores = Callable[[], EventStore]


def scratch_stores(clock: Clock = utc_now) -> ScratchStores:
    """A factory of empty in-memory stores on `clock`: a rehearsal's scratch log."""

    def scratch() -> EventStore:
        return InMemoryEventStore(clock=clock, scratch=True)

    return scratch


@dataclass(frozen=True, slots=True)
class Registry:
    """The registry as built from `settings`: `store` (the event log on the configured
    database), `clock` (the time the store records events at), `scratch_store` (makes an
    empty in-memory store on the same clock: the importer's rehearsal runs on one),
    `projections` (the read models, applied inline in every append of `store`, and caught up,
    rebuilt and verified through it)."""

    settings: Settings
    store: EventStore
    clock: Clock
    scratch_store: ScratchStores
    projections: ProjectionRunner


@asynccontextmanager
async def open_registry(
    settings: Settings, *, migrate_first: bool = False, clock: Clock = utc_now
) -> AsyncIterator[Registry]:
    """The registry on the configured database (migrated first if asked), closed on exit.

    The database must be reachable and at this code's schema: otherwise a
    `DatabaseUnavailable` (store/errors.py) says why, and nothing is created or written."""
    if migrate_first:
        await migrate(settings.database_url)
    engine = await open_engine(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        echo=settings.echo_sql,
    )
    store = SqlEventStore(engine, clock=clock)
    # The read models are applied inline in every append (sco_registry/projections/).
    projections = runner_for(store)
    try:
        yield Registry(settings, store, clock, scratch_stores(clock), projections)
    finally:
        await store.close()
