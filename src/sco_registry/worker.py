"""The projection worker: brings the read models up to the log's head, in one process at a
time, for as long as it runs (`sco-registry worker`).

Run it when the API processes do not apply the read models inline
(`SCO_REGISTRY_PROJECTIONS_INLINE=false`: several API processes then append without
waiting on the projections), or beside inline ones, to rebuild a projection whose version
changed. Run two for availability: one holds the lease (`store/lease.py`) and works, the
other tries to take the lease every `worker_poll_s` seconds and takes over within that time
of the holder's death. Between rounds the holder sleeps until the log moves (the store's
wake-up: LISTEN/NOTIFY on PostgreSQL) or `worker_poll_s` passes.

No event is applied twice or skipped, whoever holds the lease: each page is applied in a
transaction that holds the append lock and re-reads the checkpoint first
(`ProjectionRunner.catch_up`), so a page a killed holder had not committed is applied once,
by the next holder."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from sco_registry.bootstrap import Registry, open_registry
from sco_registry.config import Settings, load_settings
from sco_registry.db import describe
from sco_registry.domain.errors import RegistryError
from sco_registry.store.lease import Lease, LeaseLost, open_lease


@dataclass
class WorkerStats:
    rounds: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    leases: int = 0


Say = Callable[[str], None]


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def run_worker(
    registry: Registry,
    lease: Lease,
    *,
    stop: asyncio.Event,
    poll: float | None = None,
    say: Say = lambda line: None,
) -> WorkerStats:
    """Work while `stop` is unset: take the lease (or wait to), then rebuild stale read
    models and catch the others up, round after round. Returns what it did."""
    interval = registry.settings.worker_poll_s if poll is None else poll
    runner = registry.projections
    runner.batch_size = registry.settings.worker_page_events
    stats = WorkerStats()
    pid = os.getpid()
    reported = -1
    try:
        while not stop.is_set():
            if not lease.held:
                if not await lease.try_acquire():
                    await _sleep_or_stop(stop, interval)
                    continue
                stats.leases += 1
                say(f"lease: acquired by process {pid}")
            try:
                await lease.check()
            except LeaseLost as e:
                say(f"lease: lost ({e.message})")
                continue
            rebuilt = await runner.rebuild_stale()
            stats.rebuilt += rebuilt
            stats.rounds += 1
            applied = {s.name: s.checkpoint for s in await runner.status()}
            for name, position in applied.items():
                stats.applied[name] = position
            if rebuilt:
                say(f"rebuilt: {', '.join(rebuilt)}")
            head = await registry.store.head_position()
            behind = min(applied.values(), default=head)
            if behind != reported:
                say(f"caught up: position {behind} of {head}")
                reported = behind
            if behind >= head:
                waiter = asyncio.ensure_future(registry.store.wait_for_events(head, interval))
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (waiter, stopper):
                        task.cancel()
                    await asyncio.gather(waiter, stopper, return_exceptions=True)
    finally:
        await lease.release()
    return stats


async def work(settings: Settings, say: Say) -> WorkerStats:
    """The worker on the configured database until SIGTERM or SIGINT (then it finishes the
    page in hand, gives the lease back and returns)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_registry(settings) as registry:
        say(f"worker: process {os.getpid()} on {describe(make_url(settings.database_url))}")
        return await run_worker(registry, open_lease(settings.database_url), stop=stop, say=say)


def main() -> int:
    """`python -m sco_registry.worker`: the worker with the environment's settings."""

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        stats = asyncio.run(work(load_settings(), say))
    except RegistryError as e:
        print(f"error: [{e.code}] {e.message}", file=sys.stderr)
        return 3 if e.code.startswith("db.") else 2
    say(f"worker: stopped after {stats.rounds} rounds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
