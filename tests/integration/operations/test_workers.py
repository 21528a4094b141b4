"""Two projection workers (`sco-registry projections catch-up --follow`, real processes) on one
PostgreSQL database whose appends do not apply the read models inline: one holds the lease
and catches up; SIGKILL it in the middle of the catch-up and the other takes the lease over
within a bounded time and finishes; afterwards every read model equals a clean rebuild
(`projections verify`), so no event was applied twice or skipped. The controls: the same
comparison catches a skipped event and a page applied twice."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.history import write_history
from sco_registry.bootstrap import Registry, open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections import audit
from sco_registry.projections.base import ProjectionFailed
from sco_registry.projections.runner import apply_events

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
FOLLOW = ["projections", "catch-up", "--follow"]
RECORDS = 120  # a generated history after the bundled one (bench/history.py)
POLL = 0.2  # the workers' worker_poll_s
#: The bound on a hand-over: the standby's next try (POLL) once the server has seen the
#: holder's connection end. Generous for a shared machine; it is no timing of the code.
HANDOVER_BOUND = 30.0
PAGE = 10  # events per worker transaction: the log below is dozens of pages long
WAIT = 300.0  # the longest any step may take before the test gives up


@dataclass
class Worker:
    process: subprocess.Popen[str]
    lines: queue.Queue[tuple[float, str]] = field(default_factory=queue.Queue)

    def start_reading(self) -> None:
        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.put((time.monotonic(), line.strip()))

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, prefix: str, timeout: float = WAIT) -> float:
        """When this worker printed a line starting with `prefix`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"worker {self.process.pid} never said {prefix!r}")
            try:
                at, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return at


def _start(url: str) -> Worker:
    env = {
        **os.environ,
        "SCO_REGISTRY_DATABASE_URL": url,
        "SCO_REGISTRY_PROJECTIONS_INLINE": "false",
        "SCO_REGISTRY_WORKER_POLL_S": str(POLL),
        "SCO_REGISTRY_WORKER_PAGE_EVENTS": str(PAGE),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sco_registry.cli", *FOLLOW],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = Worker(process)
    worker.start_reading()
    return worker


@pytest.fixture
def workers(migrated_pg_url: str) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        started.append(_start(migrated_pg_url))
        started[0].wait_for("lease: acquired")  # the first takes it: we know who holds it
        started.append(_start(migrated_pg_url))
        started[1].wait_for("following the log")
        yield started
    finally:
        for w in started:
            if w.process.poll() is None:
                w.process.kill()
            w.process.wait()


def _settings(url: str) -> Settings:
    return Settings(database_url=url, projections_inline=False)


async def _checkpoints(registry: Registry) -> list[int]:
    return [s.checkpoint for s in await registry.projections.status()]


async def _until(done: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await done():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_sigkill_of_the_lease_holder_hands_over_and_nothing_is_applied_twice(
    migrated_pg_url: str, workers: list[Worker], tmp_path: Path
) -> None:
    holder, standby = workers
    history = write_history(tmp_path / "more.json", RECORDS)
    async with open_registry(_settings(migrated_pg_url)) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        more = await import_files([history], registry.store, scratch_store=registry.scratch_store)
        assert more.ok, more.problems
        head = await registry.store.head_position()
        assert min(await _checkpoints(registry)) < head  # nothing inline: the workers do it

        async def started() -> bool:
            return max(await _checkpoints(registry)) > 0

        await _until(started, "the holder never began")
        # In the middle of the catch-up (the log is several of the workers' pages long).
        assert min(await _checkpoints(registry)) < head
        os.kill(holder.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        holder.process.wait(timeout=30)
        taken_at = standby.wait_for("lease: acquired", timeout=HANDOVER_BOUND)
        assert taken_at - killed_at < HANDOVER_BOUND

        async def caught_up() -> bool:
            return min(await _checkpoints(registry)) == head

        await _until(caught_up, "the standby never caught up")
        reports = await registry.projections.verify()
        assert [r.name for r in reports if not r.ok] == []
        assert all(r.position == head for r in reports)


async def test_control_verify_catches_a_skipped_event_and_models_refuse_a_second_apply(
    migrated_pg_url: str,
) -> None:
    async with open_registry(Settings(database_url=migrated_pg_url)) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        runner = registry.projections
        model = next(p for p in runner.projections if p.name == audit.AuditProjection.name)
        assert all(r.ok for r in await runner.verify(model.name))
        events = await registry.store.read_all(after=0)

        # Applied twice: a page once more, as a holder that lost its checkpoint would. The
        # model refuses it (its rows are keyed by the event), and nothing changes.
        def twice(conn: sa.Connection, head: int) -> None:
            apply_events(conn, model, model.tables, events[-10:])

        with pytest.raises(ProjectionFailed):
            await registry.store.run_projection_write(twice)
        assert all(r.ok for r in await runner.verify(model.name))

        # Skipped: every event applied but one, the checkpoint at the head: verify sees it.
        def skip(conn: sa.Connection, head: int) -> None:
            for table in model.tables.values():
                conn.execute(table.delete())
            apply_events(conn, model, model.tables, events[:60] + events[61:])

        await registry.store.run_projection_write(skip)
        drift = next(r for r in await runner.verify(model.name))
        assert not drift.ok and drift.only_rebuilt  # the skipped event's row is missing


def test_the_worker_refuses_an_unusable_database(tmp_path: Path) -> None:
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/none.db"}
    done = subprocess.run(
        [sys.executable, "-m", "sco_registry.cli", *FOLLOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done
    assert done.stderr.startswith("error: [db.") and "Traceback" not in done.stderr
