"""Root fields over the log's models: the timeline, the audit trail of an entity, the
compliance findings, the raw event log (each event with its hash) and its head."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from sco_registry.graphql import readers
from sco_registry.graphql.context import Context
from sco_registry.graphql.errors import api_error
from sco_registry.graphql.pagination import (
    Connection,
    check_first,
    decode_cursor,
    keyset_page,
    page,
)
from sco_registry.graphql.reading import KnownAt, view_of
from sco_registry.graphql.scalars import parse_optional_date
from sco_registry.graphql.types_log import ComplianceFinding, LogEvent, TimelineEntry
from sco_registry.projections import audit, compliance, timeline
from sco_registry.store.chain import averify_events, format_timestamp


@strawberry.type(description="The last event of the log: where the hash chain ends.")
class LogHead:
    position: int = strawberry.field(description="The log position of the last event; 0 if none.")
    hash: str | None = strawberry.field(description="That event's chain hash; null if empty.")


@strawberry.type(
    description="The hash chain recomputed over the whole log, as `sco-registry verify` does it."
)
class ChainVerification:
    ok: bool = strawberry.field(description="True when every event's hash is recomputed intact.")
    checked: int = strawberry.field(description="How many events were checked intact.")
    head_hash: str | None = strawberry.field(
        description="The last intact event's hash (null for an empty log)."
    )
    broken_at: int | None = strawberry.field(
        description="The first broken log position (null when intact)."
    )
    reason: str | None = strawberry.field(description="Why it is broken (null when intact).")


def _position_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    key = decode_cursor(after)
    if len(key) != 1 or not isinstance(key[0], int):
        raise api_error("page.malformed_cursor", f"{after!r} is not a cursor of this list")
    return key[0]


def _stamp(value: dt.datetime | None, argument: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise api_error("input.naive_time", f"{argument} needs a time zone", argument=argument)
    return format_timestamp(value)


@strawberry.type
class LogQueries:
    @strawberry.field(description="The head of the event log's hash chain.")
    async def head(self, info: Info[Context, None]) -> LogHead:
        store = info.context.registry.store
        position = await store.head_position()
        if position == 0:
            return LogHead(position=0, hash=None)
        last = await store.read_all(after=position - 1, limit=1)
        return LogHead(position=position, hash=last[0].hash if last else None)

    @strawberry.field(
        description="Recompute the log's hash chain, every event from the first: intact, or "
        "the first broken position and why (the check a page's `verify` status shows)."
    )
    async def verify(self, info: Info[Context, None]) -> ChainVerification:
        report = await averify_events(info.context.registry.store.iter_all())
        return ChainVerification(
            ok=report.ok,
            checked=report.checked,
            head_hash=report.head_hash if report.checked else None,
            broken_at=report.broken_at,
            reason=report.reason,
        )

    @strawberry.field(
        description="The facts in valid-time order (lower bound, upper bound, position; "
        "undated first): those that may fall on or after `from` / on or before `to`, of "
        "`kinds`, of an `entity` (stream id or record id)."
    )
    async def timeline(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None,
        kinds: list[str] | None = None,
        entity: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[TimelineEntry]:
        view = await view_of(info, None, known_at, min_position)
        check_first(first)
        lo = parse_optional_date(from_, "from")
        hi = parse_optional_date(to, "to")
        cursor = None
        if after is not None:
            key = decode_cursor(after)
            if len(key) != 3 or not isinstance(key[2], int):
                raise api_error("page.malformed_cursor", f"{after!r} is not a cursor of this list")
            cursor = (str(key[0]), str(key[1]), int(key[2]))
        found = await info.context.read(
            lambda conn: timeline.timeline(
                conn, lo, hi, kinds, entity, view.known_at, cursor, first + 1
            )
        )

        async def count() -> int:
            everything = await info.context.read(
                lambda conn: timeline.timeline(
                    conn, lo, hi, kinds, entity, view.known_at, None, 10**9
                )
            )
            return len(everything)

        return keyset_page(
            found, lambda e: e.key, first, after, lambda e: TimelineEntry(e=e, view=view), count
        )

    @strawberry.field(
        description="The events that made an entity (a stream id or a record id), in log "
        "order, each with its hash and its predecessor's: an auditor's check."
    )
    async def audit(
        self,
        info: Info[Context, None],
        entity: str,
        first: int,
        after: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[LogEvent]:
        view = await view_of(info, None, known_at, min_position)
        found = await info.context.read(lambda conn: audit.audit(conn, entity, view.known_at))
        return page(found, lambda e: (e.position,), first, after, lambda e: LogEvent(e=e))

    @strawberry.field(
        description="The raw event log, in position order, filtered by stream, type, actor "
        "(auditor role), position range and recorded-time range (inclusive)."
    )
    async def events(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        stream: str | None = None,
        type: str | None = None,
        actor: str | None = None,
        position_from: int | None = None,
        position_to: int | None = None,
        recorded_from: dt.datetime | None = None,
        recorded_to: dt.datetime | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[LogEvent]:
        view = await view_of(info, None, known_at, min_position)
        check_first(first)
        if actor is not None and not info.context.may_see_actors():
            raise api_error("auth.forbidden", "filtering by actor needs the auditor role")
        f = readers.LogFilter(
            stream,
            type,
            actor,
            position_from,
            position_to,
            _stamp(recorded_from, "recordedFrom"),
            _stamp(recorded_to, "recordedTo"),
            view.known_at,
        )
        start = _position_cursor(after)
        found = await info.context.read(lambda conn: readers.log_events(conn, f, start, first + 1))

        async def count() -> int:
            return await info.context.read(lambda conn: readers.count_log_events(conn, f))

        return keyset_page(
            found, lambda e: (e.position,), first, after, lambda e: LogEvent(e=e), count
        )

    @strawberry.field(
        description="The findings of the declaration's norms, filtered by year, body, rule, "
        "outcome and reading; `standingOnly`: each norm's standing reading."
    )
    async def compliance_findings(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        year: int | None = None,
        body: strawberry.ID | None = None,
        rule: str | None = None,
        outcome: str | None = None,
        reading: str | None = None,
        standing_only: bool = False,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[ComplianceFinding]:
        view = await view_of(info, None, known_at, min_position)
        found = await info.context.read(
            lambda conn: compliance.findings(
                conn,
                year,
                None if body is None else str(body),
                rule,
                outcome,
                view.known_at,
                reading=reading,
                standing_only=standing_only,
            )
        )
        return page(
            found,
            lambda f: (f.year, f.body, f.norm, f.reading, tuple(f.evidence)),
            first,
            after,
            lambda f: ComplianceFinding(f=f),
        )
