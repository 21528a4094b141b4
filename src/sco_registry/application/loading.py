"""Loading a stream into a family's state: the reading; the fold (upcast, apply corrections,
evolve) is the domain's (`domain/folding.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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


async def load(
    store: EventStore, stream_id: str, evolve: Callable[[S, Event], S], initial: S
) -> Loaded[S]:
    recorded = await store.read_stream(stream_id)
    stored = stored_events(recorded)
    version = recorded[-1].stream_version if recorded else 0
    return Loaded(stream_id, fold(evolve, initial, stored), version, stored, recorded)
