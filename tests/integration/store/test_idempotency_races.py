"""Concurrent retries of one idempotent append, through separate engines, write it once."""

from __future__ import annotations

import asyncio

import pytest

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent
from sco_registry.store.errors import IdempotencyConflict
from sco_registry.store.sql import SqlEventStore


def batch(n: int) -> list[NewEvent]:
    return [NewEvent("Admitted", {"member": "KZ", "n": n}), NewEvent("Noted", {"n": n})]


async def test_concurrent_retries_append_once(migrated_url: str) -> None:
    stores = [SqlEventStore(create_engine(migrated_url)) for _ in range(6)]
    try:
        results = await asyncio.gather(
            *(s.append("member-KZ", batch(1), idempotency_key="admit-KZ") for s in stores)
        )
        assert sum(not r.replayed for r in results) == 1
        assert {(r.first_position, r.last_position) for r in results} == {(1, 2)}
        assert {tuple(r.stream_versions.items()) for r in results} == {(("member-KZ", 2),)}
        assert await stores[0].head_position() == 2
        with pytest.raises(IdempotencyConflict):
            await stores[1].append("member-KZ", batch(2), idempotency_key="admit-KZ")
        assert await stores[0].head_position() == 2
    finally:
        for s in stores:
            await s.close()
