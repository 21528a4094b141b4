"""Root fields over bodies, offices and their holders, and mandates."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from sco_registry.graphql.context import Context
from sco_registry.graphql.errors import api_error
from sco_registry.graphql.pagination import Connection, page
from sco_registry.graphql.reading import KnownAt, view_of
from sco_registry.graphql.scalars import SpanValue
from sco_registry.graphql.types_bodies import Body, Holder, Mandate, OfficeTerm
from sco_registry.projections import bodies, mandates, offices


@strawberry.type
class BodyQueries:
    @strawberry.field(
        description="Bodies of an organization and a category if given, by id. With "
        "`statusOn`, only those whose status (`status`, else decided or established) may "
        "hold then; nested status, name and seat answer at `asOf` (default: `statusOn`)."
    )
    async def bodies(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        organization: strawberry.ID | None = None,
        category: str | None = None,
        status_on: str | None = None,
        status: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
        span: SpanValue | None = None,
    ) -> Connection[Body]:
        view = await view_of(info, as_of or status_on, known_at, min_position, span)
        on = None
        if status_on is not None:
            on = (await view_of(info, status_on)).as_of
        found = await info.context.read(
            lambda conn: bodies.bodies(
                conn,
                None if organization is None else str(organization),
                category,
                on,
                view.known_at,
                status=status,
                span=view.span,
            )
        )
        return page(
            found, lambda b: (b.body.body_id,), first, after, lambda b: Body(b=b.body, view=view)
        )

    @strawberry.field(description="A body by its record id (`body/rats`).")
    async def body(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
        span: SpanValue | None = None,
    ) -> Body | None:
        view = await view_of(info, as_of, known_at, min_position, span)
        found = await info.context.loaders.body.load((str(id), view.known_at))
        return None if found is None else Body(b=found, view=view)

    @strawberry.field(
        description="The terms of a body's offices (or one `office`) that may hold at `asOf`."
    )
    async def office_holders(
        self,
        info: Info[Context, None],
        body: strawberry.ID,
        as_of: str,
        first: int,
        after: str | None = None,
        office: str | None = None,
        span: SpanValue | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[Holder]:
        view = await view_of(info, as_of, known_at, min_position, span)
        when = view.as_of
        assert when is not None
        found = await info.context.read(
            lambda conn: offices.holders(
                conn, str(body), when, view.known_at, office=office, span=view.span
            )
        )
        return page(
            found,
            lambda h: (h.term.office, _start(h.term), h.term.term_id),
            first,
            after,
            lambda h: Holder(h=h, view=view),
        )

    @strawberry.field(description="A body's terms of office (or one office's): the sequence.")
    async def office_terms(
        self,
        info: Info[Context, None],
        body: strawberry.ID,
        first: int,
        after: str | None = None,
        office: str | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[OfficeTerm]:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.read(
            lambda conn: offices.office_history(conn, str(body), office, view.known_at)
        )
        return page(
            found,
            lambda t: (_start(t), t.term_id),
            first,
            after,
            lambda t: OfficeTerm(t=t, view=view),
        )

    @strawberry.field(description="Mandates given by `by` and/or to `to`, in the order given.")
    async def mandates(
        self,
        info: Info[Context, None],
        first: int,
        after: str | None = None,
        by: strawberry.ID | None = None,
        to: strawberry.ID | None = None,
        as_of: str | None = None,
        known_at: KnownAt | None = None,
        min_position: int | None = None,
    ) -> Connection[Mandate]:
        view = await view_of(info, as_of, known_at, min_position)
        found = await info.context.read(
            lambda conn: mandates.mandates(
                conn,
                None if by is None else str(by),
                None if to is None else str(to),
                view.known_at,
            )
        )
        return page(
            found,
            lambda m: (_start(m), m.mandate_id),
            first,
            after,
            lambda m: Mandate(m=m, view=view),
        )


def _start(item: offices.OfficeTerm | mandates.Mandate) -> str:
    lo = item.period.start_lo
    return "" if lo is None else lo.isoformat()


__all__ = ["BodyQueries", "api_error"]
