"""The meetings read model: each meeting of any body, as scheduled, held, postponed, moved
or cancelled, one row per version (`projections/records.py`).

Facts come from the meeting's events as corrected: body, ordinal, start and end dates as
given (the valid period runs from the start to the end), city, host state, format, status
(scheduled / held / postponed / cancelled), chair, participants, the documents the meeting
record lists, and its `changes` (each postponement, move and cancellation with its date).
`documents_of_meeting` answers with the documents whose signature names the meeting (the
documents model), and a meeting's `decisions` are the membership changes naming it (the
membership model's periods begun by a change that names the meeting).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.folding import StoredEvent
from sco_registry.domain.ids import MEETING
from sco_registry.domain.meetings import MeetingPhase
from sco_registry.domain.periods import (
    Answer,
    Period,
    RecordPeriod,
    Span,
    record_time_sql,
)
from sco_registry.domain.time import PartialDate
from sco_registry.projections import asof, bitemporal, membership, records, statements
from sco_registry.projections.base import Tables, metadata
from sco_registry.projections.records import KEPT_ROWS, ROWS, KeptRows, RecordProjection, known

_ARRANGED = (
    "body_id",
    "start_date",
    "end_date",
    "city",
    "host_state",
    "format",
    "ordinal",
    "chair",
)


def page_order(table: sa.Table) -> tuple[Any, ...]:
    """`page_key` as SQL over the rows table: the expressions of its index (`ix_..._page`).
    The key's first part (dated or not) needs no expression of its own: a row has no start
    bound exactly when it has no start date (`Period.columns`), and '' sorts before any ISO
    day, so the coalesced bounds order undated before dated as `page_key` does. A literal,
    not a bound parameter, so that the query's expressions are the index's (SQLite matches
    an expression index only on the same expression)."""
    empty = sa.literal_column("''", sa.Text())
    return (
        sa.func.coalesce(table.c.valid_from_lo, empty),
        sa.func.coalesce(table.c.valid_from_hi, empty),
        table.c.record_id,
    )


class MeetingsProjection(RecordProjection):
    name = "meetings"
    version = 1
    prefix = MEETING
    columns = (
        ("body_id", sa.Text()),
        ("ordinal", sa.Integer()),
        ("start_date", sa.Text()),
        ("end_date", sa.Text()),
        ("city", sa.Text()),
        ("host_state", sa.Text()),
        ("format", sa.Text()),
        ("status", sa.Text()),
        ("chair", sa.Text()),
        ("participants", sa.JSON()),
        ("documents", sa.JSON()),
        ("changes", sa.JSON()),
    )

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        tables = super().define(target, suffix)
        rows = tables[ROWS]
        # `meetings_page`'s order: a page is read off the index, not sorted from every row.
        sa.Index(f"ix_{rows.name}_page", *page_order(rows))
        return tables

    def facts(self, held: Sequence[StoredEvent]) -> dict[str, Any] | None:
        f: dict[str, Any] = {"status": None, "participants": [], "documents": [], "changes": []}
        for c in _ARRANGED:
            f[c] = None
        for e in held:
            d = e.data
            if e.type in ("MeetingScheduled", "MeetingHeld"):
                f.update({c: d.get(c) for c in _ARRANGED})
                f["status"] = (
                    MeetingPhase.HELD if e.type == "MeetingHeld" else MeetingPhase.SCHEDULED
                ).value
                if e.type == "MeetingHeld":
                    f["participants"] = list(d.get("participants") or [])
                    f["documents"] = list(d.get("documents") or [])
            elif e.type == "MeetingPostponed":
                f["status"] = MeetingPhase.POSTPONED.value
                f["changes"].append(
                    {
                        "kind": "postponed",
                        "date": d.get("valid_time"),
                        "new_start_date": d.get("new_start_date"),
                        "new_end_date": d.get("new_end_date"),
                    }
                )
                if d.get("new_start_date"):
                    f["start_date"], f["end_date"] = d["new_start_date"], d.get("new_end_date")
            elif e.type == "MeetingMoved":
                f["changes"].append(
                    {
                        "kind": "moved",
                        "date": d.get("valid_time"),
                        **{c: d.get(c) for c in ("city", "host_state", "format")},
                    }
                )
                for c in ("city", "host_state", "format"):
                    f[c] = d.get(c) or f[c]
            elif e.type == "MeetingCancelled":
                f["status"] = MeetingPhase.CANCELLED.value
                f["changes"].append({"kind": "cancelled", "date": d.get("valid_time")})
        if f["status"] is None:
            return None
        return {**f, **bitemporal.valid_columns(f["start_date"], f["end_date"])}


LIVE: Tables = MeetingsProjection.define(metadata)
MeetingsProjection.tables = LIVE


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting(records.Lazy):
    """A meeting as read (`_row`: its JSON, dates, period, events and record time decoded
    when first read, `records.Lazy`)."""

    meeting_id: str
    body_id: str | None
    ordinal: int | None
    start_date: PartialDate | None
    end_date: PartialDate | None
    period: Period
    city: str | None
    host_state: str | None
    format: str | None
    status: str
    chair: str | None
    participants: tuple[str, ...]
    listed_documents: tuple[str, ...]
    changes: tuple[dict[str, Any], ...]
    events: tuple[tuple[Any, int], ...]
    sources: tuple[dict[str, Any], ...]
    record: RecordPeriod
    recorded_at: str
    # Asked as of a date: was the meeting in session then (yes, perhaps, no)? None: not asked.
    answer: Answer | None = None


@dataclass(frozen=True, slots=True)
class MeetingDetail:
    """A meeting with the documents signed there and the membership decisions taken there."""

    meeting: Meeting
    documents: tuple[Any, ...]  # documents.Document, signature naming the meeting
    decisions: tuple[membership.StatusPeriod, ...]


def _date(text: str | None) -> PartialDate | None:
    return asof.date_of(text)


# The columns a meeting is read from, in this order (`_row`); an `answer` may follow. Not
# the valid period's: they are the start and end dates' (`facts`), and its period is made
# from them (`records.period_of_dates`): each column read costs the page (its 101 rows,
# request after request) as much as a tenth of its decoding.
_READ = (
    "record_id",
    "body_id",
    "ordinal",
    "city",
    "host_state",
    "format",
    "status",
    "chair",
    "recorded_at",
    "recorded_from",
    "recorded_to",
    "start_date",
    "end_date",
    "participants",
    "documents",
    "changes",
    "events",
    "sources",
)
_AT = {name: i for i, name in enumerate(_READ)}
_ANSWER = len(_READ)
_START, _END = _AT["start_date"], _AT["end_date"]
_FROM, _TO = _AT["recorded_from"], _AT["recorded_to"]
Meeting.decoders = {
    "start_date": lambda r: _date(r[_START]),
    "end_date": lambda r: _date(r[_END]),
    "period": lambda r: records.period_of_dates(r[_START], r[_END]),
    "participants": records.json_tuple_at(_AT["participants"]),
    "listed_documents": records.json_tuple_at(_AT["documents"]),
    "changes": records.json_tuple_at(_AT["changes"]),
    "events": records.events_at(_AT["events"]),
    "sources": records.json_tuple_at(_AT["sources"]),
    "record": lambda r: RecordPeriod(r[_FROM], r[_TO]),
}


def _select(table: sa.Table, *extra: Any) -> sa.Select[Any]:
    """The rows of `table` as `_row` reads them (`extra`: an `answer` column)."""
    return sa.select(*records.read_columns(table, _READ), *extra)


def _make(r: Sequence[Any]) -> Meeting:
    """A row of `_select` as a `Meeting`: the plain columns at once, the rest when read."""
    return records.lazy(
        Meeting,
        r,
        {
            "meeting_id": r[0],
            "body_id": r[1],
            "ordinal": r[2],
            "city": r[3],
            "host_state": r[4],
            "format": r[5],
            "status": r[6],
            "chair": r[7],
            "recorded_at": r[8],
            "answer": asof.answer_of(r[_ANSWER]) if len(r) > _ANSWER else None,
        },
    )


#: A row of `_select` as a `Meeting` (`_make`), kept (`records.KeptRows`).
_row: KeptRows[Meeting] = KeptRows(_make, KEPT_ROWS)


def _sort_key(m: Meeting) -> tuple[Any, ...]:
    return (m.start_date is not None, m.start_date.sort_key if m.start_date else (), m.meeting_id)


def meeting(
    conn: Connection,
    meeting_id: str,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> MeetingDetail | None:
    """The meeting as known at `known_at` (None: now), with its documents and decisions;
    None if it was not recorded then. With `as_of` (a day or a partial date), its `answer`
    says whether it was in session then: its days run from its start date to its end date,
    both included (no end date: its start's day), `domain.periods.occasion_answer`."""
    table = (tables or LIVE)[ROWS]
    extra = [] if as_of is None else [asof.answer_column(table, as_of, span, asof.Rule.OCCASION)]
    found = conn.execute(
        _select(table, *extra).where(table.c.record_id == meeting_id, known(table, known_at))
    ).first()
    if found is None:
        return None
    periods = membership.LIVE[membership.PERIODS]
    decisions = conn.execute(
        sa.select(periods)
        .where(periods.c.meeting == meeting_id, known(periods, known_at))
        .order_by(periods.c.state, periods.c.start_position)
    ).mappings()
    return MeetingDetail(
        meeting=_row(found),
        documents=tuple(documents_of_meeting(conn, meeting_id, known_at)),
        decisions=tuple(membership._row(p) for p in decisions),
    )


def documents_of_meeting(
    conn: Connection,
    meeting_id: str,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
) -> list[Any]:
    """The documents whose signature names the meeting, as known at `known_at`, by id;
    with `as_of`, those standing then (`documents.documents`)."""
    from sco_registry.projections import documents

    return documents.documents(conn, meeting=meeting_id, known_at=known_at, as_of=as_of, span=span)


def meetings(
    conn: Connection,
    body: str | None = None,
    host_state: str | None = None,
    format: str | None = None,
    status: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    ordinal: int | None = None,
    descending: bool = False,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[Meeting]:
    """The meetings matching every filter given, as known at `known_at`, by start date. A
    year filter keeps a meeting whose start may fall in the years asked (a partial start
    date counts by its bounds; an undated meeting matches no year filter). `as_of` keeps
    the meetings that were, or may have been, in session then (`meeting`), each with its
    `answer` (yes or perhaps)."""
    table = (tables or LIVE)[ROWS]
    extra = [] if as_of is None else [asof.answer_column(table, as_of, span, asof.Rule.OCCASION)]
    where = _filters(
        table, body, host_state, format, status, year_from, year_to, ordinal, known_at,
        as_of=as_of, span=span,
    )  # fmt: skip
    query = _select(table, *extra).where(*where)
    found = [_row(m) for m in conn.execute(query)]
    return sorted(found, key=_sort_key, reverse=descending)


def _filters(
    table: sa.Table,
    body: str | None,
    host_state: str | None,
    format: str | None,
    status: str | None,
    year_from: int | None,
    year_to: int | None,
    ordinal: int | None,
    known_at: int | None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
) -> list[Any]:
    """The WHERE clauses of `meetings`' filters. A year filter compares the start date's
    stored bounds (ISO days: their text order is their date order)."""
    conditions: list[Any] = [known(table, known_at)]
    if as_of is not None:
        conditions.append(asof.possible(table, as_of, span, asof.Rule.OCCASION))
    for column, value in (
        ("body_id", body),
        ("host_state", host_state),
        ("format", format),
        ("status", status),
        ("ordinal", ordinal),
    ):
        if value is not None:
            conditions.append(table.c[column] == (value if column == "ordinal" else str(value)))
    if year_from is not None:  # the start may fall in or after the year
        conditions.append(table.c.valid_from_hi >= f"{year_from:04d}-01-01")
    if year_to is not None:  # the start may fall in or before the year
        conditions.append(table.c.valid_from_lo <= f"{year_to:04d}-12-31")
    return conditions


#: A page's order: dated meetings after undated ones, by the start's bounds, then the id.
PageKey = tuple[bool, str, str, str]


def page_key(m: Meeting) -> PageKey:
    """The key `meetings_page` orders and cuts by (a cursor holds it)."""
    lo = "" if m.start_date is None else m.start_date.lower.isoformat()
    hi = "" if m.start_date is None else m.start_date.upper.isoformat()
    return (m.start_date is not None, lo, hi, m.meeting_id)


def meetings_page(
    conn: Connection,
    body: str | None = None,
    host_state: str | None = None,
    format: str | None = None,
    status: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    ordinal: int | None = None,
    known_at: int | None = None,
    *,
    after: PageKey | None = None,
    limit: int,
    descending: bool = False,
    tables: Tables | None = None,
) -> list[Meeting]:
    """`meetings` cut by the database: at most `limit` of them in `page_key` order (or its
    reverse), after the key `after`. One indexed query whatever the list's length."""
    table = (tables or LIVE)[ROWS]
    given = (body, host_state, format, status, ordinal, year_from, year_to)
    shape = (tuple(v is not None for v in given), known_at is None, after is not None, descending)
    query = statements.cached(
        table, ("meetings_page", shape), functools.partial(_page_statement, shape)
    )
    values: dict[str, Any] = {"p_limit": limit}
    for name, value in zip(_PAGE_FILTERS, given, strict=True):
        if value is not None:
            values[f"p_{name}"] = _filter_value(name, value)
    if known_at is not None:
        values["position"] = known_at
    if after is not None:
        # (The key's first part is implied by the second: `page_order`.)
        values["p_after_lo"], values["p_after_hi"], values["p_after_id"] = after[1:]
    return [_row(m) for m in conn.execute(query, values)]


# `meetings_page`'s filters, in the order of `_filters`' conditions, and their values.
_PAGE_FILTERS = ("body_id", "host_state", "format", "status", "ordinal", "year_from", "year_to")


def _filter_value(name: str, value: Any) -> Any:
    """A filter's value as `_filters` compares it."""
    if name == "ordinal":
        return value
    if name == "year_from":
        return f"{value:04d}-01-01"
    if name == "year_to":
        return f"{value:04d}-12-31"
    return str(value)


def _page_statement(
    shape: tuple[tuple[bool, ...], bool, bool, bool], table: sa.Table
) -> sa.Select[Any]:
    """`meetings_page`'s statement for one shape of question (which filters are given,
    known now or at a position, after a key or from the start, which way), built once per
    table (`statements.cached`): `_filters`' conditions in their order, every value (the
    filters', the position, the key's, the limit) bound at execution. Built anew, the
    statement and its cache key cost about half as much as reading its 101 rows."""
    present, now, resumed, descending = shape
    where: list[Any] = [
        table.c.recorded_to.is_(None) if now else sa.text(record_time_sql(table.name))
    ]
    for name, given in zip(_PAGE_FILTERS, present, strict=True):
        if not given:
            continue
        param = f"p_{name}"
        if name == "year_from":  # the start may fall in or after the year
            where.append(table.c.valid_from_hi >= sa.bindparam(param, type_=sa.Text()))
        elif name == "year_to":  # the start may fall in or before the year
            where.append(table.c.valid_from_lo <= sa.bindparam(param, type_=sa.Text()))
        else:
            where.append(table.c[name] == sa.bindparam(param, type_=table.c[name].type))
    key = page_order(table)
    if resumed:
        bound = sa.tuple_(
            *(sa.bindparam(f"p_after_{n}", type_=sa.Text()) for n in ("lo", "hi", "id"))
        )
        row = sa.tuple_(*key)
        where.append(row < bound if descending else row > bound)
    order = [k.desc() if descending else k.asc() for k in key]
    limit = sa.bindparam("p_limit", type_=sa.Integer())
    return _select(table).where(*where).order_by(*order).limit(limit)


def count_meetings(
    conn: Connection,
    body: str | None = None,
    host_state: str | None = None,
    format: str | None = None,
    status: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    ordinal: int | None = None,
    known_at: int | None = None,
    *,
    tables: Tables | None = None,
) -> int:
    """How many meetings `meetings` would give for these filters."""
    table = (tables or LIVE)[ROWS]
    where = _filters(table, body, host_state, format, status, year_from, year_to, ordinal, known_at)
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
    )
