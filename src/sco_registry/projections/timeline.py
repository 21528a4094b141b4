"""The timeline read model: every fact in valid-time order.

A row is one version of one fact: an event of a stream as the registry holds it (its data
*as corrected*, `folding.effective`), or a correction or retraction (kind `correction` /
`retraction`, naming the event it corrects in `corrects_event_id`). Each row has its kind
(the stream's family: `meeting`, `membership`, `document`, ...), its event type, the entity
(the stream id, and the importer's record id where the event carries one), a short summary
made from its data, its sources, and the confidence and note of the record behind it (the
events' metadata `record`), a valid time and a record period [recorded_from, recorded_to).
A fact is an instant, its date (`valid_time`, as corrected): it is stored as a
`domain/periods.py` period whose start and end are both that date, so its four bounds keep a
partial date's uncertainty ("2004-06": some day in [2004-06-01, 2004-06-30]); the timeline
orders and ranges by those bounds (a fact falls in [from_, to] possibly when
start_lo <= to's last day and end_hi >= from_'s first day), not by the period's "holds on"
questions, which are for states that last.

How the rows are made, as in the membership model: the projection keeps every stream as
recorded (`timeline_events`); on every event of a stream it derives the stream's rows afresh
and compares them with the current ones: a row that no longer holds is closed at the
event's position, a new one opened. So a correction closes the corrected fact's row (the
fact is *superseded in record time*), opens its corrected version and a correction row; a
retraction closes the fact's row and opens a retraction row; the rows known at P are those
a replay of the log up to P would hold as current. The common case is cheaper: a fact that
corrects nothing, in a stream with no open correction or retraction row (so nothing could
name it), leaves every other row as it was and only appends its own, with the ordinal the
full derivation would give it (the count of the stream's open rows).

The order is a stable keyset: (valid-time lower bound, upper bound, position), with
undated facts first (`sort_lo` / `sort_hi` are the bounds with "" and "~" for unknown).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog
from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.folding import StoredEvent, effective
from sco_registry.domain.periods import Period, RecordPeriod, record_time_sql
from sco_registry.domain.time import PartialDate
from sco_registry.projections import asof, bitemporal, records, statements, streams, unit
from sco_registry.projections.base import Position, Projection, Tables, metadata
from sco_registry.store.base import RecordedEvent

EVENTS = "timeline_events"
FACTS = "timeline_facts"

_VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")
CONTENT = (
    "kind",
    "event_type",
    "record_id",
    "summary",
    *_VALID,
    "sort_lo",
    "sort_hi",
    "event_id",
    "position",
    "corrects_event_id",
    "sources",
    "confidence",
    "note",
)
# Sort keys for unknown bounds: before and after every ISO day.
LOWEST, HIGHEST = "", "~"
_SUMMARY_SKIP = frozenset({"sources", "valid_time", "changes"})


def _year(column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    # Literals, not bound parameters: SQLite uses a partial index only for a query whose
    # WHERE clause holds the index's own predicate, expression for expression.
    one, four = sa.literal_column("1", sa.Integer()), sa.literal_column("4", sa.Integer())
    return sa.func.substr(column, one, four)


def spans_years(table: sa.Table) -> sa.ColumnElement[bool]:
    """A fact whose end's year is not its start's (undated start: "" is no year): the
    predicate of the partial index `ix_timeline_facts_spanning`, as `timeline` asks it."""
    return _year(table.c.valid_to_hi) != _year(table.c.sort_lo)


class TimelineProjection(Projection):
    name = "timeline"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        events = sa.Table(
            EVENTS + suffix,
            target,
            sa.Column("position", Position, primary_key=True, autoincrement=False),
            sa.Column("stream_id", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Column("record", sa.JSON(), nullable=False),
            sa.Index(f"ix_{EVENTS}{suffix}_stream_id", "stream_id"),
        )
        facts = sa.Table(
            FACTS + suffix,
            target,
            sa.Column("stream_id", sa.Text(), primary_key=True),
            sa.Column("recorded_from", Position, primary_key=True, autoincrement=False),
            sa.Column("ordinal", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("recorded_to", Position, nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            sa.Column("kind", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("record_id", sa.Text(), nullable=True),
            sa.Column("summary", sa.Text(), nullable=False),
            *(sa.Column(c, sa.Text(), nullable=True) for c in _VALID),
            sa.Column("sort_lo", sa.Text(), nullable=False),
            sa.Column("sort_hi", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("position", Position, nullable=False),
            sa.Column("corrects_event_id", sa.Text(), nullable=True),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.Column("confidence", sa.Text(), nullable=True),
            sa.Column("note", sa.Text(), nullable=True),
            # The page order, then what a page's record-time conditions test (`_page`:
            # read off the index's entries, not the rows; `from_` and `to` are tested on
            # the sort keys, which are the bounds they test).
            sa.Index(
                f"ix_{FACTS}{suffix}_page",
                "sort_lo",
                "sort_hi",
                "position",
                "recorded_from",
                "recorded_to",
            ),
            sa.Index(f"ix_{FACTS}{suffix}_record_id", "record_id"),
        )
        # The facts whose valid period crosses a new year, in page order: the only ones a
        # page from a date must look for before that date's year (`timeline`).
        spans = spans_years(facts)
        sa.Index(
            f"ix_{FACTS}{suffix}_spanning",
            facts.c.sort_lo,
            facts.c.sort_hi,
            facts.c.position,
            sqlite_where=spans,
            postgresql_where=spans,
        )
        return {EVENTS: events, FACTS: facts}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        events, facts = tables[EVENTS], tables[FACTS]
        stream_id = event.stream_id
        data = _upcast(event)
        if event.valid_time is not None and "valid_time" not in data:
            data["valid_time"] = str(event.valid_time)
        record = dict(event.metadata.get("record") or {})
        if event.metadata.get("record_id") is not None:
            record["record_id"] = str(event.metadata["record_id"])
        key = ("stream_id", stream_id)
        if event.stream_version == 1 and event.type not in CORRECTION_TYPES:
            # A stream's first event: its one row is what `derive` makes of it (a fact of
            # its family, nothing corrected), the scope new.
            streams.add(conn, events, key, event, {"data": data, "record": record})
            row = fact_row(
                stream_id, event.position, statements.uuid_text(event.event_id), event.type, data
            )
            bitemporal.sync(
                conn,
                facts,
                scope={"stream_id": stream_id},
                content=CONTENT,
                derived=[{**row, **_record_columns(record)}],
                event=event,
                new_scope=True,
            )
            return
        if event.stream_version > 1 and event.type not in CORRECTION_TYPES:
            # A fact that corrects nothing adds its own row and changes no other, as long as
            # no correction in its stream could name it: then its row is the last of the
            # stream's derived rows, whose others are the open rows (as `sync` would find).
            streams.add(conn, events, key, event, {"data": data, "record": record})
            count, fixes = _open_count_of(conn, facts, stream_id)
            if not fixes:
                row = fact_row(
                    stream_id,
                    event.position,
                    statements.uuid_text(event.event_id),
                    event.type,
                    data,
                )
                bitemporal.append(
                    conn,
                    facts,
                    scope={"stream_id": stream_id},
                    rows=[(count, {**row, **_record_columns(record)})],
                    event=event,
                )
                return
            stream = streams.read(conn, events, key, _STREAM)
        else:
            stream = streams.keep(
                conn, events, key, event, {"data": data, "record": record}, _STREAM
            )
        bitemporal.sync(
            conn,
            facts,
            scope={"stream_id": stream_id},
            content=CONTENT,
            derived=derive(stream_id, [(r[0], r[1], r[2], r[3], r[4]) for r in stream]),
            event=event,
            new_scope=event.stream_version == 1,
        )


_STREAM = (*streams.STREAM_COLUMNS, "record")


def _open_count(facts: sa.Table) -> sa.Select[int, int]:
    """A stream's open rows: how many, and how many of them corrections or retractions."""
    fixes = facts.c.kind.in_(("correction", "retraction"))
    return sa.select(sa.func.count(), sa.func.count().filter(fixes)).where(
        facts.c.stream_id == sa.bindparam("w_stream_id"), facts.c.recorded_to.is_(None)
    )


