"""Errors as the API reports them: every one carries a stable `code` in its extensions.

Expected failures of a mutation are returned as data (typed error objects in a union);
what a query cannot answer (bad input, a timeout) is a GraphQL error made here; anything
else is unexpected and is masked."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


def api_error(code: str, message: str, **details: Any) -> GraphQLError:
    """A GraphQL error with a stable code (and any details) in its extensions."""
    extensions: dict[str, Any] = {"code": code}
    if details:
        extensions["details"] = details
    return GraphQLError(message, extensions=extensions)
