"""Each append-only trigger of the migrations on its own: a statement that only that trigger
stands against is refused, and with only that trigger dropped the same statement succeeds
and rewrites the log (the control). `test_triggers.py` drops all of them at once, and its
forged rows collide on several columns, so one guard could hide a missing other.

On SQLite, `INSERT OR REPLACE` (and `REPLACE`) deletes a row that conflicts on a unique
column without firing delete triggers, so each unique column has its insert guard: the
row here collides on exactly one of position, event id and (stream id, stream version)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.schema import events
from sco_registry.store.sql import SqlEventStore

Row = dict[str, Any]


async def rows(engine: AsyncEngine) -> list[Row]:
    async with engine.connect() as conn:
        result = await conn.execute(sa.select(events).order_by(events.c.position))
        return [r._asdict() for r in result]


@pytest.fixture
async def log(migrated_sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """Three events: position 1 and 3 in stream a (versions 1, 2), position 2 in b."""
    store = SqlEventStore(create_engine(migrated_sqlite_url))
    for stream in ("a", "b", "a"):
        await store.append(stream, [NewEvent("Thing", {"stream": stream}, actor="alice")])
    await store.close()
    engine = create_engine(migrated_sqlite_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def fresh(row: Row, **changes: Any) -> Row:
    """A copy of `row` that collides with nothing (a new position, event id, stream and
    version), then `changes` to make it collide again on what one guard protects."""
    new = {
        **row,
        "position": 100,
        "event_id": uuid.uuid4(),
        "stream_id": "forged",
        "stream_version": 1,
        "actor": "mallory",
    }
    return {**new, **changes}


@dataclass(frozen=True)
class Guard:
    trigger: str
    refusal: str  # what its message says
    statement: Callable[[list[Row]], Any]  # builds the statement from the log's rows
    rewritten: Callable[[list[Row], list[Row]], bool]  # before, after: did it change the log?


def replace_with(row: Row) -> Any:
    return events.insert().prefix_with("OR REPLACE").values(**row)


def gone(before: list[Row], after: list[Row], old: Row) -> bool:
    return old in before and old not in after


SQLITE_GUARDS = [
    Guard(
        "events_guard_position",
        "position already recorded",
        # The second event's position only: a new id, stream and version.
        lambda log: replace_with(fresh(log[1], position=2)),
        lambda before, after: gone(before, after, before[1]) and after[1]["actor"] == "mallory",
    ),
    Guard(
        "events_guard_event_id",
        "event_id already recorded",
        # The second event's id only, at a new position: REPLACE would delete the event.
        lambda log: replace_with(fresh(log[1], event_id=log[1]["event_id"])),
        lambda before, after: gone(before, after, before[1]),
    ),
    Guard(
        "events_guard_stream_version",
        "stream_version already recorded",
        # Stream a's version 2 (position 3) only, with a new id and position.
        lambda log: replace_with(fresh(log[2], stream_id="a", stream_version=2)),
        lambda before, after: gone(before, after, before[2]),
    ),
    Guard(
        "events_refuse_update",
        "UPDATE on events refused",
        lambda log: events.update().where(events.c.position == 2).values(actor="mallory"),
        lambda before, after: after[1]["actor"] == "mallory",
    ),
    Guard(
        "events_refuse_delete",
        "DELETE on events refused",
        lambda log: events.delete().where(events.c.position == 2),
        lambda before, after: len(after) == 2 and gone(before, after, before[1]),
    ),
]
IDS = [g.trigger for g in SQLITE_GUARDS]


def collisions(row: Row, log: list[Row]) -> set[str]:
    """Which of the unique keys `row` shares with a recorded event."""
    found = set()
    for old in log:
        if old["position"] == row["position"]:
            found.add("position")
        if old["event_id"] == row["event_id"]:
            found.add("event_id")
        if (old["stream_id"], old["stream_version"]) == (row["stream_id"], row["stream_version"]):
            found.add("stream_version")
    return found


INSERT_GUARDS = [g for g in SQLITE_GUARDS if g.trigger.startswith("events_guard_")]


@pytest.mark.parametrize("guard", INSERT_GUARDS, ids=[g.trigger for g in INSERT_GUARDS])
async def test_the_forged_row_collides_only_on_what_the_guard_protects(
    log: AsyncEngine, guard: Guard
) -> None:
    before = await rows(log)
    statement = guard.statement(before)
    params = statement.compile().params
    row = {c.name: params[c.name] for c in events.columns}
    assert collisions(row, before) == {guard.trigger.removeprefix("events_guard_")}


@pytest.mark.parametrize("guard", SQLITE_GUARDS, ids=IDS)
async def test_each_sqlite_guard_refuses_on_its_own(log: AsyncEngine, guard: Guard) -> None:
    before = await rows(log)
    with pytest.raises(DBAPIError) as refused:
        async with log.begin() as conn:
            await conn.execute(guard.statement(before))
    assert f"events are append-only: {guard.refusal}" in str(refused.value.orig)
    assert await rows(log) == before


@pytest.mark.parametrize("guard", SQLITE_GUARDS, ids=IDS)
async def test_control_without_that_one_guard_the_statement_rewrites_the_log(
    log: AsyncEngine, guard: Guard
) -> None:
    before = await rows(log)
    async with log.begin() as conn:
        await conn.exec_driver_sql(f"DROP TRIGGER {guard.trigger}")
        others = await triggers(conn)
        assert guard.trigger not in others and len(others) == len(SQLITE_GUARDS) - 1
        await conn.execute(guard.statement(before))
    after = await rows(log)
    assert after != before
    assert guard.rewritten(before, after)


async def triggers(conn: AsyncConnection) -> list[str]:
    result = await conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
    )
    return [name for (name,) in result]


async def test_every_sqlite_trigger_of_the_migrations_is_tested_here(log: AsyncEngine) -> None:
    async with log.connect() as conn:
        assert sorted(await triggers(conn)) == sorted(IDS)


# -- PostgreSQL: one trigger for UPDATE and DELETE (an upsert's DO UPDATE is an UPDATE),
# one for TRUNCATE; the unique constraints need no guard there (no REPLACE).

PG_GUARDS = {
    "events_refuse_update_delete": [
        "UPDATE events SET actor = 'mallory' WHERE position = 2",
        "DELETE FROM events WHERE position = 2",
        "INSERT INTO events SELECT * FROM events WHERE position = 2 "
        "ON CONFLICT (position) DO UPDATE SET actor = 'mallory'",
    ],
    "events_refuse_truncate": ["TRUNCATE events"],
}


@pytest.fixture
async def pg_log(migrated_pg_url: str) -> AsyncIterator[AsyncEngine]:
    store = SqlEventStore(create_engine(migrated_pg_url))
    for stream in ("a", "b", "a"):
        await store.append(stream, [NewEvent("Thing", {"stream": stream}, actor="alice")])
    await store.close()
    engine = create_engine(migrated_pg_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("trigger", PG_GUARDS)
async def test_each_postgresql_trigger_refuses_on_its_own_and_its_control(
    pg_log: AsyncEngine, trigger: str
) -> None:
    before = await rows(pg_log)
    other = next(t for t in PG_GUARDS if t != trigger)
    async with pg_log.begin() as conn:
        await conn.exec_driver_sql(f"DROP TRIGGER {other} ON events")
    for statement in PG_GUARDS[trigger]:
        with pytest.raises(DBAPIError) as refused:
            async with pg_log.begin() as conn:
                await conn.exec_driver_sql(statement)
        assert "events are append-only" in str(refused.value.orig), statement
        assert await rows(pg_log) == before
    # Control: with this one dropped too, each statement changes the log (rolled back).
    async with pg_log.begin() as conn:
        await conn.exec_driver_sql(f"DROP TRIGGER {trigger} ON events")
    for statement in PG_GUARDS[trigger]:
        conn = await pg_log.connect()
        try:
            await conn.exec_driver_sql(statement)
            changed = [
                r._asdict()
                for r in await conn.execute(sa.select(events).order_by(events.c.position))
            ]
            assert changed != before, statement
            await conn.rollback()
        finally:
            await conn.close()
