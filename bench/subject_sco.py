"""This project's store: `SqlEventStore` on an engine from `sco_registry.db.create_engine`,
migrated with `sco_registry.db.migrate` (Alembic upgrade head), under asyncio.

Everything goes through the public `EventStore` API, exactly as the application uses it:
`append` with an expected version (W1: "no stream"; W2: the exact version), `iter_all`
pages for W3, `read_stream` for W4, and for W5 four asyncio tasks sharing the store (each
operation takes a connection as the store does: the engine's pool, or on SQLite the store's
own writer and reader threads): `stream_version`, then `append` with that version, retried
on `WrongExpectedVersion`. Every append hashes its events into the
chain, checks the expected version and stores the full envelope.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.payloads import EventSpec
from bench.plan import PAGE_SIZE, Plan
from bench.subject import BenchError, Subject
from bench.targets import SQLITE, Target
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, Source, StreamState
from sco_registry.store.errors import WrongExpectedVersion

T = TypeVar("T")


def new_event(spec: EventSpec) -> NewEvent:
    return NewEvent(
        type=spec.type,
        data=spec.data,
        valid_time=PartialDate.parse(spec.valid_time),
        sources=(Source(title=spec.source_title, url=spec.source_url),),
        event_id=spec.event_id,
    )


def store_url(target: Target) -> str:
    if target.backend == SQLITE:
        return f"sqlite+aiosqlite:///{target.sqlite_path}"
    assert target.pg_url is not None
    return target.pg_url.replace("postgresql://", "postgresql+asyncpg://", 1)


class ScoRegistrySubject(Subject):
    name = "sco_registry"

    def __init__(self, target: Target, *, sqlite_synchronous: str) -> None:
        super().__init__(target, sqlite_synchronous=sqlite_synchronous)
        self.runner = asyncio.Runner()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    def open(self) -> None:
        from sco_registry.db import create_engine, migrate
        from sco_registry.store.sql import SqlEventStore

        url = store_url(self.target)

        async def go() -> None:
            await migrate(url)
            self.engine: AsyncEngine = create_engine(url)
            self.store = SqlEventStore(self.engine)

        self._run(go())

    def settings(self) -> dict[str, Any]:
        async def go() -> dict[str, Any]:
            async with self.engine.connect() as conn:
                if self.target.backend == SQLITE:
                    out: dict[str, Any] = {}
                    for pragma in ("journal_mode", "synchronous", "busy_timeout"):
                        out[pragma] = (await conn.execute(text(f"PRAGMA {pragma}"))).scalar()
                    return out
                value = (await conn.execute(text("SHOW synchronous_commit"))).scalar()
                return {"synchronous_commit": value, "driver": "asyncpg via SQLAlchemy"}

        return self._run(go())

    def sqlite_synchronous_level(self) -> str:
        """The level our store's connections run with, by name (for the other subjects)."""
        level = self.settings().get("synchronous")
        return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(int(level or 2), "FULL")

    def w1(self, plan: Plan) -> float:
        async def go() -> float:
            store = self.store
            gc.collect()
            start = time.perf_counter()
            for stream, spec in plan.w1:
                await store.append(stream, [new_event(spec)], StreamState.NO_STREAM)
            return time.perf_counter() - start

        return self._run(go())

    async def _write_batches(self, stream: str, batches: Sequence[Sequence[EventSpec]]) -> None:
        version = 0
        for batch in batches:
            await self.store.append(stream, [new_event(s) for s in batch], version)
            version += len(batch)

    def w2(self, plan: Plan) -> float:
        async def go() -> float:
            gc.collect()
            start = time.perf_counter()
            await self._write_batches(plan.w2_stream, plan.w2_batches)
            return time.perf_counter() - start

        return self._run(go())

    def setup_w4(self, plan: Plan) -> None:
        self._run(self._write_batches(plan.w4_stream, plan.w4_batches))

    def w3(self, plan: Plan) -> tuple[float, int]:
        async def go() -> tuple[float, int]:
            read = 0
            gc.collect()
            start = time.perf_counter()
            async for _event in self.store.iter_all(batch_size=PAGE_SIZE):
                read += 1
            return time.perf_counter() - start, read

        return self._run(go())

    def w4(self, plan: Plan) -> tuple[float, int]:
        async def go() -> tuple[float, int]:
            gc.collect()
            start = time.perf_counter()
            events = await self.store.read_stream(plan.w4_stream)
            return time.perf_counter() - start, len(events)

        return self._run(go())

    def w5(self, plan: Plan) -> tuple[float, int]:
        store = self.store

        async def writer(work: list[tuple[str, EventSpec]]) -> int:
            conflicts = 0
            for stream, spec in work:
                event = new_event(spec)
                while True:
                    version = await store.stream_version(stream)
                    try:
                        await store.append(stream, [event], version)
                        break
                    except WrongExpectedVersion:
                        conflicts += 1
            return conflicts

        async def go() -> tuple[float, int]:
            gc.collect()
            start = time.perf_counter()
            conflicts = await asyncio.gather(*(writer(w) for w in plan.w5_writers))
            return time.perf_counter() - start, sum(conflicts)

        return self._run(go())

    def longest_inline_ms(self) -> float | None:
        """SQLite: the longest a unit of work held the event loop's thread (store/execution.py)."""
        from sco_registry.store.execution import SqliteRunner

        runner = getattr(self.store, "_runner", None)
        if not isinstance(runner, SqliteRunner):
            return None
        return round(runner.longest_inline * 1000, 2)

    def import_history(self, path: Path) -> tuple[float, int]:
        """Import the bundled history (untimed), then `path` (timed, rehearsal included):
        seconds and records imported."""
        from bench.history import BUNDLED
        from sco_registry.importer.load import import_files

        async def go() -> tuple[float, int]:
            base = await import_files([BUNDLED], self.store)
            if not base.ok:
                raise BenchError(f"the bundled history was refused: {base.problems[:3]}")
            gc.collect()
            start = time.perf_counter()
            summary = await import_files([path], self.store)
            elapsed = time.perf_counter() - start
            if not summary.ok or summary.already_imported or summary.rejected:
                raise BenchError(f"the generated history was not imported: {summary}")
            return elapsed, summary.records_read

        return self._run(go())

    def count(self) -> int:
        return self._run(self.store.head_position())

    def close(self) -> None:
        async def go() -> None:
            await self.store.close()
            await self.engine.dispose()

        try:
            self._run(go())
        finally:
            self.runner.close()
