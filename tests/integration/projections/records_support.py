"""What the record models' tests share: a runner, the rows of a model, appending events."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog
from sco_registry.domain.corrections import EventCorrected, EventRetracted
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections.base import Tables
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, runner_for
from sco_registry.store.base import EventStore, NewEvent
from tests.property import support
from tests.strategies.history import build_history

CITE = (Citation(title="a test source"),)
P = PartialDate.parse


def runner(store: EventStore) -> ProjectionRunner:
    return runner_for(cast(ProjectionHost, store), batch_size=50)


async def all_rows(r: ProjectionRunner, live: Tables) -> dict[str, list[tuple[Any, ...]]]:
    def work(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        return {
            key: [tuple(row) for row in conn.execute(sa.select(t).order_by(*t.primary_key))]
            for key, t in live.items()
        }

    return await r.read(work)


async def check_rebuild_of_bundled(store: EventStore, name: str, live: Tables) -> int:
    """(a) on the bundled history; returns the number of records in the rows, after a
    negative control: a live row changed by hand is found by verify."""
    r = runner(store)
    assert (await load_bundled(store)).ok
    inline = await all_rows(r, live)
    [report] = await r.verify(name)
    assert report.ok, report
    assert await r.rebuild(name) == await store.head_position()
    assert await all_rows(r, live) == inline
    rows = live["rows"]

    def tamper(conn: Connection, head: int) -> None:
        first = conn.execute(sa.select(rows.c.record_id).limit(1)).scalar_one()
        conn.execute(rows.update().where(rows.c.record_id == first).values(valid_from="1900"))

    await r.host.run_projection_write(tamper)
    [drift] = await r.verify(name)
    assert not drift.ok
    return len({row[0] for row in inline["rows"]})


async def check_rebuild_of_generated(store: EventStore, name: str, live: Tables, seed: int) -> int:
    r = runner(store)
    with tempfile.TemporaryDirectory() as tmp:
        paths = support.write_files(build_history(seed, years=3, files=2), Path(tmp))
        assert (await import_files(paths, store)).ok
    inline = await all_rows(r, live)
    await r.rebuild(name)
    assert await all_rows(r, live) == inline
    assert (await r.verify(name))[0].ok
    return len(inline["rows"])


def new(event: Event, *, event_id: uuid.UUID | None = None) -> NewEvent:
    name = catalog.type_name(event)
    return NewEvent(
        type=name,
        data=catalog.to_json(event),
        valid_time=event.valid_time,
        schema_version=catalog.schema_version_of(name),
        event_id=event_id or uuid.uuid4(),
    )


def correction(stream: str, target: uuid.UUID, **changes: Any) -> NewEvent:
    return new(
        EventCorrected(
            valid_time=None,
            sources=(Citation(title="a better source"),),
            stream_id=stream,
            event_id=target,
            reason="the sources say otherwise",
            changes=changes,
        )
    )


def retraction(stream: str, target: uuid.UUID) -> NewEvent:
    return new(
        EventRetracted(
            valid_time=None, sources=CITE, stream_id=stream, event_id=target, reason="unsourced"
        )
    )


async def append_all(store: EventStore, events: list[tuple[str, NewEvent]]) -> None:
    for stream, event in events:
        await store.append(stream, [event])
