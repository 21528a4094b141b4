"""The root subscription type (graphql-transport-ws): new events of the log, and changes
to the read models once their projections have applied them.

Both read the log from a position (`after`) in pages and then wait on the store's wake-up
(`wait_for_events`), so a subscriber sees every event after its position exactly once, in
log order, whatever it was doing meanwhile: positions are contiguous and become visible in
commit order (`docs/architecture.md`), so "read after p" never skips one. To resume after a
disconnect, subscribe again with `after` the last position received: no gap, no repeat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from sco_registry.domain.errors import InvalidValue
from sco_registry.graphql.auth import can_see_actors
from sco_registry.graphql.context import Context
from sco_registry.graphql.errors import raised_in
from sco_registry.projections.runner import ProjectionRunner
from sco_registry.store.base import EventStore, RecordedEvent

PAGE = 100
# How long one wait on the store lasts before looking again (the wait is a wake-up only).
WAIT_SECONDS = 15.0
MAX_FILTER_VALUES = 100
# Checkpoint polling while a lagging read model catches up: first and longest interval.
APPLIED_POLL = (0.02, 1.0)


@strawberry.type(description="An event appended to the log.")
class EventAppended:
    position: int = strawberry.field(description="Its log position: resume `after` it.")
    event_id: strawberry.ID
    stream_id: str
    version: int = strawberry.field(description="Its version in its stream.")
    type: str
    record_id: str | None = strawberry.field(description="The history record behind it.")
    valid_time: str | None = strawberry.field(description="When it happened, as given.")
    recorded_at: dt.datetime
    hash: str = strawberry.field(description="Its hash in the chain.")
    actor: str | None = strawberry.field(description="Who recorded it: auditors only.")
    data: JSON = strawberry.field(description="The event's data, as stored.")


@strawberry.type(
    description="A record's read models changed: every current projection has applied the "
    "event at `position`. Read the record with `minPosition: position` to see it."
)
class ReadModelChanged:
    position: int
    stream_id: str
    record_id: str | None
    event_type: str
    projections: list[str] = strawberry.field(description="The read models that applied it.")


async def follow(store: EventStore, after: int) -> AsyncIterator[RecordedEvent]:
    """Every event after `after`, then each new one as it is appended, forever."""
    position = after
    while True:
        page = await store.read_all(after=position, limit=PAGE)
        for event in page:
            yield event
            position = event.position
        if len(page) < PAGE:
            await store.wait_for_events(position, WAIT_SECONDS)


async def _start(store: EventStore, after: int | None) -> int:
    if after is None:
        return await store.head_position()
    if after < 0:
        raise InvalidValue("after is a log position: 0 or more", code="subscription.bad_after")
    return after


def _filter(values: list[str] | None, what: str) -> frozenset[str] | None:
    if values is None:
        return None
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidValue(
            f"at most {MAX_FILTER_VALUES} {what}", code="subscription.too_many_filters"
        )
    return frozenset(values)


def _record_id(event: RecordedEvent) -> str | None:
    value = event.metadata.get("record_id")
    return value if isinstance(value, str) else None


async def applied(runner: ProjectionRunner, position: int) -> list[str]:
    """The current read models once each has applied `position` (inline: at once; a
    lagging one when caught up). A stale one (another version) is not waited for."""
    delay, longest = APPLIED_POLL
    while True:
        statuses = [s for s in await runner.status() if s.state != "stale"]
        if all(s.checkpoint >= position for s in statuses):
            return [s.name for s in statuses]
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)


T = TypeVar("T")


async def guarded(info: Info[Context, Any], items: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """`items`, with a failure raised as the API shows it: an expected one with its code,
    anything else masked and logged under the request id (`errors.raised_in`)."""
    try:
        async for item in items:
            yield item
    except Exception as e:
        raise raised_in(str(info.path.key), e, str(info.context.request_id)) from None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="New events, in log order. `after`: resume after this position (every "
        "event after it is sent, then the new ones); default: from now. Filters: `streams` "
        "(stream ids), `types` (event types)."
    )
    async def events(
        self,
        info: Info[Context, None],
        after: int | None = None,
        streams: list[str] | None = None,
        types: list[str] | None = None,
    ) -> AsyncGenerator[EventAppended, None]:
        async for item in guarded(info, _events(info, after, streams, types)):
            yield item

    @strawberry.subscription(
        description="Changes to a record's read models (a meeting's page, say), each pushed "
        "once the projections have applied it. `recordId`: a record id or stream id (all "
        "records when null); `after`: resume after this position (default: from now)."
    )
    async def read_model_changed(
        self,
        info: Info[Context, None],
        record_id: str | None = None,
        after: int | None = None,
    ) -> AsyncGenerator[ReadModelChanged, None]:
        async for item in guarded(info, _changes(info, record_id, after)):
            yield item


async def _events(
    info: Info[Context, None],
    after: int | None,
    streams: list[str] | None,
    types: list[str] | None,
) -> AsyncIterator[EventAppended]:
    store = info.context.registry.store
    start = await _start(store, after)
    wanted_streams = _filter(streams, "streams")
    wanted_types = _filter(types, "types")
    show_actor = can_see_actors(info)
    async for event in follow(store, start):
        if wanted_streams is not None and event.stream_id not in wanted_streams:
            continue
        if wanted_types is not None and event.type not in wanted_types:
            continue
        yield EventAppended(
            position=event.position,
            event_id=strawberry.ID(str(event.event_id)),
            stream_id=event.stream_id,
            version=event.stream_version,
            type=event.type,
            record_id=_record_id(event),
            valid_time=None if event.valid_time is None else str(event.valid_time),
            recorded_at=event.recorded_at,
            hash=event.hash,
            actor=event.actor if show_actor else None,
            data=JSON(dict(event.data)),
        )


async def _changes(
    info: Info[Context, None], record_id: str | None, after: int | None
) -> AsyncIterator[ReadModelChanged]:
    registry = info.context.registry
    start = await _start(registry.store, after)
    async for event in follow(registry.store, start):
        record = _record_id(event)
        if record_id is not None and record_id not in (event.stream_id, record):
            continue
        yield ReadModelChanged(
            position=event.position,
            stream_id=event.stream_id,
            record_id=record,
            event_type=event.type,
            projections=await applied(registry.projections, event.position),
        )
