"""Append rules every store applies the same way: expected versions, idempotency fingerprints,
and the building of a recorded event with its chain hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sco_registry.store.base import (
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
)
from sco_registry.store.chain import canonical_json, chain_hash, envelope
from sco_registry.store.errors import StoreError, WrongExpectedVersion


def check_expected(stream_id: str, expected: ExpectedVersion, actual: int) -> None:
    """Raise WrongExpectedVersion unless `actual` (0 = no stream) satisfies `expected`."""
    if expected is StreamState.ANY:
        return
    if expected is StreamState.NO_STREAM:
        ok = actual == 0
    elif expected is StreamState.STREAM_EXISTS:
        ok = actual > 0
    else:
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
            raise StoreError(
                f"invalid expected version {expected!r}", code="store.invalid_expected_version"
            )
        ok = actual == expected
    if not ok:
        raise WrongExpectedVersion(stream_id, expected, actual if actual > 0 else None)


def expected_code(expected: ExpectedVersion) -> int:
    """`expected` as the PostgreSQL append function takes it: -1 any, -2 no stream, -3 the
    stream exists, n >= 0 exactly version n (an invalid value is refused here)."""
    if expected is StreamState.ANY:
        return -1
    if expected is StreamState.NO_STREAM:
        return -2
    if expected is StreamState.STREAM_EXISTS:
        return -3
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise StoreError(
            f"invalid expected version {expected!r}", code="store.invalid_expected_version"
        )
    return expected


def validate_batches(batches: Sequence[StreamAppend]) -> None:
    if not batches or all(not b.events for b in batches):
        raise StoreError("nothing to append", code="store.empty_append")
    seen: set[str] = set()
    for b in batches:
        if not b.stream_id:
            raise StoreError("a stream id must not be empty", code="store.invalid_stream_id")
        if b.stream_id in seen:
            raise StoreError(
                f"stream {b.stream_id!r} appears twice in one append",
                code="store.duplicate_stream_in_append",
            )
        seen.add(b.stream_id)


def fingerprint(batches: Sequence[StreamAppend]) -> str:
    """What an idempotent append is about: streams, expectations, types, data, valid time,
    sources. Event ids, record time and actor-level metadata of a retry may differ.

    Batches with no events (checks of streams the writer read) are left out: they write
    nothing, and a retry that read those streams at other versions is the same append."""
    parts = [
        {
            "stream_id": b.stream_id,
            "expected": str(b.expected),
            "events": [
                {
                    "type": e.type,
                    "schema_version": e.schema_version,
                    "data": e.data,
                    "valid_time": None if e.valid_time is None else str(e.valid_time),
                    "sources": [s.to_json() for s in e.sources],
                }
                for e in b.events
            ],
        }
        for b in batches
        if b.events
    ]
    return hashlib.sha256(canonical_json(parts)).hexdigest()


def record(
    new: NewEvent,
    *,
    position: int,
    stream_id: str,
    stream_version: int,
    recorded_at: dt.datetime,
    prev_hash: str,
    chained: bool = True,
) -> RecordedEvent:
    """The recorded form of `new`, with its hash chained to `prev_hash` (`chained` False:
    an empty hash, for a scratch log nobody verifies)."""
    env = (
        None
        if not chained
        else envelope(
            position=position,
            event_id=new.event_id,
            stream_id=stream_id,
            stream_version=stream_version,
            type=new.type,
            schema_version=new.schema_version,
            data=new.data,
            metadata=new.metadata,
            valid_time=new.valid_time,
            recorded_at=recorded_at,
            actor=new.actor,
            sources=new.sources,
            correlation_id=new.correlation_id,
            causation_id=new.causation_id,
        )
    )
    return RecordedEvent(
        position=position,
        event_id=new.event_id,
        stream_id=stream_id,
        stream_version=stream_version,
        type=new.type,
        schema_version=new.schema_version,
        data=new.data,
        metadata=new.metadata,
        valid_time=new.valid_time,
        recorded_at=recorded_at,
        actor=new.actor,
        sources=tuple(new.sources),
        correlation_id=new.correlation_id,
        causation_id=new.causation_id,
        hash="" if env is None else chain_hash(prev_hash, env),
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
