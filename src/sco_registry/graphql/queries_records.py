"""Root fields over the records: organizations, states and their statuses, membership
changes, meetings (with counts), documents. Lists are connections (`first` required)."""

from __future__ import annotations

import enum
from collections import Counter
from typing import Any

import strawberry
from strawberry.types import Info

from sco_registry.domain.membership import PARTY_STATUSES
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
from sco_registry.graphql.reading import KnownAt, View, selected_names, selects_only, view_of
from sco_registry.graphql.scalars import SpanValue, parse_optional_date
from sco_registry.graphql.types_log import Count
from sco_registry.graphql.types_records import (
    Document,
    Meeting,
    MeetingsPrefetch,
    MembershipChange,
    MembershipStatusValue,
    Organization,
    State,
    StatusAnswer,
)
from sco_registry.projections import documents, meetings, membership, organizations


def _lo(d: object) -> str:
    lower = getattr(d, "lower", None)
    return "" if lower is None else lower.isoformat()


def _hi(d: object) -> str:
    upper = getattr(d, "upper", None)
    return "" if upper is None else upper.isoformat()


@strawberry.enum(description="Meetings by start date, earliest or latest first.")
class MeetingOrder(enum.Enum):
    DATE_ASC = "date_asc"
    DATE_DESC = "date_desc"


@strawberry.enum(description="What meetings are counted by.")
class MeetingCountBy(enum.Enum):
    BODY = "body"
    HOST_STATE = "host_state"
    YEAR = "year"


def _meeting_cursor(after: str) -> meetings.PageKey:
    key = decode_cursor(after)
    if (
        len(key) != 4
        or not isinstance(key[0], bool)
        or not all(isinstance(k, str) for k in key[1:])
    ):
        raise api_error("page.malformed_cursor", f"{after!r} is not a cursor of this list")
    return (key[0], str(key[1]), str(key[2]), str(key[3]))


async def _organizations(info: Info[Context, None], view: View) -> list[organizations.Organization]:
    return await info.context.read(lambda conn: organizations.organizations(conn, view.known_at))


