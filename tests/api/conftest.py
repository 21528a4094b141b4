"""The API under test: the FastAPI app on a fresh registry holding the bundled history,
on SQLite and on PostgreSQL, reached over HTTP (httpx on the ASGI app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sco_registry.app import create_app
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import load_bundled


class Api:
    """A client of one app: `query` posts a GraphQL document and returns the JSON body."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(params=["sqlite", "postgresql"])
def api_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    url: str = request.getfixturevalue("fresh_pg_database")
    return url


@pytest.fixture
async def api(api_database_url: str) -> AsyncIterator[Api]:
    settings = Settings(database_url=api_database_url)
    async with open_registry(settings, migrate_first=True) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        app = create_app(registry)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client)
