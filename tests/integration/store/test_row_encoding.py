"""The SQL store assembles each event's canonical envelope from pieces it also stores as
JSON text: the hash must be exactly the chain's (`chain.envelope` + `canonical_json`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, Source
from sco_registry.store.chain import GENESIS_HASH, chain_hash, format_timestamp
from sco_registry.store.rows import INSERT_COLUMNS, canonical_text, encode_event
from sco_registry.store.rules import record

EVENTS = [
    NewEvent("Plain", {}),
    NewEvent("Plain", {"b": 1, "a": [1, 2.5, None, True, False], "c": {"z": {}, "y": []}}),
    NewEvent(
        'Ünïcode "quoted"\n',
        {"name": "Қазақстан", "esc": 'a"b\\c\n\t\u2028\u0001', "emoji": "🇰🇿", "f": 1e-7},
        valid_time=PartialDate.parse("2001-06"),
        schema_version=3,
        metadata={"confidence": "high", "note": None, "n": -0.5},
        sources=(Source("Treaty", "https://example.org/t?a=1&b=2"), Source(None, None)),
        actor="importer/ü",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
    ),
    NewEvent("Dated", {"x": 10**20}, valid_time=PartialDate.parse("1991-12-16")),
    NewEvent("Yearly", {"k": [{"b": 2, "a": 1}]}, valid_time=PartialDate.parse("1945")),
]


@pytest.mark.parametrize("new", EVENTS, ids=lambda e: e.type)
@pytest.mark.parametrize("stream_id", ["org/1", 'stream "ü"\n'])
def test_encoded_hash_is_the_chain_hash(new: NewEvent, stream_id: str) -> None:
    recorded_at = dt.datetime(2026, 11, 29, 17, 1, 2, 345678, tzinfo=dt.UTC)
    prev = chain_hash(GENESIS_HASH, {"any": "thing"})
    row, digest = encode_event(
        new,
        position=42,
        stream_id=stream_id,
        stream_json=canonical_text(stream_id),
        stream_version=7,
        recorded_at=recorded_at,
        recorded_text=format_timestamp(recorded_at),
        prev_hash=prev,
    )
    expected = record(
        new,
        position=42,
        stream_id=stream_id,
        stream_version=7,
        recorded_at=recorded_at,
        prev_hash=prev,
    )
    assert digest == expected.hash
    values = dict(zip(INSERT_COLUMNS, row, strict=True))
    assert values["hash"] == expected.hash
    # The JSON columns' text decodes to the values appended.
    assert json.loads(values["data"]) == new.data
    assert json.loads(values["metadata"]) == new.metadata
    assert json.loads(values["sources"]) == [s.to_json() for s in new.sources]
    assert values["valid_time"] == (None if new.valid_time is None else str(new.valid_time))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 1, 11, 59, 24, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 11, 59, 24, tzinfo=dt.UTC),  # no microseconds: still six
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999),  # naive means UTC
        dt.datetime(2000, 1, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(1000, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC),
        dt.datetime(999, 1, 1, tzinfo=dt.UTC),  # below 1000: strftime, as before
    ],
)
def test_record_time_text_is_the_strftime_form(value: dt.datetime) -> None:
    """The envelope's record time (hashed): the isoformat shortcut writes strftime's text."""
    utc = (value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value).astimezone(dt.UTC)
    assert format_timestamp(value) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
