"""The history's records as the API shows them: organizations, states and their statuses,
meetings, documents. Each object carries the `View` it was read with; its nested fields read
with it (their own `asOf` / `knownAt` override it) through the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.types import Info

from sco_registry.domain.membership import PARTY_STATUSES, MembershipStatus
from sco_registry.domain.periods import Period
from sco_registry.graphql import readers
from sco_registry.graphql.context import Context
from sco_registry.graphql.reading import KnownAt, View, view_of
from sco_registry.graphql.scalars import (
    JSON,
    AnswerValue,
    PartialDateValue,
    SpanValue,
    ValidPeriodValue,
    answer_at,
    answer_value,
    json_value,
    partial,
    valid_period,
)
from sco_registry.graphql.shortcut import without_info
from sco_registry.graphql.subtrees import Anomaly
from sco_registry.graphql.types_common import Provenance, provenance
from sco_registry.projections import documents, meetings, membership, organizations

if TYPE_CHECKING:
    from sco_registry.graphql.types_bodies import Body

BodyRef = Annotated["Body", strawberry.lazy("sco_registry.graphql.types_bodies")]


def valid_at(period: Period, view: View) -> AnswerValue | None:
    """Whether a record's valid period holds at the view's `asOf` (null without one)."""
    if view.as_of is None:
        return None
    return answer_value(answer_at(period, view.as_of, view.span))


MembershipStatusValue = strawberry.enum(MembershipStatus, name="MembershipStatus")


# --- states and their statuses ------------------------------------------------------------------


@strawberry.type(description="A state (ISO 3166-1 alpha-2 code), as the registry knows it.")
class State:
    row: strawberry.Private[readers.StateRow | None]
    code_value: strawberry.Private[str]
    view: strawberry.Private[View]

    @strawberry.field(description="The ISO 3166-1 alpha-2 code.")
    def code(self) -> str:
        return self.code_value

    @strawberry.field(description="Its name (null for a code the registry has not registered).")
    def name(self) -> str | None:
        return None if self.row is None else self.row.name

    @strawberry.field(
        description="Its statuses in the organization that may hold at `asOf` (inherited): "
        "YES or PERHAPS each; two when the dates do not say which side of a change it is."
    )
    async def status(
        self,
        info: Info[Context, None],
        organization: str,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        span: SpanValue | None = None,
    ) -> list[StatusAnswer]:
        view = await view_of(info, as_of, known_at, None, span, self.view)
        when = view.as_of
        if when is None:
            raise _needs_as_of("State.status")
        found = await info.context.read(
            lambda conn: membership.status_of(
                conn, self.code_value, organization, when, view.known_at, span=view.span
            )
        )
        return [StatusAnswer(a=a, view=view) for a in found]

    @strawberry.field(description="Its status periods in the organization, in valid-time order.")
    async def history(
        self, info: Info[Context, None], organization: str, known_at: KnownAt | None = None
    ) -> list[StatusPeriod]:
        view = await view_of(info, None, known_at, None, None, self.view)
        found = await info.context.read(
            lambda conn: membership.history_of(conn, self.code_value, organization, view.known_at)
        )
        return [StatusPeriod(p=p, view=view) for p in found]

    @strawberry.field(description="The registrations of the code and name.")
    def provenance(self) -> Provenance:
        events = () if self.row is None else self.row.events
        return provenance(None, (), events, None, self.view)


def _needs_as_of(field: str) -> Exception:
    from sco_registry.graphql.errors import api_error

    return api_error("input.as_of_required", f"{field} needs asOf (here or on a parent field)")


async def load_state(info: Info[Context, None], code: str | None, view: View) -> State | None:
    if code is None:
        return None
    row = await info.context.loaders.state.load((code, view.known_at))
    return State(row=row, code_value=code, view=view)


@strawberry.type(description="A status a state held in an organization over a valid period.")
class StatusPeriod:
    p: strawberry.Private[membership.StatusPeriod]
    view: strawberry.Private[View]

    @strawberry.field
    async def state(self, info: Info[Context, None]) -> State | None:
        return await load_state(info, self.p.state, self.view)

    @strawberry.field
    def organization_id(self) -> str:
        return self.p.organization_id

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.p.organization_id, self.view)

    @strawberry.field
    def status(self) -> MembershipStatusValue:  # type: ignore[valid-type]
        return self.p.status

    @strawberry.field
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.p.period)

    @strawberry.field(description="The meeting where the change that began it was decided.")
    async def meeting(self, info: Info[Context, None]) -> Meeting | None:
        return await load_meeting(info, self.p.meeting, self.view)

    @strawberry.field(description="The document of the change that began it.")
    async def document(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.p.document, self.view)

    @strawberry.field
    def provenance(self) -> Provenance:
        return provenance(None, self.p.sources, self.p.events, self.p.record, self.view)


@strawberry.type(description="A status asked about at a date: YES or PERHAPS (never a guess).")
class StatusAnswer:
    a: strawberry.Private[membership.StatusAnswer]
    view: strawberry.Private[View]
    # The states by code, read with the answers when `state` is selected (as `Meeting`'s
    # prefetch: no coroutine per answer); None: the loader.
    states: strawberry.Private[dict[str, readers.StateRow] | None] = None

    @strawberry.field
    def answer(self) -> AnswerValue:
        return answer_value(self.a.answer)

    @strawberry.field(description="False when the answer rests on an imprecise date (PERHAPS).")
    def certain(self) -> bool:
        return self.a.certain

    def _prefetched_state(self) -> State:
        """`state` from the answers' prefetch; `Anomaly` without one (`state`)."""
        if self.states is None:
            raise Anomaly
        return State(row=self.states.get(self.a.state), code_value=self.a.state, view=self.view)

    @strawberry.field
    @without_info(_prefetched_state)
    def state(self, info: Info[Context, None]) -> State | None:
        if self.states is not None:
            return self._prefetched_state()
        return cast("State | None", load_state(info, self.a.state, self.view))  # awaited

    @strawberry.field
    def status(self) -> MembershipStatusValue:  # type: ignore[valid-type]
        return self.a.status

    @strawberry.field(description="The status period the answer rests on.")
    def period(self) -> StatusPeriod:
        return StatusPeriod(p=self.a.row, view=self.view)


