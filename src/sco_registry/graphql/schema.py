"""The schema, built from the code; `make schema` writes it to `schema.graphql` (SDL), and
a test fails when that file is stale.

Limits (issue 9, section 8): query depth at most 10, aliases 15, tokens 2,000; the parser's
and the validator's results are cached (a repeated document is parsed and validated once).
The request body (256 KB) is limited in `app.py`, a page (100) in `pagination.py`.

One schema extension does all of it per request (`RequestPipeline`: the limits, the caches,
the error masking and the observers such as the app's metrics): each extension Strawberry
runs costs every request its hooks' context managers at each phase (about 20 us an
extension; there were six)."""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfoHelpers,
    parse,
    specified_rules,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from sco_registry.graphql.errors import mask_errors
from sco_registry.graphql.mutations import build_mutation
from sco_registry.graphql.queries import Query
from sco_registry.graphql.shortcut import LeafExecutionContext, shortcut_resolvers
from sco_registry.graphql.subscriptions import Subscription

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
CACHE_SIZE = 1_000


#: Called once an operation is done (its result, errors masked, in the execution context),
#: with the seconds it took; whether it succeeded, failed or raised.
Observer = Callable[[ExecutionContext, float], None]


class _Document:
    __slots__ = ("document", "errors")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.errors: list[GraphQLError] | None = None  # not validated yet


class Documents:
    """The documents of one schema, parsed (at most `MAX_TOKENS` tokens) and validated
    (with `rules`), by query text: an LRU of `size` texts. Keyed by the text, not by the
    document as Strawberry's `ValidationCache` is: a document's hash walks its whole tree
    (0.1 ms a request for the page of 100 meetings). A text that does not parse is not
    kept: Strawberry's own parse step reports it."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], size: int = CACHE_SIZE):
        self.rules = rules
        self.size = size
        self._entries: OrderedDict[str, _Document] = OrderedDict()

    def parsed(self, query: str) -> _Document | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        try:
            entry = _Document(parse(query, max_tokens=MAX_TOKENS))
        except GraphQLError:
            return None
        self._entries[query] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._entries)


class RequestPipeline(SchemaExtension):
    """Every request's limits, caches, masking and observers, in one extension (one set
    of hooks a request instead of six extensions' worth), in the order the separate
    extensions ran: the observers outermost (they see the errors as the client does, and
    are told even when the operation raised), then the masking (`errors.mask_errors`),
    the token limit, the validation rules (Strawberry's, the depth and alias limits, and
    without introspection its refusal), then the parse and validation caches."""

    def __init__(self, documents: Documents, observers: Sequence[Observer] = ()) -> None:
        self.documents = documents
        self.observers = observers
        self._entry: _Document | None = None

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        start = time.perf_counter()
        ctx.parse_options["max_tokens"] = MAX_TOKENS
        ctx.validation_rules = self.documents.rules
        try:
            yield
            mask_errors(ctx)
        finally:
            elapsed = time.perf_counter() - start
            for observe in self.observers:
                observe(ctx, elapsed)

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        # A syntax error is parsed again, and reported with its code, by Strawberry itself:
        # raised from here, it would leave the extension's hooks early, unmasked.
        if ctx.query and ctx.graphql_document is None:
            self._entry = self.documents.parsed(ctx.query)
            if self._entry is not None:
                ctx.graphql_document = self._entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        entry = self._entry
        # Only the cached document, validated with this schema's rules: anything else is
        # left to Strawberry's own validation step.
        if (
            entry is not None
            and entry.document is ctx.graphql_document
            and ctx.validation_rules is self.documents.rules
        ):
            if entry.errors is None:
                entry.errors = validate_document(
                    ctx.schema._schema, entry.document, self.documents.rules
                )
            ctx.pre_execution_errors = entry.errors
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
    `errors.mask_errors` in `RequestPipeline` (`graphql.unexpected_error`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    *,
    introspection: bool = True,
    field_suggestions: bool = True,
    observers: Sequence[Observer] = (),
) -> strawberry.Schema:
    """The API's schema. `introspection` off refuses `__schema`/`__type` queries (a
    validation error); `field_suggestions` off leaves "Did you mean ...?" out of error
    messages. Both are on in development (`Settings.api_introspection_enabled()`).
    `observers` are told of each operation once it is done, its errors masked: the app's
    metrics (`observability.GraphQLMetrics`) see the errors as the client does."""
    # The validation rules, made once for the schema (a limiter extension made per request
    # makes its rule class anew: no cache keyed by the rules would ever hit).
    rules: tuple[type[ASTValidationRule], ...] = (
        *specified_rules,
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    )
    if not introspection:
        rules = (*rules, NoSchemaIntrospectionCustomRule)
    documents = Documents(rules)
    observed = tuple(observers)
    # A factory: a fresh extension per request (the documents are the schema's).
    extensions: list[Any] = [lambda: RequestPipeline(documents, observed)]
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
