"""JSON payloads come back exactly as appended, so the hash chain verifies; what PostgreSQL's
jsonb cannot keep is refused at append time there, never discovered later by `verify`."""

from __future__ import annotations

from typing import Any

import pytest

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent, Source
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import StoreError
from sco_registry.store.sql import SqlEventStore

FAITHFUL: list[dict[str, Any]] = [
    {"x": 1.0},
    {"x": 0.1},
    {"x": 1e-7},
    {"x": 9999999999999998.0},
    {"x": 2**70},
    {"x": -0},
    {"x": "é \u2028 ☃"},
    {"nested": {"list": [1, 2.5, None, True, "s"], "empty": {}}, "b": []},
]
# jsonb turns 1e100 into an integer and -0.0 into 0.0, and refuses U+0000.
UNFAITHFUL: list[dict[str, Any]] = [{"x": 1e100}, {"x": 1e16}, {"x": -0.0}, {"x": "a\x00b"}]


async def test_payloads_round_trip_and_verify(migrated_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        for data in FAITHFUL:
            await store.append("j", [NewEvent("J", data, metadata=data, sources=[Source("t")])])
        log = await store.read_all()
        assert [e.data for e in log] == FAITHFUL
        assert [e.metadata for e in log] == FAITHFUL
        assert verify_events(log).ok
    finally:
        await store.close()


async def test_unfaithful_values_are_refused_on_postgresql_kept_on_sqlite(
    migrated_url: str,
) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        for data in UNFAITHFUL:
            if store._postgres:
                with pytest.raises(StoreError) as refused:
                    await store.append("j", [NewEvent("J", {"wrapped": [data]})])
                assert refused.value.code == "store.value_not_storable"
            else:
                await store.append("j", [NewEvent("J", {"wrapped": [data]})])
        log = await store.read_all()
        assert len(log) == (0 if store._postgres else len(UNFAITHFUL))
        assert verify_events(log).ok
    finally:
        await store.close()
