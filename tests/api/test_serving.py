"""Serving: the schema file matches the code; the health endpoints; the log's head."""

from __future__ import annotations

from sco_registry.graphql.schema import SCHEMA_FILE, sdl
from tests.api.conftest import Api


def test_schema_graphql_is_not_stale() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), "schema.graphql is stale: run `make schema`"


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok"


async def test_head_is_the_last_event(api: Api) -> None:
    body = await api.query("{ head { position hash } }")
    head = body["data"]["head"]
    assert head["position"] > 100
    assert len(head["hash"]) == 64
