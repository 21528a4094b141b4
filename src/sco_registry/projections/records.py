"""What the meetings, documents and organizations read models share: one row per record per
version, folded afresh from the record's stream *as corrected* on every event of it.

A record model keeps each record's stream as recorded (`<name>_events`: corrections and
retractions included) and one row per version of the record (`<name>_rows`): the record's
facts, its valid period (`domain/periods.py` columns), the events that established the
version (ids and positions: the effective events and the corrections of each) with their
sources, and its record period [recorded_from, recorded_to) of log positions. On every event
of a record's stream the model folds the stream afresh (`folding.effective`); when the facts
differ from the current row's, that row is closed (`recorded_to` = the event's position) and
the new version opened (`recorded_from` = it): a correction opens a corrected version, a
retraction of every event of a record closes it and opens none. The rows known at P are so
exactly those a replay of the log up to P would hold as current.

The stream is kept by `streams.keep` and the row written by `bitemporal.sync` (the one row
diff of every model; here a scope of one open row at most).
"""

from __future__ import annotations

import abc
import functools
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.db import decode_json as decode_json
from sco_registry.domain import catalog
from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.folding import StoredEvent, effective
from sco_registry.domain.periods import VALID_TIME_COLUMNS, Period, record_time_sql
from sco_registry.projections import asof, bitemporal, streams, unit
from sco_registry.projections.base import Position, Projection, Tables
from sco_registry.store.base import RecordedEvent

EVENTS = "events"
ROWS = "rows"
VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")

Column = tuple[str, sa.types.TypeEngine[Any]]


