"""The FastAPI application factory. No logic here: it mounts the GraphQL layer
(`sco_registry.graphql`), its cache keyed by the log (`graphql/caching.py`), the health,
readiness and metrics endpoints and the request ids (`observability.py`) on a registry built
by `bootstrap`, and the timeline page (static files in `web/`, which read only the GraphQL
API) at `/`."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from sco_registry import observability as obs
from sco_registry.bootstrap import Registry
from sco_registry.graphql.auth import TokenVerifier
from sco_registry.graphql.caching import CacheMiddleware, ReadCache
from sco_registry.graphql.context import Context
from sco_registry.graphql.limits import BodyLimit
from sco_registry.graphql.schema import build_schema

# The timeline page: HTML, CSS, JS and the vendored vis-timeline build (`make page`).
WEB_DIR = Path(__file__).resolve().parent / "web"

_ASCII_ESCAPES = "sco_registry.json_ascii"
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _json_escapes(error: UnicodeError) -> tuple[str, int]:
    """A run of non-ASCII characters as the standard library's `ensure_ascii` writes them:
    `\\u` and four lowercase hex digits, a surrogate pair beyond the BMP."""
    assert isinstance(error, UnicodeEncodeError)
    escaped = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error(_ASCII_ESCAPES, _json_escapes)


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def encode_json(data: object) -> bytes:
    """A GraphQL response's body: the bytes of Strawberry's own encoding,
    `json.dumps(data, separators=(",", ":"))` (ASCII, non-ASCII characters escaped), made
    by orjson (a page of 100 timeline entries: 0.15 -> 0.01 ms). orjson writes UTF-8 and
    DEL as they are; both are escaped after it as the standard library does. What orjson
    refuses or writes otherwise goes to the standard library instead: an int beyond 64
    bits, a lone surrogate, a non-`str` key, subclasses of `str`, `int`, `dict` or `list`,
    dates and dataclasses (which the standard library refuses, as before). A UUID or a plain
    `Enum` member, which it refuses too, orjson writes: every scalar and enum of the schema
    is serialized to a string before this, so only a `JSON` value could hold one. Floats, which no
    field of the schema has (a `JSON` value could), may be spelled otherwise for the same
    number (`0.00001` for `1e-05`); NaN and infinities, which are not JSON, become null."""
    try:
        body = orjson.dumps(data, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(data, separators=(",", ":")).encode()
    if not body.isascii():
        body = body.decode().encode("ascii", _ASCII_ESCAPES)
    if b"\x7f" in body:
        body = body.replace(b"\x7f", b"\\u007f")
    return body


class GraphQLAPI(GraphQL[Context, None]):
    """Strawberry's ASGI app (mounted as a plain Starlette route: FastAPI's router solved
    the dependencies of Strawberry's `GraphQLRouter` on every request, about a third of
    a small query's fixed cost), its responses encoded by `encode_json`, its context made
    by `context_getter` and given the request (and the sub-response headers may be set
    on), as the FastAPI router's did."""

    def __init__(
        self, schema: Any, *, context_getter: Callable[[HTTPConnection], Context], **kwargs: Any
    ) -> None:
        super().__init__(schema, **kwargs)
        self.context_getter = context_getter

    async def get_context(self, request: Any, response: Any) -> Context:
        context = self.context_getter(request)
        context.request = request
        context.response = None if isinstance(response, WebSocket) else response
        return context

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)


def create_app(registry: Registry) -> FastAPI:
    settings = registry.settings
    obs.configure_logging(settings.log_format)
    # This app's metrics (a registry of its own), and its store counted by them.
    metrics = obs.Metrics()
    registry = obs.observed(registry, metrics)
    app = FastAPI(title="sco-registry", docs_url=None, redoc_url=None)
    verifier = TokenVerifier(settings)

    async def read_state() -> int | str:
        """What every answer depends on: the state of the read models queries read
        (`registry.reads`: the replica's where one is set). Applied inline, every model
        stands at the log's head: that position. Otherwise (a projection worker behind, a
        replica lagging, a stale model) each model's checkpoint and version, so that any
        model's move changes the tag even while the head stands still."""
        statuses = await registry.reads.status()
        if statuses and all(s.state == "current" for s in statuses):
            return statuses[0].head
        return ".".join(f"{s.checkpoint}v{s.stored_version}" for s in statuses) or 0

    cache = ReadCache(
        head=read_state,
        verifier=verifier,
        entries=settings.api_cache_entries,
        on_outcome=metrics.cache_outcome,
    )
    app.state.registry = registry
    app.state.metrics = metrics
    app.state.read_cache = cache
    # Outermost last: request ids around everything, then the body limit, then the cache.
    app.add_middleware(CacheMiddleware, cache=cache)
    app.add_middleware(BodyLimit)
    app.add_middleware(obs.RequestIds, metrics=metrics, access_log=settings.access_log)
    timeout = settings.api_min_position_timeout_s
    heads = obs.code_heads()

    def context(connection: HTTPConnection) -> Context:
        # HTTPConnection: a request or a WebSocket (subscriptions) alike.
        request_id = obs.request_uuid(connection.scope.get("state"))
        return Context(registry, verifier, min_position_timeout=timeout, request_id=request_id)

    # GraphiQL at /graphql in a browser (a GET asking for HTML); subscriptions over
    # graphql-transport-ws on the same path.
    introspection = registry.settings.api_introspection_enabled()
    router = GraphQLAPI(
        build_schema(
            introspection=introspection,
            field_suggestions=registry.settings.api_field_suggestions_enabled(),
            observers=[obs.GraphQLMetrics(metrics=metrics)],
        ),
        context_getter=context,
        # GraphiQL reads the schema by introspection: without it, no IDE either.
        graphql_ide="graphiql" if introspection else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
    # GET and POST only (Starlette would add HEAD): another method falls through to the
    # page's mount and its 405 (or 404), as with the FastAPI router before.
    route = Route("/graphql", router, methods=["GET", "POST"])
    route.methods = {"GET", "POST"}
    app.router.routes += [route, WebSocketRoute("/graphql", router)]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (no database touched)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """The schema is migrated and no read model is stale or lags too far."""
        found = await obs.readiness(registry, heads=heads, max_lag=settings.ready_max_lag_positions)
        return JSONResponse(found.body, status_code=found.status_code)

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        """The app's metrics in the Prometheus text format."""
        await metrics.refresh(registry)
        return Response(metrics.exposition(), media_type=obs.CONTENT_TYPE)

    # The timeline page at `/` (index.html), mounted last: every route above wins. Its files
    # are sent gzipped to a browser that accepts it (the vendored library: 550 KB, 150 gzipped).
    app.mount("/", GZipMiddleware(StaticFiles(directory=WEB_DIR, html=True)), name="page")
    return app
