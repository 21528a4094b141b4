"""CPU per request of the API benchmark's reads, in process (no HTTP server, no load
generator): the app of `bench/api_server.py` driven over ASGI by an httpx client, one
request at a time. Process CPU time (`time.process_time`: every thread, the reader's
included) divided by the requests, GraphQL and the plain endpoint alternated request by
request (the machine's other load falls on both alike): two versions of the code compare
on a shared machine where wall-clock rates are noise (compare the GraphQL / plain ratio).

`python -m bench.api_cpu DATABASE_URL [--requests N] [--rounds R] [--profile OP] [OP ...]`
prints, per operation, the median (and the least) over the rounds of CPU ms per request
(GraphQL / plain).
`--profile OP` prints instead a cProfile of OP's GraphQL requests (cumulative, top 40)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time

import httpx

from bench.api_client import OPERATIONS, WRITE
from bench.api_server import bench_app
from sco_registry.bootstrap import open_registry
from sco_registry.cli.serving import freeze_startup_heap, warm_kept_models
from sco_registry.config import Settings


async def _run(args: argparse.Namespace) -> None:
    operations = args.operations or [op for op in OPERATIONS if op != WRITE]
    async with open_registry(Settings(database_url=args.url)) as registry:
        app = bench_app(registry)
        await warm_kept_models(registry)
        freeze_startup_heap()  # as the served process does (`bench/api_server.py`)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:

            async def graphql(document: str) -> None:
                r = await client.post("/graphql", json={"query": document})
                r.raise_for_status()
                # Not decoded (the client's cost, not the server's): an error is named.
                assert b'"errors"' not in r.content, r.text[:2000]

            async def plain(path: str) -> None:
                (await client.get(path)).raise_for_status()

            if args.profile:
                document = OPERATIONS[args.profile][0]
                for _ in range(20):
                    await graphql(document)
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    await graphql(document)
                profiler.disable()
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats(args.sort).print_stats(args.lines)
                return
            for op in operations:
                document, path = OPERATIONS[op]
                for _ in range(10):  # warm: validation cache, statement cache, pools
                    await graphql(document)
                    await plain(path)
                g: list[float] = []
                p: list[float] = []
                clock = time.process_time
                for _ in range(args.rounds):
                    # Alternated request by request: the machine's other load falls on both.
                    g_total = p_total = 0.0
                    for _ in range(args.requests):
                        started = clock()
                        await graphql(document)
                        middle = clock()
                        await plain(path)
                        p_total += clock() - middle
                        g_total += middle - started
                    g.append(g_total / args.requests * 1000)
                    p.append(p_total / args.requests * 1000)
                gm, pm = statistics.median(g), statistics.median(p)
                print(
                    f"{op:18} graphql {gm:6.2f} ms (min {min(g):6.2f})"
                    f"  plain {pm:6.2f} ms (min {min(p):6.2f})  ratio {pm / gm:.2f}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_cpu")
    parser.add_argument("url")
    parser.add_argument("operations", nargs="*")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    asyncio.run(_run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
