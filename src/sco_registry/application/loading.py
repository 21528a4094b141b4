"""Loading a stream into a family's state: the reading; the fold (upcast, apply corrections,
evolve) is the domain's (`domain/folding.py`)."""

from __future__ import annotations

import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.events import Event
from sco_registry.domain.folding import StoredEvent, effective, fold, stored_events
from sco_registry.store.base import EventStore, RecordedEvent

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    stream_id: str
    state: S
    version: int  # the stream version to expect when appending (0: no stream yet)
    stored: Sequence[StoredEvent]  # as recorded, upcast, before corrections
    recorded: Sequence[RecordedEvent]

    @property
    def exists(self) -> bool:
        """Whether the stream holds anything the registry still stands by."""
        return bool(effective(self.stored))


# Folded streams kept per store, so that a stream read again (the known states for every
# record of an import; a state's membership for every document it signs) is not decoded and
# folded again: `load` reads only the events after the version it holds and folds those on.
FOLDS_PER_STORE = 4096
_FoldKey = tuple[str, Callable[[Any, Event], Any]]
_folds: weakref.WeakKeyDictionary[Any, OrderedDict[_FoldKey, tuple[Any, Loaded[Any]]]] = (
    weakref.WeakKeyDictionary()
)


# Reads of streams the caller has just made (the bus's idempotency check reads the
# command's own stream, with the streams the decision will load: `read_ahead`), offered to
# the next `load` of each in the same task (`offered`): the decision loads them without
# reading them again. Per stream: the version the read began at, and its events.
_offer: ContextVar[tuple[EventStore, dict[str, tuple[int, Sequence[RecordedEvent]]]] | None] = (
    ContextVar("sco_registry_loading_offer", default=None)
)


@contextlib.contextmanager
def offered(store: EventStore, stream_id: str, recorded: Sequence[RecordedEvent]) -> Iterator[None]:
    """Within: the first `load` of `stream_id` from `store` takes `recorded` (a whole read
    of the stream, just made) as its read instead of reading the stream again. That read
    is as good as one made a moment later: a decision checks the version it rests on at
    append time (the bus's expected versions), so a change in between fails the append and
    the bus decides again, on a fresh read. Used once: a second load reads."""
    with offered_reads(store, {stream_id: (1, recorded)}):
        yield


@contextlib.contextmanager
def offered_reads(
    store: EventStore, reads: Mapping[str, tuple[int, Sequence[RecordedEvent]]]
) -> Iterator[None]:
    """`offered` for several streams, each read from a version on (its events from that
    version): a `load` whose kept fold stands at an earlier version reads the stream."""
    token = _offer.set((store, dict(reads)))
    try:
        yield
    finally:
        _offer.reset(token)


def read_from(
    store: EventStore, stream_id: str, evolve: Callable[[S, Event], S], initial: S
) -> int:
    """The version a `load` of the stream would read from now: the one after its kept
    fold's, else 1."""
    folds = _folds.get(store) if _weakly(store) else None
    cached = None if folds is None else folds.get((stream_id, evolve))
    if cached is not None and cached[0] == initial:
        return int(cached[1].version) + 1
    return 1


def _weakly(store: Any) -> bool:
    try:
        weakref.ref(store)
    except TypeError:
        return False
    return True


async def read_ahead(
    store: EventStore, starts: Mapping[str, int]
) -> dict[str, list[RecordedEvent]]:
    """Each stream's events from its version in `starts` on, in one read where the store
    can (`read_streams`: one round trip on PostgreSQL), else one read each."""
    many = getattr(store, "read_streams", None)
    if many is not None and len(starts) > 1:
        found: dict[str, list[RecordedEvent]] = await many(starts)
        return found
    return {s: await store.read_stream(s, from_version=v) for s, v in starts.items()}


async def _read(store: EventStore, stream_id: str, after: int) -> Sequence[RecordedEvent]:
    """The stream's events after version `after`: the offered read's, if there is one for
    this stream that began by then (`offered`), else read."""
    offer = _offer.get()
    if offer is not None and offer[0] is store:
        held = offer[1].pop(stream_id, None)
        if held is not None and held[0] <= after + 1:
            start, recorded = held
            return [r for r in recorded if r.stream_version > after] if after >= start else recorded
    return await store.read_stream(stream_id, from_version=after + 1)


async def load(
    store: EventStore, stream_id: str, evolve: Callable[[S, Event], S], initial: S
) -> Loaded[S]:
    """The stream folded from `initial`, as of the read (its version is the one read).

    Streams are append-only, so a fold of the first v events stays true: it is kept (per
    store, the most recent FOLDS_PER_STORE streams) and brought up to date by reading only
    what follows version v, which is still one read of the stream, so the version returned
    (and checked at append through the read set) is as fresh as a full read's. New events
    are folded on unless the stream holds a correction (which changes another event); then
    the whole stream is read and folded again. A stream found empty is not kept (its next
    load reads it whole anyway): a new record's stream, loaded once by the command that
    makes it (every `recordMeeting`), would otherwise hold a place in the cache, and
    objects the collector walks, until pushed out."""
    try:
        folds = _folds.setdefault(store, OrderedDict())
    except TypeError:  # a store that cannot be weakly referenced: no cache
        return await _load_all(store, stream_id, evolve, initial)
    key: _FoldKey = (stream_id, evolve)
    cached = folds.get(key)
    if cached is not None and cached[0] == initial:
        held: Loaded[S] = cached[1]
        newer = await _read(store, stream_id, held.version)
        if not newer:
            folds.move_to_end(key)
            return held
        corrected = any(e.type in CORRECTION_TYPES for e in held.stored) or any(
            r.type in CORRECTION_TYPES for r in newer
        )
        if newer[0].stream_version == held.version + 1 and not corrected:
            stored = stored_events(newer)
            loaded = Loaded(
                stream_id,
                fold(evolve, held.state, stored),
                newer[-1].stream_version,
                (*held.stored, *stored),
                (*held.recorded, *newer),
            )
            _keep(folds, key, initial, loaded)
            return loaded
    loaded = await _load_all(store, stream_id, evolve, initial)
    if loaded.version:
        _keep(folds, key, initial, loaded)
    return loaded


def _keep(
    folds: OrderedDict[_FoldKey, tuple[Any, Loaded[Any]]],
    key: _FoldKey,
    initial: Any,
    loaded: Loaded[Any],
) -> None:
    folds[key] = (initial, loaded)
    folds.move_to_end(key)
    while len(folds) > FOLDS_PER_STORE:
        folds.popitem(last=False)


async def _load_all(
    store: EventStore, stream_id: str, evolve: Callable[[S, Event], S], initial: S
) -> Loaded[S]:
    recorded = await _read(store, stream_id, 0)
    stored = stored_events(recorded)
    version = recorded[-1].stream_version if recorded else 0
    return Loaded(stream_id, fold(evolve, initial, stored), version, tuple(stored), tuple(recorded))
