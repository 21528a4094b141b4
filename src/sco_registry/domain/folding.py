"""Folding a stream: its events as stored, the stream as the registry now holds it (the
corrections and retractions applied), and a family's state folded over it.

Pure, and the one place that does it: loading a stream for `decide`
(`application/loading.py`, which only adds the reading) and the read models both go
through `effective` and `fold`, so they cannot disagree about what a stream holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from sco_registry.domain import catalog
from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.events import Event

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event of a stream in its JSON form (upcast to the current schema)."""

    event_id: uuid.UUID
    type: str
    data: Mapping[str, Any]


class Recorded(Protocol):
    """An event as a log holds it, as far as folding needs (the store's `RecordedEvent`)."""

    @property
    def event_id(self) -> uuid.UUID: ...

    @property
    def type(self) -> str: ...

    @property
    def schema_version(self) -> int: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


def stored_events(recorded: Iterable[Recorded]) -> list[StoredEvent]:
    """The events as stored, each upcast to its type's current schema version."""
    return [
        StoredEvent(r.event_id, r.type, catalog.upcast(r.type, r.schema_version, r.data))
        for r in recorded
    ]


def effective(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The stream as the registry now holds it: retracted events left out, corrected events
    with their corrected fields, corrections themselves consumed. Pure; loading a stream for
    `decide` and rebuilding read models both go through it."""
    changes: dict[uuid.UUID, dict[str, Any]] = {}
    retracted: set[uuid.UUID] = set()
    for e in events:
        if e.type == "EventCorrected":
            target = uuid.UUID(str(e.data["event_id"]))
            changes.setdefault(target, {}).update(e.data["changes"])
        elif e.type == "EventRetracted":
            retracted.add(uuid.UUID(str(e.data["event_id"])))
    # An event no correction names is held as it is (most of them: no copy made).
    return [
        e if (fix := changes.get(e.event_id)) is None else replace(e, data={**e.data, **fix})
        for e in events
        if e.type not in CORRECTION_TYPES and e.event_id not in retracted
    ]


def fold(evolve: Callable[[S, Event], S], initial: S, stored: Sequence[StoredEvent]) -> S:
    """`initial` evolved by the stream's effective events, in order."""
    state = initial
    for e in effective(stored):
        state = evolve(state, catalog.from_json(e.type, e.data))
    return state
