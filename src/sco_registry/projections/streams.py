"""The copies of streams a read model keeps to derive its rows from.

A model that derives a scope's rows from a whole stream as corrected (membership, the
record and derived models, the timeline, compliance) keeps the events of the streams it
reads in a table of its own (`<model>_events`: position, the stream's key, event id, type,
data upcast, and what else the model needs), so that it can fold a stream again when a
later event (a correction, a retraction, a change recorded out of date order) changes what
the stream holds, without reading the log. `keep` adds an event to that copy and returns
the stream as recorded so far; `add` only adds it.

A long stream (a state's hundreds of membership changes, a body's hundreds of
relocations) has its events one per unit of work in a rebuild or a catch-up (a page of
thousands of events of thousands of streams): read back from the database on each of its
events, with its scopes' open rows, it made the model's work on it grow with the square of
its length. `carry` keeps such a stream, its scopes' open rows (with their fingerprints)
and the model's memo of it in memory from one unit to the next (CARRY_MAX streams at
most), used again only where one query finds the tables as the carried copy left them.
"""

from __future__ import annotations

import functools
import operator
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
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


# --- a long stream carried from one unit to the next ------------------------------------------

#: Events a kept stream has before it is carried between units (most streams have one or two).
CARRY_MIN = 16
#: Streams carried at most (least recently used dropped first), over every model and engine.
CARRY_MAX = 64

#: (table the stream's value rows are in, its key's scope, the content columns).
Scope = tuple[sa.Table, Mapping[str, Any], tuple[str, ...]]
#: What the tables held of a carried stream: its events (count, last position, last event
#: id), then per scope its open rows (count, greatest recorded_from).
Marker = tuple[Any, ...]


class _Carried:
    """A kept stream and its scopes' open rows (with their fingerprints) as a unit left
    them, and the model's own memo for the stream (`carry`)."""

    __slots__ = ("engine", "marker", "memo", "open", "prints", "stream")

    def __init__(
        self,
        engine: weakref.ref[Any],
        marker: Marker,
        stream: list[dict[str, Any]],
        open_rows: dict[unit.ScopeKey, list[dict[str, Any]]],
        prints: dict[tuple[int, tuple[str, ...]], tuple[Any, str]],
        memo: dict[Hashable, Any],
    ) -> None:
        self.engine = engine
        self.marker = marker
        self.stream = stream
        self.open = open_rows
        self.prints = prints
        self.memo = memo


_CARRIED: OrderedDict[tuple[sa.Table, Any, int], _Carried] = OrderedDict()
_CARRIED_LOCK = threading.Lock()
_TOUCHED = ("streams.carry",)
#: The streams a unit touched (`carry`): the stream's key column, scopes and memo.
_Touched = dict[tuple[sa.Table, Any], tuple[str, Sequence[Scope], dict[Hashable, Any]]]


def carry(
    conn: Connection,
    table: sa.Table,
    key: tuple[str, str],
    event: RecordedEvent,
    scopes: Sequence[Scope],
) -> dict[Hashable, Any] | None:
    """Before `keep` of an event of a stream the unit has not touched yet: the stream and
    its scopes' open rows as the last unit that wrote them left them, when the tables still
    stand there. A stream whose events fall one per unit (a long one, in a log of many
    streams) would otherwise be read back, with its scopes' open rows, on every event, and
    its rows fingerprinted again: work proportional to the stream on each of its events.

    A stream of at least CARRY_MIN events is carried (in memory, per engine, CARRY_MAX at
    most) when its unit is flushed; the next unit to touch it uses it again only if one
    query finds the tables where the carried copy left them (`_marker`: the stream's count,
    last position and last event id, each scope's count of open rows and their greatest
    `recorded_from`). A unit rolled back, or not flushed, or rows written by another
    process, leave the tables elsewhere: the stream is then read again, as without a carry.

    Returns the stream's memo (None without a unit, or for a stream's first event): a
    dict the model may keep derivations of the stream's events in, carried with it (it
    must hold only what the events as recorded determine, such as `derived.held`'s)."""
    buffer = unit.active(conn)
    if buffer is None or event.stream_version == 1:
        return None
    column, value = key
    touched: _Touched | None = buffer.memo.get(_TOUCHED)
    if touched is None:
        made: _Touched = {}
        touched = buffer.memo[_TOUCHED] = made
        buffer.on_flush(lambda c: _capture(c, buffer, made))
    found = touched.get((table, value))
    if found is not None:
        return found[2]
    memo: dict[Hashable, Any] = {}
    where = (table, value, id(conn.engine))
    with _CARRIED_LOCK:
        kept = _CARRIED.get(where)
    stream_key = (table, column, value)
    scope_keys = [unit.scope_key(t, s) for t, s, _ in scopes]
    if (
        kept is not None
        and kept.engine() is conn.engine
        and stream_key not in buffer.streams
        and stream_key not in buffer.stream_tails
        and not any(k in buffer.open for k in scope_keys)
        and _marker(conn, table, key, scopes) == kept.marker
    ):
        # Copies of the lists: a unit not flushed must leave the carried copy as it was.
        buffer.streams[stream_key] = list(kept.stream)
        for k in scope_keys:
            buffer.open[k] = list(kept.open[k])
        buffer.fingerprints.update(kept.prints)
        memo = kept.memo
    elif kept is not None:
        with _CARRIED_LOCK:
            _CARRIED.pop(where, None)  # stale: the capture at this unit's flush replaces it
    touched[(table, value)] = (column, scopes, memo)
    return memo