@strawberry.type(description="A change of a state's status (the start of a status period).")
class MembershipChange:
    c: strawberry.Private[readers.MembershipChange]
    view: strawberry.Private[View]

    @strawberry.field(description="The event type of the change (e.g. MemberAdmitted).")
    def kind(self) -> str:
        return self.c.kind

    @strawberry.field
    def date(self) -> PartialDateValue | None:
        return partial(self.c.period.period.start)

    @strawberry.field(description="The status the change began.")
    def status_after(self) -> MembershipStatusValue:  # type: ignore[valid-type]
        return self.c.period.status

    @strawberry.field
    def period(self) -> StatusPeriod:
        return StatusPeriod(p=self.c.period, view=self.view)


# --- organizations ------------------------------------------------------------------------------


@strawberry.type(description="An organization: the Shanghai Five, the SCO.")
class Organization:
    o: strawberry.Private[organizations.Organization]
    view: strawberry.Private[View]

    @strawberry.field(description="The record id (`organization/sco`): also its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.o.organization_id)

    @strawberry.field
    def name(self) -> str | None:
        return self.o.name

    @strawberry.field
    def abbreviation(self) -> str | None:
        return self.o.abbreviation

    @strawberry.field
    def founded_on(self) -> PartialDateValue | None:
        return partial(self.o.founded_on)

    @strawberry.field
    def founded_at(self) -> str | None:
        return self.o.founded_at

    @strawberry.field
    async def founding_document(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.o.founding_document, self.view)

    @strawberry.field
    async def founding_members(self, info: Info[Context, None]) -> list[State]:
        found = [await load_state(info, s, self.view) for s in self.o.founding_members]
        return [s for s in found if s is not None]

    @strawberry.field
    async def predecessor(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.o.predecessor, self.view)

    @strawberry.field
    async def successor(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.o.successor, self.view)

    @strawberry.field
    def succeeded_on(self) -> PartialDateValue | None:
        return partial(self.o.succeeded_on)

    @strawberry.field
    def purposes(self) -> JSON | None:
        return json_value(self.o.purposes)

    @strawberry.field
    def shanghai_spirit(self) -> JSON | None:
        return json_value(self.o.shanghai_spirit)

    @strawberry.field
    def principles(self) -> JSON | None:
        return json_value(self.o.principles)

    @strawberry.field(description="Founded to succeeded (or still existing).")
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.o.period)

    @strawberry.field(description="Whether it existed at `asOf` (null without asOf).")
    def valid_at(self) -> AnswerValue | None:
        return valid_at(self.o.period, self.view)

    @strawberry.field(
        description="The states holding one of `statuses` (default: participant, founding "
        "member, member) at `asOf` (inherited): one answer per state, YES or PERHAPS."
    )
    async def members(
        self,
        info: Info[Context, None],
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        span: SpanValue | None = None,
        statuses: list[MembershipStatusValue] | None = None,  # type: ignore[valid-type]
    ) -> list[StatusAnswer]:
        view = await view_of(info, as_of, known_at, None, span, self.view)
        when = view.as_of
        if when is None:
            raise _needs_as_of("Organization.members")
        wanted = PARTY_STATUSES if statuses is None else frozenset(statuses)
        found = await info.context.read(
            lambda conn: membership.members_on(
                conn, self.o.organization_id, when, view.known_at, span=view.span, statuses=wanted
            )
        )
        return [StatusAnswer(a=a, view=view) for a in found]

    @strawberry.field
    def provenance(self) -> Provenance:
        o = self.o
        return provenance(o.organization_id, o.sources, o.events, o.record, self.view)


