"""`projections status|rebuild [NAME]|catch-up [--follow]|verify [NAME]`.

The one-shot actions are `sco_registry.projections.cli`'s (their output is described
there). `catch-up --follow` is the projection worker of a deployment: it catches every
current projection up, then waits for the log to move (woken by appends; LISTEN/NOTIFY on
PostgreSQL, polling as well) and catches up again, until SIGINT or SIGTERM (exit 0). A stale
projection is reported once and left alone: rebuilding a shared database's read model is the
operator's decision (`projections rebuild NAME`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sco_registry.cli._base import EXIT_OK, add_command
from sco_registry.config import Settings


def add_parsers(sub: Any) -> None:
    parser = add_command(
        sub, "projections", _projections, help="the read models: status, rebuild, catch-up, verify"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="each projection's version, checkpoint and lag")
    rebuild = actions.add_parser("rebuild", help="rebuild from the log into fresh tables, swap")
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    catch_up = actions.add_parser("catch-up", help="apply the events after each checkpoint")
    catch_up.add_argument(
        "--follow",
        action="store_true",
        help="keep catching up as the log grows, until SIGINT or SIGTERM (the worker)",
    )
    catch_up.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="with --follow: look at the log at least this often (5)",
    )
    verify = actions.add_parser("verify", help="rebuild into scratch tables, compare row by row")
    verify.add_argument("name", nargs="?", help="one projection (default: all)")


async def _projections(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.projections.cli import run_projections

    if args.action == "catch-up" and args.interval <= 0:
        from sco_registry.cli._base import UsageError

        raise UsageError(f"--interval {args.interval}: expected a positive number of seconds")
    async with open_registry(settings) as registry:
        if args.action == "catch-up" and args.follow:
            return await follow(registry, args.interval)
        return await run_projections(args, registry.projections)


async def follow(registry: Any, interval: float, stop: asyncio.Event | None = None) -> int:
    """Catch up, wait for the log to move, again, until `stop` is set (by SIGINT or SIGTERM
    when not given)."""
    from sco_registry.cli.serving import stop_signals

    stop = stop or asyncio.Event()
    runner, store = registry.projections, registry.store
    reported: set[str] = set()
    print(f"following the log: {len(runner.projections)} projections", flush=True)
    with stop_signals(stop.set):
        while not stop.is_set():
            for s in await runner.status():
                if s.state == "stale":
                    if s.name not in reported:
                        reported.add(s.name)
                        print(
                            f"stale projection {s.name}: left alone; run `sco-registry "
                            f"projections rebuild {s.name}`",
                            file=sys.stderr,
                            flush=True,
                        )
                    continue
                applied = (await runner.catch_up(s.name))[s.name]
                if applied:
                    print(f"{s.name}: {applied} events applied", flush=True)
            head = await store.head_position()
            moved = asyncio.create_task(store.wait_for_events(head, interval))
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({moved, stopped}, return_when=asyncio.FIRST_COMPLETED)
            for task in (moved, stopped):
                task.cancel()
            await asyncio.gather(moved, stopped, return_exceptions=True)
    print("stopped following the log", flush=True)
    return EXIT_OK
