"""JSON payloads come back exactly as appended, so the hash chain verifies, on both backends:
PostgreSQL stores them as `json` (the text as written), which keeps even what jsonb would
have changed or refused (1e100, -0.0, U+0000)."""

from __future__ import annotations

import math
from typing import Any

from sco_registry.db import create_engine
from sco_registry.store.base import NewEvent, Source
from sco_registry.store.chain import verify_events
from sco_registry.store.rows import canonical_text
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
# What jsonb (revision 0001) changed or refused: 1e100 and 1e16 came back as integers, -0.0
# as 0.0, and U+0000 could not be stored; the store refused them on PostgreSQL then.
JSONB_UNFAITHFUL: list[dict[str, Any]] = [
    {"x": 1e100},
    {"x": 1e16},
    {"x": -1e300},
    {"x": -0.0},
    {"x": "a\x00b"},
    {"a\x00": ["\x00"]},
]


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


async def test_values_jsonb_would_change_round_trip_and_verify(migrated_url: str) -> None:
    store = SqlEventStore(create_engine(migrated_url))
    try:
        for data in JSONB_UNFAITHFUL:
            await store.append(
                "j",
                [
                    NewEvent(
                        "J",
                        {"wrapped": [data]},
                        metadata=data,
                        sources=[Source("a\x00b", "u\x00")],
                    )
                ],
            )
        log = await store.read_all()
        assert [e.data for e in log] == [{"wrapped": [d]} for d in JSONB_UNFAITHFUL]
        assert [e.metadata for e in log] == JSONB_UNFAITHFUL
        # Equal is not enough: 1e16 == 10**16 and -0.0 == 0.0. The types and signs must be
        # those appended, or the hash (over canonical JSON) would differ.
        for event, data in zip(log, JSONB_UNFAITHFUL, strict=True):
            assert canonical_text(event.data) == canonical_text({"wrapped": [data]})
            assert canonical_text(event.metadata) == canonical_text(data)
        assert log[3].metadata["x"] == 0.0 and math.copysign(1, log[3].metadata["x"]) < 0
        assert type(log[1].metadata["x"]) is float
        assert all(e.sources == (Source("a\x00b", "u\x00"),) for e in log)
        assert verify_events(log).ok
    finally:
        await store.close()
