"""`bitemporal.sync` / `append` (the one row diff of every read model) and `streams.keep`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections import bitemporal, streams
from sco_registry.store.base import RecordedEvent

CONTENT = ("value", "items")


def event(position: int, stream_version: int = 2) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        event_id=uuid.uuid4(),
        stream_id="thing/a",
        stream_version=stream_version,
        type="ThingHappened",
        schema_version=1,
        data={"n": position},
        metadata={},
        valid_time=None,
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=position),
        actor=None,
        sources=(),
        correlation_id=None,
        causation_id=None,
        hash="0" * 64,
    )


@pytest.fixture
def db() -> Iterator[tuple[Connection, sa.Table, sa.Table, sa.Table]]:
    md = sa.MetaData()
    rows = sa.Table(
        "rows",
        md,
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("recorded_from", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("ordinal", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("recorded_to", sa.Integer()),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("value", sa.Text()),
        sa.Column("items", sa.JSON()),
    )
    single = sa.Table(
        "single",
        md,
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("recorded_from", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("recorded_to", sa.Integer()),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("value", sa.Text()),
        sa.Column("items", sa.JSON()),
    )
    kept = sa.Table(
        "kept",
        md,
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        md.create_all(conn)
        yield conn, rows, single, kept


def table_rows(conn: Connection, table: sa.Table) -> list[dict[str, Any]]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    return [dict(m) for m in conn.execute(query).mappings()]


def content(value: str, items: list[int] | None = None) -> dict[str, Any]:
    return {"value": value, "items": items or []}


def test_sync_keeps_closes_and_opens(db: Any) -> None:
    conn, rows, _, _ = db
    scope = {"key": "a"}
    bitemporal.sync(
        conn, rows, scope=scope, content=CONTENT, derived=[content("x"), content("y")],
        event=event(1),
    )  # fmt: skip
    bitemporal.sync(
        conn, rows, scope=scope, content=CONTENT, derived=[content("y"), content("z", [1])],
        event=event(2),
    )  # fmt: skip
    got = [
        (r["value"], r["recorded_from"], r["ordinal"], r["recorded_to"])
        for r in table_rows(conn, rows)
    ]
    # x closed at 2; y kept open with its first key; z opened at 2 with its derived index.
    assert got == [("x", 1, 0, 2), ("y", 1, 1, None), ("z", 2, 1, None)]
    assert table_rows(conn, rows)[2]["items"] == [1]
    assert table_rows(conn, rows)[2]["recorded_at"].startswith("2026-01-01")


def test_sync_compares_as_a_multiset_and_by_value(db: Any) -> None:
    conn, rows, _, _ = db
    scope = {"key": "a"}
    twice = [content("x", [1, 2]), content("x", [1, 2])]
    bitemporal.sync(conn, rows, scope=scope, content=CONTENT, derived=twice, event=event(1))
    # Once fewer: one of the two equal rows closes; the same again changes nothing.
    bitemporal.sync(conn, rows, scope=scope, content=CONTENT, derived=twice[:1], event=event(2))
    bitemporal.sync(conn, rows, scope=scope, content=CONTENT, derived=twice[:1], event=event(3))
    got = [(r["recorded_from"], r["ordinal"], r["recorded_to"]) for r in table_rows(conn, rows)]
    assert got == [(1, 0, None), (1, 1, 2)]


def test_sync_touches_only_its_scope(db: Any) -> None:
    conn, rows, _, _ = db
    bitemporal.sync(
        conn, rows, scope={"key": "a"}, content=CONTENT, derived=[content("x")], event=event(1)
    )
    bitemporal.sync(conn, rows, scope={"key": "b"}, content=CONTENT, derived=[], event=event(2))
    assert [r["recorded_to"] for r in table_rows(conn, rows)] == [None]
    # The whole table as the scope (compliance's findings): the same call closes it.
    bitemporal.sync(conn, rows, scope={}, content=CONTENT, derived=[], event=event(3))
    assert [r["recorded_to"] for r in table_rows(conn, rows)] == [3]


def test_sync_without_an_ordinal_column(db: Any) -> None:
    conn, _, single, _ = db
    scope = {"key": "r"}
    for position, value in ((1, "v1"), (2, "v1"), (3, "v2")):
        bitemporal.sync(
            conn, single, scope=scope, content=CONTENT, derived=[content(value)],
            event=event(position),
        )  # fmt: skip
    bitemporal.sync(conn, single, scope=scope, content=CONTENT, derived=[], event=event(4))
    got = [(r["value"], r["recorded_from"], r["recorded_to"]) for r in table_rows(conn, single)]
    assert got == [("v1", 1, 3), ("v2", 3, 4)]


def test_new_scope_writes_what_sync_writes(db: Any) -> None:
    conn, rows, _, _ = db
    derived = [content("x"), content("y", [3])]
    bitemporal.sync(
        conn, rows, scope={"key": "a"}, content=CONTENT, derived=derived, event=event(1)
    )
    bitemporal.sync(
        conn, rows, scope={"key": "b"}, content=CONTENT, derived=derived, event=event(1),
        new_scope=True,
    )  # fmt: skip
    by_key: dict[str, list[Any]] = {}
    for r in table_rows(conn, rows):
        by_key.setdefault(r.pop("key"), []).append(r)
    assert by_key["a"] == by_key["b"] and len(by_key["a"]) == 2


def test_keep_returns_the_stream_as_read_back(db: Any) -> None:
    conn, _, _, kept = db
    first = streams.keep(conn, kept, ("stream_id", "s"), event(1, 1), {"data": {"n": 1}})
    second = streams.keep(conn, kept, ("stream_id", "s"), event(2, 2), {"data": {"n": 2}})
    streams.keep(conn, kept, ("stream_id", "other"), event(3, 1), {"data": {"n": 3}})
    third = streams.keep(conn, kept, ("stream_id", "s"), event(4, 3), {"data": {"n": 4}})
    # The first event is its stream (not read back); later ones read the stream back.
    assert [(p, t, d) for p, _, t, d in first] == [(1, "ThingHappened", {"n": 1})]
    assert second[0] == first[0] and [r[0] for r in second] == [1, 2]
    assert [r[0] for r in third] == [1, 2, 4]


def _history(conn: Connection, table: sa.Table, differs: Any, buffered: bool) -> list[Any]:
    """A record-like scope synced at 4 events (its items growing, once unchanged), with
    `differs` given to every sync; the table's rows after it (flushed when `buffered`)."""
    from sco_registry.projections import unit

    steps = [(1, [1]), (2, [1, 2]), (3, [1, 2]), (4, [1, 2, 3])]

    def run() -> None:
        for position, items in steps:
            bitemporal.sync(
                conn, table, scope={"key": "r"}, content=CONTENT,
                derived=[content("v", items)], event=event(position),
                differs=None if differs is None else differs(items),
            )  # fmt: skip

    if buffered:
        with unit.buffered(conn) as buffer:
            run()
            buffer.flush(conn)
    else:
        run()
    return [(r["recorded_from"], r["recorded_to"], r["items"]) for r in table_rows(conn, table)]


def _by_length(items: list[int]) -> Any:
    # What `records._other_events` does with a row's events: lengths differ, so do rows.
    return lambda row: type(row["items"]) is list and len(row["items"]) != len(items)


@pytest.mark.parametrize("buffered", [False, True])
def test_sync_differs_writes_what_the_comparison_writes(db: Any, buffered: bool) -> None:
    conn, _, single, _ = db
    plain = _history(conn, single, None, buffered)
    conn.execute(single.delete())
    assert _history(conn, single, _by_length, buffered) == plain
    assert plain == [(1, 2, [1]), (2, 4, [1, 2]), (4, None, [1, 2, 3])]


@pytest.mark.parametrize("buffered", [False, True])
def test_sync_differs_negative_control(db: Any, buffered: bool) -> None:
    """A `differs` that claims a difference where there is none is believed (a row closed
    and reopened at 3): the comparison above can fail."""
    conn, _, single, _ = db
    lying = _history(conn, single, lambda items: lambda row: True, buffered)
    assert lying != [(1, 2, [1]), (2, 4, [1, 2]), (4, None, [1, 2, 3])]