class RecordProjection(Projection):
    """A projection of one record kind (`prefix`): its content `columns` by `facts`."""

    prefix: ClassVar[str]
    # The content columns besides the valid period, the events and the sources.
    columns: ClassVar[tuple[Column, ...]]

    @classmethod
    def content(cls) -> tuple[str, ...]:
        return _content(cls.columns)

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        events_name, rows_name = f"{cls.name}_events{suffix}", f"{cls.name}_rows{suffix}"
        events = sa.Table(
            events_name,
            target,
            sa.Column("position", Position, primary_key=True, autoincrement=False),
            sa.Column("record_id", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Index(f"ix_{events_name}_record_id", "record_id"),
        )
        rows = sa.Table(
            rows_name,
            target,
            sa.Column("record_id", sa.Text(), primary_key=True),
            sa.Column("recorded_from", Position, primary_key=True, autoincrement=False),
            sa.Column("recorded_to", Position, nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            *(sa.Column(c, t, nullable=True) for c, t in cls.columns),
            *(sa.Column(c, sa.Text(), nullable=True) for c in VALID),
            sa.Column("events", sa.JSON(), nullable=False),
            sa.Column("sources", sa.JSON(), nullable=False),
        )
        return {EVENTS: events, ROWS: rows}

    @abc.abstractmethod
    def facts(self, held: Sequence[StoredEvent]) -> dict[str, Any] | None:
        """The record's content columns (valid period included) from its effective events
        in recording order; None when they do not make a record (nothing left)."""

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if not event.stream_id.startswith(self.prefix):
            return
        record = event.stream_id
        data = catalog.upcast(event.type, event.schema_version, event.data)
        stream = streams.keep(conn, tables[EVENTS], ("record_id", record), event, {"data": data})
        buffer = unit.active(conn)
        memo = None if buffer is None else buffer.memo.setdefault(("records", tables[EVENTS]), {})
        derived = self.derive(stream, memo)  # tuples of STREAM_COLUMNS
        bitemporal.sync(
            conn,
            tables[ROWS],
            scope={"record_id": record},
            content=self.content(),
            derived=[] if derived is None else [derived],
            event=event,
            new_scope=event.stream_version == 1,
            differs=None if derived is None else _other_events(derived["events"]),
        )

    def derive(
        self,
        stream: Sequence[tuple[int, str, str, Mapping[str, Any]]],
        memo: dict[int, _Held] | None = None,
    ) -> dict[str, Any] | None:
        """The record's content from its stream as recorded: (position, event id, type, data
        upcast) in position order, corrections included. `memo` (a unit's): each event's
        `StoredEvent` and sources by position, made once per unit (the kept stream's events
        do not change)."""
        if not any(event_type in CORRECTION_TYPES for _, _, event_type, _ in stream):
            # Nothing corrected or retracted: the stream as recorded is the stream held
            # (`effective` would copy each event as it is), folded without copying it.
            held_as_recorded = [_held(memo, *e) for e in stream]
            facts = self.facts([h.stored for h in held_as_recorded])
            if facts is None:
                return None
            made = [{"event_id": h.event_id, "position": h.position} for h in held_as_recorded]
            unique: dict[str, Any] = {}
            for h in held_as_recorded:
                for text, source in h.sources:
                    unique[text] = source
            return {**facts, "events": made, "sources": list(unique.values())}
        positions = {event_id: position for position, event_id, _, _ in stream}
        fixes: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for _, event_id, event_type, data in stream:
            if event_type in CORRECTION_TYPES:
                fixes.setdefault(str(data["event_id"]), []).append((event_id, data))
        held = effective([StoredEvent(uuid.UUID(e), t, d) for _, e, t, d in stream])
        facts = self.facts(held)
        if facts is None:
            return None
        made = []
        sources: list[Any] = []
        for e in held:
            event_id = str(e.event_id)
            made.append({"event_id": event_id, "position": positions[event_id]})
            sources.extend(e.data.get("sources") or [])
            for fix, fix_data in fixes.get(event_id, []):
                made.append({"event_id": fix, "position": positions[fix]})
                sources.extend(fix_data.get("sources") or [])
        unique = {source_key(s): s for s in sources}
        return {**facts, "events": made, "sources": list(unique.values())}


def _other_events(events: Any) -> Callable[[Mapping[Any, Any]], bool]:
    """`bitemporal.sync`'s `differs` for a record's one derived row: an open row made by a
    different number of events is another version (two JSON arrays of different lengths
    never have the same text). A record's stream grows by one event per event, which
    changes its row's events in the common case: its fingerprints are then not needed."""

    def differs(row: Mapping[Any, Any]) -> bool:
        found = row["events"]
        return type(found) is list and type(events) is list and len(found) != len(events)

    return differs


@dataclass(frozen=True, slots=True)
class _Held:
    """An event of a kept stream as `derive` folds it uncorrected: its `StoredEvent`, and
    its sources each with its `source_key`."""

    position: int
    event_id: str
    stored: StoredEvent
    sources: tuple[tuple[str, Any], ...]


def _held(
    memo: dict[int, _Held] | None,
    position: int,
    event_id: str,
    event_type: str,
    data: Mapping[str, Any],
) -> _Held:
    found = None if memo is None else memo.get(position)
    if found is None:
        found = _Held(
            position,
            event_id,
            StoredEvent(uuid.UUID(event_id), event_type, data),
            tuple((source_key(s), s) for s in data.get("sources") or []),
        )
        if memo is not None:
            memo[position] = found
    return found


_SOURCE_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_stdlib_key = json.JSONEncoder(sort_keys=True, default=str).encode


def source_key(source: Any) -> str:
    """What makes two sources the same (the row lists each once, the last of equals kept in
    its first place): their JSON, keys sorted, anything else as its `str`. orjson where it
    can (sources come from the log's JSON: `str` keys), the standard library otherwise."""
    try:
        return orjson.dumps(source, option=_SOURCE_OPTIONS, default=str).decode("utf-8")
    except orjson.JSONEncodeError:
        return _stdlib_key(source)


@functools.lru_cache(maxsize=16)
def _content(columns: tuple[Column, ...]) -> tuple[str, ...]:
    return (*(c for c, _ in columns), *VALID, "events", "sources")


def known(table: sa.Table, known_at: int | None) -> sa.ColumnElement[bool] | sa.TextClause:
    """The rows current at `known_at` (None: now)."""
    if known_at is None:
        return table.c.recorded_to.is_(None)
    return sa.text(record_time_sql(table.name)).bindparams(position=known_at)


def made_by(m: Mapping[str, Any] | sa.RowMapping) -> tuple[tuple[uuid.UUID, int], ...]:
    return events_of(m["events"])


def events_of(events: Sequence[Mapping[str, Any]]) -> tuple[tuple[uuid.UUID, int], ...]:
    """A row's `events` column (decoded) as (event id, position) pairs."""
    return tuple((parse_uuid(e["event_id"]), int(e["position"])) for e in events)


_new_uuid = uuid.UUID.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def parse_uuid(text: str) -> uuid.UUID:
    """`uuid.UUID(text)`, the same value, for the canonical text the models store (36
    characters, four hyphens) without `UUID.__init__`'s general parsing; anything else, and
    anything this cannot read, through `uuid.UUID` (its value or its error). The same steps
    as `UUID.__init__` (hyphens dropped, 32 digits, base 16, `is_safe` unknown): text that
    names a URN or has braces fails `int` here (`:`, `{`) and goes to `uuid.UUID`."""
    if len(text) == 36:
        digits = text.replace("-", "")
        if len(digits) == 32:
            try:
                value = int(digits, 16)
            except ValueError:
                pass
            else:
                found = _new_uuid(uuid.UUID)
                _set(found, "int", value)
                _set(found, "is_safe", _UNKNOWN)
                return found
    return uuid.UUID(text)


# --- rows read lazily: what a read does not look at is not decoded ------------------------------

L = TypeVar("L", bound="Lazy")


class Lazy:
    """A base of a frozen dataclass (without slots: its instance dictionary keeps what has
    been decoded) read from a row by `lazy`: its plain fields set at once, every other field
    decoded from the row when first read, by the class's `decoders` (field name: a function
    of the row), and kept. A page of meetings read every column of every row (about ten
    JSON documents, a UUID per event, the dates and periods), most of it never looked at.
    Equality, hashing and `repr` (the dataclass's) read every field, so they are the eager
    dataclass's; one made by its constructor decodes nothing. A malformed stored value
    raises when its field is first read rather than when the row is read."""

    decoders: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only for a name the instance dictionary lacks: a field not decoded yet.
            found = self.__dict__
            decode = self.decoders.get(name)
            if decode is None or "_row" not in found:
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
                )
            value = found[name] = decode(found["_row"])
            return value


def lazy(cls: type[L], row: Sequence[Any], plain: dict[str, Any]) -> L:
    """An instance of `cls` (a `Lazy` dataclass) over `row`: the fields in `plain` as given
    (`plain` becomes its dictionary), the others decoded from `row` when first read."""
    found = object.__new__(cls)
    plain["_row"] = row
    _set(found, "__dict__", plain)
    return found


def json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A JSON column selected as its stored text (`decode_json` reads it): SQLite's text as
    it is, PostgreSQL's `json` cast to text, not decoded by the driver (asyncpg's codec)."""
    return sa.cast(column, sa.Text()).label(column.key)


def read_columns(table: sa.Table, names: tuple[str, ...]) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns `names` of `table`, in this order, to read rows lazily: the JSON ones as
    their text (`json_text`), decoded by the row's class when first read. Made once per
    table (kept in its `info`, as `statements.cached` keeps statements)."""
    made: dict[tuple[str, ...], tuple[sa.ColumnElement[Any], ...]]
    made = table.info.setdefault("sco_registry.read_columns", {})
    found = made.get(names)
    if found is None:
        found = made[names] = tuple(
            json_text(table.c[n]) if isinstance(table.c[n].type, sa.JSON) else table.c[n]
            for n in names
        )
    return found


