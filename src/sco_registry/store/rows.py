"""Event rows: new events to insert parameters with their chain hash, and rows back to events."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from sco_registry.domain.time import PartialDate, parse_cached
from sco_registry.store import fastjson
from sco_registry.store.base import NewEvent, RecordedEvent, Source

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


# The columns whose parameter is JSON text already (`encode_event`): on both dialects the
# JSON type's bind processor would only have produced that same text.
JSON_COLUMNS = ("data", "metadata", "sources")

# `chain.canonical_json` as text: orjson where its bytes are provably the same, the
# standard library otherwise (`fastjson`).
_canonical = fastjson.canonical_text
canonical_text = _canonical


def _canonical_object(value: Any) -> str:
    return "{}" if not value and isinstance(value, dict) else _canonical(value)


_NO_VALID_TIME: tuple[None, str, None, None] = (None, "null", None, None)


# Event types, actors and valid times repeat across events: their encodings are cached.
@functools.lru_cache(maxsize=4096)
def _text_json(value: str) -> str:
    return _canonical(value)


@functools.lru_cache(maxsize=4096)
def _valid(vt: PartialDate) -> tuple[str, str, dt.date, dt.date]:
    """A valid time's text, its canonical JSON, and the first and last days it stands for."""
    text = str(vt)
    return text, _canonical(text), vt.lower, vt.upper


def _uuid_json(value: uuid.UUID) -> str:
    # A UUID's text is hex digits and dashes: nothing in it to escape.
    return f'"{value}"' if type(value) is uuid.UUID else _canonical(str(value))


class EventParts(NamedTuple):
    """What an event's row and hash are made of, before its position and stream version
    are known: the JSON columns as canonical text, and its canonical envelope cut in three
    where the position and the stream version go (`envelope_a` ends with `"position":`,
    `envelope_b` runs from the record time to `"stream_version":`, `envelope_c` is the
    rest). `envelope_a + str(position) + envelope_b + str(version) + envelope_c` is the
    envelope's canonical JSON (positions and versions are plain decimals)."""

    data: str
    metadata: str
    sources: str
    valid_time: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    envelope_a: str
    envelope_b: str
    envelope_c: str


def encode_parts(new: NewEvent, *, stream_json: str, recorded_text: str) -> EventParts:
    """`new`'s JSON columns and envelope pieces (see `EventParts`).

    Each JSON value is encoded once, canonically, and serves twice: as the column's text
    and as a piece of the canonical envelope the hash covers. The envelope is assembled
    from those pieces in sorted key order, which is byte for byte what
    `chain.canonical_json(chain.envelope(...))` produces, since a canonical object is its
    sorted members' canonical encodings (a test holds the two together). `stream_json` is
    the stream id encoded, and `recorded_text` is `chain.format_timestamp(recorded_at)`:
    the same for every event of an append, so encoded once."""
    data = _canonical_object(new.data)
    metadata = _canonical_object(new.metadata)
    sources = "[]" if not new.sources else _canonical([s.to_json() for s in new.sources])
    vt = new.valid_time
    valid_time, valid_json, valid_from, valid_to = _NO_VALID_TIME if vt is None else _valid(vt)
    actor = new.actor
    cid, caus = new.correlation_id, new.causation_id
    sv = new.schema_version
    envelope_a = "".join(
        (
            '{"actor":',
            "null" if actor is None else _text_json(actor),
            ',"causation_id":',
            "null" if caus is None else _uuid_json(caus),
            ',"correlation_id":',
            "null" if cid is None else _uuid_json(cid),
            ',"data":',
            data,
            ',"event_id":',
            _uuid_json(new.event_id),
            ',"metadata":',
            metadata,
            ',"position":',
        )
    )
    envelope_b = "".join(
        (
            ',"recorded_at":"',
            recorded_text,
            '","schema_version":',
            str(sv) if type(sv) is int else _canonical(sv),
            ',"sources":',
            sources,
            ',"stream_id":',
            stream_json,
            ',"stream_version":',
        )
    )
    envelope_c = "".join((',"type":', _text_json(new.type), ',"valid_time":', valid_json, "}"))
    return EventParts(
        data,
        metadata,
        sources,
        valid_time,
        valid_from,
        valid_to,
        envelope_a,
        envelope_b,
        envelope_c,
    )


