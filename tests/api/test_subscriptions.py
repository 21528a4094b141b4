"""Subscriptions over graphql-transport-ws against a live uvicorn server: a subscriber that
disconnects and resumes from its last position misses nothing and sees nothing twice;
filters; actors for auditors only; read-model changes after their projections applied."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from sco_registry.graphql.auth import Role
from tests.api.live import LiveServer, live_server
from tests.api.writes import bearer, token

__all__ = ["live_server"]  # the fixture

WRITER = bearer(token(Role.WRITER, subject="writer@test"))
RECEIVE_TIMEOUT = 60.0  # seconds: generous, the machine is shared; never a timed assertion
EVENTS = "subscription($after: Int, $types: [String!]) { events(after: $after, types: $types) { position type streamId actor } }"  # noqa: E501


@asynccontextmanager
async def subscribed(
    server: LiveServer, query: str, variables: dict[str, Any], **init: str
) -> AsyncIterator[ClientConnection]:
    async with connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


async def next_item(ws: ClientConnection, field: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        item: dict[str, Any] = message["payload"]["data"][field]
        return item


async def write(client: httpx.AsyncClient, name: str) -> int:
    """Append one event (a state's name recorded anew); its position."""
    document = (
        "mutation($name: String!, $key: String!) { registerState(input: "
        '{code: "TM", name: $name}, idempotencyKey: $key) '
        "{ __typename ... on MutationSuccess { position } } }"
    )
    body = (await client.post("/graphql", json={"query": document, "variables": {
        "name": name, "key": name}}, headers=WRITER)).json()  # fmt: skip
    result = body["data"]["registerState"]
    assert result["__typename"] == "MutationSuccess", body
    position: int = result["position"]
    return position


async def head(client: httpx.AsyncClient) -> int:
    body = (await client.post("/graphql", json={"query": "{ head { position } }"})).json()
    position: int = body["data"]["head"]["position"]
    return position


async def test_disconnect_and_resume_from_the_last_position_misses_nothing(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        start = await head(client)
        seen: list[int] = []
        async with subscribed(live_server, EVENTS, {"after": start}) as ws:
            written = [await write(client, f"first-{i}") for i in range(3)]
            for _ in written:
                seen.append((await next_item(ws, "events"))["position"])
        # Disconnected: these are appended while nobody listens.
        written += [await write(client, f"away-{i}") for i in range(3)]
        async with subscribed(live_server, EVENTS, {"after": seen[-1]}) as ws:
            written += [await write(client, f"back-{i}") for i in range(2)]
            while len(seen) < len(written):
                seen.append((await next_item(ws, "events"))["position"])
        assert written == list(range(start + 1, start + 9))
        assert seen == written  # every event once, in log order, none missing


async def test_filters_and_actors_for_auditors_only(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        start = await head(client)
        auditor = bearer(token(Role.AUDITOR, subject="auditor@test"))
        # Resuming from the start position replays the bundled history's events: filtered
        # by a type it has none of, only the new one arrives.
        variables = {"after": 0, "types": ["StateRegistered", "StateRenamed"]}
        async with subscribed(
            live_server, EVENTS, variables, Authorization=auditor["authorization"]
        ) as audited:
            position = await write(client, "filtered")
            while True:
                item = await next_item(audited, "events")
                assert item["type"] in variables["types"]
                if item["position"] == position:
                    break
            assert item["actor"] == "writer@test"
        async with subscribed(live_server, EVENTS, {"after": start}) as anonymous:
            item = await next_item(anonymous, "events")
            assert item["position"] == start + 1 and item["actor"] is None


async def test_a_read_model_change_after_its_projections_applied_it(
    live_server: LiveServer,
) -> None:
    query = (
        'subscription($after: Int) { readModelChanged(recordId: "reference/states", '
        "after: $after) { position streamId eventType projections } }"
    )
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        start = await head(client)
        async with subscribed(live_server, query, {"after": start}) as ws:
            position = await write(client, "changed")
            change = await next_item(ws, "readModelChanged")
        assert change["position"] == position and change["streamId"] == "reference/states"
        assert "membership" in change["projections"]
