"""The projection worker: brings the read models up to the log's head, in one process at a
time, for as long as it runs (`sco-registry projections catch-up --follow`).

Run it when the API processes do not apply the read models inline
(`SCO_REGISTRY_PROJECTIONS_INLINE=false`: several API processes then append without
waiting on the projections), or beside inline ones, to catch up a projection that lags.
Run two for availability: one holds the lease (`store/lease.py`) and works; the other tries
to take the lease every `poll` seconds and takes over within about that time of the
holder's death. Between rounds the holder sleeps until the log moves (the store's wake-up:
LISTEN/NOTIFY on PostgreSQL) or `poll` seconds pass.

A stale projection (its rows of another version than the code's) is reported once and left
alone unless `rebuild_stale`: rebuilding a shared database's read model is the operator's
decision (`projections rebuild NAME`), and a rolling upgrade may still run the old code.

No event is applied twice or skipped, whoever holds the lease: each page is applied in a
transaction that holds the append lock and re-reads the checkpoint first
(`ProjectionRunner.catch_up`), so a page a killed holder had not committed is applied once,
by the next holder."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sco_registry.bootstrap import Registry
from sco_registry.store.lease import Lease, LeaseLost


@dataclass
class WorkerStats:
    rounds: int = 0
    applied: dict[str, int] = field(default_factory=dict)  # events applied per projection
    rebuilt: list[str] = field(default_factory=list)
    leases: int = 0  # how many times this worker took the lease


Say = Callable[[str], None]


async def _wait(registry: Registry, stop: asyncio.Event, after: int | None, seconds: float) -> None:
    """Until `stop` is set, `seconds` pass, or (with `after`) the log moves past it."""
    waits: list[asyncio.Future[bool]] = [asyncio.ensure_future(stop.wait())]
    if after is not None:
        waits.append(asyncio.ensure_future(registry.store.wait_for_events(after, seconds)))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


async def run_worker(
    registry: Registry,
    lease: Lease,
    *,
    stop: asyncio.Event,
    poll: float | None = None,
    rebuild_stale: bool = False,
    say: Say = lambda line: None,
    warn: Say = lambda line: None,
) -> WorkerStats:
    """Work while `stop` is unset: take the lease (or wait to), then catch every current
    projection up (and rebuild the stale ones, if asked), round after round. The lease is
    given back on return."""
    interval = registry.settings.worker_poll_s if poll is None else poll
    runner = registry.projections
    runner.batch_size = registry.settings.worker_page_events
    stats = WorkerStats()
    reported: set[str] = set()
    try:
        while not stop.is_set():
            if not lease.held:
                if not await lease.try_acquire():
                    await _wait(registry, stop, None, interval)
                    continue
                stats.leases += 1
                say(f"lease: acquired by process {os.getpid()}")
            try:
                await lease.check()
            except LeaseLost as e:
                warn(f"lease: lost ({e.message})")
                continue
            stats.rounds += 1
            head = await registry.store.head_position()
            for s in await runner.status():
                if s.state == "stale":
                    if rebuild_stale:
                        await runner.rebuild(s.name)
                        stats.rebuilt.append(s.name)
                        say(f"{s.name}: rebuilt")
                    elif s.name not in reported:
                        reported.add(s.name)
                        warn(
                            f"stale projection {s.name}: left alone; run `sco-registry "
                            f"projections rebuild {s.name}`"
                        )
                    continue
                applied = (await runner.catch_up(s.name))[s.name]
                if applied:
                    stats.applied[s.name] = stats.applied.get(s.name, 0) + applied
                    say(f"{s.name}: {applied} events applied")
            await _wait(registry, stop, head, interval)
    finally:
        await lease.release()
    return stats
