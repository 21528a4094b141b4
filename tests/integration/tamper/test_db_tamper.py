"""Tamper evidence in the database: a table owner drops the append-only triggers and edits
the log; `verify` names the first broken position. Each case has the untouched control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sco_registry.cli import main
from sco_registry.db import create_engine, migrate
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, Source
from sco_registry.store.chain import averify_events
from sco_registry.store.sql import SqlEventStore
from tests.pg import run_in_thread

Tamper = Callable[[AsyncConnection], Awaitable[None]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "fresh_pg_database"
    url: str = request.getfixturevalue(fixture)
    return url


async def fill_and_unguard(db_url: str) -> None:
    """Six events in two streams, then the append-only triggers dropped or disabled."""
    await migrate(db_url)
    store = SqlEventStore(create_engine(db_url))
    for i in range(1, 7):
        await store.append(
            f"stream-{i % 2}",
            [
                NewEvent(
                    type="Recorded",
                    data={"n": i},
                    valid_time=PartialDate.parse("2002-06-07"),
                    sources=(Source(title="Charter, Art. 1"),),
                )
            ],
        )
    await store.close()
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            # What a table owner can do; the triggers are the only thing in the way.
            if conn.dialect.name == "sqlite":
                names = (
                    await conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'"
                    )
                ).scalars()
                for name in list(names):
                    await conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            else:
                await conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER USER")
    finally:
        await engine.dispose()


@pytest.fixture
async def filled(db_url: str) -> AsyncIterator[AsyncEngine]:
    await fill_and_unguard(db_url)
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def broken_at(engine: AsyncEngine) -> int | None:
    store = SqlEventStore(engine)
    report = await averify_events(store.iter_all())
    return report.broken_at


async def move(conn: AsyncConnection, old: int, new: int) -> None:
    await conn.execute(
        sa.text("UPDATE events SET position = :new WHERE position = :old"),
        {"new": new, "old": old},
    )


async def change_payload(conn: AsyncConnection) -> None:
    cast = "CAST(:d AS JSON)" if conn.dialect.name == "postgresql" else ":d"
    await conn.execute(
        sa.text(f"UPDATE events SET data = {cast} WHERE position = 3"), {"d": '{"n": 333}'}
    )


async def cut_off_the_end(conn: AsyncConnection) -> None:
    await conn.execute(sa.text("DELETE FROM events WHERE position > 4"))


async def delete_event(conn: AsyncConnection) -> None:
    await conn.execute(sa.text("DELETE FROM events WHERE position = 3"))


async def delete_and_renumber(conn: AsyncConnection) -> None:
    await delete_event(conn)
    for p in range(4, 7):
        await move(conn, p, p - 1)


async def swap_events(conn: AsyncConnection) -> None:
    await move(conn, 3, -1)
    await move(conn, 4, 3)
    await move(conn, -1, 4)


async def insert_event(conn: AsyncConnection) -> None:
    for p in range(6, 2, -1):
        await move(conn, p, p + 1)
    new_id = (
        "gen_random_uuid()" if conn.dialect.name == "postgresql" else "lower(hex(randomblob(16)))"
    )
    columns = (
        "event_type, schema_version, data, metadata, valid_time, valid_from, valid_to, "
        "recorded_at, actor, sources, correlation_id, causation_id, hash"
    )
    await conn.execute(
        sa.text(
            f"INSERT INTO events (position, event_id, stream_id, stream_version, {columns}) "
            f"SELECT 3, {new_id}, 'forged', 1, {columns} FROM events WHERE position = 2"
        )
    )


CASES: list[tuple[str, Tamper, int]] = [
    ("changed payload", change_payload, 3),
    ("deleted event", delete_event, 3),
    ("deleted and renumbered", delete_and_renumber, 3),
    ("swapped events", swap_events, 3),
    ("inserted event", insert_event, 3),
]


async def test_untouched_log_verifies(filled: AsyncEngine) -> None:
    assert await broken_at(filled) is None


@pytest.mark.parametrize(("name", "tamper", "position"), CASES, ids=[c[0] for c in CASES])
async def test_tampering_is_caught_at_the_right_position(
    filled: AsyncEngine, name: str, tamper: Tamper, position: int
) -> None:
    assert await broken_at(filled) is None  # control: intact before
    async with filled.begin() as conn:
        await tamper(conn)
    assert await broken_at(filled) == position, name


async def test_events_cut_off_the_end_are_caught_only_against_a_head_kept_elsewhere(
    filled: AsyncEngine,
) -> None:
    """A log cut short is a valid chain of fewer events: only a head hash kept elsewhere
    (`verify --head`) shows what is missing. Control: the untouched log passes the check
    with that same head."""
    intact = await averify_events(SqlEventStore(filled).iter_all())
    assert intact.ok and intact.checked == 6
    head = intact.head_hash
    assert (await averify_events(SqlEventStore(filled).iter_all(), expected_head=head)).ok
    async with filled.begin() as conn:
        await cut_off_the_end(conn)
    shortened = await averify_events(SqlEventStore(filled).iter_all())
    assert shortened.ok and shortened.checked == 4  # the chain alone cannot tell
    against_head = await averify_events(SqlEventStore(filled).iter_all(), expected_head=head)
    assert not against_head.ok
    assert against_head.broken_at == 4 and against_head.checked == 4
    assert against_head.reason is not None and head in against_head.reason


def test_cli_verify_head_against_the_database(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`verify --head` on the database itself (not an export), on SQLite and PostgreSQL:
    the untouched log passes with its head (the control); cut short, it passes without
    `--head` and fails with it; changed inside, it fails either way at that position."""
    run_in_thread(fill_and_unguard(db_url))
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", db_url)
    assert main(["verify"]) == 0
    head = capsys.readouterr().out.split("head ")[-1].strip()
    assert main(["verify", "--head", head]) == 0
    assert "6 events, chain intact" in capsys.readouterr().out

    run_in_thread(tamper_with(db_url, cut_off_the_end))
    assert main(["verify"]) == 0
    assert "4 events, chain intact" in capsys.readouterr().out
    assert main(["verify", "--head", head]) == 1
    err = capsys.readouterr().err
    assert "BROKEN" in err and f"differs from the expected {head}" in err

    run_in_thread(tamper_with(db_url, change_payload))
    assert main(["verify", "--head", head]) == 1
    assert "first broken position 3" in capsys.readouterr().err


