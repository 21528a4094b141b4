"""The root query type."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from sco_registry.graphql.context import Context


@strawberry.type(description="The last event of the log: where the hash chain ends.")
class LogHead:
    position: int = strawberry.field(description="The log position of the last event; 0 if none.")
    hash: str | None = strawberry.field(description="That event's chain hash; null if empty.")


@strawberry.type
class Query:
    @strawberry.field(description="The head of the event log's hash chain.")
    async def head(self, info: Info[Context, None]) -> LogHead:
        store = info.context.registry.store
        position = await store.head_position()
        if position == 0:
            return LogHead(position=0, hash=None)
        last = await store.read_all(after=position - 1, limit=1)
        return LogHead(position=position, hash=last[0].hash if last else None)
