"""What every resolver gets: the registry, and a way to run a read function on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection
from strawberry.fastapi import BaseContext

from sco_registry.bootstrap import Registry

T = TypeVar("T")


class Context(BaseContext):
    """Per request: the registry the app was built on. Read functions (synchronous, over a
    `Connection`) run through the store, which picks the thread and connection for them."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await self.registry.projections.read(work)
