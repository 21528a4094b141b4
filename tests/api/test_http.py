"""The HTTP side of `/graphql`, as Strawberry's FastAPI router answered it before the API
was mounted as Strawberry's ASGI app on a plain route (`app.GraphQLAPI`): statuses, content
types and bodies of the requests Strawberry refuses, GraphiQL, the methods, and the context
a resolver gets (the request, its headers)."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute

from sco_registry.app import GraphQLAPI, create_app
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.graphql.context import Context
from tests.api.conftest import Api

HEAD = "{ head { position } }"


async def test_post_and_get_answer_json(shared_api: Api) -> None:
    c = shared_api.client
    for r in (
        await c.post("/graphql", json={"query": HEAD}),
        await c.get("/graphql", params={"query": HEAD}),
    ):
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.json()["data"]["head"]["position"] > 0


async def test_refused_requests_as_before(shared_api: Api) -> None:
    """Each refusal of Strawberry's view, with its status and plain-text reason."""
    c = shared_api.client
    cases = [
        (
            c.post("/graphql", content=b"{nope", headers={"content-type": "application/json"}),
            "Unable to parse request body as JSON",
        ),
        (c.post("/graphql", content=b"{}", headers={"content-type": "text/plain"}), None),
        (c.post("/graphql", json=[{"query": HEAD}]), "Batching is not enabled"),
        (c.post("/graphql", json={"query": 5}), "The GraphQL operation's `query` must be"),
        (c.post("/graphql", json={}), "No GraphQL query found in the request"),
        (c.post("/graphql", json={"query": HEAD, "operationName": "Z"}), "Unknown operation"),
        (
            c.get(
                "/graphql",
                params={
                    "query": "mutation { recordMeeting(input: {meetingId: "
                    '"meeting/x", bodyId: "body/x", startDate: "2020", sources: []}, '
                    'idempotencyKey: "k") { __typename } }'
                },
            ),
            "mutations are not allowed when using GET",
        ),
        (c.get("/graphql", headers={"accept": "application/json"}), "No GraphQL query found"),
    ]
    for pending, reason in cases:
        r = await pending
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert reason is None or r.text.startswith(reason), r.text
    unsupported = await c.post("/graphql", content=b"{}", headers={"content-type": "text/plain"})
    assert unsupported.text == "Unsupported content type"


async def test_methods(shared_api: Api) -> None:
    """GET and POST only: any other method is FastAPI's JSON 405 (HEAD finds no page)."""
    c = shared_api.client
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        r = await c.request(method, "/graphql")
        assert r.status_code == 405, method
        assert r.json() == {"detail": "Method Not Allowed"}
    assert (await c.head("/graphql")).status_code == 404


async def test_graphiql_in_a_browser(shared_api: Api) -> None:
    for accept in ("text/html", "*/*"):
        r = await shared_api.client.get("/graphql", headers={"accept": accept})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert "graphiql" in r.text.lower()


async def test_no_graphiql_without_introspection(read_only_url: str) -> None:
    settings = Settings(database_url=read_only_url, api_introspection=False)
    async with open_registry(settings) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            r = await c.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert r.text == "Not Found"


async def test_the_context_has_the_request(read_only_url: str) -> None:
    """The context is this API's `Context`, given the request and the request id, and a
    sub-response (not a WebSocket) as the FastAPI router gave it."""
    seen: list[Context] = []
    original = GraphQLAPI.get_context

    async def spy(self: GraphQLAPI, request: object, response: object) -> Context:
        context = await original(self, request, response)
        seen.append(context)
        return context

    async with open_registry(Settings(database_url=read_only_url)) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        GraphQLAPI.get_context = spy  # type: ignore[method-assign]
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                rid = "6f1c4c61-3e4f-4a59-9d5b-3e0e7f1f2a10"
                r = await c.post(
                    "/graphql",
                    json={"query": HEAD},
                    headers={"authorization": "Bearer x", "x-request-id": rid},
                )
        finally:
            GraphQLAPI.get_context = original  # type: ignore[method-assign]
    assert r.status_code == 200
    (context,) = seen
    assert isinstance(context, Context)
    assert context.request is not None
    assert context.request.headers["authorization"] == "Bearer x"
    assert str(context.request_id) == rid
    assert context.response is not None and context.response.status_code is None


async def test_no_fastapi_route_for_graphql(shared_api: Api) -> None:
    """`/graphql` is not a FastAPI route (whose dependencies are solved per request); the
    negative control: the FastAPI route FastAPI makes for a handler is one."""
    async with open_registry(shared_api.registry.settings) as registry:
        app = create_app(registry)

        @app.post("/graphql-control")
        async def control() -> None:
            return None

    def routes(path: str) -> list[object]:
        return [r for r in app.router.routes if getattr(r, "path", None) == path]

    assert routes("/graphql") and not any(isinstance(r, APIRoute) for r in routes("/graphql"))
    assert any(isinstance(r, APIRoute) for r in routes("/graphql-control"))
