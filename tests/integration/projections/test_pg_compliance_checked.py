"""PostgreSQL: an inline apply takes the kept compliance model as standing where its tables
do, without reading their last event (a round trip in the append's transaction); the
append's one statement of writes checks it (`statements.Deferred.check`), on the tables as
it finds them under the append lock.

Here appends fail after compliance has applied their events to the kept model (a later
projection raises: the append is rolled back, the model is not). The next append's
statement finds the tables' last event is not the model's: the model is dropped, the
append rolled back and made again on the model read from the tables, and the rows are
those of the log applied page by page. The negative control skips the check: the model
goes on from events the log never held, and the rows differ. The facts of a stream are
written over its row (`statements.upsert_rows`), a part of the same statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import synthetic
from sco_registry.projections import compliance as cm
from sco_registry.projections import statements
from sco_registry.projections.base import Projection, ProjectionFailed, Tables
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, apply_page
from sco_registry.store.base import NewEvent, RecordedEvent, StreamAppend, StreamState
from sco_registry.store.sql import SqlEventStore
from tests.integration.projections.test_units import Rows, _rows

pytestmark = pytest.mark.postgres

EVENTS = 700
BREAK_EVERY = 5  # every fifth append fails once, after compliance applied it


class Compliance(cm.ComplianceProjection):
    pass


class Breaker(Projection):
    """Fails the append while `armed` (applied after compliance)."""

    name = "breaker"
    version = 1
    armed = False

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        return {}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if Breaker.armed:
            raise RuntimeError("broken on purpose")


Compliance.tables = cm.ComplianceProjection.define(sa.MetaData(), "__checked")
Breaker.tables = {}


@pytest.fixture
async def store(pg_clone_url: str) -> AsyncIterator[SqlEventStore]:
    from sco_registry.db import create_engine

    s = SqlEventStore(create_engine(pg_clone_url))
    try:
        yield s
    finally:
        await s.close()
        Breaker.armed = False


async def _reference(store: SqlEventStore, events: list[RecordedEvent]) -> Rows:
    """Compliance's rows from the log applied in pages of 100 (no inline unit)."""
    p = cm.ComplianceProjection()
    tables = p.define(sa.MetaData(), "__paged")

    def work(conn: Connection, head: int) -> Rows:
        for t in tables.values():
            t.create(conn)
        for start in range(0, len(events), 100):
            apply_page(conn, p, tables, events[start : start + 100])
        return _rows(conn, tables)

    return await store.run_projection_write(work)


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "negative-control"])
async def test_a_kept_model_the_tables_moved_from_is_found_by_the_writes_statement(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch, checked: bool
) -> None:
    def create(conn: Connection, head: int) -> None:
        for t in Compliance.tables.values():
            t.create(conn)

    await store.run_projection_write(create)
    ProjectionRunner(cast(ProjectionHost, store), [Compliance(), Breaker()]).attach()
    if not checked:
        monkeypatch.setattr(cm, "_stands", lambda value, marker: True)
    dropped: list[Any] = []
    drop = cm._drop
    monkeypatch.setattr(cm, "_drop", lambda key, model: (dropped.append(key), drop(key, model)))
    failed = 0
    for n, unit in enumerate(synthetic.generate(EVENTS)):
        by_stream: dict[str, list[NewEvent]] = {}
        for stream, e in unit:
            by_stream.setdefault(stream, []).append(e)
        batches = [StreamAppend(s, es, StreamState.ANY) for s, es in by_stream.items()]
        if n % BREAK_EVERY == BREAK_EVERY - 1:
            Breaker.armed = True
            with pytest.raises(ProjectionFailed):
                await store.append_many(batches)
            Breaker.armed = False
            failed += 1
        await store.append_many(batches)
    assert failed > 10

    events = await store.read_all()
    assert len(events) == EVENTS
    inline = await store.run_projection_read(lambda conn: _rows(conn, Compliance.tables))
    reference = await _reference(store, events)
    assert sum(len(r) for r in reference.values()) > 0
    if checked:
        assert dropped  # the statement found the kept model stale (and the append was redone)
        assert inline == reference
    else:
        assert not dropped
        assert inline != reference


@pytest.mark.parametrize("deferred", [True, False], ids=["deferred", "negative-control"])
async def test_the_facts_are_written_over_their_rows_in_the_writes_statement(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch, deferred: bool
) -> None:
    """Inline, compliance sends no statement of its own (no last-event read, no DELETE of
    facts): its writes are parts of the append's statement. The negative control hides the
    statement from compliance, which then reads its tables' last event at each append."""

    def create(conn: Connection, head: int) -> None:
        for t in Compliance.tables.values():
            t.create(conn)

    await store.run_projection_write(create)
    ProjectionRunner(cast(ProjectionHost, store), [Compliance()]).attach()
    units = list(synthetic.generate(300))
    sent: list[str] = []

    def appended(batches_of: list[Any]) -> list[StreamAppend]:
        by_stream: dict[str, list[NewEvent]] = {}
        for stream, e in batches_of:
            by_stream.setdefault(stream, []).append(e)
        return [StreamAppend(s, es, StreamState.ANY) for s, es in by_stream.items()]

    for unit in units[:-40]:  # the model is built (read) at the first appends
        await store.append_many(appended(unit))

    real = Connection.execute

    def execute(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(statement))
        return real(self, statement, *args, **kwargs)

    def no_executemany(*args: Any) -> None:
        raise AssertionError("an executemany of its own")

    monkeypatch.setattr(Connection, "execute", execute)
    monkeypatch.setattr(statements._RowWrite, "execute", no_executemany)
    if not deferred:
        monkeypatch.setattr(statements, "pending", lambda conn: None)
    for unit in units[-40:]:
        await store.append_many(appended(unit))
    monkeypatch.undo()
    own = [s for s in sent if "compliance" in s]
    if deferred:
        assert not own, own
    else:
        assert len(own) >= 10, own  # the last-event read, at each append of its streams
    events = await store.read_all()
    inline = await store.run_projection_read(lambda conn: _rows(conn, Compliance.tables))
    assert inline == await _reference(store, events)
    assert inline[cm.FACTS]
