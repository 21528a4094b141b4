"""The API benchmark's load generator, in its own process (an asyncio client on httpx: it
shares the machine's cores with the server, so its own cost is in every number).

`python -m bench.api_client BASE_URL SECONDS` prints one JSON object: for each operation, as
GraphQL and as the plain endpoint, the closed-loop throughput with 50 concurrent clients and
the p50 / p99 latency at a fixed offered rate of 100 requests/s (open loop: requests start on
schedule whether or not earlier ones finished, so a slow server shows as latency)."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

MEETINGS = """{ meetings(first: 100) { nodes { id city startDate { text }
  hostState { code name } documents { id title provenance { sources { title url } } }
  provenance { sources { title url } } } } }"""
OPERATIONS: dict[str, tuple[str, str]] = {
    # name: (GraphQL document, plain endpoint)
    "members_as_of": (
        '{ members(organization: "organization/sco", asOf: "2005-01-01", first: 100) '
        "{ nodes { answer status state { code } } } }",
        "/plain/members",
    ),
    "meeting_page_100": (MEETINGS, "/plain/meetings"),
    "timeline_page": (
        "{ timeline(first: 100) { nodes { position kind summary entity } } }",
        "/plain/timeline",
    ),
    "audit_log_page": (
        "{ events(first: 100) { nodes { position type hash previousHash } } }",
        "/plain/events",
    ),
}
CLIENTS = 50
RATE = 100.0


def _requester(
    client: httpx.AsyncClient, graphql: str | None, path: str
) -> Callable[[], Awaitable[None]]:
    async def once() -> None:
        if graphql is not None:
            r = await client.post("/graphql", json={"query": graphql})
            body = r.json()
            assert r.status_code == 200 and "errors" not in body, body
        else:
            r = await client.get(path)
            assert r.status_code == 200, r.text

    return once


async def closed_loop(once: Callable[[], Awaitable[None]], seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await once()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return done / (time.perf_counter() - start)


async def open_loop(once: Callable[[], Awaitable[None]], seconds: float) -> dict[str, float]:
    latencies: list[float] = []

    async def timed() -> None:
        t0 = time.perf_counter()
        await once()
        latencies.append(time.perf_counter() - t0)

    tasks = []
    start = time.perf_counter()
    for i in range(int(seconds * RATE)):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed()))
    await asyncio.gather(*tasks)
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2)}


async def main(base: str, seconds: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for name, (document, path) in OPERATIONS.items():
            row: dict[str, Any] = {}
            for kind, graphql in (("graphql", document), ("plain", None)):
                once = _requester(client, graphql, path)
                for _ in range(5):  # warm up (caches, connections)
                    await once()
                row[kind] = {
                    "closed_rps": round(await closed_loop(once, seconds), 1),
                    **await open_loop(once, seconds),
                }
            row["graphql_over_plain"] = round(
                row["graphql"]["closed_rps"] / row["plain"]["closed_rps"], 2
            )
            out[name] = row
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], float(sys.argv[2])))))
