"""The read side's write machinery on its own: `statements.write_rows` / `update_rows` (the
unit's rows on the DBAPI cursor) write what SQLAlchemy's `execute` writes; the canonical
fingerprint and the record models' source keys fall back to the standard library alike;
a kept stream's tail joins it when it is read; the held events of an uncorrected stream
are those `effective` gives; the runner's page leaves the garbage collector as it was."""

from __future__ import annotations

import datetime as dt
import gc
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from sco_registry.domain.folding import StoredEvent, effective
from sco_registry.projections import bitemporal, derived, records, runner, statements, streams
from sco_registry.projections import unit as units
from sco_registry.store.base import RecordedEvent


def _table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("k", sa.Text(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.Column("doc", sa.JSON(), nullable=True),
        sa.Column("recorded_to", sa.Integer(), nullable=True),
    )


ROWS: list[dict[str, Any]] = [
    {"k": "a", "n": 1, "flag": True, "doc": {"b": [1, "é", None], "a": {}}},
    {"k": "b", "n": None, "flag": None, "doc": None},  # JSON None: stored as JSON null
    {"k": "c", "n": 2, "flag": False, "doc": {"big": 2**70}},  # orjson refuses: stdlib
    {"k": "d", "doc": [1.5, "x"]},  # other columns: a group of its own, defaults NULL
    {"k": "e", "n": 3, "flag": True, "doc": "text"},
]


def _stored(conn: sa.Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    raw = sa.text(f"SELECT k, n, flag, doc, typeof(doc), recorded_to FROM {table.name} ORDER BY k")
    return [tuple(r) for r in conn.execute(raw)]


def test_write_rows_and_update_rows_store_what_sqlalchemy_stores() -> None:
    engine = sa.create_engine("sqlite://")
    metadata = sa.MetaData()
    mine, theirs = _table(metadata, "mine"), _table(metadata, "theirs")
    with engine.begin() as conn:
        metadata.create_all(conn)
        statements.write_rows(conn, mine, ROWS)
        for row in ROWS:  # SQLAlchemy's own insert (one row at a time: the keys differ)
            conn.execute(theirs.insert(), [row])
        keys = [{"k_k": "a", "p_to": 7}, {"k_k": "d", "p_to": 9}]
        statements.update_rows(conn, mine, "close", units.close_statement, keys)
        conn.execute(units.close_statement(theirs), keys)
        a, b = _stored(conn, mine), _stored(conn, theirs)
        # The same values decoded, NULL and JSON null where SQLAlchemy puts them.
        assert [r[:2] + r[2:3] + r[4:] for r in a] == [r[:2] + r[2:3] + r[4:] for r in b]
        decoded = (
            [tuple(r) for r in conn.execute(sa.select(mine).order_by(mine.c.k))],
            [tuple(r) for r in conn.execute(sa.select(theirs).order_by(theirs.c.k))],
        )
        assert decoded[0] == decoded[1]
        assert [r[4] for r in a] == ["text", "text", "text", "text", "text"]  # b: 'null'
        # Negative control: a row that differs is seen to differ.
        statements.write_rows(conn, mine, [{"k": "f", "n": 1, "flag": True, "doc": {"a": 1}}])
        conn.execute(theirs.insert(), [{"k": "f", "n": 1, "flag": True, "doc": {"a": 2}}])
        assert _stored(conn, mine)[-1] != _stored(conn, theirs)[-1]


def test_write_rows_errors_are_sqlalchemys() -> None:
    engine = sa.create_engine("sqlite://")
    metadata = sa.MetaData()
    table = _table(metadata, "t")
    with engine.begin() as conn:
        metadata.create_all(conn)
        statements.write_rows(conn, table, [{"k": "a"}])
        with pytest.raises(sa.exc.IntegrityError):
            statements.write_rows(conn, table, [{"k": "a"}])


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1, 2.5, None, True], "c": "é"},
        {"when": dt.date(2004, 6, 1), "at": dt.datetime(2004, 6, 1, 12), "id": uuid.UUID(int=5)},
        {"big": 2**70, "nested": {"z": 1, "a": 2}},
    ],
)
def test_fingerprint_is_the_canonical_text_of_the_content(value: dict[str, Any]) -> None:
    row = {"x": value, "y": "kept out"}
    expected = json.dumps({"x": value}, sort_keys=True, default=str, separators=(",", ":"))
    assert bitemporal.fingerprint(row, ["x"]) == expected.replace("\\u00e9", "é")
    # What a database gives back compares equal (dates and UUIDs come back as text).
    back = json.loads(expected)
    assert bitemporal.fingerprint({"x": back["x"]}, ["x"]) == bitemporal.fingerprint(row, ["x"])
    assert bitemporal.fingerprint({"x": {**value, "new": 1}}, ["x"]) != expected  # control


