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
        default=None,
        metavar="SECONDS",
        help="with --follow: look at the log, and try to take the lease, at least this often "
        "(default: SCO_REGISTRY_WORKER_POLL_S)",
    )
    catch_up.add_argument(
        "--rebuild-stale",
        action="store_true",
        help="with --follow: rebuild a projection whose version changed (default: report it)",
    )
    verify = actions.add_parser("verify", help="rebuild into scratch tables, compare row by row")
    verify.add_argument("name", nargs="?", help="one projection (default: all)")


async def _projections(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.projections.cli import run_projections

    if args.action == "catch-up" and args.interval is not None and args.interval <= 0:
        from sco_registry.cli._base import UsageError

        raise UsageError(f"--interval {args.interval}: expected a positive number of seconds")
    async with open_registry(settings) as registry:
        if args.action == "catch-up" and args.follow:
            return await follow(registry, args.interval, rebuild_stale=args.rebuild_stale)
        return await run_projections(args, registry.projections)


async def follow(
    registry: Any,
    interval: float | None,
    stop: asyncio.Event | None = None,
    *,
    rebuild_stale: bool = False,
) -> int:
    """The worker (`sco_registry.worker`) under the database's lease until `stop` is set
    (by SIGINT or SIGTERM when not given)."""
    from sco_registry.cli.serving import stop_signals
    from sco_registry.store.lease import open_lease
    from sco_registry.worker import run_worker

    def say(line: str) -> None:
        print(line, flush=True)

    def warn(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    stop = stop or asyncio.Event()
    say(f"following the log: {len(registry.projections.projections)} projections")
    with stop_signals(stop.set):
        await run_worker(
            registry,
            open_lease(registry.settings.database_url),
            stop=stop,
            poll=interval,
            rebuild_stale=rebuild_stale,
            say=say,
            warn=warn,
        )
    say("stopped following the log")
    return EXIT_OK
