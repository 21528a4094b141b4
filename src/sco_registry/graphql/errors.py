"""Errors as the API reports them: every one carries a stable `code` in its extensions.

Expected failures of a mutation are returned as data (typed error objects in a union);
what a query cannot answer (bad input, a timeout) is a GraphQL error made here; anything
else is unexpected and is masked (`mask_errors`, run by the API's `schema.RequestPipeline`):
the client gets a message, the code `internal.unexpected` and the request id; the log
(structlog) gets the traceback under that id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from sco_registry.domain.errors import RegistryError
from sco_registry.store.errors import IdempotencyConflict, StoreError, WrongExpectedVersion


def api_error(code: str, message: str, **details: Any) -> GraphQLError:
    """A GraphQL error with a stable code (and any details) in its extensions."""
    extensions: dict[str, Any] = {"code": code}
    if details:
        extensions["details"] = details
    return GraphQLError(message, extensions=extensions)


# --- masking ------------------------------------------------------------------------------------

UNEXPECTED = "internal.unexpected"
INVALID_REQUEST = "graphql.invalid_request"
SYNTAX_ERROR = "graphql.syntax_error"
UNEXPECTED_MESSAGE = "Unexpected error; it has been logged under this request id."

log = structlog.get_logger("sco_registry.graphql")


def is_expected(e: RegistryError) -> bool:
    """A failure the client can act on (shown, or returned as data by a mutation). The
    store's and the read models' other failures (a database gone, a projection failing)
    are the environment's: masked like a bug, their text may name its internals."""
    return not isinstance(e, StoreError) or isinstance(
        e, WrongExpectedVersion | IdempotencyConflict
    )


def classify(error: GraphQLError) -> str:
    """`expected` (a RegistryError but the environment's, or an error made with a code
    here), `request` (the document or its variables are wrong: parsing, validation,
    coercion; no resolver ran for it) or `unexpected` (anything else: a bug, masked)."""
    original = error.original_error
    if isinstance(original, RegistryError):
        return "expected" if is_expected(original) else "unexpected"
    if original is None or isinstance(original, GraphQLError):
        return "expected" if _code_of(error) else "request"
    if error.path is None and isinstance(original, (ValueError, TypeError)):
        # A scalar's parse failing on a variable or a literal: graphql-core reports it before
        # any resolver runs, naming the value; the message is about the input.
        return "request"
    return "unexpected"


def _code_of(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


def shown(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as the client sees it: every one with a stable code; an unexpected one
    masked (message, code and the request id only) and logged with its traceback."""
    kind = classify(error)
    original = error.original_error
    if kind == "unexpected":
        log.error(
            "graphql.unexpected_error",
            request_id=request_id,
            path=error.path,
            error=f"{type(original).__name__}: {original}",
            exc_info=original,
        )
        return _copy(error, UNEXPECTED_MESSAGE, {"code": UNEXPECTED, "requestId": request_id})
    if isinstance(original, RegistryError):  # an expected one
        extensions: dict[str, Any] = {"code": original.code}
        if original.details:
            extensions["details"] = original.details
        return _copy(error, original.message, extensions)
    if kind == "request" and _code_of(error) is None:
        code = SYNTAX_ERROR if isinstance(error, GraphQLSyntaxError) else INVALID_REQUEST
        return _copy(error, error.message, {**(error.extensions or {}), "code": code})
    return error


def raised_in(field: str, exc: Exception, request_id: str) -> GraphQLError:
    """The error to raise for `exc` raised while resolving `field`, as `shown` would give
    it. For subscriptions: their results pass the extension only when the operation ends,
    so a subscription's generator raises this itself (`subscriptions.guarded`)."""
    if isinstance(exc, GraphQLError):
        return exc
    return shown(GraphQLError(str(exc), path=[field], original_error=exc), request_id)


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def mask_errors(execution_context: ExecutionContext) -> None:
    """Rewrite a done operation's errors with `shown` (parse and validation errors
    included): the client never sees an exception's text or type."""
    result = execution_context.result
    errors = getattr(result, "errors", None)
    if result is None or not errors:
        return
    rid = getattr(execution_context.context, "request_id", None)
    request_id = str(rid) if rid is not None else str(uuid.uuid4())
    result.errors = [shown(e, request_id) for e in errors]


class MaskUnexpectedErrors(SchemaExtension):
    """`mask_errors` as an extension of its own, for a schema without the API's
    `schema.RequestPipeline` (which masks the same way)."""

    def on_operation(self) -> Iterator[None]:
        yield
        mask_errors(self.execution_context)
