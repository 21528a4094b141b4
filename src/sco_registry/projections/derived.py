"""A read model derived per record stream, as the membership model is, for the models of
bodies, office terms and mandates (`bodies.py`, `offices.py`, `mandates.py`).

Such a projection keeps every event of the record streams it reads (`<name>_events`:
position, stream, event id, type, data upcast; corrections and retractions included) and,
on every event of a stream, derives that stream's rows afresh from the stream as it now
holds (`folding.effective`: facts from the events' data *as corrected*). The derived rows
of each row table are compared with the stream's current rows (`bitemporal.sync`, the one
row diff of every model): a row that no longer holds is closed (`recorded_to` = the event's
position), a row not yet there is opened (`recorded_from` = it), unchanged rows stay open.
So the rows known at P are those a replay of the log up to P would hold as current, exactly
as for membership.

Each row table has the stream's id, `recorded_from` and `ordinal` as its key, then
`recorded_to` and `recorded_at`, then its content columns (`Content`). Helpers for the
read functions (the record-time condition, the valid-time answers) are here too.
"""

from __future__ import annotations

import abc
import functools
import operator
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog
from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.folding import StoredEvent, effective
from sco_registry.domain.periods import (
    Answer,
    Span,
    question_params,
    record_time_sql,
    valid_time_sql,
)
from sco_registry.domain.time import PartialDate
from sco_registry.projections import bitemporal, streams, unit
from sco_registry.projections.base import Position, Projection, Tables
from sco_registry.store.base import RecordedEvent

VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")

#: (name, type, nullable) of a content column.
Column = tuple[str, sa.types.TypeEngine[Any], bool]
Content = tuple[Column, ...]

TEXT: sa.types.TypeEngine[Any] = sa.Text()
JSON: sa.types.TypeEngine[Any] = sa.JSON()

#: The columns naming the events that established a row and their sources.
EVENT_COLUMNS: Content = (
    ("start_event_id", TEXT, False),
    ("start_position", Position, False),
    ("end_event_id", TEXT, True),
    ("end_position", Position, True),
    ("events", JSON, False),
    ("sources", JSON, False),
)
VALID_COLUMNS: Content = tuple((c, TEXT, True) for c in VALID)


_UNPARSED: Any = object()


@dataclass(frozen=True, slots=True)
class Held:
    """One effective event of a stream: data as corrected, the events that made it (its
    own and its corrections': ids and positions) and their sources."""

    index: int
    event_type: str
    data: Mapping[str, Any]
    event_id: str
    position: int
    events: list[dict[str, Any]]
    sources: list[Any]
    # `date`, parsed on first use (a derivation sorts by it, asking it again and again).
    _date: Any = field(default=_UNPARSED, init=False, repr=False, compare=False)
    # `valid_key`, made on first use (a long stream's events are sorted on each event).
    _key: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def valid_key(self) -> tuple[Any, ...]:
        """The key of `in_valid_order`: undated first, then by date, then by index."""
        found = self._key
        if found is None:
            date = self.date
            found = (date is not None, date.sort_key if date else (), self.index)
            object.__setattr__(self, "_key", found)
        return found  # type: ignore[no-any-return]

    @property
    def date(self) -> PartialDate | None:
        found = self._date
        if found is _UNPARSED:
            raw = self.data.get("valid_time")
            found = PartialDate.parse(raw) if isinstance(raw, str) else None
            object.__setattr__(self, "_date", found)
        return found  # type: ignore[no-any-return]

    def date_of(self, field: str) -> PartialDate | None:
        raw = self.data.get(field)
        return PartialDate.parse(raw) if isinstance(raw, str) else None