@strawberry.type
class RecordQueries:
    @strawberry.field(description="The organizations, by founding date.")
    async def organizations(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[Organization]:
        view = await view_of(info, as_of, known_at, min_position)
        found = await _organizations(info, view)
        return page(
            found,
            lambda o: (_lo(o.founded_on), o.organization_id),
            first,
            after,
            lambda o: Organization(o=o, view=view),
        )

    @strawberry.field(description="An organization by its record id (`organization/sco`).")
    async def organization(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Organization | None:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.read(
            lambda conn: organizations.organization(conn, str(id), view.known_at)
        )
        return None if found is None else Organization(o=found, view=view)

    @strawberry.field(description="The states the registry knows, by code.")
    async def states(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[State]:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.read(lambda conn: readers.states(conn, view.known_at))
        return page(
            found,
            lambda s: (s.code,),
            first,
            after,
            lambda s: State(row=s, code_value=s.code, view=view),
        )

    @strawberry.field(description="A state by its ISO 3166-1 alpha-2 code.")
    async def state(
        self,
        info: Info[Context, None],
        code: str,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> State | None:
        view = await view_of(info, as_of, known_at, min_position)
        row = await info.context.loaders.state.load((code.upper(), view.known_at))
        return None if row is None else State(row=row, code_value=row.code, view=view)

    @strawberry.field(
        description="The states holding one of `statuses` (default: participant, founding "
        "member, member) in the organization at `asOf`: one answer each, YES or PERHAPS."
    )
    async def members(
        self,
        info: Info[Context, None],
        organization: strawberry.ID,
        as_of: str,
        first: int,
        after: str | None = None,
        statuses: list[MembershipStatusValue] | None = None,  # type: ignore[valid-type]
        span: SpanValue | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[StatusAnswer]:
        view = await view_of(info, as_of, known_at, min_position, span)
        when = view.as_of
        assert when is not None
        wanted = PARTY_STATUSES if statuses is None else frozenset(statuses)
        with_states = bool(selected_names(info, {"state"}))
        # A state's code is the answer's own: its row (name, registrations) is read only
        # when more than the code is asked for (the benchmark's query asks `state { code }`).
        codes_only = selects_only(info, "state", {"code", "__typename"})

        def work(conn: Any) -> tuple[list[Any], dict[str, readers.StateRow] | None]:
            found = membership.members_on(
                conn, str(organization), when, view.known_at, span=view.span, statuses=wanted
            )
            if not with_states:
                return found, None
            if codes_only:
                return found, {}
            # The answers' states in the same read (see `StatusAnswer.states`).
            return found, {s.code: s for s in readers.states(conn, view.known_at)}

        found, states = await info.context.read(work)
        return page(
            found,
            lambda a: (a.state,),
            first,
            after,
            lambda a: StatusAnswer(a=a, view=view, states=states),
        )

    @strawberry.field(
        description="Changes of states' statuses, filtered by state, organization, kind (the "
        "event type), status after, meeting and date range (a change that may fall in it)."
    )
    async def membership_changes(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        state: str | None = None,
        organization: strawberry.ID | None = None,
        kinds: list[str] | None = None,
        status_after: MembershipStatusValue | None = None,  # type: ignore[valid-type]
        meeting: strawberry.ID | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[MembershipChange]:
        view = await view_of(info, as_of, known_at, min_position)
        lo = parse_optional_date(date_from, "dateFrom")
        hi = parse_optional_date(date_to, "dateTo")
        found = await info.context.read(
            lambda conn: readers.membership_changes(
                conn,
                state,
                None if organization is None else str(organization),
                kinds,
                None if status_after is None else str(status_after),
                None if meeting is None else str(meeting),
                lo,
                hi,
                view.known_at,
            )
        )
        return page(
            found,
            lambda c: (
                c.period.period.start_lo.isoformat() if c.period.period.start_lo else "",
                c.period.state,
                c.period.organization_id,
                c.period.events[0][1] if c.period.events else 0,
                str(c.period.status),
            ),
            first,
            after,
            lambda c: MembershipChange(c=c, view=view),
        )

    @strawberry.field(
        description="Meetings filtered by body, host state, format, status, years (a start "
        "that may fall in them) and ordinal; by start date (`order`)."
    )
    async def meetings(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        body: strawberry.ID | None = None,
        host_state: str | None = None,
        format: str | None = None,
        status: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        ordinal: int | None = None,
        order: MeetingOrder = MeetingOrder.DATE_ASC,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[Meeting]:
        view = await view_of(info, as_of, known_at, min_position)
        check_first(first)
        filters = (
            None if body is None else str(body),
            host_state,
            format,
            status,
            year_from,
            year_to,
            ordinal,
            view.known_at,
        )
        cursor = None if after is None else _meeting_cursor(after)
        wanted = selected_names(info, {"hostState", "documents"})

        def work(conn: Any) -> tuple[list[meetings.Meeting], MeetingsPrefetch | None]:
            # Cut by the database: one page's rows, whatever the list's length.
            page = meetings.meetings_page(
                conn,
                *filters,
                after=cursor,
                limit=first + 1,
                descending=order is MeetingOrder.DATE_DESC,
            )
            if not wanted:
                return page, None
            # The nested fields' rows in the same read (one statement per kind, as the
            # loaders would make them), answered without a coroutine per meeting.
            states = documents_of = None
            if "hostState" in wanted:
                states = {s.code: s for s in readers.states(conn, view.known_at)}
            if "documents" in wanted:
                ids = [m.meeting_id for m in page[:first]]
                documents_of = readers.documents_of_meetings(conn, ids, view.known_at)
            return page, MeetingsPrefetch(states=states, documents=documents_of)

        found, prefetch = await info.context.read(work)

        async def count() -> int:
            return await info.context.read(lambda conn: meetings.count_meetings(conn, *filters))

        return keyset_page(
            found,
            meetings.page_key,
            first,
            after,
            lambda m: Meeting(m=m, view=view, prefetch=prefetch),
            count,
        )

    @strawberry.field(description="A meeting by its record id (`meeting/heads_of_state/2002`).")
    async def meeting(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Meeting | None:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.loaders.meeting.load((str(id), view.known_at))
        return None if found is None else Meeting(m=found, view=view)

    @strawberry.field(
        description="A body's meeting by its ordinal or by its date (a start that may fall "
        "on it; the earliest if several): exactly one of the two."
    )
    async def meeting_of(
        self,
        info: Info[Context, None],
        body: strawberry.ID,
        ordinal: int | None = None,
        date: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Meeting | None:
        if (ordinal is None) == (date is None):
            raise api_error("input.invalid", "meetingOf takes exactly one of ordinal and date")
        view = await view_of(info, as_of, known_at, min_position)
        day = parse_optional_date(date, "date")
        found = await info.context.read(
            lambda conn: meetings.meetings(conn, str(body), ordinal=ordinal, known_at=view.known_at)
        )
        if day is not None:
            found = [m for m in found if m.start_date is not None and m.start_date.overlaps(day)]
        return Meeting(m=found[0], view=view) if found else None

    @strawberry.field(
        description="How many meetings per body, host state or year (of the start date; "
        "`undated` for none), with the meetings filters; by key."
    )
    async def meeting_counts(
        self,
        info: Info[Context, None],
        by: MeetingCountBy,
        body: strawberry.ID | None = None,
        host_state: str | None = None,
        status: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> list[Count]:
        view = await view_of(info, None, known_at, min_position)
        found = await info.context.read(
            lambda conn: meetings.meetings(
                conn,
                None if body is None else str(body),
                host_state,
                status=status,
                known_at=view.known_at,
            )
        )

        def key(m: meetings.Meeting) -> str:
            if by is MeetingCountBy.BODY:
                return m.body_id or "none"
            if by is MeetingCountBy.HOST_STATE:
                return m.host_state or "none"
            return str(m.start_date.year) if m.start_date is not None else "undated"

        counted = Counter(key(m) for m in found)
        return [Count(key=k, count=n) for k, n in sorted(counted.items())]

    @strawberry.field(
        description="Documents filtered by category, meeting, party, and signature date "
        "range (a signature that may fall in it); by id."
    )
    async def documents(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        category: str | None = None,
        meeting: strawberry.ID | None = None,
        party: str | None = None,
        signed_from: str | None = None,
        signed_to: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[Document]:
        view = await view_of(info, as_of, known_at, min_position)
        lo = parse_optional_date(signed_from, "signedFrom")
        hi = parse_optional_date(signed_to, "signedTo")
        found = await info.context.read(
            lambda conn: documents.documents(
                conn,
                category,
                None if meeting is None else str(meeting),
                party,
                lo,
                hi,
                view.known_at,
            )
        )
        return page(
            found, lambda d: (d.document_id,), first, after, lambda d: Document(d=d, view=view)
        )

    @strawberry.field(description="A document by its record id (`document/charter-2002`).")
    async def document(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Document | None:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.loaders.document.load((str(id), view.known_at))
        return None if found is None else Document(d=found, view=view)