def json_at(i: int) -> Callable[[Sequence[Any]], Any]:
    """The decoder of a JSON column at `i` of a row (`read_columns`)."""
    return lambda row: decode_json(row[i])


def json_tuple_at(i: int) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The decoder of a JSON list at `i` as a tuple (as the eager rows made them)."""
    return lambda row: tuple(decode_json(row[i]))


def period_of_dates(start: Any, end: Any) -> Period:
    """A row's valid period from the dates its `facts` made it of (`bitemporal.valid_columns`
    of the stored start and end), as `asof.period_from` reads it from the row's valid
    columns: the same columns, so the same period, without selecting them (`_READ`s)."""
    columns = bitemporal.valid_columns(start, end)
    return asof.period_from(tuple(columns[c] for c in VALID_TIME_COLUMNS))


def events_at(i: int) -> Callable[[Sequence[Any]], tuple[tuple[uuid.UUID, int], ...]]:
    """The decoder of an `events` column at `i` (`made_by`)."""
    return lambda row: events_of(decode_json(row[i]))


K = TypeVar("K")


class KeptRows(Generic[K]):
    """Rows made into their class (`make`, a `records.Lazy` one), the last `size` of them
    kept by their values: a row read again, with the same values in every column, is the
    same instance, its fields decoded when first read by any read (a version's row changes
    only when it is closed, and its `recorded_to` is one of its values). A page of 100
    meetings read the same rows request after request, and decoded their dates, sources
    and the rest each time (about a third of the GraphQL page's own work, and its
    allocations). The instances are shared: what they hold is never changed (as a frozen
    dataclass's fields, and the JSON they decode to, by any read). Thread-safe: a row made
    twice at once is kept once; reads and decoding need no lock (the GIL)."""

    def __init__(self, make: Callable[[tuple[Any, ...]], K], size: int) -> None:
        self._make = make
        self._size = size
        self._kept: dict[tuple[Any, ...], K] = {}
        self._lock = threading.Lock()

    def __call__(self, r: Sequence[Any]) -> K:
        values = tuple(r)
        kept = self._kept
        try:
            found = kept.get(values)
        except TypeError:  # a value that is not hashable: made, not kept
            return self._make(values)
        if found is not None:
            return found
        made = self._make(values)
        with self._lock:
            found = kept.get(values)
            if found is not None:
                return found
            if len(kept) >= self._size:
                del kept[next(iter(kept))]  # the oldest first
            kept[values] = made
        return made

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


#: How many rows of each kind `KeptRows` keeps (about ten pages of 100).
KEPT_ROWS = 1024
