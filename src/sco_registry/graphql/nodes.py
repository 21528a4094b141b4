"""Any entity by its record id: the `Node` union and its resolution, shared by the root
`node(id)` field and by a mutation's success (the object the command affected)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from sco_registry.domain import ids
from sco_registry.graphql.context import Context
from sco_registry.graphql.reading import View
from sco_registry.graphql.types_bodies import Body, Mandate, OfficeTerm
from sco_registry.graphql.types_records import Document, Meeting, Organization, State
from sco_registry.projections import mandates

Node = Annotated[
    Organization | Body | Meeting | Document | OfficeTerm | Mandate | State,
    strawberry.union(
        "Node",
        description="Any entity, by its record id (`meeting/heads_of_state/2002`; a state: "
        "`state/KZ`).",
    ),
]


#: The node id of a state (states are reference data, not records of a history file).
STATE_PREFIX = "state/"
#: A state's membership stream (`membership/KZ`): its node is the state.
MEMBERSHIP_PREFIX = "membership/"


async def resolve_node(info: Info[Context, None], key: str, view: View) -> Node | None:
    """The entity whose record id is `key`, as `view` sees it (None when none is known)."""
    if key.startswith(MEMBERSHIP_PREFIX):
        key = STATE_PREFIX + key.removeprefix(MEMBERSHIP_PREFIX)
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

        found = await info.context.read(lambda conn: readers.office_terms_by_id(conn, [key], at))
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
