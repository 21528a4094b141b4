"""SQLite's swap renames the scratch tables into the live ones (no row copied): afterwards
the schema is the Alembic revisions' exactly (tables, constraint and index names, columns),
no scratch table is left, and the rows are the inline ones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from sco_registry.db import create_engine, migrate
from sco_registry.projections import runner as runner_module
from sco_registry.projections.runner import ProjectionRunner
from sco_registry.store.sql import SqlEventStore
from tests.integration.projections.models_support import all_rows, import_generated, runner
from tests.integration.store.test_migrations import check_migrated


def _schema(conn: Connection) -> list[tuple[Any, ...]]:
    found = conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    )
    # ALTER TABLE ... RENAME quotes the new name in the statement it keeps: nothing else.
    return [
        (kind, name, table, re.sub(r'^CREATE TABLE "(\w+)"', r"CREATE TABLE \1", sql or ""))
        for kind, name, table, sql in found
    ]


async def _rows(r: ProjectionRunner) -> dict[str, Any]:
    return {p.name: await all_rows(r, p.tables) for p in r.projections}


@pytest.mark.parametrize("control", [False, True], ids=["swap", "negative-control"])
async def test_a_sqlite_rebuild_keeps_the_alembic_schema(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, control: bool
) -> None:
    await migrate(sqlite_url)
    store = SqlEventStore(create_engine(sqlite_url))
    try:
        r = runner(store)
        await import_generated(store, 7)
        before = await r.read(_schema)
        inline = await _rows(r)
        if control:  # scratch tables from the code's definitions, not the schema's statements
            monkeypatch.setattr(
                runner_module,
                "_recreate_like_live",
                lambda conn, live, tables: runner_module._recreate(conn, tables),
            )
        await r.rebuild()
        after = await r.read(_schema)
        if control:
            assert after != before
            return
        assert after == before
        assert not [row for row in after if "__rebuild" in row[1]]
        assert await _rows(r) == inline
        assert all(report.ok for report in await r.verify())
        await r.rebuild()  # from the renamed tables' statements (their names quoted) too
        assert await r.read(_schema) == before
        assert await _rows(r) == inline
    finally:
        await store.close()
    await check_migrated(sqlite_url)


def _last_analyzed(conn: Connection) -> dict[str, Any]:
    found = conn.exec_driver_sql(
        "SELECT relname, last_analyze FROM pg_stat_user_tables"
        " WHERE relname IN ('meetings_rows', 'documents_rows', 'timeline_facts')"
    )
    return dict(found.all())


@pytest.mark.postgres
@pytest.mark.parametrize("control", [False, True], ids=["swap", "negative-control"])
async def test_a_postgresql_rebuild_analyzes_the_tables_it_refills(
    pg_clone_url: str, monkeypatch: pytest.MonkeyPatch, control: bool
) -> None:
    """The planner has the new rows' statistics from the swap on (`runner._analyze`):
    unanalyzed, the page of 100 meetings was planned as a full scan and sort."""
    store = SqlEventStore(create_engine(pg_clone_url))
    try:
        r = runner(store)
        await import_generated(store, 7)
        before = await r.read(_last_analyzed)
        assert set(before) == {"meetings_rows", "documents_rows", "timeline_facts"}
        assert all(v is None for v in before.values())  # nothing ran ANALYZE by hand yet
        if control:
            monkeypatch.setattr(runner_module, "_analyze", lambda conn, live: None)
        await r.rebuild()
        after = await r.read(_last_analyzed)
        if control:
            assert all(v is None for v in after.values())
            return
        assert all(v is not None for v in after.values()), after
        tuples = await r.read(
            lambda conn: conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'meetings_rows'"
            ).scalar_one()
        )
        assert tuples > 0
    finally:
        await store.close()
