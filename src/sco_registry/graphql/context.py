"""What every resolver gets: the registry, a way to run a read function on it, and the
request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection
from strawberry.fastapi import BaseContext

from sco_registry.bootstrap import Registry

T = TypeVar("T")

#: How long a query's `minPosition` waits for the read models, unless the settings say.
DEFAULT_MIN_POSITION_TIMEOUT = 5.0


class Context(BaseContext):
    """Per request: the registry the app was built on. Read functions (synchronous, over a
    `Connection`) run through the store, which picks the thread and connection for them.
    `loaders` are made afresh for each request (their caches never outlive it)."""

    def __init__(
        self, registry: Registry, *, min_position_timeout: float = DEFAULT_MIN_POSITION_TIMEOUT
    ) -> None:
        super().__init__()
        from sco_registry.graphql.loaders import Loaders

        self.registry = registry
        self.min_position_timeout = min_position_timeout
        self.loaders = Loaders(self.read)

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await self.registry.projections.read(work)

    def may_see_actors(self) -> bool:
        """Whether this request may see who recorded each event (the auditor role; the
        auth layer decides). Without it the audit views show no actor."""
        return False
