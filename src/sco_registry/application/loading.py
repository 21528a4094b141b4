"""Loading a stream into a family's state: the reading; the fold (upcast, apply corrections,
evolve) is the domain's (`domain/folding.py`)."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
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


async def load(
    store: EventStore, stream_id: str, evolve: Callable[[S, Event], S], initial: S
) -> Loaded[S]:
    """The stream folded from `initial`, as of the read (its version is the one read).

    Streams are append-only, so a fold of the first v events stays true: it is kept (per
    store, the most recent FOLDS_PER_STORE streams) and brought up to date by reading only
    what follows version v, which is still one read of the stream, so the version returned
    (and checked at append through the read set) is as fresh as a full read's. New events
    are folded on unless the stream holds a correction (which changes another event); then
    the whole stream is read and folded again."""
    try:
        folds = _folds.setdefault(store, OrderedDict())
    except TypeError:  # a store that cannot be weakly referenced: no cache
        return await _load_all(store, stream_id, evolve, initial)
    key: _FoldKey = (stream_id, evolve)
    cached = folds.get(key)
    if cached is not None and cached[0] == initial:
        held: Loaded[S] = cached[1]
        newer = await store.read_stream(stream_id, from_version=held.version + 1)
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
    recorded = await store.read_stream(stream_id)
    stored = stored_events(recorded)
    version = recorded[-1].stream_version if recorded else 0
    return Loaded(stream_id, fold(evolve, initial, stored), version, tuple(stored), tuple(recorded))
