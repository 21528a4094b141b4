"""What every resolver gets: the registry, a way to run a read function on it, the
request's DataLoaders, the request's id, and who is asking (`principal`, verified on first
use)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Connection
from strawberry.fastapi import BaseContext

from sco_registry.bootstrap import Registry
from sco_registry.graphql.auth import AuthError, Principal, Role, TokenVerifier

if TYPE_CHECKING:
    from sco_registry.graphql.loaders import Loaders

T = TypeVar("T")

#: How long a query's `minPosition` waits for the read models, unless the settings say.
DEFAULT_MIN_POSITION_TIMEOUT = 5.0


class Context(BaseContext):
    """Per request: the registry the app was built on. Read functions (synchronous, over a
    `Connection`) run through the store, which picks the thread and connection for them.
    `loaders` are made afresh for each request (their caches never outlive it), on first
    use (most requests use none: ten DataLoaders made for nothing).

    `request_id` names the request in the log and in a masked error (the HTTP request's
    `X-Request-ID` when that is a UUID, `observability.RequestIds`; else a new one).
    `principal()` is the bearer token's holder (None without a token), verified with
    `verifier` the first time it is asked for; a token that fails raises `AuthError` each
    time it is asked."""

    def __init__(
        self,
        registry: Registry,
        verifier: TokenVerifier | None = None,
        *,
        min_position_timeout: float = DEFAULT_MIN_POSITION_TIMEOUT,
        request_id: uuid.UUID | None = None,
    ) -> None:
        super().__init__()
        self.registry = registry
        self.min_position_timeout = min_position_timeout
        self._loaders: Loaders | None = None
        self.verifier = verifier or TokenVerifier(registry.settings)
        self.request_id = request_id or uuid.uuid4()
        self._principal: Principal | None = None
        self._auth_error: AuthError | None = None
        self._verified = False

    @property
    def loaders(self) -> Loaders:
        loaders = self._loaders
        if loaders is None:
            from sco_registry.graphql.loaders import Loaders

            # The loaders read through the registry's own `read`, not this context's bound
            # method: a context holding loaders that hold the context would be a reference
            # cycle, freed only by a full collection (with the request and everything it
            # refers to: about 200 objects a request piling up in the oldest generation).
            loaders = self._loaders = Loaders(self.registry.reads.read)
        return loaders

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await self.registry.reads.read(work)

    def principal(self) -> Principal | None:
        if not self._verified:
            self._verified = True
            try:
                self._principal = self.verifier.from_header(self._authorization())
            except AuthError as e:
                self._auth_error = e
        if self._auth_error is not None:
            raise self._auth_error
        return self._principal

    def may_see_actors(self) -> bool:
        """Whether this request may see who recorded each event: an auditor's valid token
        only. Without it the audit and event views show no actor (`auth.can_see_actors`)."""
        try:
            principal = self.principal()
        except AuthError:
            return False
        return principal is not None and principal.has(Role.AUDITOR)

    def _authorization(self) -> str | None:
        """The `Authorization` header; over a WebSocket, the connection_init payload's
        `Authorization` (browsers cannot set headers on a WebSocket), else the upgrade's."""
        params = self.connection_params
        if isinstance(params, dict):
            for key in ("Authorization", "authorization"):
                value = params.get(key)
                if isinstance(value, str):
                    return value
        if self.request is not None:
            return self.request.headers.get("authorization")
        return None
