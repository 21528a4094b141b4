"""The database itself refuses to change or remove recorded events (triggers from the
migration), on SQLite and PostgreSQL; without the triggers the same statements would work."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.schema import events
from sco_registry.store.sql import SqlEventStore

COLUMNS = (
    "position, event_id, stream_id, stream_version, event_type, schema_version, data, "
    "metadata, valid_time, valid_from, valid_to, recorded_at, actor, sources, "
    "correlation_id, causation_id, hash"
)
# The same row again, with one field changed: the shape of a rewrite through INSERT.
_CHANGED = COLUMNS.replace("actor", "'mallory'")
COPY_OF_FIRST = f"SELECT {_CHANGED} FROM events WHERE position = 1"

COMMON = {
    "update": "UPDATE events SET actor = 'mallory' WHERE position = 1",
    "delete one": "DELETE FROM events WHERE position = 2",
    "delete all": "DELETE FROM events",
    "upsert": f"INSERT INTO events ({COLUMNS}) {COPY_OF_FIRST} "
    "ON CONFLICT (position) DO UPDATE SET actor = 'mallory'",
}
FORBIDDEN = {
    "sqlite": {
        **COMMON,
        "insert or replace": f"INSERT OR REPLACE INTO events ({COLUMNS}) {COPY_OF_FIRST}",
        "replace": f"REPLACE INTO events ({COLUMNS}) {COPY_OF_FIRST}",
    },
    "postgresql": {**COMMON, "truncate": "TRUNCATE events"},
}
DROP_TRIGGERS = {
    "sqlite": [
        f"DROP TRIGGER {name}"
        for name in (
            "events_refuse_update",
            "events_refuse_delete",
            "events_guard_position",
            "events_guard_event_id",
            "events_guard_stream_version",
        )
    ],
    "postgresql": [
        "DROP TRIGGER events_refuse_update_delete ON events",
        "DROP TRIGGER events_refuse_truncate ON events",
    ],
}


async def rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(f"SELECT {COLUMNS} FROM events ORDER BY position")
        return [tuple(r) for r in result]


async def log_with_three_events(url: str) -> tuple[AsyncEngine, str]:
    store = SqlEventStore(create_engine(url))
    try:
        for n in range(3):
            await store.append(f"s-{n % 2}", [NewEvent("Thing", {"n": n}, actor="alice")])
    finally:
        await store.close()
    engine = create_engine(url)
    return engine, engine.dialect.name


async def test_changes_to_recorded_events_are_refused(migrated_url: str) -> None:
    engine, dialect = await log_with_three_events(migrated_url)
    try:
        before = await rows(engine)
        assert len(before) == 3
        for name, statement in FORBIDDEN[dialect].items():
            with pytest.raises(DBAPIError) as refused:
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(statement)
            assert "events are append-only" in str(refused.value.orig), name
            assert await rows(engine) == before, name
    finally:
        await engine.dispose()


async def test_the_same_statements_work_without_the_triggers(migrated_url: str) -> None:
    """The control: proves the statements above would change the table if not refused."""
    engine, dialect = await log_with_three_events(migrated_url)
    try:
        before = await rows(engine)
        async with engine.begin() as conn:
            for statement in DROP_TRIGGERS[dialect]:
                await conn.exec_driver_sql(statement)
        for name, statement in FORBIDDEN[dialect].items():
            conn = await engine.connect()
            try:
                await conn.exec_driver_sql(statement)
                changed = [
                    tuple(r)
                    for r in await conn.exec_driver_sql(
                        f"SELECT {COLUMNS} FROM events ORDER BY position"
                    )
                ]
                assert changed != before, name
                await conn.rollback()
            finally:
                await conn.close()
            assert await rows(engine) == before, name
    finally:
        await engine.dispose()


async def test_store_reports_a_duplicate_event_id_not_a_raw_database_error(
    migrated_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        same = uuid.uuid4()
        await store.append("a", [NewEvent("Thing", {}, event_id=same)])
        with pytest.raises(Exception) as refused:
            await store.append("b", [NewEvent("Thing", {}, event_id=same)])
        assert getattr(refused.value, "code", None) == "store.duplicate_event_id"
        assert await store.head_position() == 1
    finally:
        await store.close()


async def test_the_guards_let_a_new_event_through(migrated_url: str) -> None:
    """The insert guards refuse only an existing position, event id or stream version: a
    new row written by hand (a copy with those three changed) goes in."""
    store = SqlEventStore(create_engine(migrated_url))
    engine = create_engine(migrated_url)
    try:
        await store.append("a", [NewEvent("Thing", {"n": 1})])
        async with engine.begin() as conn:
            first = (await conn.execute(sa.select(events))).one()._asdict()
            await conn.execute(
                events.insert(),
                {**first, "position": 2, "event_id": uuid.uuid4(), "stream_version": 2},
            )
        assert [e.stream_version for e in await store.read_stream("a")] == [1, 2]
    finally:
        await engine.dispose()
        await store.close()
