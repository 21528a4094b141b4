"""Bodies (with their status, name and seat over time), offices and their holders, mandates,
as the API shows them; nested fields read with the view of the object (`asOf`, `knownAt`)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from sco_registry.domain.periods import Answer
from sco_registry.graphql.context import Context
from sco_registry.graphql.reading import KnownAt, View, view_of
from sco_registry.graphql.scalars import (
    AnswerValue,
    PartialDateValue,
    SpanValue,
    ValidPeriodValue,
    answer_value,
    partial,
    valid_period,
)
from sco_registry.graphql.types_common import Provenance, provenance
from sco_registry.graphql.types_records import (
    Document,
    Meeting,
    Organization,
    load_document,
    load_meeting,
    load_organization,
)
from sco_registry.projections import bodies, mandates, offices


@strawberry.type(description="One period of a body's status, name or seat.")
class BodyPeriod:
    p: strawberry.Private[bodies.BodyPeriod]
    view: strawberry.Private[View]

    @strawberry.field(description="status, name or seat.")
    def aspect(self) -> str:
        return self.p.aspect

    @strawberry.field(description="decided, established or dissolved (aspect status).")
    def status(self) -> str | None:
        return self.p.status

    @strawberry.field
    def name(self) -> str | None:
        return self.p.name

    @strawberry.field
    def abbreviation(self) -> str | None:
        return self.p.abbreviation

    @strawberry.field
    def seat(self) -> str | None:
        return self.p.seat

    @strawberry.field
    def seat_state(self) -> str | None:
        return self.p.seat_state

    @strawberry.field
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.p.period)

    @strawberry.field
    def provenance(self) -> Provenance:
        p = self.p
        return provenance(p.body_id, p.sources, p.events, p.record, self.view)


@strawberry.type(description="A period that holds (YES) or may hold (PERHAPS) at the date asked.")
class BodyPeriodAnswer:
    answer_: strawberry.Private[bodies.PeriodAnswer]
    view: strawberry.Private[View]

    @strawberry.field
    def answer(self) -> AnswerValue:
        return answer_value(self.answer_.answer)

    @strawberry.field(description="False when the answer rests on an imprecise date.")
    def certain(self) -> bool:
        return self.answer_.certain

    @strawberry.field
    def period(self) -> BodyPeriod:
        return BodyPeriod(p=self.answer_.row, view=self.view)


@strawberry.type(description="A body: a council, a permanent body, an expert group, ...")
class Body:
    b: strawberry.Private[bodies.BodyRecord]
    view: strawberry.Private[View]

    @strawberry.field(description="The record id (`body/rats`): its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.b.body_id)

    @strawberry.field(description="Its latest name (see `name` for a date).")
    def latest_name(self) -> str:
        return self.b.name

    @strawberry.field
    def abbreviation(self) -> str | None:
        return self.b.abbreviation

    @strawberry.field
    def category(self) -> str:
        return str(self.b.category)

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.b.organization_id, self.view)

    @strawberry.field
    async def parent(self, info: Info[Context, None]) -> Body | None:
        return await load_body(info, self.b.parent, self.view)

    @strawberry.field
    def permanence(self) -> str | None:
        return self.b.permanence

    @strawberry.field(description="An expert group's mandate.")
    def mandate(self) -> str | None:
        return self.b.mandate

    @strawberry.field
    def expires_on(self) -> PartialDateValue | None:
        return partial(self.b.expires_on)

    @strawberry.field
    def decided_on(self) -> PartialDateValue | None:
        return partial(self.b.decided_on)

    @strawberry.field
    def established_on(self) -> PartialDateValue | None:
        return partial(self.b.established_on)

    @strawberry.field
    def dissolved_on(self) -> PartialDateValue | None:
        return partial(self.b.dissolved_on)

    async def _aspect(
        self,
        info: Info[Context, None],
        aspect: str,
        as_of: str | None,
        known_at: KnownAt | None,
        span: SpanValue | None,
    ) -> list[BodyPeriodAnswer]:
        view = await view_of(info, as_of, known_at, None, span, self.view)
        if view.as_of is None:  # no date asked: the latest period of the aspect
            rows = await info.context.loaders.body_periods.load((self.b.body_id, view.known_at))
            latest = [r for r in rows if r.aspect == aspect][-1:]
            return [
                BodyPeriodAnswer(answer_=bodies.PeriodAnswer(Answer.YES, r), view=view)
                for r in latest
            ]
        key = (self.b.body_id, view.as_of, view.known_at, view.span)
        found = await info.context.loaders.body_at.load(key)
        return [BodyPeriodAnswer(answer_=a, view=view) for a in found if a.row.aspect == aspect]

    @strawberry.field(
        description="Its status at `asOf` (inherited; none: the latest): one answer, or two "
        "when the dates do not say which side of a change the date is."
    )
    async def status(
        self,
        info: Info[Context, None],
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        span: SpanValue | None = None,
    ) -> list[BodyPeriodAnswer]:
        return await self._aspect(info, "status", as_of, known_at, span)

    @strawberry.field(description="Its name at `asOf` (inherited; none: the latest).")
    async def name(
        self,
        info: Info[Context, None],
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        span: SpanValue | None = None,
    ) -> list[BodyPeriodAnswer]:
        return await self._aspect(info, "name", as_of, known_at, span)

    @strawberry.field(description="Its seat at `asOf` (inherited; none: the latest).")
    async def seat(
        self,
        info: Info[Context, None],
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        span: SpanValue | None = None,
    ) -> list[BodyPeriodAnswer]:
        return await self._aspect(info, "seat", as_of, known_at, span)

    async def _history(
        self, info: Info[Context, None], aspect: str, known_at: KnownAt | None
    ) -> list[BodyPeriod]:
        view = await view_of(info, None, known_at, None, None, self.view)
        rows = await info.context.loaders.body_periods.load((self.b.body_id, view.known_at))
        return [BodyPeriod(p=r, view=view) for r in rows if r.aspect == aspect]

    @strawberry.field(description="Its status periods in valid-time order.")
    async def status_history(
        self, info: Info[Context, None], known_at: KnownAt | None = None
    ) -> list[BodyPeriod]:
        return await self._history(info, "status", known_at)

    @strawberry.field(description="Its names in valid-time order.")
    async def name_history(
        self, info: Info[Context, None], known_at: KnownAt | None = None
    ) -> list[BodyPeriod]:
        return await self._history(info, "name", known_at)

    @strawberry.field(description="Its seats in valid-time order.")
    async def seat_history(
        self, info: Info[Context, None], known_at: KnownAt | None = None
    ) -> list[BodyPeriod]:
        return await self._history(info, "seat", known_at)

    @strawberry.field(
        description="The terms of its offices (or of one `office`) that may hold at `asOf` "
        "(inherited; required here or above): YES or PERHAPS each."
    )
    async def holders(
        self,
        info: Info[Context, None],
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        office: str | None = None,
        span: SpanValue | None = None,
    ) -> list[Holder]:
        view = await view_of(info, as_of, known_at, None, span, self.view)
        when = view.as_of
        if when is None:
            from sco_registry.graphql.errors import api_error

            raise api_error("input.as_of_required", "Body.holders needs asOf")
        found = await info.context.read(
            lambda conn: offices.holders(
                conn, self.b.body_id, when, view.known_at, office=office, span=view.span
            )
        )
        return [Holder(h=h, view=view) for h in found]

    @strawberry.field(description="Its terms of office in valid-time order: the full sequence.")
    async def office_history(
        self, info: Info[Context, None], office: str | None = None, known_at: KnownAt | None = None
    ) -> list[OfficeTerm]:
        view = await view_of(info, None, known_at, None, None, self.view)
        found = await info.context.read(
            lambda conn: offices.office_history(conn, self.b.body_id, office, view.known_at)
        )
        return [OfficeTerm(t=t, view=view) for t in found]

    @strawberry.field
    def provenance(self) -> Provenance:
        b = self.b
        return provenance(b.body_id, b.sources, b.events, b.record, self.view)


async def load_body(info: Info[Context, None], body_id: str | None, view: View) -> Body | None:
    if body_id is None:
        return None
    found = await info.context.loaders.body.load((body_id, view.known_at))
    return None if found is None else Body(b=found, view=view)


@strawberry.type(description="A term of office: a person in an office of a body.")
class OfficeTerm:
    t: strawberry.Private[offices.OfficeTerm]
    view: strawberry.Private[View]

    @strawberry.field(description="The record id (`office/rats/...`): its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.t.term_id)

    @strawberry.field
    async def body(self, info: Info[Context, None]) -> Body | None:
        return await load_body(info, self.t.body_id, self.view)

    @strawberry.field
    def office(self) -> str:
        return self.t.office

    @strawberry.field
    def person(self) -> str:
        return self.t.person

    @strawberry.field
    def nationality(self) -> str | None:
        return self.t.nationality

    @strawberry.field
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.t.period)

    @strawberry.field
    def provenance(self) -> Provenance:
        t = self.t
        return provenance(t.term_id, t.sources, t.events, t.record, self.view)


@strawberry.type(description="A term that holds (YES) or may hold (PERHAPS) at the date asked.")
class Holder:
    h: strawberry.Private[offices.Holder]
    view: strawberry.Private[View]

    @strawberry.field
    def answer(self) -> AnswerValue:
        return answer_value(self.h.answer)

    @strawberry.field
    def certain(self) -> bool:
        return self.h.certain

    @strawberry.field
    def term(self) -> OfficeTerm:
        return OfficeTerm(t=self.h.term, view=self.view)


@strawberry.type(description="A mandate one body gave another (a task, due by a meeting or date).")
class Mandate:
    m: strawberry.Private[mandates.Mandate]
    view: strawberry.Private[View]

    @strawberry.field(description="The record id (`mandate/...`): its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.m.mandate_id)

    @strawberry.field
    async def by(self, info: Info[Context, None]) -> Body | None:
        return await load_body(info, self.m.by_body, self.view)

    @strawberry.field
    async def to(self, info: Info[Context, None]) -> Body | None:
        return await load_body(info, self.m.to_body, self.view)

    @strawberry.field
    def task(self) -> str:
        return self.m.task

    @strawberry.field
    async def document(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.m.document, self.view)

    @strawberry.field
    async def due_meeting(self, info: Info[Context, None]) -> Meeting | None:
        return await load_meeting(info, self.m.due_meeting, self.view)

    @strawberry.field
    def due_date(self) -> PartialDateValue | None:
        return partial(self.m.due_date)

    @strawberry.field
    def fulfilled(self) -> bool:
        return self.m.fulfilled

    @strawberry.field
    async def fulfilled_by(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.m.fulfilled_document, self.view)

    @strawberry.field(description="Given to fulfilled.")
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.m.period)

    @strawberry.field
    def provenance(self) -> Provenance:
        m = self.m
        return provenance(m.mandate_id, m.sources, m.events, m.record, self.view)