async def tamper_with(db_url: str, tamper: Tamper) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await tamper(conn)
    finally:
        await engine.dispose()


def test_cli_verify_database_exit_codes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", sqlite_url)
    assert main(["migrate"]) == 0

    async def fill() -> None:
        store = SqlEventStore(create_engine(sqlite_url))
        await store.append("s", [NewEvent(type="Recorded", data={"n": i}) for i in range(3)])
        await store.close()

    asyncio.run(fill())
    assert main(["verify"]) == 0
    engine = create_engine(sqlite_url)

    async def tamper() -> None:
        async with engine.begin() as conn:
            names = (
                await conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'"
                )
            ).scalars()
            for n in list(names):
                await conn.exec_driver_sql(f'DROP TRIGGER "{n}"')
            await conn.exec_driver_sql("UPDATE events SET actor = 'mallory' WHERE position = 2")
        await engine.dispose()

    asyncio.run(tamper())
    assert main(["verify"]) == 1
    assert "first broken position 2" in capsys.readouterr().err


def test_export_then_verify_offline(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", sqlite_url)
    assert main(["migrate"]) == 0

    async def fill() -> None:
        store = SqlEventStore(create_engine(sqlite_url))
        for i in range(5):
            await store.append(f"s{i}", [NewEvent(type="Recorded", data={"n": i})])
        await store.close()

    asyncio.run(fill())
    out = f"{tmp_path}/log.ndjson"
    assert main(["export-events", "--out", out]) == 0
    assert main(["verify", "--file", out]) == 0
