"""`run` (first start: migrate, seed, check, serve) and `serve` (the API)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sco_registry.cli._base import EXIT_BROKEN, EXIT_INVALID, EXIT_OK, add_command, where
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError

if TYPE_CHECKING:
    from sco_registry.bootstrap import Registry


def add_parsers(sub: Any) -> None:
    run = add_command(
        sub,
        "run",
        _run,
        help="create and migrate the database, load the bundled history on first start, serve",
    )
    run.add_argument("--no-serve", action="store_true", help="prepare and report, do not serve")
    serve = add_command(
        sub, "serve", _serve, help="serve the GraphQL API (/graphql, /healthz, /readyz)"
    )
    for p in (run, serve):
        p.add_argument("--host", help="address to listen on (default: SCO_REGISTRY_API_HOST)")
        p.add_argument(
            "--port", type=int, help="port to listen on (default: SCO_REGISTRY_API_PORT)"
        )


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    """First start: create and migrate the database, load the bundled history into an empty
    log (never again after that), say where everything is, then serve the API (unless
    `--no-serve`)."""
    from sco_registry.bootstrap import open_registry
    from sco_registry.importer.bundled import bundled_files, load_bundled
    from sco_registry.importer.cli import ProgressBar, summary_line
    from sco_registry.store.chain import averify_events

    async with open_registry(settings, migrate_first=True) as registry:
        store = registry.store
        if await store.head_position() == 0:
            bar = ProgressBar(sys.stderr)
            try:
                summary = await load_bundled(
                    store, progress=bar, scratch_store=registry.scratch_store
                )
            finally:
                bar.close()
            for problem in summary.problems:
                print(problem, file=sys.stderr)
            names = ", ".join(p.name for p in bundled_files())
            print(f"loaded the bundled history ({names}): {summary_line(summary)}")
            if not summary.ok:
                return EXIT_INVALID
        else:
            print("the log already holds events: bundled history not loaded again")
        from sco_registry.projections.cli import start_up

        embedded = settings.database_url.startswith("sqlite")
        for line in await start_up(registry.projections, embedded=embedded):
            print(f"projections: {line}")
        head = await store.head_position()
        report = await averify_events(store.iter_all())
    print(f"database: {where(settings.database_url)}")
    print(f"events: {head}; chain {'intact' if report.ok else 'BROKEN'}; head {report.head_hash}")
    if not report.ok:
        return EXIT_BROKEN
    if args.no_serve:
        return EXIT_OK
    return await _serve(settings, args)


async def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the API (uvicorn) on the configured, migrated database until interrupted
    (SIGINT or SIGTERM: a graceful shutdown, exit 0); prints the URL to open once listening."""
    import uvicorn

    from sco_registry.app import create_app
    from sco_registry.bootstrap import open_registry

    host = args.host if args.host is not None else settings.api_host
    port = args.port if args.port is not None else settings.api_port
    async with open_registry(settings) as registry:
        app = create_app(registry)
        await warm_kept_models(registry)
        freeze_startup_heap()
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        server = _server(config)
        serving = asyncio.create_task(server.serve())
        # uvicorn sets a plain flag once it listens (no event to await): poll it.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()
            shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
            base = f"http://{shown}:{bound[1]}"
            print(f"serving: the timeline at {base}/ and GraphiQL at {base}/graphql (Ctrl-C stops)")
            sys.stdout.flush()
        await serving
        if not server.started:  # it never listened: the port is taken, say, or refused
            raise RegistryError(
                f"could not listen on {host}:{port} (see the message above)", code="serve.failed"
            )
    return EXIT_OK


async def warm_kept_models(registry: Registry) -> None:
    """Read now what the inline appends keep between them (compliance's model,
    `compliance.warm`), so that `freeze_startup_heap` freezes it too. Only where this
    process applies the read models inline (a projection worker's process does otherwise)."""
    if registry.settings.projections_inline:
        from sco_registry.projections import compliance

        await registry.projections.read(compliance.warm)


# The collector's thresholds while serving (`gc.set_threshold`). CPython's default first one,
# 700, counts allocations less deallocations of tracked objects: a request that builds a page
# of 100 meetings (some 20,000 objects alive at once) set off about 2.5 young collections, one
# middle one in ten and a full one in a hundred, each walking what the requests in flight still
# hold, and promoting it, so that the full ones (up to 17 ms; 164 ms on a loaded machine) walked
# them again. At 20,000 the same run of about 1,200 pages made 2 young collections and no
# other, and a page cost 8-10% less CPU (docs/benchmarks.md, session 19). Reference counting
# frees the requests' acyclic garbage either way; what waits longer is cyclic garbage, at most
# some 20,000 objects of it.
SERVING_GC_THRESHOLD = (20_000, 20, 10)


def freeze_startup_heap() -> int:
    """Settle the cyclic collector for serving, once start-up is done. Move everything
    allocated until now (the schema, the registry, its models and caches: some 170,000
    objects) out of its generations (`gc.freeze`): a full collection otherwise walks that
    whole heap, and each one paused every request in flight for up to 140 ms on a loaded
    machine (the members query's p99 of 91-105 ms on a p50 of 5 ms, docs/benchmarks.md);
    frozen, the longest was 12 ms. Then collect less often (`SERVING_GC_THRESHOLD`).
    Returns how many objects are now frozen."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLD)
    return gc.get_freeze_count()


@contextlib.contextmanager
def stop_signals(stop: Any) -> Iterator[None]:
    """Call `stop()` on SIGINT or SIGTERM while inside (on the running loop)."""
    import signal

    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _server(config: Any) -> Any:
    """A uvicorn server that shuts down gracefully on SIGINT or SIGTERM and then returns
    (uvicorn's own re-raises the signal after its shutdown, so the process would die of it
    rather than exit 0)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with stop_signals(self._stop):
                yield

        def _stop(self) -> None:
            self.should_exit = True

    return Server(config)
