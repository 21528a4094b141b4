"""Importing the bundled history files into SQLite and PostgreSQL gives the same events as in
memory (types, streams, data, valid times, sources), the log verifies, and a second import
appends nothing."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sco_registry.importer.cli import add_import_parser, run_import
from sco_registry.importer.load import import_files
from sco_registry.store.base import EventStore, RecordedEvent
from sco_registry.store.chain import averify_events
from sco_registry.store.memory import InMemoryEventStore

DATA = Path(__file__).parents[3] / "data"
FILES = [DATA / "sco-history-1996-2012.json", DATA / "declaration-2001.json"]


def comparable(event: RecordedEvent) -> tuple[Any, ...]:
    """What must not depend on the backend (ids, record times and hashes do)."""
    return (
        event.position,
        event.stream_id,
        event.stream_version,
        event.type,
        event.schema_version,
        json.dumps(event.data, sort_keys=True),
        None if event.valid_time is None else str(event.valid_time),
        [s.to_json() for s in event.sources],
        event.metadata.get("record_id"),
        event.metadata.get("idempotency_key"),
        event.actor,
    )


async def imported(store: EventStore) -> list[tuple[Any, ...]]:
    first = await import_files(FILES, store)
    assert first.problems == ()
    head = await store.head_position()
    assert first.events_appended == head > 0
    report = await averify_events(store.iter_all())
    assert report.ok and report.checked == head
    again = await import_files(FILES, store)
    assert again.problems == () and again.events_appended == 0
    assert again.already_imported == first.records_read
    assert await store.head_position() == head
    return [comparable(e) for e in await store.read_all()]


async def sql_store(url: str) -> AsyncIterator[EventStore]:
    from sco_registry.db import create_engine, migrate
    from sco_registry.store.sql import SqlEventStore

    await migrate(url)
    store = SqlEventStore(create_engine(url))
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[EventStore]:
    async for store in sql_store(sqlite_url):
        yield store


@pytest.fixture
async def pg_store(fresh_pg_database: str) -> AsyncIterator[EventStore]:
    async for store in sql_store(fresh_pg_database):
        yield store


async def test_sqlite_holds_the_same_events_as_memory(sqlite_store: EventStore) -> None:
    assert await imported(sqlite_store) == await imported(InMemoryEventStore())


@pytest.mark.postgres
async def test_postgresql_holds_the_same_events_as_sqlite(
    pg_store: EventStore, sqlite_store: EventStore
) -> None:
    assert await imported(pg_store) == await imported(sqlite_store)


async def test_the_import_command_on_sqlite(sqlite_store: EventStore) -> None:
    parser = argparse.ArgumentParser(prog="sco-registry")
    add_import_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["import", *map(str, FILES)])
    out = io.StringIO()
    assert await run_import(args, sqlite_store, out=out, err=io.StringIO()) == 0
    assert out.getvalue().startswith("records read: 120, events appended: ")
    out = io.StringIO()
    assert await run_import(args, sqlite_store, out=out, err=io.StringIO()) == 0
    assert out.getvalue().endswith("events appended: 0, already imported: 120, rejected: 0\n")


async def revised(store: EventStore, tmp: Path) -> list[tuple[Any, ...]]:
    """A file imported, then revised (a date, a source, a status, a meeting postponed):
    checked, accepted, accepted again; the log verifies."""
    from tests.unit.importer.importer_samples import clone, every_kind_file, record, write

    doc = every_kind_file()
    assert (await import_files([write(tmp / "v1.json", doc)], store)).ok
    head = await store.head_position()
    doc = clone(doc)
    record(doc, "meeting/heads_of_state/2009").update(start_date="2009-06-16",
                                                      end_date="2009-06-16")  # fmt: skip
    record(doc, "body/business_council")["sources"] = [{"title": "A better source"}]
    record(doc, "membership/BY/2015-07-10/status_changed")["status_after"] = "partner"
    record(doc, "meeting/heads_of_state/2021")["status"] = "postponed"
    v2 = write(tmp / "v2.json", doc)
    checked = await import_files([v2], store, accept_revisions=True, check_only=True)
    assert checked.ok and checked.revised == 4 and await store.head_position() == head
    accepted = await import_files([v2], store, accept_revisions=True)
    assert accepted.ok and accepted.events_appended == checked.events_appended == 6
    again = await import_files([v2], store, accept_revisions=True)
    assert again.ok and again.events_appended == 0 and again.revised == 0
    report = await averify_events(store.iter_all())
    assert report.ok and report.checked == head + 6
    # Ids and positions differ between runs only in the events' own ids: compare the rest.
    return [(*comparable(e)[:5], e.metadata.get("command")) for e in await store.read_all()]


async def test_revisions_on_sqlite_as_in_memory(sqlite_store: EventStore, tmp_path: Path) -> None:
    memory = await revised(InMemoryEventStore(), tmp_path)
    assert await revised(sqlite_store, tmp_path) == memory


@pytest.mark.postgres
async def test_revisions_on_postgresql_as_in_memory(pg_store: EventStore, tmp_path: Path) -> None:
    memory = await revised(InMemoryEventStore(), tmp_path)
    assert await revised(pg_store, tmp_path) == memory
