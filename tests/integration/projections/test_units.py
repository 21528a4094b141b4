"""A unit of work (`projections/unit.py`) writes exactly the rows the events applied one by
one, without it, write: every read model, on every store, over a history with corrections
and retractions, in pages of several sizes (a unit per page, as rebuild and catch-up use
them; a unit per append is the inline path, whose rows the rebuild tests compare)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import synthetic
from sco_registry.projections import unit
from sco_registry.projections.base import Projection, Tables
from sco_registry.projections.runner import (
    ProjectionHost,
    apply_events,
    apply_page,
    default_projections,
)
from sco_registry.store.base import EventStore, RecordedEvent

Rows = dict[str, list[tuple[Any, ...]]]


def _rows(conn: Connection, tables: Tables) -> Rows:
    return {
        key: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
        for key, t in tables.items()
    }


async def _build(
    host: ProjectionHost,
    p: Projection,
    suffix: str,
    events: Sequence[RecordedEvent],
    page: int,
    *,
    batched: bool,
    drop_page: int | None = None,
) -> Rows:
    """`p`'s rows from `events` applied in pages of `page` into fresh scratch tables
    (`drop_page`: that page's unit is not flushed, for the negative control)."""
    tables = p.define(sa.MetaData(), suffix)

    def work(conn: Connection, head: int) -> Rows:
        for t in tables.values():
            t.drop(conn, checkfirst=True)
            t.create(conn)
        for n, start in enumerate(range(0, len(events), page)):
            chunk = events[start : start + page]
            if n == drop_page:
                with unit.buffered(conn):
                    apply_events(conn, p, tables, chunk)  # and no flush
            else:
                apply_page(conn, p, tables, chunk, batched=batched)
        found = _rows(conn, tables)
        for t in tables.values():
            t.drop(conn)
        return found

    return await host.run_projection_write(work)


@pytest.fixture
async def history(store: EventStore) -> tuple[ProjectionHost, list[RecordedEvent]]:
    """The benchmark's synthetic history (2% corrections, 0.5% retractions), 1,500 events."""
    host = cast(ProjectionHost, store)
    await synthetic.fill(store, 1500)
    events = await store.read_all()
    assert sum(e.type == "EventCorrected" for e in events) > 5
    assert any(e.type == "EventRetracted" for e in events)
    return host, events


@pytest.mark.parametrize("page", [7, 500])
async def test_every_model_writes_the_same_rows_in_units_as_event_by_event(
    history: tuple[ProjectionHost, list[RecordedEvent]], page: int
) -> None:
    host, events = history
    for p in default_projections():
        one_by_one = await _build(host, p, "__one", events, 1, batched=False)
        in_units = await _build(host, p, "__unit", events, page, batched=True)
        assert in_units == one_by_one, p.name
        assert sum(len(r) for r in one_by_one.values()) > 0, p.name


async def test_a_unit_not_flushed_shows_negative_control(
    history: tuple[ProjectionHost, list[RecordedEvent]],
) -> None:
    host, events = history
    differ = set()
    for p in default_projections():
        one_by_one = await _build(host, p, "__one", events, 1, batched=False)
        dropped = await _build(host, p, "__unit", events, 500, batched=True, drop_page=1)
        if dropped != one_by_one:
            differ.add(p.name)
    # Every model that reads events of the dropped page's kinds (the organization's stream
    # has none there) shows the page missing.
    assert {"audit", "timeline", "membership", "meetings", "documents", "compliance"} <= differ
