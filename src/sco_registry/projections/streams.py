"""The copies of streams a read model keeps to derive its rows from.

A model that derives a scope's rows from a whole stream as corrected (membership, the
record and derived models, the timeline, compliance) keeps the events of the streams it
reads in a table of its own (`<model>_events`: position, the stream's key, event id, type,
data upcast, and what else the model needs), so that it can fold a stream again when a
later event (a correction, a retraction, a change recorded out of date order) changes what
the stream holds, without reading the log. `keep` adds an event to that copy and returns
the stream as recorded so far; `add` only adds it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections import statements, unit
from sco_registry.store.base import RecordedEvent

#: What `keep` returns by default, per event: (position, event id, type, data upcast).
STREAM_COLUMNS = ("position", "event_id", "event_type", "data")


def keep(
    conn: Connection,
    table: sa.Table,
    key: tuple[str, str],
    event: RecordedEvent,
    values: Mapping[str, Any],
    columns: Sequence[str] = STREAM_COLUMNS,
) -> list[tuple[Any, ...]]:
    """Insert `event` into the kept copy of its stream (`key`: the key column and its
    value, one per stream; `values`: `data` and the model's other columns) and return the
    stream's events as recorded, in position order, each as the tuple of `columns`.

    The first event of a stream (stream version 1) is its whole stream: it is returned
    without reading the table back, which saves a query on most events of a history
    (most records are streams of one or two events)."""
    row = add(conn, table, key, event, values)
    if event.stream_version == 1:
        return [_getter(tuple(columns))(row)]
    return read(conn, table, key, columns)


@functools.lru_cache(maxsize=64)
def _getter(columns: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A row's values of `columns`, as a tuple (`operator.itemgetter`, one column too)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda r: (r[only],)
    return operator.itemgetter(*columns)


def read(
    conn: Connection,
    table: sa.Table,
    key: tuple[str, str],
    columns: Sequence[str] = STREAM_COLUMNS,
) -> list[tuple[Any, ...]]:
    """The kept stream's events as recorded, in position order (tuples of `columns`).
    Under a unit (`unit.py`): read from the database once per unit, then from memory."""
    buffer = unit.active(conn)
    if buffer is not None:
        get = _getter(tuple(columns))
        return [get(r) for r in _cached(conn, buffer, table, key)]
    return [
        tuple(r) for r in conn.execute(_select(table, key[0], tuple(columns)), {"w_key": key[1]})
    ]


def _select(table: sa.Table, column: str, selected: tuple[str, ...]) -> sa.Select[Any]:
    def build(t: sa.Table) -> sa.Select[Any]:
        return (
            sa.select(*(t.c[c] for c in selected))
            .where(t.c[column] == sa.bindparam("w_key"))
            .order_by(t.c.position)
        )

    return statements.cached(table, ("stream", column, selected), build)


def _cached(
    conn: Connection, buffer: unit.Unit, table: sa.Table, key: tuple[str, str]
) -> list[dict[str, Any]]:
    """The unit's copy of a kept stream (every column), read from the database if needed."""
    found = buffer.streams.get((table, key[0], key[1]))
    if found is None:
        every = tuple(c.name for c in table.columns)
        found = [
            dict(zip(every, r, strict=True))
            for r in conn.execute(_select(table, key[0], every), {"w_key": key[1]})
        ]
        # The rows `add` kept of it in this unit, not read yet: they follow the database's.
        found.extend(buffer.stream_tails.pop((table, key[0], key[1]), ()))
        buffer.streams[(table, key[0], key[1])] = found
    return found


def add(
    conn: Connection,
    table: sa.Table,
    key: tuple[str, str],
    event: RecordedEvent,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Insert `event` into the kept copy of its stream, reading nothing back (for a model
    that can tell the event changes nothing else); returns the row inserted."""
    column, value = key
    row = {
        "position": event.position,
        column: value,
        "event_id": statements.uuid_text(event.event_id),
        "event_type": event.type,
        **values,
    }
    buffer = unit.active(conn)
    if buffer is None:
        conn.execute(statements.insert(table), row)
        return row
    if event.stream_version == 1:
        buffer.streams[(table, column, value)] = [row]  # a new stream: nothing to read
    else:
        found = buffer.streams.get((table, column, value))
        if found is not None:
            found.append(row)
        else:  # not read in this unit: read only if the model asks for it (`_cached`)
            buffer.stream_tails.setdefault((table, column, value), []).append(row)
    buffer.insert(table, [row], closable=False)
    return row