def link_hash(prev_hash: str, parts: EventParts, position: int, stream_version: int) -> str:
    """The chain hash of an event from its parts: `chain.chain_hash` over its envelope."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(
        f"{parts.envelope_a}{position:d}{parts.envelope_b}{stream_version:d}{parts.envelope_c}".encode()
    )
    return h.hexdigest()


def encode_event(
    new: NewEvent,
    *,
    position: int,
    stream_id: str,
    stream_json: str,
    stream_version: int,
    recorded_at: dt.datetime,
    recorded_text: str,
    prev_hash: str,
) -> tuple[tuple[Any, ...], str]:
    """The insert parameters of `new` (in `INSERT_COLUMNS` order, JSON columns as text)
    and its chain hash (`encode_parts` and `link_hash`)."""
    parts = encode_parts(new, stream_json=stream_json, recorded_text=recorded_text)
    digest = link_hash(prev_hash, parts, position, stream_version)
    row = (
        position,
        new.event_id,
        stream_id,
        stream_version,
        new.type,
        new.schema_version,
        parts.data,
        parts.metadata,
        parts.valid_time,
        parts.valid_from,
        parts.valid_to,
        recorded_at,
        new.actor,
        parts.sources,
        new.correlation_id,
        new.causation_id,
        digest,
    )
    return row, digest


_UUID = uuid.UUID


# Sources repeat (the same treaty behind many facts); `Source` is immutable, so shared.
@functools.lru_cache(maxsize=4096)
def _source(title: str | None, url: str | None) -> Source:
    return Source(title, url)


# The events of one append share their record time.
@functools.lru_cache(maxsize=1024)
def _recorded_at(text: str) -> dt.datetime:
    # SQLite: SQLAlchemy's DateTime storage format (ISO 8601 with a space), no zone; the
    # store writes UTC only.
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# Valid times are days of history: tens of thousands of distinct ones in a large log (the
# benchmark's 23,000 events held over 4,096), parsed once each (`parse_cached`).
_partial_date = parse_cached


# The read queries' columns that `decode_page` converts itself, so rows come straight from
# the driver: JSON as text (cast in the query), decoded for a whole page in one parse; the
# record time; UUIDs (text on SQLite, already UUIDs from asyncpg).
READ_RAW_COLUMNS = (*JSON_COLUMNS, "recorded_at", "event_id", "correlation_id", "causation_id")
_decode_json = fastjson.loads
_new = object.__new__
_set = object.__setattr__
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def _uuid(value: Any) -> Any:
    """A UUID column as the driver gives it: asyncpg's UUIDs as they are; SQLite's text
    (SQLAlchemy's `Uuid` stores 32 hex digits) built without `UUID.__init__`'s parsing,
    to the same value (`UUID(hex)`; anything else goes through `UUID` itself)."""
    if type(value) is not str:
        return value
    if len(value) == 32 and value.isalnum():
        # 32 letters or digits: `int(value, 16)` takes them or raises as `UUID` would,
        # and the value fits 128 bits (no sign, no underscore, no space).
        u = _new(_UUID)
        _set(u, "int", int(value, 16))
        _set(u, "is_safe", _SAFE_UNKNOWN)
        return u
    return _UUID(value)


def decode_page(rows: Sequence[Sequence[Any]]) -> list[RecordedEvent]:
    """Rows of the read queries (`READ_RAW_COLUMNS` as the driver gives them) to events.

    The JSON of the whole page is parsed in one call: one C-level scan of a JSON array of
    every row's data, metadata and sources, instead of three parser calls per row."""
    texts: list[str] = []
    for row in rows:
        texts += (row[6], row[7], row[11])
    values = _decode_json("[" + ",".join(texts) + "]") if texts else []
    out: list[RecordedEvent] = []
    append = out.append
    for i, row in enumerate(rows):
        recorded_at = row[9]
        if type(recorded_at) is str:
            recorded_at = _recorded_at(recorded_at)
        elif recorded_at.tzinfo is None:
            recorded_at = recorded_at.replace(tzinfo=dt.UTC)
        valid_time = row[8]
        sources = values[3 * i + 2]
        event_id, cid, caus = row[1], row[12], row[13]
        append(
            RecordedEvent(
                position=row[0],
                event_id=event_id if type(event_id) is not str else _uuid(event_id),
                stream_id=row[2],
                stream_version=row[3],
                type=row[4],
                schema_version=row[5],
                data=values[3 * i],
                metadata=values[3 * i + 1],
                valid_time=None if valid_time is None else _partial_date(valid_time),
                recorded_at=recorded_at,
                actor=row[10],
                sources=tuple([_source(s.get("title"), s.get("url")) for s in sources])
                if sources
                else (),
                correlation_id=cid if type(cid) is not str else _uuid(cid),
                causation_id=caus if type(caus) is not str else _uuid(caus),
                hash=row[14],
            )
        )
    return out


def utc(value: dt.datetime) -> dt.datetime:
    # Naive means UTC, as in the hash envelope; SQLite stores no zone, so store UTC only.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
