"""The compliance model is kept in memory between units of work (`compliance._KEPT`) and
used again only where the tables stand where it does (the last event of
`compliance_events`): a unit that was not written (rolled back, dropped) makes the kept
model stale, and the next unit reads the model from the tables again."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import synthetic
from sco_registry.projections import compliance as cm
from sco_registry.projections import unit
from sco_registry.projections.runner import ProjectionHost, apply_events, apply_page
from sco_registry.store.base import EventStore, RecordedEvent
from sco_registry.store.sql import SqlEventStore
from tests.integration.projections.test_units import Rows, _rows

PAGE = 300


async def _build(
    host: ProjectionHost, events: Sequence[RecordedEvent], suffix: str, *, forget: bool
) -> Rows:
    """Compliance's rows from `events` in pages, the second page's unit dropped (not
    flushed: its events are in none of the tables). `forget`: the kept model is dropped
    after it, as if none had been kept."""
    p = cm.ComplianceProjection()
    tables = p.define(sa.MetaData(), suffix)

    def work(conn: Connection, head: int) -> Rows:
        for t in tables.values():
            t.drop(conn, checkfirst=True)
            t.create(conn)
        for n, start in enumerate(range(0, len(events), PAGE)):
            chunk = events[start : start + PAGE]
            if n == 1:
                with unit.buffered(conn):
                    apply_events(conn, p, tables, chunk)  # and no flush
                if forget:
                    cm._KEPT.clear()
            else:
                apply_page(conn, p, tables, chunk)
        found = _rows(conn, tables)
        for t in tables.values():
            t.drop(conn)
        return found

    return await host.run_projection_write(work)


@pytest.fixture
async def events(store: EventStore) -> list[RecordedEvent]:
    await synthetic.fill(store, 1500)
    return await store.read_all()


async def test_a_unit_not_written_makes_the_kept_model_stale(
    store: EventStore, events: list[RecordedEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    host = cast(ProjectionHost, store)
    read_again = await _build(host, events, "__forgot", forget=True)
    kept = await _build(host, events, "__kept", forget=False)
    assert kept == read_again
    assert sum(len(r) for r in kept.values()) > 0

    # Negative control: a kept model taken as standing where the tables do, whatever they
    # hold, goes on from the dropped page's events, and its rows differ.
    def anywhere(self: Any) -> Any:
        return self.marker

    monkeypatch.setattr(cm._Model, "stands_at", anywhere)
    monkeypatch.setattr(cm, "_marker", lambda conn, events: None)
    blind = await _build(host, events, "__blind", forget=False)
    assert blind != read_again


async def test_folds_carried_between_units_are_the_kept_models(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream's folded state is carried to the next units (`_Folds.carry`, here from its
    second event on, over pages of 25 events) with the kept model, and goes with it: the
    rows are those of folds never carried, a dropped unit included."""
    await synthetic.fill(store, 3000)
    events = await store.read_all()
    host = cast(ProjectionHost, store)
    monkeypatch.setattr(sys.modules[__name__], "PAGE", 25)
    monkeypatch.setattr(cm, "_CARRIED", 10**9)
    uncarried = await _build(host, events, "__uncarried", forget=True)
    monkeypatch.setattr(cm, "_CARRIED", 2)
    carried = await _build(host, events, "__carried", forget=False)
    assert carried == uncarried
    assert sum(len(r) for r in carried.values()) > 0

    # Negative control: folds carried apart from the model (kept when the model is read
    # again after the dropped unit) go on from the dropped unit's events: other rows.
    shared = cm._Folds()
    made = cm._Model.__init__

    def init(self: Any, every: Any) -> None:
        made(self, every)
        self.folds = shared

    monkeypatch.setattr(cm._Model, "__init__", init)
    apart = await _build(host, events, "__apart", forget=False)
    assert apart != uncarried


