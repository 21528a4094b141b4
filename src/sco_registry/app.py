"""The FastAPI application factory. No logic here: it mounts the GraphQL layer
(`sco_registry.graphql`) and the health endpoints on a registry built by `bootstrap`, and
the timeline page (static files in `web/`, which read only the GraphQL API) at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from sco_registry.bootstrap import Registry
from sco_registry.graphql.auth import TokenVerifier
from sco_registry.graphql.context import Context
from sco_registry.graphql.limits import BodyLimit
from sco_registry.graphql.schema import build_schema

# The timeline page: HTML, CSS, JS and the vendored vis-timeline build (`make page`).
WEB_DIR = Path(__file__).resolve().parent / "web"


def create_app(registry: Registry) -> FastAPI:
    app = FastAPI(title="sco-registry", docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)
    timeout = registry.settings.api_min_position_timeout_s

    verifier = TokenVerifier(registry.settings)

    async def context(connection: HTTPConnection) -> Context:
        # HTTPConnection: a request or a WebSocket (subscriptions) alike.
        return Context(registry, verifier, min_position_timeout=timeout)

    # GraphiQL at /graphql in a browser (a GET asking for HTML); subscriptions over
    # graphql-transport-ws on the same path.
    introspection = registry.settings.api_introspection_enabled()
    router = GraphQLRouter(
        build_schema(
            introspection=introspection,
            field_suggestions=registry.settings.api_field_suggestions_enabled(),
        ),
        context_getter=context,
        # GraphiQL reads the schema by introspection: without it, no IDE either.
        graphql_ide="graphiql" if introspection else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
    app.include_router(router, prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (no database touched)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """The database answers and every read model is current."""
        try:
            head = await registry.store.head_position()
            statuses = await registry.projections.status()
        except Exception as e:  # not ready, whatever the reason; the body says which
            return JSONResponse(
                {"status": "unavailable", "reason": e.__class__.__name__}, status_code=503
            )
        behind = [s.name for s in statuses if s.state != "current"]
        body = {"status": "ok" if not behind else "catching_up", "head": head, "behind": behind}
        return JSONResponse(body, status_code=200 if not behind else 503)

    # The timeline page at `/` (index.html), mounted last: every route above wins. Its files
    # are sent gzipped to a browser that accepts it (the vendored library: 550 KB, 150 gzipped).
    app.mount("/", GZipMiddleware(StaticFiles(directory=WEB_DIR, html=True)), name="page")
    return app
