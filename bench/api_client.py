"""The API benchmark's load generator, in its own process: an asyncio client on uvloop that
speaks HTTP/1.1 over keep-alive connections itself (requests prebuilt as bytes, responses read
by their Content-Length, the cyclic collector off), so that it costs the 2 cores it shares with
the server as little as a Python client can. (Session 18's client was httpx: measured in the
same run, it spent several times the CPU per request, which the server then lacked;
docs/benchmarks.md.)

`python -m bench.api_client BASE_URL SECONDS [OPERATION ...] [--windows K]` prints one JSON
object: for each operation (all by default), as GraphQL and as the plain endpoint, the
closed-loop throughput with 50 concurrent clients (in two halves each, GraphQL and plain
alternated) and the p50 / p99 latency at a fixed offered rate of 100 requests/s (open loop:
requests start on schedule whether or not earlier ones finished, each on an idle connection
or a new one, so a slow server shows as latency; a request's latency runs from its scheduled
start, so the client's own lateness is charged too, not hidden: coordinated omission), and
the client's own CPU per request (and the server's, given its pid). The open loop runs in K
windows of SECONDS per kind, alternated (G P G P ...): each window's percentiles and the
machine's busy and stolen CPU in it are reported, and the median window's are the figures
(a slow spell of the shared machine spoils one window, not the verdict; the percentiles
pooled over every window are reported beside them).

The fifth operation is a write: `recordMeeting` with a writer's bearer token (taken from
`SCO_BENCH_WRITER_TOKEN`), a new meeting of `SCO_BENCH_BODY` each request, against the
GraphQL mutation and a plain endpoint calling the same application `handle`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

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


class BenchError(Exception):
    """A response that is not the expected success (the run stops: its numbers would lie)."""


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


def request_bytes(
    method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> bytes:
    """One HTTP/1.1 request, keep-alive, as the bytes sent."""
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Connection:
    """One keep-alive HTTP/1.1 connection: a request written, its response read whole."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 22)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """The status and body of the response to `raw`."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._chunks()
        if length is None:
            raise BenchError(f"a response without a length: {head!r}")
        return status, await self.reader.readexactly(length)

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Idle connections to one server, opened as needed."""

    def __init__(self, base: str) -> None:
        where = urlsplit(base)
        self.host = where.hostname or "127.0.0.1"
        self.port = where.port or 80
        self.idle: list[Connection] = []
        self.opened = 0

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self.idle:
            conn = self.idle.pop()
        else:
            conn = await Connection.open(self.host, self.port)
            self.opened += 1
        try:
            answer = await conn.send(raw)
        except BaseException:
            conn.close()
            raise
        self.idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def _requester(
    pool: Pool, graphql: str | None, path: str, write: bool = False
) -> Callable[[], Awaitable[None]]:
    headers = {}
    if write:
        headers["Authorization"] = f"Bearer {os.environ['SCO_BENCH_WRITER_TOKEN']}"
    if write:
        kind = "graphql" if graphql is not None else "plain"

        async def once() -> None:
            value = _meeting_input(kind)
            if graphql is not None:
                variables = {"input": value, "key": value["meetingId"]}
                payload = json.dumps({"query": graphql, "variables": variables}).encode()
                status, body = await pool.send(request_bytes("POST", "/graphql", payload, headers))
                answer = json.loads(body)
                result = answer.get("data", {}) and answer["data"]["recordMeeting"]
                if status != 200 or "errors" in answer or result["__typename"] != "MutationSuccess":
                    raise BenchError(body[:2000].decode())
            else:
                raw = request_bytes("POST", path, json.dumps(value).encode(), headers)
                status, body = await pool.send(raw)
                if status != 200:
                    raise BenchError(body[:2000].decode())

        return once
    if graphql is not None:
        raw = request_bytes("POST", "/graphql", json.dumps({"query": graphql}).encode())
    else:
        raw = request_bytes("GET", path)

    async def read() -> None:
        status, body = await pool.send(raw)
        # Not decoded, as the plain answer is not: decoding only GraphQL's would charge it
        # the client's JSON parsing on the cores the server shares (`bench.api_cpu` checks
        # the same way).
        if status != 200 or (graphql is not None and b'"errors"' in body):
            raise BenchError(body[:2000].decode())

    return read


def _cpu_of(pid: int | None) -> float:
    """The process `pid`'s CPU seconds so far (user and system, every thread), or 0."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(
    once: Callable[[], Awaitable[None]], seconds: float, clients: int = CLIENTS
) -> tuple[float, int]:
    """Requests per second with `clients` each sending its next request on the answer."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await once()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - start), done


async def open_loop(
    once: Callable[[], Awaitable[None]], seconds: float, keep: list[float] | None = None
) -> dict[str, Any]:
    """Latency at `RATE` requests per second offered (from each request's scheduled start);
    each request's latency (seconds) also appended to `keep`, when given."""
    latencies: list[float] = []
    late: list[float] = []
    in_flight = 0

    async def timed(due: float) -> None:
        nonlocal in_flight
        in_flight += 1
        late.append(time.perf_counter() - due)
        try:
            await once()
        finally:
            in_flight -= 1
        latencies.append(time.perf_counter() - due)

    tasks = []
    saturated = False
    start = time.perf_counter()
    for i in range(int(seconds * RATE)):
        due = start + i / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= BACKLOG:
            saturated = True
            break
        tasks.append(asyncio.create_task(timed(due)))
    await asyncio.gather(*tasks)
    if keep is not None:
        keep.extend(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "sent": len(tasks),
        "saturated": saturated,
        "client_late_max_ms": round(max(late) * 1000, 2),
    }


def _machine() -> tuple[int, int, int]:
    """The whole machine's busy, stolen and total CPU ticks so far (`/proc/stat`)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    steal = ticks[7] if len(ticks) > 7 else 0
    return sum(ticks) - idle, steal, sum(ticks)


async def windowed(
    senders: dict[str, Callable[[], Awaitable[None]]], seconds: float, windows: int
) -> dict[str, dict[str, Any]]:
    """The open loop in `windows` windows of `seconds` per kind, the kinds alternated
    (G P G P ...), so that a slow spell of the shared machine falls in one window of one
    kind, and shows there beside its neighbours. Per kind: every window's figures (with the
    whole machine's busy and stolen share of its CPU in that window), the median window's
    p50 and p99 (the verdict), and the percentiles pooled over all its requests."""
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in senders}
    pooled: dict[str, list[float]] = {kind: [] for kind in senders}
    for _ in range(windows):
        for kind, once in senders.items():
            busy, steal, total = _machine()
            window = await open_loop(once, seconds, keep=pooled[kind])
            busy2, steal2, total2 = _machine()
            elapsed = max(total2 - total, 1)
            window["machine_busy_pct"] = round(100 * (busy2 - busy) / elapsed, 1)
            window["machine_steal_pct"] = round(100 * (steal2 - steal) / elapsed, 1)
            found[kind].append(window)
    out: dict[str, dict[str, Any]] = {}
    for kind, rows in found.items():
        q = statistics.quantiles(pooled[kind], n=100)
        out[kind] = {
            "p50_ms": statistics.median(w["p50_ms"] for w in rows),
            "p99_ms": statistics.median(w["p99_ms"] for w in rows),
            "p99_worst_window_ms": max(w["p99_ms"] for w in rows),
            "p50_pooled_ms": round(q[49] * 1000, 2),
            "p99_pooled_ms": round(q[98] * 1000, 2),
            "sent": sum(w["sent"] for w in rows),
            "saturated": any(w["saturated"] for w in rows),
            "client_late_max_ms": max(w["client_late_max_ms"] for w in rows),
            "windows": rows,
        }
    return out


async def main(
    base: str, seconds: float, names: list[str] | None = None, windows: int = 1
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pool = Pool(base)
    # The server's pid (`bench/api_bench.py` passes it): its CPU per request is measured too.
    pid = os.environ.get("SCO_BENCH_SERVER_PID")
    server = int(pid) if pid else None
    try:
        for name, (document, path) in OPERATIONS.items():
            if names and name not in names:
                continue
            row: dict[str, Any] = {}
            kinds = {"graphql": document, "plain": None}
            senders = {
                kind: _requester(pool, graphql, path, write=name == WRITE)
                for kind, graphql in kinds.items()
            }
            clients = WRITE_CLIENTS if name == WRITE else CLIENTS
            totals = {kind: [0, 0.0, 0.0, 0.0] for kind in kinds}  # done, wall, cpu, served
            for once in senders.values():
                for _ in range(2 if name == WRITE else 5):  # warm up (caches, connections)
                    await once()
            # The closed loop in halves, GraphQL and plain alternated (G P G P): a slow
            # spell of the shared machine falls on both rather than on one side's ratio.
            for _ in range(2):
                for kind, once in senders.items():
                    cpu, served, wall = time.process_time(), _cpu_of(server), time.perf_counter()
                    _, done = await closed_loop(once, seconds / 2, clients)
                    total = totals[kind]
                    total[0] += done
                    total[1] += time.perf_counter() - wall
                    total[2] += time.process_time() - cpu
                    total[3] += _cpu_of(server) - served
            latency = await windowed(senders, seconds, windows)
            for kind in senders:
                done, wall, cpu, served = totals[kind]
                row[kind] = {
                    "closed_rps": round(done / wall, 1),
                    "client_cpu_ms_per_request": round(cpu * 1000 / max(done, 1), 3),
                    **(
                        {"server_cpu_ms_per_request": round(served * 1000 / max(done, 1), 3)}
                        if server is not None
                        else {}
                    ),
                    **latency[kind],
                }
            row["graphql_over_plain"] = round(
                row["graphql"]["closed_rps"] / row["plain"]["closed_rps"], 2
            )
            out[name] = row
    finally:
        pool.close()
    return out


def run(base: str, seconds: float, names: list[str], windows: int = 1) -> dict[str, Any]:
    import uvloop

    # The client's garbage is acyclic and short-lived (reference counting frees it): with the
    # cyclic collector off, none of its pauses lands in a measured latency.
    gc.disable()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main(base, seconds, names, windows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.api_client")
    parser.add_argument("base", help="the server's base URL")
    parser.add_argument("seconds", type=float, help="per operation, kind and mode (window)")
    parser.add_argument("operations", nargs="*", help="the operations (default: all five)")
    parser.add_argument("--windows", type=int, default=1, help="open-loop windows per kind")
    args = parser.parse_args()
    print(json.dumps(run(args.base, args.seconds, args.operations, args.windows)))
