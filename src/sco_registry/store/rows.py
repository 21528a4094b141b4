"""Rows of the SQL event log: recorded events to insert parameters and back, and the values
PostgreSQL's jsonb could not give back as written."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from typing import Any

from sco_registry.domain.time import PartialDate
from sco_registry.store.base import RecordedEvent, Source, StreamAppend
from sco_registry.store.errors import StoreError

# The columns `insert_row` fills, in its order.
INSERT_COLUMNS = (
    "position",
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "valid_time",
    "valid_from",
    "valid_to",
    "recorded_at",
    "actor",
    "sources",
    "correlation_id",
    "causation_id",
    "hash",
)


@functools.lru_cache(maxsize=4096)
def _partial_date(text: str) -> PartialDate:
    return PartialDate.parse(text)


def decode(row: Sequence[Any]) -> RecordedEvent:
    (
        position,
        event_id,
        stream_id,
        stream_version,
        event_type,
        schema_version,
        data,
        metadata,
        valid_time,
        recorded_at,
        actor,
        sources,
        correlation_id,
        causation_id,
        hash_,
    ) = row
    if recorded_at.tzinfo is None:  # SQLite keeps no zone; the store writes UTC.
        recorded_at = recorded_at.replace(tzinfo=dt.UTC)
    return RecordedEvent(
        position=position,
        event_id=event_id,
        stream_id=stream_id,
        stream_version=stream_version,
        type=event_type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
        valid_time=None if valid_time is None else _partial_date(valid_time),
        recorded_at=recorded_at,
        actor=actor,
        sources=tuple(Source(s.get("title"), s.get("url")) for s in sources),
        correlation_id=correlation_id,
        causation_id=causation_id,
        hash=hash_,
    )


def insert_row(event: RecordedEvent) -> dict[str, Any]:
    vt = event.valid_time
    return {
        "position": event.position,
        "event_id": event.event_id,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "valid_time": None if vt is None else str(vt),
        "valid_from": None if vt is None else vt.lower,
        "valid_to": None if vt is None else vt.upper,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "sources": [s.to_json() for s in event.sources],
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "hash": event.hash,
    }


def check_jsonb_faithful(batches: Sequence[StreamAppend]) -> None:
    """Refuse what jsonb would not give back as written, before it is hashed and stored.

    jsonb keeps numbers as `numeric`: a float written in exponent form (|x| >= 1e16, such
    as 1e+100) comes back as an integer, and -0.0 as 0.0; it also refuses U+0000 in strings.
    The chain hash covers the values as appended, so such an event would later fail `verify`
    as if tampered with. Refused loudly here instead (SQLite's JSON text keeps them)."""
    for b in batches:
        for new in b.events:
            stack: list[Any] = [new.data, new.metadata, [s.to_json() for s in new.sources]]
            while stack:
                value = stack.pop()
                if isinstance(value, str):
                    bad = "\x00" in value
                elif isinstance(value, float):
                    bad = abs(value) >= 1e16 or (value == 0 and math.copysign(1, value) < 0)
                elif isinstance(value, dict):
                    stack.extend(value)
                    stack.extend(value.values())
                    continue
                elif isinstance(value, list | tuple):
                    stack.extend(value)
                    continue
                else:
                    continue
                if bad:
                    raise StoreError(
                        f"event {new.event_id}: {value!r} cannot be stored faithfully in "
                        "PostgreSQL jsonb (floats of 1e16 or more, -0.0, U+0000)",
                        code="store.value_not_storable",
                        details={"event_id": str(new.event_id), "stream_id": b.stream_id},
                    )


def utc(value: dt.datetime) -> dt.datetime:
    # Naive means UTC, as in the hash envelope; SQLite stores no zone, so store UTC only.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