async def load_organization(
    info: Info[Context, None], org_id: str | None, view: View
) -> Organization | None:
    if org_id is None:
        return None
    found = await info.context.loaders.organization.load((org_id, view.known_at))
    return None if found is None else Organization(o=found, view=view)


# --- meetings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingsPrefetch:
    """What a page of meetings read with the page itself, in the same read, for the nested
    fields the query selects (None: not selected, the fields load it): each meeting's host
    state from `states` (by code), its documents from `documents` (by meeting id), as the
    loaders would give them (`readers.states`, `readers.documents_of_meetings`, the view's
    `known_at`). Answered without a coroutine each: in a page of 100 an async field per
    meeting cost more than the rest of the meeting (the event loop's tasks and handles)."""

    states: dict[str, readers.StateRow] | None = None
    documents: dict[str, list[documents.Document]] | None = None


@strawberry.type(description="A meeting of a body (a summit, a council's session).")
class Meeting:
    m: strawberry.Private[meetings.Meeting]
    view: strawberry.Private[View]
    prefetch: strawberry.Private[MeetingsPrefetch | None] = None

    @strawberry.field(description="The record id (`meeting/heads_of_state/2002`): its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.m.meeting_id)

    @strawberry.field
    def body_id(self) -> str | None:
        return self.m.body_id

    @strawberry.field
    async def body(self, info: Info[Context, None]) -> BodyRef | None:
        from sco_registry.graphql.types_bodies import load_body

        return await load_body(info, self.m.body_id, self.view)

    @strawberry.field
    def ordinal(self) -> int | None:
        return self.m.ordinal

    @strawberry.field
    def start_date(self) -> PartialDateValue | None:
        return partial(self.m.start_date)

    @strawberry.field
    def end_date(self) -> PartialDateValue | None:
        return partial(self.m.end_date)

    @strawberry.field
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.m.period)

    @strawberry.field(description="Whether it was in session at `asOf` (null without asOf).")
    def valid_at(self) -> AnswerValue | None:
        return valid_at(self.m.period, self.view)

    @strawberry.field
    def city(self) -> str | None:
        return self.m.city

    def _prefetched_host_state(self) -> State | None:
        """`hostState` from the page's prefetch; `Anomaly` without one (`host_state`)."""
        pre = self.prefetch
        if pre is None or pre.states is None:
            raise Anomaly
        code = self.m.host_state
        if code is None:
            return None
        return State(row=pre.states.get(code), code_value=code, view=self.view)

    @strawberry.field
    @without_info(_prefetched_host_state)
    def host_state(self, info: Info[Context, None]) -> State | None:
        pre = self.prefetch
        if pre is not None and pre.states is not None:
            return self._prefetched_host_state()
        # Not prefetched: the loader's coroutine, which the executor awaits (a resolver may
        # return an awaitable; declared sync, the field costs no coroutine when prefetched).
        return cast("State | None", load_state(info, self.m.host_state, self.view))

    @strawberry.field(description="in_person, virtual, ...")
    def format(self) -> str | None:
        return self.m.format

    @strawberry.field(description="scheduled, held, postponed or cancelled.")
    def status(self) -> str:
        return self.m.status

    @strawberry.field
    def chair(self) -> str | None:
        return self.m.chair

    @strawberry.field
    def participants(self) -> list[str]:
        return list(self.m.participants)

    @strawberry.field(description="Each postponement, move or cancellation, with its date.")
    def changes(self) -> JSON:
        return json_value(list(self.m.changes))

    def _prefetched_documents(self) -> list[Document]:
        """`documents` from the page's prefetch; `Anomaly` without one (`documents`)."""
        pre = self.prefetch
        if pre is None or pre.documents is None:
            raise Anomaly
        view = self.view
        return [Document(d=d, view=view) for d in pre.documents.get(self.m.meeting_id, ())]

    @strawberry.field(description="The documents whose signature names this meeting.")
    @without_info(_prefetched_documents)
    def documents(self, info: Info[Context, None]) -> list[Document]:
        pre = self.prefetch
        if pre is not None and pre.documents is not None:
            return self._prefetched_documents()
        return cast("list[Document]", self._load_documents(info))  # awaited, as host_state

    async def _load_documents(self, info: Info[Context, None]) -> list[Document]:
        key = (self.m.meeting_id, self.view.known_at)
        found = await info.context.loaders.documents_of_meeting.load(key)
        return [Document(d=d, view=self.view) for d in found]

    @strawberry.field(description="The membership decisions taken here (periods begun here).")
    async def decisions(self, info: Info[Context, None]) -> list[StatusPeriod]:
        key = (self.m.meeting_id, self.view.known_at)
        found = await info.context.loaders.decisions_of_meeting.load(key)
        return [StatusPeriod(p=p, view=self.view) for p in found]

    @strawberry.field
    def provenance(self) -> Provenance:
        m = self.m
        # Event ids and record time parsed only if selected (`Provenance.raw_events`).
        return provenance(m.meeting_id, m.sources, lambda: m.events, lambda: m.record, self.view)


