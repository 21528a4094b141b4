"""Properties (a), (b) and (c) of issue 6 on PostgreSQL, with fewer examples than on SQLite
(test_prop_import.py): a database per example, copied from one migrated template."""

from __future__ import annotations

import asyncio
import collections
import random
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.importer.load import import_files
from sco_registry.store.base import EventStore
from tests.pg import admin_execute, run_in_thread, with_database
from tests.property import support
from tests.property.test_prop_import import check_imports
from tests.strategies.hypothesis import History, histories
from tests.strategies.split import split_records

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """A migrated, empty database to copy (CREATE DATABASE ... TEMPLATE) for each example."""
    from sco_registry.db import migrate

    name = f"sco_prop_tpl_{uuid.uuid4().hex[:8]}"
    run_in_thread(admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    url = with_database(pg_server_url, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    run_in_thread(migrate(url))
    try:
        yield name
    finally:
        run_in_thread(
            admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@asynccontextmanager
async def pg_copy(server: str, template: str) -> AsyncIterator[EventStore]:
    from sco_registry.db import create_engine
    from sco_registry.store.sql import SqlEventStore

    name = f"sco_prop_{uuid.uuid4().hex[:8]}"
    await admin_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = with_database(server, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    store = SqlEventStore(create_engine(url))
    try:
        yield store
    finally:
        await store.close()
        await admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@support.examples(ci=3)
@given(history=histories(max_years=support.years(2), max_files=3))
def test_generated_histories_import_on_postgresql(
    history: History, pg_server_url: str, pg_template: str
) -> None:
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with pg_copy(pg_server_url, pg_template) as store:
                await check_imports(history, store, Path(tmp), backend="PostgreSQL")

    asyncio.run(run())


@support.examples(ci=2)
@given(
    history=histories(max_years=support.years(1), max_files=1, shuffle=False),
    cut=st.integers(0, 2**32),
)
def test_records_cut_into_files_give_the_same_events_on_postgresql(
    history: History, cut: int, pg_server_url: str, pg_template: str
) -> None:
    (whole,) = history.files
    parts = split_records(whole["records"], 3, random.Random(cut))
    files = [{**whole, "records": part} for part in parts]

    async def events(commands: list[list[Path]]) -> list[object]:
        async with pg_copy(pg_server_url, pg_template) as store:
            for paths in commands:
                assert (await import_files(paths, store)).problems == ()
            return [support.comparable(e) for e in await store.read_all()]

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            one = support.write_files([whole], Path(tmp) / "one", backend="PostgreSQL")
            many = support.write_files(files, Path(tmp) / "many", backend="PostgreSQL")
            single = await events([one])
            assert await events([many]) == single
            apart = await events([[p] for p in many])
            assert collections.Counter(apart) == collections.Counter(single)

    asyncio.run(run())
