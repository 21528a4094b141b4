"""The API benchmark's load generator, in its own process (an asyncio client on httpx: it
shares the machine's cores with the server, so its own cost is in every number).

`python -m bench.api_client BASE_URL SECONDS [OPERATION ...]` prints one JSON object: for
each operation (all by default), as GraphQL and as the plain endpoint, the closed-loop
throughput with 50 concurrent clients and the p50 / p99 latency at a fixed offered rate of
100 requests/s (open loop: requests start on schedule whether or not earlier ones finished,
so a slow server shows as latency).

The fifth operation is a write: `recordMeeting` with a writer's bearer token (taken from
`SCO_BENCH_WRITER_TOKEN`), a new meeting of `SCO_BENCH_BODY` each request, against the
GraphQL mutation and a plain endpoint calling the same application `handle`."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
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
RECORD_MEETING = """mutation($input: RecordMeetingInput!, $key: String!) {
  recordMeeting(input: $input, idempotencyKey: $key) {
    __typename ... on MutationSuccess { position recordId } ... on MutationError { code message }
  } }"""
WRITE = "record_meeting"
OPERATIONS[WRITE] = (RECORD_MEETING, "/plain/record-meeting")
CLIENTS = 50
WRITE_CLIENTS = 10  # writes are serialised by the store's append lock: 10 saturate it
RATE = 100.0
# The open loop stops offering once this many requests are in flight: the server is then
# saturated (its capacity is below the rate), reported as such, and its percentiles are
# those of the requests sent until then (a lower bound), not of a queue drained for minutes.
BACKLOG = 20
_serial = itertools.count(1)


def _meeting_input(kind: str) -> dict[str, Any]:
    """A new meeting each call (its own id and idempotency key: every request appends)."""
    n = next(_serial)
    body = os.environ.get("SCO_BENCH_BODY", "body/heads_of_state_council")
    return {
        "meetingId": f"meeting/bench/{kind}-{os.getpid()}-{n}",
        "bodyId": body,
        "startDate": f"{2700 + n // 300:04d}-{1 + n % 12:02d}-15",
        "city": "Astana",
        "hostState": "KZ",
        "sources": [{"title": "API benchmark", "url": "https://example.org/bench"}],
    }


def _requester(
    client: httpx.AsyncClient, graphql: str | None, path: str, write: bool = False
) -> Callable[[], Awaitable[None]]:
    headers = {}
    if write:
        headers["authorization"] = f"Bearer {os.environ['SCO_BENCH_WRITER_TOKEN']}"

    async def once() -> None:
        if write:
            value = _meeting_input("graphql" if graphql is not None else "plain")
            if graphql is not None:
                variables = {"input": value, "key": value["meetingId"]}
                r = await client.post(
                    "/graphql", json={"query": graphql, "variables": variables}, headers=headers
                )
                body = r.json()
                assert r.status_code == 200 and "errors" not in body, body
                result = body["data"]["recordMeeting"]
                assert result["__typename"] == "MutationSuccess", result
            else:
                r = await client.post(path, json=value, headers=headers)
                assert r.status_code == 200, r.text
        elif graphql is not None:
            r = await client.post("/graphql", json={"query": graphql})
            # Not decoded, as the plain answer is not: decoding only GraphQL's would charge
            # it the client's JSON parsing on the cores the server shares (`bench.api_cpu`
            # checks the same way).
            assert r.status_code == 200 and b'"errors"' not in r.content, r.text[:2000]
        else:
            r = await client.get(path)
            assert r.status_code == 200, r.text

    return once


async def closed_loop(
    once: Callable[[], Awaitable[None]], seconds: float, clients: int = CLIENTS
) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await once()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - start)


async def open_loop(once: Callable[[], Awaitable[None]], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    in_flight = 0

    async def timed() -> None:
        nonlocal in_flight
        in_flight += 1
        t0 = time.perf_counter()
        try:
            await once()
        finally:
            in_flight -= 1
        latencies.append(time.perf_counter() - t0)

    tasks = []
    saturated = False
    start = time.perf_counter()
    for i in range(int(seconds * RATE)):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= BACKLOG:
            saturated = True
            break
        tasks.append(asyncio.create_task(timed()))
    await asyncio.gather(*tasks)
    q = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "sent": len(tasks),
        "saturated": saturated,
    }


async def main(base: str, seconds: float, names: list[str] | None = None) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=600) as client:
        for name, (document, path) in OPERATIONS.items():
            if names and name not in names:
                continue
            row: dict[str, Any] = {}
            for kind, graphql in (("graphql", document), ("plain", None)):
                once = _requester(client, graphql, path, write=name == WRITE)
                for _ in range(2 if name == WRITE else 5):  # warm up (caches, connections)
                    await once()
                clients = WRITE_CLIENTS if name == WRITE else CLIENTS
                row[kind] = {
                    "closed_rps": round(await closed_loop(once, seconds, clients), 1),
                    **await open_loop(once, seconds),
                }
            row["graphql_over_plain"] = round(
                row["graphql"]["closed_rps"] / row["plain"]["closed_rps"], 2
            )
            out[name] = row
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))))
