"""PostgreSQL: connections that come back to the pool stay open (`db.PG_POOL_SIZE`), so a
steady load of concurrent writes opens no new session once the pool holds what it needs.
With SQLAlchemy's default (5 kept, 10 overflow, the negative control), eight writers at
once overflowed it, and each connection returned beyond the fifth was closed, then opened
again for the next writes (connect, codecs, every statement prepared again)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from sqlalchemy import event

from sco_registry import db
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner
from sco_registry.store.base import NewEvent
from sco_registry.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres

WRITERS = 8
ROUNDS = 6


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "negative-control"])
async def test_concurrent_writes_open_no_new_sessions_once_warm(
    migrated_pg_url: str, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    if not kept:
        monkeypatch.setattr(db, "PG_POOL_SIZE", 5)
        monkeypatch.setattr(db, "PG_POOL_OVERFLOW", 10)
    store = SqlEventStore(db.create_engine(migrated_pg_url))
    # An attached projector (none of the models): each append is a transaction on a
    # pooled connection, as the registry's are.
    ProjectionRunner(cast(ProjectionHost, store), []).attach()
    opened: list[int] = []

    @event.listens_for(store._engine.sync_engine, "connect")
    def count(*args: Any) -> None:
        opened.append(1)

    try:
        per_round = []
        for r in range(ROUNDS):
            before = len(opened)
            await asyncio.gather(
                *(store.append(f"s-{r}-{w}", [NewEvent("A", {})]) for w in range(WRITERS))
            )
            await asyncio.gather(*(store.stream_version(f"s-{r}-{w}") for w in range(WRITERS)))
            await asyncio.sleep(0.02)  # reads pause: the kept reader and spares go back
            per_round.append(len(opened) - before)
        assert await store.head_position() == WRITERS * ROUNDS
    finally:
        await store.close()
    warm = sum(per_round[2:])
    if kept:
        assert warm == 0, per_round
    else:
        assert warm > 0, per_round
