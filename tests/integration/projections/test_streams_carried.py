"""A long stream is carried in memory from one unit of work to the next (`streams.carry`:
its kept events, its scopes' open rows and their fingerprints, the model's memo), and used
again only where the tables stand where the carried copy left them (one query: the
stream's count, last position and event id, each scope's open rows' count and greatest
`recorded_from`). A unit not flushed, a unit flushed and rolled back, and rows written
without the carry (as another process writes them) leave the tables elsewhere: the next
unit reads the stream again, and the rows are those of a build that carries nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import synthetic
from sco_registry.projections import bodies, membership, streams, unit
from sco_registry.projections.base import Projection
from sco_registry.projections.runner import ProjectionHost, apply_events, apply_page
from sco_registry.store.base import EventStore, RecordedEvent
from tests.integration.projections.test_units import Rows, _rows

PAGE = 2


async def _build(
    host: ProjectionHost,
    p: Projection,
    events: Sequence[RecordedEvent],
    suffix: str,
    *,
    forget: bool,
    undo: int,
) -> Rows:
    """`p`'s rows from `events` in pages of PAGE. Of every `undo` pages, the second is
    flushed and rolled back; of every eight pages, the third is applied without a unit
    (nothing carried: as another process writes) and the fifth's unit is not flushed.
    `forget`: the carried streams are dropped after every page, as if none were carried."""
    tables = p.define(sa.MetaData(), suffix)

    def work(conn: Connection, head: int) -> Rows:
        for t in tables.values():
            t.drop(conn, checkfirst=True)
            t.create(conn)
        for n, start in enumerate(range(0, len(events), PAGE)):
            chunk = events[start : start + PAGE]
            if n % 8 == 4:
                with unit.buffered(conn):
                    apply_events(conn, p, tables, chunk)  # and no flush
            elif n % undo == 1:
                savepoint = conn.begin_nested()
                apply_page(conn, p, tables, chunk)  # flushed (and carried), then undone
                savepoint.rollback()
            elif n % 8 == 2:
                apply_events(conn, p, tables, chunk)  # written row by row, nothing carried
            else:
                apply_page(conn, p, tables, chunk)
            if forget:
                streams._CARRIED.clear()
        found = _rows(conn, tables)
        for t in tables.values():
            t.drop(conn)
        return found

    return await host.run_projection_write(work)


@pytest.fixture
async def events(store: EventStore) -> list[RecordedEvent]:
    await synthetic.fill(store, 4000)
    return await store.read_all()


@pytest.mark.parametrize(
    "projection",
    [membership.MembershipProjection, bodies.BodiesProjection],
    ids=lambda p: str(p.name),
)
async def test_a_carried_stream_is_used_only_where_the_tables_stand(
    store: EventStore,
    events: list[RecordedEvent],
    projection: type[Projection],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = cast(ProjectionHost, store)
    monkeypatch.setattr(streams, "CARRY_MIN", 2)  # the history's streams are short
    # Only the model's streams (it ignores the others): a stream's events in several units.
    prefix = membership.STREAM_PREFIX if projection is membership.MembershipProjection else "body/"
    events = [e for e in events if e.stream_id.startswith(prefix)]
    streams._CARRIED.clear()
    checked = {"same": 0, "moved": 0}
    marker = streams._marker

    def counted(conn: Connection, table: sa.Table, key: Any, scopes: Any) -> Any:
        found = marker(conn, table, key, scopes)
        kept = streams._CARRIED[(table, key[1], id(conn.engine))]
        checked["same" if kept.marker == found else "moved"] += 1
        return found

    monkeypatch.setattr(streams, "_marker", counted)
    built = {}
    for undo in (2, 6):
        streams._CARRIED.clear()
        before = dict(checked)
        read_again = await _build(host, projection(), events, "__forgot", forget=True, undo=undo)
        assert checked == before  # nothing carried: nothing checked
        carried = await _build(host, projection(), events, "__carried", forget=False, undo=undo)
        assert carried == read_again, undo
        assert sum(len(r) for r in carried.values()) > 0
        built[undo] = read_again
    # Carried streams were used again, and the units rolled back or written without the
    # carry made some stale.
    assert checked["same"] >= 2 and checked["moved"] >= 3, checked

    # Negative control: a carried stream taken as standing where the tables do, whatever
    # they hold, goes on from what the rolled-back units and the other writes left, and its
    # rows differ.
    def blindly(conn: Connection, table: sa.Table, key: Any, scopes: Any) -> Any:
        return streams._CARRIED[(table, key[1], id(conn.engine))].marker

    monkeypatch.setattr(streams, "_marker", blindly)
    streams._CARRIED.clear()
    blind = await _build(host, projection(), events, "__blind", forget=False, undo=2)
    assert blind != built[2]
