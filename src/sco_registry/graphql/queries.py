"""The root query type: the fields of every read model (records, bodies, the log's models)
and `node(id)`, any entity by its record id."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from sco_registry.graphql.context import Context
from sco_registry.graphql.nodes import Node, resolve_node
from sco_registry.graphql.queries_bodies import BodyQueries
from sco_registry.graphql.queries_log import LogHead, LogQueries
from sco_registry.graphql.queries_records import RecordQueries
from sco_registry.graphql.reading import KnownAt, view_of

__all__ = ["LogHead", "Query"]


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
        return await resolve_node(info, str(id), view)