@pytest.fixture
def migrated_sqlite(sqlite_url: str) -> str:
    from sco_registry.db import migrate
    from tests.pg import run_in_thread

    run_in_thread(migrate(sqlite_url))
    return sqlite_url


async def test_the_kept_model_serves_both_threads_of_a_sqlite_store(
    migrated_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQLite store appends on the event loop's thread through one engine and, after
    each checkpoint, in its writer thread through another (the same pool): the model is
    kept by the database (`_database`), so appends switching between them read it once;
    kept by the engine (negative control), it is read again at each switch. (SQLite only:
    the other stores have one engine.)"""
    from sco_registry.db import create_engine

    store = SqlEventStore(create_engine(migrated_sqlite))
    try:
        await _both_threads(store, monkeypatch)
    finally:
        await store.close()


async def _both_threads(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from sco_registry.store.execution import SqliteRunner

    runner_ = store._runner
    assert isinstance(runner_, SqliteRunner)
    runner_.CHECKPOINT_COMMITS = 3
    start_checkpoint = runner_._checkpoint

    def checkpoint_first_pass_waited() -> None:
        # The first pass (beside the appends) ended before the next append, which then
        # hands the second to the writer thread and appends there: both threads append.
        start_checkpoint()
        if runner_._first_pass is not None:
            runner_._first_pass.result()

    monkeypatch.setattr(runner_, "_checkpoint", checkpoint_first_pass_waited)
    from tests.integration.projections.models_support import runner
    from tests.integration.projections.test_compliance_incremental import (
        _one_year,
        meetings_of_2030,
    )

    made = 0
    init = cm._Model.__init__

    def counting(self: Any, every: Any) -> None:
        nonlocal made
        made += 1
        init(self, every)

    monkeypatch.setattr(cm._Model, "__init__", counting)
    runner(store)
    await _one_year(store, count=8)
    once = made
    assert len(runner_.checkpoints) >= 2  # the appends went through both threads
    monkeypatch.setattr(cm, "_database", lambda conn: conn.engine)
    await meetings_of_2030(store, range(8, 16))
    assert once == 1 and made - once >= 2, (once, made)


async def _model_reads_at_the_append(store: EventStore, *, warm: bool) -> int:
    """How often the next inline append reads compliance's model from its tables, after a
    server's start-up (with or without `compliance.warm`)."""
    from sco_registry.domain.meetings import RecordMeeting
    from sco_registry.projections.runner import runner_for

    projections = runner_for(store)
    await synthetic.fill(store, 400)
    cm._KEPT.clear()  # as in a new process
    if warm:
        await projections.read(cm.warm)
    reads = 0
    every = cm._Facts.every

    def counting(self: Any, conn: Connection) -> Any:
        nonlocal reads
        reads += 1
        return every(self, conn)

    cm._Facts.every = counting  # type: ignore[method-assign]
    try:
        from sco_registry.application import CommandContext, handle
        from sco_registry.domain.time import PartialDate
        from sco_registry.domain.values import Citation

        command = RecordMeeting(
            meeting_id="meeting/warm/1",
            body_id="body/heads_of_state_council",
            start_date=PartialDate.parse("2700-01-15"),
            city="Astana",
            host_state="KZ",
            sources=(Citation(title="warm", url="https://example.org/warm"),),
        )
        context = CommandContext(actor="test", correlation_id=uuid.uuid4())
        await handle(command, store, context)
        assert await store.head_position() == 401
    finally:
        cm._Facts.every = every  # type: ignore[method-assign]
    return reads


async def test_a_warmed_model_serves_the_first_append(store: EventStore) -> None:
    """`compliance.warm` (a server's start-up, before it freezes its heap) reads the model
    the first append then uses: that append reads none. Negative control: without it, the
    first append reads the model."""
    assert await _model_reads_at_the_append(store, warm=True) == 0


async def test_negative_control_without_warming_the_first_append_reads_the_model(
    store: EventStore,
) -> None:
    assert await _model_reads_at_the_append(store, warm=False) == 1