def held(
    stream: Sequence[tuple[int, str, str, Mapping[str, Any]]],
    memo: dict[int, Held] | None = None,
) -> list[Held]:
    """The stream (position, event id, type, data upcast; in position order, corrections
    included) as it now holds, each event with the corrections that changed it. `memo` (a
    unit's): with no correction or retraction in the stream, each event is held as
    recorded, at its index in the stream, so its `Held` is made once per unit (by
    position: a kept stream's events do not change, later events only follow them)."""
    if not any(event_type in CORRECTION_TYPES for _, _, event_type, _ in stream):
        out: list[Held] = []
        for index, (position, event_id, event_type, data) in enumerate(stream):
            found = None if memo is None else memo.get(position)
            if found is None:
                found = Held(
                    index=index,
                    event_type=event_type,
                    data=data,
                    event_id=event_id,
                    position=position,
                    events=[{"event_id": event_id, "position": position}],
                    sources=list(data.get("sources") or []),
                )
                if memo is not None:
                    memo[position] = found
            out.append(found)
        return out
    positions = {event_id: position for position, event_id, _, _ in stream}
    fixes: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for _, event_id, event_type, data in stream:
        if event_type in CORRECTION_TYPES:
            fixes.setdefault(str(data["event_id"]), []).append((event_id, data))
    out = []
    for index, e in enumerate(
        effective([StoredEvent(uuid.UUID(i), t, d) for _, i, t, d in stream])
    ):
        event_id = str(e.event_id)
        own = fixes.get(event_id, [])
        out.append(
            Held(
                index=index,
                event_type=e.type,
                data=e.data,
                event_id=event_id,
                position=positions[event_id],
                events=[{"event_id": event_id, "position": positions[event_id]}]
                + [{"event_id": f, "position": positions[f]} for f, _ in own],
                sources=list(e.data.get("sources") or [])
                + [s for _, d in own for s in (d.get("sources") or [])],
            )
        )
    return out


def in_valid_order(events: Sequence[Held]) -> list[Held]:
    """Undated first (a record without a date starts its history), then by date; ties in
    recording order."""
    return sorted(events, key=_valid_key)


class Rows:
    """Rows made from a start and an end `Held` (and a `kind`), kept with a carried stream
    (`streams.carry`) by the identity of the two (which the entry keeps alive): a stream's
    events as recorded are held by the same `Held`s from one event to the next (its memo),
    so a row made from them is made, and fingerprinted (`bitemporal.Derived`), once."""

    def __init__(self, kept: dict[Hashable, Any] | None, size: int) -> None:
        if kept is not None and len(kept) > 4 * size + 64:
            kept.clear()  # (rows of `Held`s made afresh: a stream with corrections)
        self.kept = kept

    def get(
        self,
        kind: str,
        start: Held,
        end: Held | None,
        make: Callable[..., dict[str, Any]],
        *args: Any,
    ) -> dict[str, Any]:
        """`make(*args)`: the row of `kind` from `start` to `end` (made from them alone)."""
        kept = self.kept
        if kept is None:
            return make(*args)
        key = (kind, id(start), id(end))
        found = kept.get(key)
        if found is not None and found[0] is start and found[1] is end:
            return found[2]  # type: ignore[no-any-return]
        made = bitemporal.Derived(make(*args))
        kept[key] = (start, end, made)
        return made


_valid_key = operator.attrgetter("valid_key")


def started_ended(start: Held, end: Held | None) -> dict[str, Any]:
    """The event columns of a row begun by `start` and ended by `end`."""
    return {
        "start_event_id": start.event_id,
        "start_position": start.position,
        "end_event_id": None if end is None else end.event_id,
        "end_position": None if end is None else end.position,
        "events": start.events + ([] if end is None else end.events),
        "sources": start.sources + ([] if end is None else end.sources),
    }


