"""Two real API processes (`sco-registry serve`, uvicorn) on one PostgreSQL database: they
keep no state of their own, so a write through one reaches a subscription held on the
other (woken by LISTEN/NOTIFY, or the store's poll), and each reads the other's writes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.graphql.auth import Role
from sco_registry.importer.bundled import load_bundled
from tests.api.live import free_port
from tests.api.writes import bearer, token
from tests.pg import run_in_thread

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
WRITER = bearer(token(Role.WRITER, subject="writer@test"))
RECEIVE_TIMEOUT = 60.0  # generous on a shared machine; never a timing of the code
EVENTS = "subscription($after: Int) { events(after: $after) { position type streamId } }"
REGISTER = """mutation($name: String!, $key: String!) {
  r: registerState(input: {code: "TM", name: $name}, idempotencyKey: $key) {
    __typename ... on MutationSuccess { position } } }"""


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SCO_REGISTRY_DATABASE_URL": url,
        "SCO_REGISTRY_ENVIRONMENT": "development",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sco_registry.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server at {base} exited ({process.returncode})"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server at {base} never answered")


@pytest.fixture
def two_servers(migrated_pg_url: str) -> Iterator[tuple[str, str]]:
    async def load() -> None:
        async with open_registry(Settings(database_url=migrated_pg_url)) as registry:
            summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
            assert summary.ok, summary.problems

    run_in_thread(load())
    ports = free_port(), free_port()
    processes = [_serve(migrated_pg_url, p) for p in ports]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, process in zip(bases, processes, strict=True):
            _ready(base, process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _head(client: httpx.AsyncClient, base: str) -> int:
    body = (await client.post(f"{base}/graphql", json={"query": "{ head { position } }"})).json()
    position: int = body["data"]["head"]["position"]
    return position


async def _next(ws: object) -> dict[str, object]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))  # type: ignore[attr-defined]
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))  # type: ignore[attr-defined]
            continue
        assert message["type"] == "next", message
        item: dict[str, object] = message["payload"]["data"]["events"]
        return item


async def test_a_write_through_one_process_reaches_a_subscription_on_the_other(
    two_servers: tuple[str, str],
) -> None:
    one, other = two_servers
    async with httpx.AsyncClient(timeout=60) as client:
        start = await _head(client, other)
        ws_url = f"{other.replace('http://', 'ws://', 1)}/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
            assert ack["type"] == "connection_ack", ack
            payload = {"query": EVENTS, "variables": {"after": start}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            positions = []
            for name in ("Turkmenistan", "Turkmenistan (renamed)"):
                body = (
                    await client.post(
                        f"{one}/graphql",
                        json={"query": REGISTER, "variables": {"name": name, "key": name}},
                        headers=WRITER,
                    )
                ).json()
                assert body["data"]["r"]["__typename"] == "MutationSuccess", body
                positions.append(body["data"]["r"]["position"])
            seen = [await _next(ws) for _ in positions]
        assert [e["position"] for e in seen] == positions
        assert {e["streamId"] for e in seen} == {"reference/states"}
        # And the other process reads the write at once (no cache of its own to go stale).
        assert await _head(client, other) == positions[-1] == await _head(client, one)
