"""PostgreSQL: an append's inline writes are one statement (`statements.Deferred`), and the
checkpoints its decisions rest on are those the runner's previous append left, checked by
that statement under the append lock (`ProjectionRunner._known`).

* every model's rows and the checkpoints' move reach the database in one statement (no
  executemany), and are the rows the events say;
* a part of it that fails fails the append: no event, no row, no checkpoint moved, and the
  error names the projection whose table failed;
* a checkpoint moved by another writer since the runner's last append (here: set to
  another version, as another process's rebuild would) is found by that statement: the
  append is rolled back and made once more on the checkpoints read afresh, so the stale
  projection is left alone. The negative control skips the check: the stale projection's
  rows are then written for an event its checkpoint never covers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections import runner as runner_module
from sco_registry.projections import statements, unit
from sco_registry.projections.base import Projection, ProjectionFailed, Tables, checkpoints
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner
from sco_registry.store.base import NewEvent, RecordedEvent, StreamAppend
from sco_registry.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres


class Rows(Projection):
    """One row per event through `unit.write` (so deferred inline); in `Second`, a `Dup`
    event writes position 1 again (a primary key already taken, in the database)."""

    name = "first"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        table = sa.Table(
            f"test_{cls.name}{suffix}",
            target,
            sa.Column("position", sa.BigInteger(), primary_key=True, autoincrement=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=True),
        )
        return {"rows": table}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        position = 1 if event.type == "Dup" and self.name == "second" else event.position
        row = {"position": position, "note": event.type, "data": event.data}
        unit.write(conn, tables["rows"], [row])


class Second(Rows):
    name = "second"


Rows.tables = Rows.define(sa.MetaData())
Second.tables = Second.define(sa.MetaData())


@pytest.fixture
async def store(pg_clone_url: str) -> AsyncIterator[SqlEventStore]:
    from sco_registry.db import create_engine

    s = SqlEventStore(create_engine(pg_clone_url))
    try:
        yield s
    finally:
        await s.close()


async def _runner(store: SqlEventStore) -> tuple[ProjectionRunner, list[Rows]]:
    models: list[Rows] = [Rows(), Second()]

    def create(conn: Connection, head: int) -> None:
        for m in models:
            for t in m.tables.values():
                t.create(conn)

    await store.run_projection_write(create)
    runner = ProjectionRunner(cast(ProjectionHost, store), models).attach()
    return runner, models


async def _append(store: SqlEventStore, stream: str, type: str = "Thing") -> int:
    result = await store.append_many(
        [StreamAppend(stream, [NewEvent(type=type, data={"k": [type, 1]})], 0)]
    )
    return result.last_position


async def _state(store: SqlEventStore, models: list[Rows]) -> dict[str, Any]:
    def read(conn: Connection) -> dict[str, Any]:
        found: dict[str, Any] = {
            m.name: [
                tuple(r) for r in conn.execute(sa.select(m.tables["rows"]).order_by("position"))
            ]
            for m in models
        }
        found["checkpoints"] = sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(checkpoints.c.name, checkpoints.c.version, checkpoints.c.position)
            )
        )
        found["head"] = conn.execute(
            sa.text("SELECT coalesce(max(position), 0) FROM events")
        ).scalar()
        return found

    return await store.run_projection_read(read)


async def test_the_inline_writes_are_one_statement(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, models = await _runner(store)
    await _append(store, "s-1")  # the log's first append: the checkpoints are created

    def no_executemany(*args: Any) -> None:
        raise AssertionError("an executemany of its own")

    monkeypatch.setattr(statements._RowWrite, "execute", no_executemany)
    p2 = await _append(store, "s-2")
    p3 = await _append(store, "s-3")
    state = await _state(store, models)
    for m in models:
        assert state[m.name] == [(p, "Thing", {"k": ["Thing", 1]}) for p in (1, p2, p3)]
    assert state["checkpoints"] == [("first", 1, p3), ("second", 1, p3)]


async def test_a_failing_part_fails_the_append_and_names_its_projection(
    store: SqlEventStore,
) -> None:
    _, models = await _runner(store)
    await _append(store, "s-1")
    await _append(store, "s-2")
    before = await _state(store, models)
    with pytest.raises(ProjectionFailed) as failed:
        await _append(store, "s-3", "Dup")
    assert failed.value.details["projection"] == "second", str(failed.value)
    assert await _state(store, models) == before
    assert await _append(store, "s-4") == before["head"] + 1  # and appends go on


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "negative-control"])
async def test_a_checkpoint_moved_by_another_writer_is_found(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch, checked: bool
) -> None:
    _, models = await _runner(store)
    await _append(store, "s-1")
    p2 = await _append(store, "s-2")  # the runner now knows the checkpoints: at p2

    def other_version(conn: Connection, head: int) -> None:  # another process's rebuild
        conn.execute(checkpoints.update().where(checkpoints.c.name == "second").values(version=2))

    # Not through the runner (which would forget what it knows): as another process.
    await store.run_projection_write(other_version)
    if not checked:
        monkeypatch.setattr(runner_module, "_same_checkpoints", lambda found, known: True)
    p3 = await _append(store, "s-3")
    state = await _state(store, models)
    assert state["head"] == p3 == p2 + 1  # appended once
    assert [r[0] for r in state["first"]] == [1, p2, p3]
    second = [r[0] for r in state["second"]]
    if checked:
        # Left alone at the other version's checkpoint: a rebuild of that version owns it.
        assert second == [1, p2]
        assert state["checkpoints"] == [("first", 1, p3), ("second", 2, p2)]
    else:
        assert second == [1, p2, p3]  # the row of an event its checkpoint does not cover
        assert state["checkpoints"] == [("first", 1, p3), ("second", 2, p2)]
