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
from sco_registry.projections.runner import ProjectionRunner, default_projections, runner_for
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
    `projections` (the read models, applied inline in every append of `store` unless the
    settings turn that off, and caught up, rebuilt and verified through it), `reads` (the
    read models that queries read: `projections` itself, or the same models on the read
    replica when `read_database_url` is set)."""

    settings: Settings
    store: EventStore
    clock: Clock
    scratch_store: ScratchStores
    projections: ProjectionRunner
    reads: ProjectionRunner


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
    # The read models are applied inline in every append (sco_registry/projections/), unless
    # a projection worker is to apply them (`projections_inline` off).
    projections = (
        runner_for(store)
        if settings.projections_inline
        else ProjectionRunner(store, default_projections())
    )
    replica: SqlEventStore | None = None
    try:
        reads = projections
        if settings.read_database_url is not None:
            # A hot standby: only read there (nothing is attached to its appends: it has none).
            replica_engine = await open_engine(
                settings.read_database_url,
                sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                echo=settings.echo_sql,
            )
            replica = SqlEventStore(replica_engine, clock=clock)
            reads = ProjectionRunner(replica, default_projections())
        yield Registry(settings, store, clock, scratch_stores(clock), projections, reads)
    finally:
        if replica is not None:
            await replica.close()
        await store.close()
