"""The hash definition is unchanged by the encoders' fast path: importing the bundled history
with fixed event ids and a fixed clock ends on the head hash computed by the code before
the change (`GOLDEN`, taken on main at dae3487 with the standard library encoder), on the
in-memory store and on SQLite; the log verifies. Negative control: one event's data changed
by one character ends elsewhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sco_registry import ids
from sco_registry.db import create_engine, migrate
from sco_registry.importer.load import import_files
from sco_registry.store.base import EventStore
from sco_registry.store.chain import GENESIS_HASH, averify_events, chain_hash, envelope_of
from sco_registry.store.memory import InMemoryEventStore
from sco_registry.store.sql import SqlEventStore

DATA = Path(__file__).parents[3] / "data"
FILES = [DATA / "sco-history-1996-2012.json", DATA / "declaration-2001.json"]
GOLDEN = "99e51eeed4ea97064d837e3386aa143c4aa0809ae023df9a707c98e47403e0cc"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """uuid4 reads os.urandom: a counter makes every id, the import's included, fixed. The
    events' ids (`ids.uuid4`, which reads os.urandom in blocks) are made 16 bytes a call
    here, as `uuid.uuid4` made them when `GOLDEN` was taken."""
    counter = iter(range(1, 10**9))

    def urandom(n: int) -> bytes:
        return hashlib.sha256(str(next(counter)).encode()).digest()[:n]

    class OneAtATime:
        def take(self) -> bytes:
            return os.urandom(16)

    monkeypatch.setattr(os, "urandom", urandom)
    monkeypatch.setattr(ids, "_block", OneAtATime())
    yield


def clock() -> dt.datetime:
    return T0


async def head_after_import(store: EventStore) -> str:
    assert (await import_files(FILES, store)).problems == ()
    report = await averify_events(store.iter_all())
    assert report.ok and report.checked > 0
    last = None
    async for e in store.iter_all():
        last = e
    assert last is not None
    return last.hash


async def test_memory_head_hash_is_unchanged(fixed_ids: None) -> None:
    h = await head_after_import(InMemoryEventStore(clock=clock))
    assert h == GOLDEN, h


async def test_sqlite_head_hash_is_unchanged(fixed_ids: None, sqlite_url: str) -> None:
    await migrate(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        h = await head_after_import(SqlEventStore(engine, clock=clock))
        assert h == GOLDEN, h
    finally:
        await engine.dispose()


async def test_a_changed_event_ends_elsewhere(fixed_ids: None) -> None:
    store = InMemoryEventStore(clock=clock)
    await head_after_import(store)
    events = [e async for e in store.iter_all()]
    prev = GENESIS_HASH
    for i, e in enumerate(events):
        env = envelope_of(e)
        if i == 0:
            env["data"] = {**env["data"], "x": "y"}
        prev = chain_hash(prev, env)
    assert prev != GOLDEN
