"""PostgreSQL: the append's head query tries the append lock in the same statement, so its
snapshot may predate a commit made just before the lock was got. Such a stale head must
never be written on: the INSERT fails on a unique constraint, and the append is retried
with the lock taken first and the head read afresh (see `SqlEventStore._append_in`)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Connection

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import WrongExpectedVersion
from sco_registry.store.sql import SqlEventStore
from sco_registry.store.statements import DriverStatement

pytestmark = pytest.mark.postgres


class StaleOnce:
    """The head query, answering its first call with the head as an earlier snapshot saw
    it: as if an append had committed after the statement started, before the lock."""

    def __init__(self, stale: dict[int, Any]) -> None:
        self.stale = stale
        self.real: DriverStatement | None = None
        self.calls = 0

    def fetch_one(self, conn: Connection, values: Any) -> tuple[Any, ...]:
        assert self.real is not None
        self.calls += 1
        row = list(self.real.fetch_one(conn, values))
        if self.calls == 1:
            assert row[-1] is True  # the try got the lock: the fast path
            for i, value in self.stale.items():
                row[i] = value
        return tuple(row)


def make_stale(store: SqlEventStore, stale: dict[int, Any]) -> StaleOnce:
    """Test-only: the store's head query answers stale once (columns by index)."""
    head = StaleOnce(stale)
    real_driver = store._driver

    def driver(kind: str, conn: Connection, *shape: Any) -> Any:
        found = real_driver(kind, conn, *shape)
        if kind != "head":
            return found
        head.real = found
        return head

    store._driver = driver  # type: ignore[method-assign]
    return head


async def test_a_stale_head_is_retried_never_written(migrated_pg_url: str) -> None:
    first = SqlEventStore(create_engine(migrated_pg_url))
    second = SqlEventStore(create_engine(migrated_pg_url))
    try:
        await first.append("s", [NewEvent("One", {})])
        [one] = await first.read_all()
        await first.append("s", [NewEvent("Two", {})])
        # The second store's first head read misses "Two": head 1, hash of "One", s at 1.
        head = make_stale(second, {0: 1, 1: one.hash, 2: 1})
        result = await second.append("t", [NewEvent("Three", {})])
        assert head.calls == 2  # the stale read, then the retry's fresh one
        assert (result.first_position, result.last_position) == (3, 3)
        log = await first.read_all()
        assert [e.type for e in log] == ["One", "Two", "Three"]
        assert verify_events(log).ok
    finally:
        await first.close()
        await second.close()


async def test_a_stale_head_cannot_pass_an_expected_version(migrated_pg_url: str) -> None:
    first = SqlEventStore(create_engine(migrated_pg_url))
    second = SqlEventStore(create_engine(migrated_pg_url))
    try:
        await first.append("s", [NewEvent("One", {})])
        [one] = await first.read_all()
        await first.append("s", [NewEvent("Two", {})])
        # Stale: s looks like version 1, so expecting 1 passes the check on the stale read.
        head = make_stale(second, {0: 1, 1: one.hash, 2: 1})
        with pytest.raises(WrongExpectedVersion) as conflict:
            await second.append("s", [NewEvent("Three", {})], 1)
        assert head.calls == 2
        assert conflict.value.actual == 2
        assert [e.type for e in await first.read_all()] == ["One", "Two"]
    finally:
        await first.close()
        await second.close()
