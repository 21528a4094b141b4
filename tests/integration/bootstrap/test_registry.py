"""The composition root (`bootstrap.open_registry`): the registry built from settings holds
the store, the clock it records with, and the scratch stores the importer rehearses on; the
importer rehearses on the scratch store it is given, not on one of its own choosing."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from sco_registry.bootstrap import open_registry, scratch_stores
from sco_registry.config import Settings
from sco_registry.importer.load import import_files
from sco_registry.store.base import EventStore, NewEvent, StreamState

DATA = Path(__file__).parents[3] / "data"
HISTORY = DATA / "sco-history-1996-2012.json"
NOON = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)


def event() -> NewEvent:
    return NewEvent(type="Noted", data={"n": 1}, metadata={}, event_id=uuid.uuid4())


async def test_the_registry_records_with_its_clock_on_the_configured_database(
    sqlite_url: str,
) -> None:
    settings = Settings(database_url=sqlite_url)
    async with open_registry(settings, migrate_first=True, clock=lambda: NOON) as registry:
        assert registry.settings is settings and registry.clock() == NOON
        await registry.store.append("note/1", [event()], StreamState.NO_STREAM)
        (recorded,) = await registry.store.read_all()
        assert recorded.recorded_at == NOON
        first, second = registry.scratch_store(), registry.scratch_store()
        assert first is not second and await first.head_position() == 0
        await first.append("note/1", [event()], StreamState.NO_STREAM)
        assert (await first.read_all())[0].recorded_at == NOON
        assert await second.head_position() == 0  # each scratch store starts empty
    # The database outlives the registry; a new one opens it as it was (no migration).
    async with open_registry(settings) as again:
        assert await again.store.head_position() == 1


async def test_the_rehearsal_runs_on_the_scratch_store_it_is_given(sqlite_url: str) -> None:
    made: list[EventStore] = []
    scratch = scratch_stores()

    def counted() -> EventStore:
        made.append(scratch())
        return made[-1]

    async with open_registry(Settings(database_url=sqlite_url), migrate_first=True) as registry:
        checked = await import_files([HISTORY], registry.store, check_only=True)
        assert made == [] and checked.events_appended > 0  # control: the default scratch
        checked = await import_files(
            [HISTORY], registry.store, check_only=True, scratch_store=counted
        )
        (rehearsal,) = made
        assert await rehearsal.head_position() == checked.events_appended
        assert await registry.store.head_position() == 0  # a check writes nothing
        done = await import_files([HISTORY], registry.store, scratch_store=counted)
        assert done.ok and len(made) == 2
        assert await registry.store.head_position() == done.events_appended