async def load_meeting(
    info: Info[Context, None], meeting_id: str | None, view: View
) -> Meeting | None:
    if meeting_id is None:
        return None
    found = await info.context.loaders.meeting.load((meeting_id, view.known_at))
    return None if found is None else Meeting(m=found, view=view)


# --- documents ----------------------------------------------------------------------------------


@strawberry.type(description="A state's ratification of a document.")
class Ratification:
    state: str
    date: PartialDateValue | None


@strawberry.type(description="A document: a declaration, charter, agreement, ...")
class Document:
    d: strawberry.Private[documents.Document]
    view: strawberry.Private[View]

    @strawberry.field(description="The record id (`document/charter-2002`): its node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.d.document_id)

    @strawberry.field
    def category(self) -> str | None:
        return self.d.category

    @strawberry.field
    def title(self) -> str | None:
        return self.d.title

    @strawberry.field
    def signed_on(self) -> PartialDateValue | None:
        return partial(self.d.signed_on)

    @strawberry.field
    def place(self) -> str | None:
        return self.d.place

    @strawberry.field
    async def meeting(self, info: Info[Context, None]) -> Meeting | None:
        return await load_meeting(info, self.d.meeting, self.view)

    @strawberry.field(description="The signatories (null where the sources do not list them).")
    def parties(self) -> list[str] | None:
        return None if self.d.parties is None else list(self.d.parties)

    @strawberry.field
    def founding_parties(self) -> list[str]:
        return list(self.d.founding_parties)

    @strawberry.field
    def ratifications(self) -> list[Ratification]:
        return [Ratification(state=s, date=partial(d)) for s, d in self.d.ratifications.items()]

    @strawberry.field
    def in_force_on(self) -> PartialDateValue | None:
        return partial(self.d.in_force_on)

    @strawberry.field
    async def amends(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.d.amends, self.view)

    @strawberry.field(description="The amendments of it, with their dates.")
    def amended_by(self) -> JSON:
        return json_value(list(self.d.amended_by))

    @strawberry.field
    async def superseded_by(self, info: Info[Context, None]) -> Document | None:
        return await load_document(info, self.d.superseded_by, self.view)

    @strawberry.field
    def superseded_on(self) -> PartialDateValue | None:
        return partial(self.d.superseded_on)

    @strawberry.field(description="The drafting mandate, as recorded.")
    def mandate(self) -> JSON | None:
        return json_value(self.d.mandate)

    @strawberry.field(description="The drafts recorded, with their dates.")
    def drafts(self) -> JSON:
        return json_value(list(self.d.drafts))

    @strawberry.field(description="Signed to superseded (or still in effect).")
    def valid_period(self) -> ValidPeriodValue:
        return valid_period(self.d.period)

    @strawberry.field(description="Whether it was signed and not superseded at `asOf`.")
    def valid_at(self) -> AnswerValue | None:
        return valid_at(self.d.period, self.view)

    @strawberry.field
    def provenance(self) -> Provenance:
        d = self.d
        return provenance(d.document_id, d.sources, lambda: d.events, lambda: d.record, self.view)


async def load_document(
    info: Info[Context, None], document_id: str | None, view: View
) -> Document | None:
    if document_id is None:
        return None
    found = await info.context.loaders.document.load((document_id, view.known_at))
    return None if found is None else Document(d=found, view=view)
