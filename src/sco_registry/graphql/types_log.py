"""The timeline, the audit trail and the raw event log (each event with its hash), and the
compliance findings, as the API shows them."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from strawberry.types import Info

from sco_registry.graphql.context import Context
from sco_registry.graphql.reading import View
from sco_registry.graphql.scalars import ValidPeriodValue, valid_period
from sco_registry.graphql.types_common import RecordTime, Source, record_time, sources_of
from sco_registry.projections import audit, compliance, timeline


# A timeline entry's values are methods reading the model's entry, so that only what a query
# selects is decoded (`timeline.TimelineEntry` decodes its event ids, period, sources and
# record time when first read): copied once into attributes (`__post_init__`, until session
# 19), every entry parsed its two UUIDs whatever was asked. A page's subtree plan calls a
# method as cheaply as it reads an attribute (`subtrees.py`).
@strawberry.type(description="One fact on the timeline (or a correction, or a retraction).")
class TimelineEntry:
    e: strawberry.Private[timeline.TimelineEntry]
    view: strawberry.Private[View]

    @strawberry.field(
        description="The stream's family (meeting, membership, ...), or correction / retraction."
    )
    def kind(self) -> str:
        return self.e.kind

    @strawberry.field
    def event_type(self) -> str:
        return self.e.event_type

    @strawberry.field(description="The stream id of the entity.")
    def entity(self) -> str:
        return self.e.entity

    @strawberry.field
    def record_id(self) -> str | None:
        return self.e.record_id

    @strawberry.field
    def summary(self) -> str:
        return self.e.summary

    @strawberry.field
    def event_id(self) -> uuid.UUID:
        return self.e.event_id

    @strawberry.field
    def position(self) -> int:
        return self.e.position

    @strawberry.field(description="The event a correction or retraction names.")
    def corrects(self) -> uuid.UUID | None:
        return self.e.corrects

    @strawberry.field
    def confidence(self) -> str | None:
        return self.e.confidence

    @strawberry.field
    def note(self) -> str | None:
        return self.e.note

    @strawberry.field(description="The fact's date, as an instant (bounds kept).")
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.e.period)

    @strawberry.field
    def sources(self) -> list[Source]:
        return sources_of(self.e.sources)

    @strawberry.field
    def record_time(self) -> RecordTime:
        return record_time(self.e.record)


# A log event's values are attributes, copied from the row once (`__post_init__`): its row
# is decoded whole when read (`audit.AuditEntry`). (The defaults are placeholders: every one
# is set from the row.)
@strawberry.type(
    description="An event of the log as an auditor checks it: where it sits in "
    "the hash chain (`previousHash` -> `hash`)."
)
class LogEvent:
    e: strawberry.Private[audit.AuditEntry]
    id: uuid.UUID = strawberry.field(default=uuid.UUID(int=0))
    position: int = strawberry.field(default=0)
    stream_id: str = strawberry.field(default="")
    stream_version: int = strawberry.field(default=0)
    record_id: str | None = strawberry.field(default=None)
    type: str = strawberry.field(default="")
    recorded_at: dt.datetime = strawberry.field(default=dt.datetime.min)

    @strawberry.field(description="Who recorded it: shown to the auditor role only (else null).")
    def actor(self, info: Info[Context, None]) -> str | None:
        return self.e.actor if info.context.may_see_actors() else None

    correlation_id: uuid.UUID | None = strawberry.field(default=None)
    causation_id: uuid.UUID | None = strawberry.field(default=None)
    hash: str = strawberry.field(
        default="", description="Its chain hash: sha256 over the previous hash and its envelope."
    )
    previous_hash: str = strawberry.field(
        default="", description="The chain hash of the event before it."
    )
    corrects_event_id: uuid.UUID | None = strawberry.field(
        default=None, description="The event a correction or retraction names."
    )
    corrects_position: int | None = strawberry.field(default=None)

    def __post_init__(self) -> None:
        e = self.e
        self.id, self.position, self.stream_id = e.event_id, e.position, e.stream_id
        self.stream_version, self.record_id, self.type = e.stream_version, e.record_id, e.type
        self.recorded_at = e.recorded_at
        self.correlation_id, self.causation_id = e.correlation_id, e.causation_id
        self.hash, self.previous_hash = e.hash, e.previous_hash
        fix = e.corrects
        self.corrects_event_id = None if fix is None else fix[0]
        self.corrects_position = None if fix is None else fix[1]


@strawberry.type(description="A finding of a norm of the declaration under one of its readings.")
class ComplianceFinding:
    f: strawberry.Private[compliance.ComplianceFinding]

    @strawberry.field(description="The norm's code (e.g. rotation).")
    def rule(self) -> str:
        return self.f.norm

    @strawberry.field
    def reading(self) -> str:
        return self.f.reading

    @strawberry.field
    def reading_text(self) -> str:
        return self.f.reading_text

    @strawberry.field(description="True under the norm's standing reading.")
    def standing(self) -> bool:
        return self.f.standing

    @strawberry.field
    def article(self) -> str:
        return self.f.article

    @strawberry.field
    def year(self) -> int:
        return self.f.year

    @strawberry.field
    def body(self) -> str:
        return self.f.body

    @strawberry.field(description="met, departed or not_applicable.")
    def outcome(self) -> str:
        return self.f.outcome.value

    @strawberry.field
    def explanation(self) -> str:
        return self.f.explanation

    @strawberry.field(description="The streams (facts) behind it.")
    def evidence(self) -> list[str]:
        return list(self.f.evidence)

    @strawberry.field
    def record_time(self) -> RecordTime:
        return record_time(self.f.record)


@strawberry.type(description="How many items share a key.")
class Count:
    key: str
    count: int
