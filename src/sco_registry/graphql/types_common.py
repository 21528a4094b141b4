"""Provenance, on every entity: its record id, its sources, the confidence and note its
history file gave, and the events (ids, positions) that established it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import strawberry
from strawberry.types import Info

from sco_registry.domain.periods import RecordPeriod
from sco_registry.graphql.context import Context
from sco_registry.graphql.reading import View


# A source's fields, answered from its mapping as recorded (the source value itself, as
# `self`): no object is made per source (a page of 100 meetings has some 400 of them).
def _title(self: Mapping[str, Any]) -> str | None:
    return self.get("title")


def _url(self: Mapping[str, Any]) -> str | None:
    return self.get("url")


def _article(self: Mapping[str, Any]) -> str | None:
    found = self.get("article")
    return None if found is None else str(found)


@strawberry.type(description="A source a fact rests on.")
class Source:
    """A source as recorded: its GraphQL value is the mapping (`sources_of`)."""

    title: str | None = strawberry.field(resolver=_title)
    url: str | None = strawberry.field(resolver=_url)
    article: str | None = strawberry.field(resolver=_article)


def sources_of(raw: Iterable[Mapping[str, Any]]) -> list[Source]:
    """The sources as `Source` values: the mappings themselves (a list or tuple as it is)."""
    found = raw if type(raw) is tuple or type(raw) is list else list(raw)
    return cast("list[Source]", found)


@strawberry.type(description="An event of the log: its id and its position.")
class EventRef:
    id: uuid.UUID
    position: int


def event_refs(events: Sequence[tuple[Any, int]]) -> list[EventRef]:
    return [EventRef(id=uuid.UUID(str(e)), position=int(p)) for e, p in events]


@strawberry.type(
    description="When the registry knew this version of a fact: from the log position "
    "`recordedFrom` until `recordedTo` (exclusive; null while current)."
)
class RecordTime:
    recorded_from: int
    recorded_to: int | None


def record_time(r: RecordPeriod) -> RecordTime:
    return RecordTime(recorded_from=r.recorded_from, recorded_to=r.recorded_to)


@strawberry.type(
    description="Where a fact comes from: the record of the history file (its id, "
    "confidence and note), its sources, and the events that established it."
)
class Provenance:
    record_id: str | None
    # The rows as read, turned into `Source`s, `EventRef`s and a `RecordTime` only when
    # the query selects them (a page of meetings builds a provenance per meeting and per
    # document, and its events' ids were parsed for every one, selected or not).
    raw_sources: strawberry.Private[Iterable[Mapping[str, Any]]]
    # Either the values or a function giving them: a lazily read row (`records.Lazy`)
    # parses its event ids and record time only when they are first read.
    raw_events: strawberry.Private[
        Sequence[tuple[Any, int]] | Callable[[], Sequence[tuple[Any, int]]]
    ]
    raw_record: strawberry.Private[RecordPeriod | Callable[[], RecordPeriod | None] | None]
    view: strawberry.Private[View]

    @strawberry.field
    def sources(self) -> list[Source]:
        return sources_of(self.raw_sources)

    @strawberry.field
    def events(self) -> list[EventRef]:
        raw = self.raw_events
        return event_refs(raw() if callable(raw) else raw)

    @property
    def record(self) -> RecordPeriod | None:
        raw = self.raw_record
        return raw() if callable(raw) else raw

    @strawberry.field
    def record_time(self) -> RecordTime | None:
        return None if self.record is None else record_time(self.record)

    @strawberry.field(description="The record's confidence as its history file gave it.")
    async def confidence(self, info: Info[Context, None]) -> str | None:
        if self.record_id is None:
            return None
        note = await info.context.loaders.note.load((self.record_id, self.view.known_at))
        return None if note is None else note.confidence

    @strawberry.field(description="The record's note as its history file gave it.")
    async def note(self, info: Info[Context, None]) -> str | None:
        if self.record_id is None:
            return None
        found = await info.context.loaders.note.load((self.record_id, self.view.known_at))
        return None if found is None else found.note


def provenance(
    record_id: str | None,
    sources: Iterable[Mapping[str, Any]],
    events: Sequence[tuple[Any, int]] | Callable[[], Sequence[tuple[Any, int]]],
    record: RecordPeriod | Callable[[], RecordPeriod | None] | None,
    view: View,
) -> Provenance:
    return Provenance(
        record_id=record_id, raw_sources=sources, raw_events=events, raw_record=record, view=view
    )
