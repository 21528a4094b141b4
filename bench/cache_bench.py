"""The read cache's benchmark (issue 11, section 4): repeated GET reads of the same queries
against the API with its in-process cache (`SCO_REGISTRY_API_CACHE_ENTRIES=1000`, the
default) and without it (`0`), in the same run, on the bundled history in SQLite; and the
same reads revalidated with `If-None-Match` (answered 304 without running the query).

The server (`bench/api_server.py`, uvicorn) runs in its own process, the load generator in
this one (httpx, `CLIENTS` concurrent clients in a closed loop), on the same cores.

`python -m bench.cache_bench [--seconds S]` prints one JSON object and writes it to
`bench/cache_results.json`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.api_bench import _free_port
from bench.api_client import MEETINGS
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import load_bundled

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "cache_results.json"
CLIENTS = 20
QUERIES: dict[str, str] = {
    "meeting_page_100": MEETINGS,
    "members_as_of": (
        '{ members(organization: "organization/sco", asOf: "2005-01-01", first: 100) '
        "{ nodes { answer status state { code } } } }"
    ),
    "timeline_page": "{ timeline(first: 100) { nodes { position kind summary entity } } }",
}


async def _prepare(url: str) -> int:
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        return await registry.store.head_position()


async def _closed_loop(once: Callable[[], Awaitable[None]], seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await once()
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


def _getter(
    client: httpx.AsyncClient, query: str, *, revalidate: str | None = None
) -> Callable[[], Awaitable[None]]:
    headers = {"if-none-match": revalidate} if revalidate else {}
    expected = 304 if revalidate else 200

    async def once() -> None:
        r = await client.get("/graphql", params={"query": query}, headers=headers)
        assert r.status_code == expected, r.text
        if expected == 200:
            assert b'"errors"' not in r.content, r.text

    return once


async def _measure(base: str, seconds: float, *, revalidate: bool) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for name, query in QUERIES.items():
            tag = None
            if revalidate:
                tag = (await client.get("/graphql", params={"query": query})).headers["etag"]
            once = _getter(client, query, revalidate=tag)
            for _ in range(5):  # warm up (caches, connections)
                await once()
            out[name] = await _closed_loop(once, seconds)
    return out


def _serve(url: str, entries: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "SCO_REGISTRY_API_CACHE_ENTRIES": str(entries)}
    server = subprocess.Popen([sys.executable, "-m", "bench.api_server", url, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server never became ready")


def run(seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        events = asyncio.run(_prepare(url))
        results: dict[str, Any] = {
            "events": events,
            "clients": CLIENTS,
            "seconds": seconds,
            "load_before": os.getloadavg(),
        }
        for mode, entries, revalidate in (
            ("uncached", 0, False),
            ("cached", 1000, False),
            ("revalidated_304", 1000, True),
        ):
            server, base = _serve(url, entries)
            try:
                results[mode] = asyncio.run(_measure(base, seconds, revalidate=revalidate))
            finally:
                server.terminate()
                server.wait(timeout=30)
        results["load_after"] = os.getloadavg()
        results["cached_over_uncached"] = {
            name: round(results["cached"][name]["rps"] / results["uncached"][name]["rps"], 1)
            for name in QUERIES
        }
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_bench")
    parser.add_argument("--seconds", type=float, default=5.0, help="per query and mode")
    args = parser.parse_args(argv)
    results = run(args.seconds)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
