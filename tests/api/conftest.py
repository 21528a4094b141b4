"""The API under test: the FastAPI app on a registry holding the bundled history, on SQLite
and on PostgreSQL, reached over HTTP (httpx on the ASGI app).

The bundled history is loaded once per session and backend: an SQLite file and a PostgreSQL
database built then. `api` serves a copy of it made for the test (the file copied; `CREATE
DATABASE ... TEMPLATE`): it may write. `shared_api` serves one copy shared by the session's
tests that only read (cheaper on PostgreSQL): never write through it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sco_registry.app import create_app
from sco_registry.bootstrap import Registry, open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import load_bundled
from tests.pg import admin_execute, run_in_thread, with_database


class Api:
    """A client of one app: `query` posts a GraphQL document and returns the JSON body."""

    def __init__(self, client: httpx.AsyncClient, registry: Registry) -> None:
        self.client = client
        self.registry = registry

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        """The `data` of a query that must succeed (no errors)."""
        body = await self.query(document, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


async def _load(url: str) -> None:
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems


@pytest.fixture(scope="session")
def bundled_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "bundled.db"
    run_in_thread(_load(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def bundled_pg(pg_server_url: str) -> Iterator[str]:
    """A database holding the bundled history (a template: never served while copied)."""
    name = f"sco_api_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = with_database(pg_server_url, name).replace("postgresql://", "postgresql+asyncpg://")
        run_in_thread(_load(url))
        yield name
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _copy(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        source: Path = request.getfixturevalue("bundled_sqlite")
        target = tmp_path / "api.db"
        shutil.copyfile(source, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    server: str = request.getfixturevalue("pg_server_url")
    template: str = request.getfixturevalue("bundled_pg")
    name = f"sco_api_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield with_database(server, name).replace("postgresql://", "postgresql+asyncpg://")
    finally:
        run_in_thread(admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def shared_pg_copy(pg_server_url: str, bundled_pg: str) -> Iterator[str]:
    """One copy of the bundled database for every read-only test of the session (the
    template itself must stay unconnected to be copied)."""
    name = f"sco_api_ro_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{bundled_pg}"'))
    try:
        yield with_database(pg_server_url, name).replace("postgresql://", "postgresql+asyncpg://")
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture
def read_only_url(request: pytest.FixtureRequest, backend: str) -> str:
    if backend == "sqlite":
        path: Path = request.getfixturevalue("bundled_sqlite")
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("shared_pg_copy")
    return url


@pytest.fixture
def writable_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    yield from _copy(request, backend, tmp_path)


async def _serve(url: str) -> AsyncIterator[Api]:
    # A short `minPosition` wait: the timeout test waits for it in full.
    settings = Settings(database_url=url, api_min_position_timeout_s=1.0)
    async with open_registry(settings) as registry:
        app = create_app(registry)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, registry)


@pytest.fixture
async def api(writable_url: str) -> AsyncIterator[Api]:
    """A copy of the bundled history for this test alone: it may append."""
    async for a in _serve(writable_url):
        yield a


@pytest.fixture
async def shared_api(read_only_url: str) -> AsyncIterator[Api]:
    """The bundled history, shared by the session's tests: read it, never write to it."""
    async for a in _serve(read_only_url):
        yield a
