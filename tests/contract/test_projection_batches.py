"""The runner's pages, on every store: several projections rebuilt in one read of the log,
`apply_batch` used for pages (rows equal to `apply`'s), and a failing `apply_batch` replayed
event by event so the failure still names its event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections.base import ProjectionFailed, Tables
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner
from sco_registry.store.base import EventStore, RecordedEvent
from tests.contract.test_projection_hook import Tally, ev


class OtherTally(Tally):
    name = "other_tally"

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        return {"tally": Tally.define(target, "__other" + suffix)["tally"]}


OtherTally.tables = OtherTally.define(sa.MetaData())


class BatchTally(Tally):
    """`apply_batch` with one executemany per page; `Boom` fails it as `apply` does."""

    name = "batch_tally"
    pages: ClassVar[list[int]] = []

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        return {"tally": Tally.define(target, "__batch" + suffix)["tally"]}

    def apply_batch(
        self, conn: Connection, tables: Tables, events: Sequence[RecordedEvent]
    ) -> None:
        BatchTally.pages.append(len(events))
        if any(e.type == "Boom" for e in events):
            raise ValueError("boom in a page")
        rows = [{"position": e.position, "stream_id": e.stream_id, "note": e.type} for e in events]
        conn.execute(tables["tally"].insert(), rows)


BatchTally.tables = BatchTally.define(sa.MetaData())


class CountingHost:
    """The store as the runner's host, counting its reads of the log."""

    def __init__(self, store: EventStore) -> None:
        self.store = cast(ProjectionHost, store)
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        self.reads += 1
        return await self.store.read_all(after=after, limit=limit)


async def _runner(store: EventStore, *projections: Tally) -> tuple[ProjectionRunner, CountingHost]:
    host = CountingHost(store)
    runner = ProjectionRunner(cast(ProjectionHost, host), list(projections), batch_size=2)
    host.attach_projector(runner)  # the in-memory store creates the checkpoint table here

    def create(conn: Connection, head: int) -> None:
        for p in projections:
            for table in p.tables.values():
                table.create(conn)

    await host.run_projection_write(create)
    return runner, host


async def _rows(runner: ProjectionRunner, p: type[Tally]) -> list[tuple[Any, ...]]:
    table = p.tables["tally"]

    def work(conn: Connection) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.position))]

    return await runner.read(work)


async def test_rebuilding_several_projections_reads_the_log_once(store: EventStore) -> None:
    runner, host = await _runner(store, Tally(), OtherTally())
    for name in "ABCDEF":
        await store.append(f"s-{name}", [ev(name)])
    inline = (await _rows(runner, Tally), await _rows(runner, OtherTally))
    host.reads = 0
    assert await runner.rebuild() == 6
    # Pages of two: three pages and the empty read that ends the log, for both together.
    assert host.reads == 4
    assert (await _rows(runner, Tally), await _rows(runner, OtherTally)) == inline
    # The negative control: one projection at a time reads the log once each.
    host.reads = 0
    for name in ("tally", "other_tally"):
        await runner.rebuild(name)
    assert host.reads == 8
    assert set(runner.apply_seconds) == {"tally", "other_tally"}


async def test_pages_use_apply_batch_and_give_the_rows_apply_gives(store: EventStore) -> None:
    runner, _ = await _runner(store, BatchTally())
    for name in "ABCDE":
        await store.append(f"s-{name}", [ev(name)])
    inline = await _rows(runner, BatchTally)  # applied inline, event by event
    BatchTally.pages = []
    assert await runner.rebuild() == 5
    assert BatchTally.pages == [2, 2]  # the last page holds one event: `apply` takes it
    assert await _rows(runner, BatchTally) == inline
    [report] = await runner.verify()
    assert report.ok


async def test_a_failing_page_is_replayed_event_by_event_and_names_its_event(
    store: EventStore,
) -> None:
    runner, _ = await _runner(store, BatchTally())
    runner.host.attach_projector(None)  # Boom would fail the append inline
    for name in ("A", "B", "C", "Boom", "E"):
        await store.append("s", [ev(name)])
    BatchTally.pages = []
    with pytest.raises(ProjectionFailed) as raised:
        await runner.rebuild()
    # The page [C, Boom] failed in apply_batch, then event by event at Boom's position.
    assert BatchTally.pages == [2, 2]
    assert raised.value.position == 4
    assert "ValueError: boom" in str(raised.value)
    assert await _rows(runner, BatchTally) == []  # nothing swapped in