def _open_count_of(conn: Connection, facts: sa.Table, stream_id: str) -> tuple[int, int]:
    """`_open_count`'s answer; under a unit, from the stream's open rows it holds."""
    if unit.active(conn) is not None:
        rows = bitemporal.open_rows(conn, facts, {"stream_id": stream_id})
        return len(rows), sum(1 for r in rows if r["kind"] in ("correction", "retraction"))
    query = statements.cached(facts, "open_count", _open_count)
    count, fixes = conn.execute(query, {"w_stream_id": stream_id}).one()
    return int(count), int(fixes)


LIVE: Tables = TimelineProjection.define(metadata)
TimelineProjection.tables = LIVE


def _upcast(event: RecordedEvent) -> dict[str, Any]:
    """The event's data at its type's current schema; a type the catalog does not know (the
    log accepts any) is shown as stored rather than refused."""
    try:
        return dict(catalog.upcast(event.type, event.schema_version, event.data))
    except InvalidValue as e:
        if e.code != "event.unknown_type":
            raise
        return dict(event.data)


def summarize(event_type: str, data: Mapping[str, Any]) -> str:
    """A short, deterministic line: the type and the data's plain fields."""
    parts = [
        f"{k}={v}"
        for k, v in sorted(data.items())
        if k not in _SUMMARY_SKIP and isinstance(v, str | int | float | bool) and v != ""
    ]
    text = event_type + (": " + ", ".join(parts) if parts else "")
    return text if len(text) <= 200 else text[:199] + "…"


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def derive(
    stream_id: str,
    stream: Sequence[tuple[int, str, str, Mapping[str, Any], Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """A stream's timeline rows (content columns) from its events as recorded: (position,
    event id, type, data, record metadata) in position order, corrections included."""
    family = stream_id.split("/", 1)[0]
    held = {
        str(e.event_id): e
        for e in effective([StoredEvent(uuid.UUID(i), t, d) for _, i, t, d, _ in stream])
    }
    out: list[dict[str, Any]] = []
    for position, event_id, event_type, data, record in stream:
        if event_type in CORRECTION_TYPES:
            kind = "correction" if event_type == "EventCorrected" else "retraction"
            content_data: Mapping[str, Any] = data
            corrects: str | None = str(data["event_id"])
            summary = f"{kind} of {corrects}: {data.get('reason', '')}".strip()
            if data.get("changes"):
                summary += " (" + ", ".join(sorted(data["changes"])) + ")"
        elif event_id in held:
            kind, content_data, corrects = family, held[event_id].data, None
            summary = summarize(event_type, content_data)
        else:
            continue  # retracted: only its retraction row stays current
        out.append(
            {
                **fact_row(
                    stream_id, position, event_id, event_type, content_data, kind, corrects, summary
                ),
                **_record_columns(record),
            }
        )
    return out


def fact_row(
    stream_id: str,
    position: int,
    event_id: str,
    event_type: str,
    data: Mapping[str, Any],
    kind: str | None = None,
    corrects: str | None = None,
    summary: str | None = None,
) -> dict[str, Any]:
    """A timeline row's content but for its record's columns (`_record_columns`): by
    default a fact of its stream's family with its data (as corrected)."""
    raw = data.get("valid_time")
    return {
        "kind": kind or stream_id.split("/", 1)[0],
        "event_type": event_type,
        "summary": summarize(event_type, data) if summary is None else summary,
        **_instant(raw if isinstance(raw, str) else None),
        "event_id": event_id,
        "position": position,
        "corrects_event_id": corrects,
        "sources": list(data.get("sources") or []),
    }


@functools.lru_cache(maxsize=4096)
def _instant(raw: str | None) -> Mapping[str, str | None]:
    """A fact's valid-time columns and sort keys from its date as given (None: undated):
    the period from that date to itself. Cached (many facts share a date); the caller
    copies it into its row."""
    columns = bitemporal.period_columns(raw, raw)
    columns["sort_lo"] = columns["valid_from_lo"] or LOWEST
    columns["sort_hi"] = columns["valid_to_hi"] or HIGHEST
    return MappingProxyType(columns)


def _record_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "record_id": _text(record.get("record_id")),
        "confidence": _text(record.get("confidence")),
        "note": _text(record.get("note")),
    }


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry(records.Lazy):
    """One fact (or correction, or retraction) as known over a record period (`_entry`:
    its period, event ids, sources and record time decoded when first read)."""

    kind: str
    event_type: str
    entity: str
    record_id: str | None
    summary: str
    period: Period
    event_id: uuid.UUID
    position: int
    corrects: uuid.UUID | None
    sources: tuple[Mapping[str, Any], ...]
    confidence: str | None
    note: str | None
    record: RecordPeriod
    recorded_at: str
    key: tuple[str, str, int]


# The columns an entry is read from, in this order (`_entry`).
_READ = (
    "kind",
    "event_type",
    "stream_id",
    "record_id",
    "summary",
    "position",
    "confidence",
    "note",
    "recorded_at",
    "sort_lo",
    "sort_hi",
    "recorded_from",
    "recorded_to",
    "event_id",
    "corrects_event_id",
    *_VALID,
    "sources",
)
_AT = {name: i for i, name in enumerate(_READ)}
_PERIOD = slice(_AT["valid_from"], _AT["valid_from"] + len(_VALID))
_FROM, _TO, _EVENT, _CORRECTS = (
    _AT["recorded_from"], _AT["recorded_to"], _AT["event_id"], _AT["corrects_event_id"]
)  # fmt: skip
TimelineEntry.decoders = {
    "period": lambda r: asof.period_from(tuple(r[_PERIOD])),
    "event_id": lambda r: records.parse_uuid(r[_EVENT]),
    "corrects": lambda r: None if r[_CORRECTS] is None else records.parse_uuid(r[_CORRECTS]),
    "sources": records.json_tuple_at(_AT["sources"]),
    "record": lambda r: RecordPeriod(r[_FROM], r[_TO]),
}


def _columns(table: sa.Table) -> tuple[sa.ColumnElement[Any], ...]:
    return records.read_columns(table, _READ)


def _entry(r: Sequence[Any]) -> TimelineEntry:
    """A row of `_columns` as an entry: the plain columns at once, the rest when read."""
    position = int(r[5])
    return records.lazy(
        TimelineEntry,
        r,
        {
            "kind": r[0],
            "event_type": r[1],
            "entity": r[2],
            "record_id": r[3],
            "summary": r[4],
            "position": position,
            "confidence": r[6],
            "note": r[7],
            "recorded_at": r[8],
            "key": (r[9], r[10], position),
        },
    )


def timeline(
    conn: Connection,
    from_: PartialDate | None = None,
    to: PartialDate | None = None,
    kinds: Collection[str] | None = None,
    entity: str | None = None,
    known_at: int | None = None,
    after: tuple[str, str, int] | None = None,
    limit: int = 100,
    *,
    tables: Tables | None = None,
) -> list[TimelineEntry]:
    """The facts as known at `known_at` (None: now), in (valid-time lower bound, upper
    bound, position) order, at most `limit`, after the key `after` (an entry's `key`: the
    next page). `from_` / `to` keep the facts that may fall on or after `from_`'s start /
    on or before `to`'s end (undated facts only when neither is given); `kinds` keeps those
    kinds (`meeting`, `membership`, ..., `correction`, `retraction`); `entity` a stream id
    or a record id."""
    table = (tables or LIVE)[FACTS]
    kinds = None if kinds is None else list(kinds)
    values: dict[str, Any] = {"w_limit": limit}
    if known_at is not None:
        values["position"] = known_at
    if from_ is not None:
        values["w_from"] = from_.lower.isoformat()
        values["w_year"] = f"{from_.lower.year:04d}"
    if to is not None:
        values["w_to"] = to.upper.isoformat()
    if kinds is not None:
        values["w_kinds"] = kinds
    if entity is not None:
        values["w_entity"] = entity
    if after is not None:
        values["w_after_lo"], values["w_after_hi"], values["w_after_position"] = after
    shape = (
        known_at is None,
        from_ is not None,
        to is not None,
        kinds is not None,
        entity is not None,
        after is not None,
    )
    if from_ is None:
        query = statements.cached(table, ("timeline", *shape, "all"), _page(shape, "all"))
        return [_entry(r) for r in conn.execute(query, values)]
    # In page order, a fact that may fall on or after `from_` can start long before it;
    # scanning the order from its start for the first of them read every earlier fact
    # (half the table for a date half-way). Split: a fact that starts in or after `from_`'s
    # year is in a range of the order's index from there (`within`); one that starts
    # before that year (or has no start) and may fall on or after `from_` ends in a later
    # year than it starts, so it is on the partial index of the facts crossing a new year
    # (`crossing`). The two parts cover every fact the query selects, so the first `limit`
    # of their union are the page (each of those is among the first `limit` of `within`
    # or in `crossing`). They overlap (a fact crossing a new year from `from_`'s year on
    # is in both): a row found twice is kept once. (The model's facts are instants, whose
    # bounds are in one year, so `crossing` finds none but rows made otherwise, as the
    # tests'.) Two plain statements, merged here: a UNION of ordered subqueries cost more
    # to build in SQLAlchemy than the page's SQL takes to run; both are built once per
    # shape of question and cached.
    found: dict[tuple[str, str, int, int], TimelineEntry] = {}
    for part in ("within", "crossing"):
        query = statements.cached(table, ("timeline", *shape, part), _page(shape, part))
        for r in conn.execute(query, values):
            entry = _entry(r)
            found[(*entry.key, entry.record.recorded_from)] = entry
    return [found[k] for k in sorted(found)[:limit]]


_ORDER = ("sort_lo", "sort_hi", "position")
# What identifies a row among those of the page index (`ix_timeline_facts_page`).
_PAGE_KEY = (*_ORDER, "recorded_from")


def _page(
    shape: tuple[bool, bool, bool, bool, bool, bool], part: str
) -> Callable[[sa.Table], sa.Select[Any]]:
    """The statement of a timeline page of that shape (`timeline`; its bound parameters
    named `w_...`, and `position` for a known-at question) for one part of it: `all` (no
    `from_`), `within` or `crossing` (`from_`: the facts starting in or after its year, and
    those crossing a new year).

    `all` and `within` are read in two steps: the first `limit` keys of the page, off the
    page index, whose columns after the order's (`recorded_from`, `recorded_to`) answer
    the record-time conditions without reading the table's rows (PostgreSQL: an
    index-only scan; SQLite: the terms on index columns are tested before the row is
    read), then those rows. `from_` and `to` are tested on the sort keys, the same
    bounds: `sort_hi` is `valid_to_hi`, or "~" (after every date) for none; `sort_lo` is
    `valid_from_lo`, or "" for none. A page known at a position before
    most of the facts after `from_` (the synthetic positions grow with the dates) walks
    that whole tail of the index and rejects it: off the index's entries alone, that
    costs a fraction of reading each rejected row."""
    now, has_from, has_to, has_kinds, has_entity, has_after = shape

    def build(table: sa.Table) -> sa.Select[Any]:
        c = table.c
        where: list[sa.ColumnElement[bool] | sa.TextClause] = []
        if part == "crossing":
            # Only the partial index of the facts crossing a new year is to serve this
            # part, so its conditions are written as no other index's: PostgreSQL's
            # planner estimates that index's predicate at 99.5% of the rows, and would
            # walk the page index with these conditions as its quals instead (or scan the
            # table), tens of milliseconds for none. (A position is never 0; an inequality,
            # estimated at a third of the rows, not an equality, estimated at 0.5%: for so
            # few rows the planner chose a parallel bitmap scan, whose workers' start-up
            # alone took 15-30 ms.)
            known = sa.bindparam("position", type_=sa.Integer())
            if now:
                where.append(sa.func.coalesce(c.recorded_to, 0) <= 0)
            else:
                where.append(c.recorded_from + 0 <= known)
                where.append(sa.func.coalesce(c.recorded_to, known + 1) > known)
            where.append(sa.func.coalesce(c.valid_to_hi, "") >= sa.bindparam("w_from"))
            where.append(spans_years(table))
        else:
            if now:
                where.append(c.recorded_to.is_(None))
            else:
                where.append(sa.text(record_time_sql(table.name)))
            if has_from:
                where += [c.sort_hi < HIGHEST, c.sort_hi >= sa.bindparam("w_from")]
                where.append(c.sort_lo >= sa.bindparam("w_year", type_=sa.Text()))
        if has_to:
            where += [c.sort_lo > LOWEST, c.sort_lo <= sa.bindparam("w_to")]
        if has_kinds:
            where.append(c.kind.in_(sa.bindparam("w_kinds", expanding=True)))
        if has_entity:
            entity = sa.bindparam("w_entity", type_=sa.Text())
            where.append(sa.or_(c.stream_id == entity, c.record_id == entity))
        if has_after:
            lo = sa.bindparam("w_after_lo", type_=sa.Text())
            hi = sa.bindparam("w_after_hi", type_=sa.Text())
            position = sa.bindparam("w_after_position", type_=sa.Integer())
            where.append(
                sa.or_(
                    c.sort_lo > lo,
                    sa.and_(c.sort_lo == lo, c.sort_hi > hi),
                    sa.and_(c.sort_lo == lo, c.sort_hi == hi, c.position > position),
                )
            )
        order = [c[k] for k in _ORDER]
        limit = sa.bindparam("w_limit", type_=sa.Integer())
        if part == "crossing":
            return sa.select(*_columns(table)).where(*where).order_by(*order).limit(limit)
        keys = (
            sa.select(*(c[k] for k in _PAGE_KEY))
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .subquery("page")
        )
        joined = sa.and_(*(c[k] == keys.c[k] for k in _PAGE_KEY))
        # Ordered by the page's own columns (the same values): ordered by the table's,
        # SQLite's planner walked the whole page index to save sorting 100 rows, probing
        # the page for each entry (first page of 100,000 facts: 10-13 ms instead of 0.4).
        return (
            sa.select(*_columns(table))
            .select_from(table)
            .join(keys, joined)
            .order_by(*(keys.c[k] for k in _ORDER))
        )

    return build
