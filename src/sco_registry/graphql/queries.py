"""The root query type: the fields of every read model (records, bodies, the log's models)
and `node(id)`, any entity by its record id."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from sco_registry.domain import ids
from sco_registry.graphql.context import Context
from sco_registry.graphql.queries_bodies import BodyQueries
from sco_registry.graphql.queries_log import LogHead, LogQueries
from sco_registry.graphql.queries_records import RecordQueries
from sco_registry.graphql.reading import KnownAt, view_of
from sco_registry.graphql.types_bodies import Body, Mandate, OfficeTerm
from sco_registry.graphql.types_records import Document, Meeting, Organization, State
from sco_registry.projections import mandates

__all__ = ["LogHead", "Query"]

Node = Annotated[
    Organization | Body | Meeting | Document | OfficeTerm | Mandate | State,
    strawberry.union(
        "Node",
        description="Any entity, by its record id (`meeting/heads_of_state/2002`; a state: "
        "`state/KZ`).",
    ),
]


@strawberry.type
class Query(RecordQueries, BodyQueries, LogQueries):
    @strawberry.field(
        description="Any entity by its record id: an organization, body, meeting, document, "
        "office term, mandate, or a state (`state/KZ`); null when none is known then."
    )
    async def node(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Node | None:
        view = await view_of(info, as_of, known_at, min_position)
        key = str(id)
        loaders = info.context.loaders
        at = view.known_at
        if key.startswith(ids.ORGANIZATION):
            o = await loaders.organization.load((key, at))
            return None if o is None else Organization(o=o, view=view)
        if key.startswith(ids.BODY):
            b = await loaders.body.load((key, at))
            return None if b is None else Body(b=b, view=view)
        if key.startswith(ids.MEETING):
            m = await loaders.meeting.load((key, at))
            return None if m is None else Meeting(m=m, view=view)
        if key.startswith(ids.DOCUMENT):
            d = await loaders.document.load((key, at))
            return None if d is None else Document(d=d, view=view)
        if key.startswith(ids.OFFICE):
            from sco_registry.graphql import readers

            found = await info.context.read(
                lambda conn: readers.office_terms_by_id(conn, [key], at)
            )
            return OfficeTerm(t=found[key], view=view) if key in found else None
        if key.startswith(ids.MANDATE):
            every = await info.context.read(lambda conn: mandates.mandates(conn, known_at=at))
            chosen = [m for m in every if m.mandate_id == key]
            return Mandate(m=chosen[0], view=view) if chosen else None
        if key.startswith(STATE_PREFIX):
            code = key.removeprefix(STATE_PREFIX)
            row = await loaders.state.load((code, at))
            return None if row is None else State(row=row, code_value=code, view=view)
        return None


#: The node id of a state (states are reference data, not records of a history file).
STATE_PREFIX = "state/"