def test_source_keys_tell_sources_apart_as_the_standard_library_does() -> None:
    a = {"title": "T", "url": "u", "pages": [1, 2]}
    assert records.source_key(a) == records.source_key(dict(reversed(list(a.items()))))
    assert records.source_key(a) != records.source_key({**a, "url": "v"})
    assert records.source_key({"n": 2**70}) == records.source_key({"n": 2**70})


def _event(position: int, stream: str, version: int) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        event_id=uuid.UUID(int=position),
        stream_id=stream,
        stream_version=version,
        type="Noted",
        schema_version=1,
        data={"n": position},
        metadata={},
        valid_time=None,
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        actor=None,
        sources=(),
        correlation_id=None,
        causation_id=None,
        hash="h",
    )


def test_a_streams_tail_joins_the_rows_of_the_database_when_read() -> None:
    engine = sa.create_engine("sqlite://")
    metadata = sa.MetaData()
    table = sa.Table(
        "kept",
        metadata,
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("stream_id", sa.Text()),
        sa.Column("event_id", sa.Text()),
        sa.Column("event_type", sa.Text()),
        sa.Column("data", sa.JSON()),
    )
    key = ("stream_id", "s/1")
    with engine.begin() as conn:
        metadata.create_all(conn)
        with units.buffered(conn) as unit:  # a first unit: the stream's first two events
            streams.add(conn, table, key, _event(1, "s/1", 1), {"data": {"n": 1}})
            streams.add(conn, table, key, _event(2, "s/1", 2), {"data": {"n": 2}})
            unit.flush(conn)
        with units.buffered(conn) as unit:  # the next: added to, not read, then read
            streams.add(conn, table, key, _event(3, "s/1", 3), {"data": {"n": 3}})
            streams.add(conn, table, key, _event(4, "s/1", 4), {"data": {"n": 4}})
            assert unit.stream_tails  # nothing read back yet
            read = streams.read(conn, table, key, ("position", "data"))
            assert read == [(p, {"n": p}) for p in (1, 2, 3, 4)]
            assert not unit.stream_tails
            streams.add(conn, table, key, _event(5, "s/1", 5), {"data": {"n": 5}})
            assert [r[0] for r in streams.read(conn, table, key, ("position",))] == [1, 2, 3, 4, 5]
            unit.flush(conn)
        assert [r[0] for r in streams.read(conn, table, key, ("position",))] == [1, 2, 3, 4, 5]


def test_an_uncorrected_stream_is_held_as_effective_holds_it() -> None:
    stream = [
        (p, str(uuid.UUID(int=p)), "Noted", {"valid_time": f"200{p}", "sources": [{"t": p}]})
        for p in (1, 2, 3)
    ]
    memo: dict[int, derived.Held] = {}
    first = derived.held(stream, memo)
    again = derived.held(stream, memo)
    assert [h is g for h, g in zip(first, again, strict=True)] == [True, True, True]
    assert first == derived.held(stream)  # no memo: the same values
    folded = effective([StoredEvent(uuid.UUID(e), t, d) for _, e, t, d in stream])
    assert [(h.event_id, h.data) for h in first] == [(str(e.event_id), e.data) for e in folded]
    assert [h.date for h in first] == [h.date for h in derived.held(stream)]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_page_leaves_the_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with runner._collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), runner._collector_paused():
            raise RuntimeError("a failing page")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
