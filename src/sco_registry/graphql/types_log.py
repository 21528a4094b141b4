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

    @strawberry.field(description="The fact's date, as an instant (bounds kept).")
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.e.period)

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
    def sources(self) -> list[Source]:
        return sources_of(self.e.sources)

    @strawberry.field
    def confidence(self) -> str | None:
        return self.e.confidence

    @strawberry.field
    def note(self) -> str | None:
        return self.e.note

    @strawberry.field
    def record_time(self) -> RecordTime:
        return record_time(self.e.record)


@strawberry.type(
    description="An event of the log as an auditor checks it: where it sits in "
    "the hash chain (`previousHash` -> `hash`)."
)
class LogEvent:
    e: strawberry.Private[audit.AuditEntry]

    @strawberry.field
    def id(self) -> uuid.UUID:
        return self.e.event_id

    @strawberry.field
    def position(self) -> int:
        return self.e.position

    @strawberry.field
    def stream_id(self) -> str:
        return self.e.stream_id

    @strawberry.field
    def stream_version(self) -> int:
        return self.e.stream_version

    @strawberry.field
    def record_id(self) -> str | None:
        return self.e.record_id

    @strawberry.field
    def type(self) -> str:
        return self.e.type

    @strawberry.field
    def recorded_at(self) -> dt.datetime:
        return self.e.recorded_at

    @strawberry.field(description="Who recorded it: shown to the auditor role only (else null).")
    def actor(self, info: Info[Context, None]) -> str | None:
        return self.e.actor if info.context.may_see_actors() else None

    @strawberry.field
    def correlation_id(self) -> uuid.UUID | None:
        return self.e.correlation_id

    @strawberry.field
    def causation_id(self) -> uuid.UUID | None:
        return self.e.causation_id

    @strawberry.field(description="Its chain hash: sha256 over the previous hash and its envelope.")
    def hash(self) -> str:
        return self.e.hash

    @strawberry.field(description="The chain hash of the event before it.")
    def previous_hash(self) -> str:
        return self.e.previous_hash

    @strawberry.field(description="The event a correction or retraction names.")
    def corrects_event_id(self) -> uuid.UUID | None:
        return None if self.e.corrects is None else self.e.corrects[0]

    @strawberry.field
    def corrects_position(self) -> int | None:
        return None if self.e.corrects is None else self.e.corrects[1]


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
