"""`load` keeps each stream's fold per store and reads only what follows it: the state and
the version it returns must be those of a full read, whatever was appended in between."""

from __future__ import annotations

from typing import Any

import pytest

from sco_registry.application import loading
from sco_registry.application.loading import load
from sco_registry.domain import catalog, states
from sco_registry.domain.corrections import EventRetracted
from sco_registry.domain.events import Event
from sco_registry.store.base import NewEvent, RecordedEvent
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.application.test_app_handlers import SRC


def registered(code: str, name: str) -> NewEvent:
    return new(states.StateRegistered(valid_time=None, sources=SRC, code=code, name=name))


def new(event: Event) -> NewEvent:
    name = catalog.type_name(event)
    return NewEvent(type=name, data=catalog.to_json(event))


class CountingStore(InMemoryEventStore):
    """Counts the events each read returns."""

    def __init__(self) -> None:
        super().__init__()
        self.events_read = 0

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        out = await super().read_stream(stream_id, from_version=from_version, limit=limit)
        self.events_read += len(out)
        return out


async def full(store: Any) -> loading.Loaded[states.KnownStates]:
    """The stream folded from a full read, bypassing the cache."""
    return await loading._load_all(store, states.STREAM_ID, states.evolve, states.KnownStates())


async def cached(store: Any) -> loading.Loaded[states.KnownStates]:
    return await load(store, states.STREAM_ID, states.evolve, states.KnownStates())


async def test_a_second_load_reads_nothing_and_a_later_one_only_the_new_events() -> None:
    store = CountingStore()
    await store.append(
        states.STREAM_ID, [registered("KZ", "Kazakhstan"), registered("CN", "China")]
    )
    first = await cached(store)
    assert store.events_read == 2
    assert await cached(store) is first  # nothing new: the same fold, no event read
    assert store.events_read == 2
    await store.append(states.STREAM_ID, [registered("RU", "Russia")])
    third = await cached(store)
    assert store.events_read == 3  # only the new event
    expected = await full(store)
    assert (third.state, third.version) == (expected.state, expected.version) == (third.state, 3)
    assert third.state.codes == {"KZ", "CN", "RU"}
    assert [r.event_id for r in third.recorded] == [r.event_id for r in expected.recorded]


async def test_a_correction_refolds_the_whole_stream() -> None:
    store = InMemoryEventStore()
    result = await store.append(states.STREAM_ID, [registered("KZ", "Kazakhstan")])
    assert (await cached(store)).state.codes == {"KZ"}
    kz = (await store.read_stream(states.STREAM_ID))[result.last_position - 1]
    retraction = EventRetracted(
        valid_time=None, sources=SRC, stream_id=states.STREAM_ID, event_id=kz.event_id, reason="x"
    )
    await store.append(states.STREAM_ID, [new(retraction), registered("CN", "China")])
    loaded = await cached(store)
    assert loaded.state.codes == {"CN"}  # folding on would have kept KZ
    assert loaded.state == (await full(store)).state


async def test_stores_do_not_share_folds() -> None:
    one, other = InMemoryEventStore(), InMemoryEventStore()
    await one.append(states.STREAM_ID, [registered("KZ", "Kazakhstan")])
    assert (await cached(one)).state.codes == {"KZ"}
    loaded = await cached(other)
    assert (loaded.state.codes, loaded.version) == (frozenset(), 0)


async def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "FOLDS_PER_STORE", 3)
    store = InMemoryEventStore()
    for i in range(5):
        await store.append(f"stream/{i}", [registered("KZ", "Kazakhstan")])
        await load(store, f"stream/{i}", states.evolve, states.KnownStates())
    assert [k[0] for k in loading._folds[store]] == ["stream/2", "stream/3", "stream/4"]


async def test_an_empty_stream_is_not_kept_and_loads_right_once_written() -> None:
    """A stream loaded while empty (a new record's) leaves nothing in the cache; loaded
    after its first event, it is that event's fold, as a full read's."""
    store = InMemoryEventStore()
    empty = await load(store, "stream/new", states.evolve, states.KnownStates())
    assert (empty.version, empty.state.codes) == (0, frozenset())
    assert ("stream/new", states.evolve) not in loading._folds.get(store, {})
    await store.append("stream/new", [registered("KZ", "Kazakhstan")])
    loaded = await load(store, "stream/new", states.evolve, states.KnownStates())
    assert (loaded.version, loaded.state.codes) == (1, frozenset({"KZ"}))
    assert ("stream/new", states.evolve) in loading._folds[store]


async def test_negative_control_a_fold_that_is_not_brought_up_to_date_is_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the read of what follows the held version, the new event is missed: the
    check above (`third.state` against a full read) would then fail."""
    store = InMemoryEventStore()
    await store.append(states.STREAM_ID, [registered("KZ", "Kazakhstan")])
    await cached(store)
    await store.append(states.STREAM_ID, [registered("CN", "China")])
    real_read = store.read_stream

    async def blind(stream_id: str, *, from_version: int = 1, limit: int | None = None) -> Any:
        return [] if from_version > 1 else await real_read(stream_id, from_version=from_version)

    monkeypatch.setattr(store, "read_stream", blind)
    stale = await cached(store)
    assert stale.state != (await full(store)).state
    assert stale.version == 1