class DerivedProjection(Projection):
    """A projection whose rows are derived per stream of the record kind `prefix`."""

    prefix: ClassVar[str]
    events_table: ClassVar[str]
    #: row table name -> content columns (after the key and record-time columns).
    row_tables: ClassVar[Mapping[str, Content]]
    #: row table name -> indexed content columns.
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {}
    key: ClassVar[str] = "record_id"

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        name = cls.events_table
        tables = {
            name: sa.Table(
                name + suffix,
                target,
                sa.Column("position", Position, primary_key=True, autoincrement=False),
                sa.Column("stream_id", sa.Text(), nullable=False),
                sa.Column("event_id", sa.Text(), nullable=False),
                sa.Column("event_type", sa.Text(), nullable=False),
                sa.Column("data", sa.JSON(), nullable=False),
                sa.Index(f"ix_{name}{suffix}_stream_id", "stream_id"),
            )
        }
        for table, content in cls.row_tables.items():
            indexed = cls.indexes.get(table, ())
            tables[table] = sa.Table(
                table + suffix,
                target,
                sa.Column(cls.key, sa.Text(), primary_key=True),
                sa.Column("recorded_from", Position, primary_key=True, autoincrement=False),
                sa.Column("ordinal", sa.Integer(), primary_key=True, autoincrement=False),
                sa.Column("recorded_to", Position, nullable=True),
                sa.Column("recorded_at", sa.Text(), nullable=False),
                *(sa.Column(c, t, nullable=n) for c, t, n in content),
                *(
                    [sa.Index(f"ix_{table}{suffix}_{'_'.join(indexed)}", *indexed)]
                    if indexed
                    else []
                ),
            )
        return tables

    @abc.abstractmethod
    def derive(self, record_id: str, stream: list[Held]) -> Mapping[str, list[dict[str, Any]]]:
        """Each row table's rows (content columns) from the stream as it now holds."""

    def derive_kept(
        self, record_id: str, stream: list[Held], rows: dict[Hashable, Any]
    ) -> Mapping[str, list[dict[str, Any]]]:
        """`derive`, for a stream carried from unit to unit (`streams.carry`): `rows`, kept
        with the stream, may keep rows made from `Held`s that do not change (by their
        identity; see `Rows`), so that a long stream's rows are not made and fingerprinted
        again on each of its events. By default: `derive`."""
        return self.derive(record_id, stream)

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if not event.stream_id.startswith(self.prefix):
            return
        record_id = event.stream_id
        data = catalog.upcast(event.type, event.schema_version, event.data)
        scope = {self.key: record_id}
        events = tables[self.events_table]
        # A long stream (a body's hundreds of relocations) is carried from unit to unit.
        carried = streams.carry(
            conn,
            events,
            ("stream_id", record_id),
            event,
            [(tables[name], scope, _names(content)) for name, content in self.row_tables.items()],
        )
        stream = streams.keep(conn, events, ("stream_id", record_id), event, {"data": data})
        if carried is not None:
            now = held(stream, carried.setdefault("held", {}))
            derived = self.derive_kept(record_id, now, carried.setdefault("rows", {}))
        else:
            buffer = unit.active(conn)
            memo = None if buffer is None else buffer.memo.setdefault(("held", events), {})
            derived = self.derive(record_id, held(stream, memo))  # tuples of STREAM_COLUMNS
        for name, content in self.row_tables.items():
            bitemporal.sync(
                conn,
                tables[name],
                scope=scope,
                content=_names(content),
                derived=derived.get(name, []),
                event=event,
                new_scope=event.stream_version == 1,
            )


@functools.lru_cache(maxsize=64)
def _names(content: Content) -> tuple[str, ...]:
    return tuple(c for c, _, _ in content)


# --- for the read functions ------------------------------------------------------------------


def known(table: sa.Table, known_at: int | None) -> sa.ColumnElement[bool] | sa.TextClause:
    """Rows known at log position `known_at` (None: the current rows)."""
    if known_at is None:
        return table.c.recorded_to.is_(None)
    return sa.text(record_time_sql(table.name)).bindparams(position=known_at)


def valid_conditions(
    table: sa.Table, as_of: Any, span: Span
) -> tuple[sa.TextClause, sa.ColumnElement[str]]:
    """The condition that a row may hold on `as_of`, and a column saying yes or perhaps."""
    params = question_params(as_of)
    possible = sa.text(valid_time_sql(span, definite=False, table=table.name)).bindparams(**params)
    definite = sa.text(valid_time_sql(span, definite=True, table=table.name)).bindparams(**params)
    return possible, sa.case((definite, "yes"), else_="perhaps").label("answer")


def answer(m: sa.RowMapping) -> Answer:
    return Answer(m["answer"])


def events_of(m: Mapping[str, Any] | sa.RowMapping) -> tuple[tuple[uuid.UUID, int], ...]:
    return tuple((uuid.UUID(e["event_id"]), int(e["position"])) for e in m["events"])