def _marker(
    conn: Connection, table: sa.Table, key: tuple[str, str], scopes: Sequence[Scope]
) -> Marker:
    """Where the tables stand for a stream and its scopes (one query; `Marker`)."""
    query = _marker_query(table, key[0], tuple((t, tuple(s)) for t, s, _ in scopes))
    values = {"w_key": key[1]}
    for i, (_, scope, _) in enumerate(scopes):
        values.update({f"w{i}_{c}": v for c, v in scope.items()})
    row = conn.execute(query, values).one()
    return tuple(row)


@functools.lru_cache(maxsize=64)
def _marker_query(
    table: sa.Table, column: str, scopes: tuple[tuple[sa.Table, tuple[str, ...]], ...]
) -> sa.Select[Any]:
    mine = table.c[column] == sa.bindparam("w_key")
    last = sa.select(table.c.position).where(mine).order_by(table.c.position.desc()).limit(1)
    parts: list[Any] = [
        sa.select(sa.func.count()).select_from(table).where(mine).scalar_subquery(),
        last.scalar_subquery(),
        last.with_only_columns(table.c.event_id).scalar_subquery(),
    ]
    for i, (t, columns) in enumerate(scopes):
        where = [t.c[c] == sa.bindparam(f"w{i}_{c}") for c in columns]
        where.append(t.c.recorded_to.is_(None))
        parts.append(sa.select(sa.func.count()).select_from(t).where(*where).scalar_subquery())
        parts.append(sa.select(sa.func.max(t.c.recorded_from)).where(*where).scalar_subquery())
    return sa.select(*parts)


def _capture(
    conn: Connection,
    buffer: unit.Unit,
    touched: _Touched,
) -> None:
    """At the unit's flush: carry each long stream it touched, as the unit leaves it."""
    made: list[tuple[tuple[sa.Table, Any, int], _Carried]] = []
    engine = weakref.ref(conn.engine)
    for (table, value), (column, scopes, memo) in touched.items():
        stream = buffer.streams.get((table, column, value))
        if stream is None or len(stream) < CARRY_MIN:
            continue
        open_rows: dict[unit.ScopeKey, list[dict[str, Any]]] = {}
        prints: dict[tuple[int, tuple[str, ...]], tuple[Any, str]] = {}
        marker: list[Any] = [len(stream), stream[-1]["position"], stream[-1]["event_id"]]
        for t, scope, content in scopes:
            k = unit.scope_key(t, scope)
            rows = buffer.open.get(k)
            if rows is None:
                break  # not read in the unit: nothing to carry
            open_rows[k] = rows
            for r in rows:
                found = buffer.fingerprints.get((id(r), content))
                if found is not None:
                    prints[(id(r), content)] = found
            marker += [len(rows), max((r["recorded_from"] for r in rows), default=None)]
        else:
            made.append(
                (
                    (table, value, id(conn.engine)),
                    _Carried(engine, tuple(marker), stream, open_rows, prints, memo),
                )
            )
    if not made:
        return
    with _CARRIED_LOCK:
        for where, kept in made:
            _CARRIED.pop(where, None)
            _CARRIED[where] = kept
        while len(_CARRIED) > CARRY_MAX:
            _CARRIED.popitem(last=False)
