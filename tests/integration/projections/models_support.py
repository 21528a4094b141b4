"""Shared by the timeline, audit and compliance model tests: a runner, a model's rows, and
the (a) check (a rebuild gives exactly the rows inline application gave)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.importer.load import import_files
from sco_registry.projections.base import Tables
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, runner_for
from sco_registry.store.base import EventStore
from tests.property import support
from tests.strategies.history import build_history


def runner(store: EventStore) -> ProjectionRunner:
    return runner_for(cast(ProjectionHost, store), batch_size=50)


async def all_rows(r: ProjectionRunner, live: Tables) -> dict[str, list[tuple[Any, ...]]]:
    def work(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for key, table in live.items():
            query = sa.select(table).order_by(*table.primary_key.columns)
            out[key] = [tuple(row) for row in conn.execute(query)]
        return out

    return await r.read(work)


async def rebuild_equals_inline(r: ProjectionRunner, name: str, live: Tables) -> None:
    inline = await all_rows(r, live)
    [report] = await r.verify(name)
    assert report.ok, report
    await r.rebuild(name)
    assert await all_rows(r, live) == inline
    assert (await r.verify(name))[0].ok


async def import_generated(store: EventStore, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = support.write_files(build_history(seed, years=3, files=2), Path(tmp))
        assert (await import_files(paths, store)).ok
