"""The schema, built from the code; `make schema` writes it to `schema.graphql` (SDL), and
a test fails when that file is stale.

Limits (issue 9, section 8): query depth at most 10, aliases 15, tokens 2,000; the parser's
and the validator's results are cached (a repeated document is parsed and validated once).
The request body (256 KB) is limited in `app.py`, a page (100) in `pagination.py`."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Awaitable, Iterator, Sequence
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLResolveInfoHelpers
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions import ParserCache as _ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from sco_registry.graphql.errors import MaskUnexpectedErrors
from sco_registry.graphql.mutations import build_mutation
from sco_registry.graphql.queries import Query
from sco_registry.graphql.shortcut import LeafExecutionContext, shortcut_resolvers
from sco_registry.graphql.subscriptions import Subscription

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
CACHE_SIZE = 1_000


class ParserCache(_ParserCache):
    """Strawberry's parser cache, except that a document that does not parse is left to
    Strawberry's own parse step: raised from the cache, the syntax error would leave the
    extensions stack early, and the error masking would never give it its code."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        # A syntax error is parsed again, and reported with its code, by Strawberry itself.
        with contextlib.suppress(GraphQLError):
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        yield


class AcyclicExecutionContext(LeafExecutionContext):
    """The execution context, without the reference cycle graphql-core gives it: its
    `async_helpers` (handed to every resolver's info) are methods bound to the context
    itself, so that once the operation ends the context, and everything it holds (the
    request's `Context`, its loaders, the document, the result), could be freed only by a
    full collection, never by reference counting: about 220 objects a request piling up in
    the oldest generation, walked by full collections that paused every request in flight
    (the p99 tails, docs/benchmarks.md). Here the helpers reach the context through a weak
    reference, alive while the operation runs (its frames hold the context)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = weakref.ref(self)

        def track(values: Sequence[Any]) -> None:
            context = owner()
            if context is None:
                raise ReferenceError("the operation this work was tracked for has ended")
            context.track_async_work(values)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            context = owner()
            if context is None:
                raise ReferenceError("the operation this work was gathered for has ended")
            return context.gather_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


class RegistrySchema(strawberry.Schema):
    """Strawberry's schema, without its own error log. Strawberry logs every error of every
    request, with a traceback, on `strawberry.execution`: a malformed date or a refused
    token filled the server's log with tracebacks of the client's mistakes. Here an expected
    failure is the client's answer (its code says what was wrong), and an unexpected one is
    logged once, with its traceback and the request id the client was given, by
    `errors.MaskUnexpectedErrors` (`graphql.unexpected_error`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    *,
    introspection: bool = True,
    field_suggestions: bool = True,
    outer_extensions: Sequence[Any] = (),
) -> strawberry.Schema:
    """The API's schema. `introspection` off refuses `__schema`/`__type` queries (a
    validation error); `field_suggestions` off leaves "Did you mean ...?" out of error
    messages. Both are on in development (`Settings.api_introspection_enabled()`).
    `outer_extensions` (factories) wrap all the others, the masking included: the app's
    metrics (`observability.GraphQLMetrics`) see the errors as the client does."""
    # The depth and alias limits' validation rules, made once for the schema. A limiter
    # extension made per request makes its rule class anew, and the validation cache, keyed
    # by the rules as well as the document, then never hit: every request was validated
    # again (the largest part of a small query's time).
    rules = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    extensions: list[Any] = [
        *outer_extensions,
        # Factories: a fresh extension per request (the caches themselves are shared).
        # The masking first: outermost, it sees every error the others raise.
        MaskUnexpectedErrors,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = RegistrySchema(
        query=Query,
        mutation=build_mutation(),
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=AcyclicExecutionContext,
        config=StrawberryConfig(disable_field_suggestions=not field_suggestions),
    )
    # The argument-free resolver methods called directly (`shortcut.py`): same answers.
    shortcut_resolvers(schema)
    return schema


def sdl() -> str:
    """The schema as SDL, as `schema.graphql` holds it."""
    return build_schema().as_str() + "\n"
