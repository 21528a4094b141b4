"""The bodies read model: each body's facts, and its status, name and seat over time.

Rows (`derived.py`: per body stream, both times, facts from the events as corrected):

* `body_facts`, one row per body: its category, organization, parent, permanence, mandate
  and expiry (an expert group's, where recorded), the dates it was decided, established
  and dissolved (as given), and its latest name and seat; from the latest description
  (`BodyDecided`, `BodyEstablished`, `ExpertGroupFormed`) and the dissolution.
* `body_periods`, one row per period of one `aspect`:
  - `status`: decided (from the decision to the establishment), established (to the
    dissolution), dissolved (from it, open);
  - `name`: a name and abbreviation, from the body's first description to a renaming;
  - `seat`: a seat and its state, from the first description carrying one to a
    relocation (or an establishment at another seat).
  A dissolution ends the name and seat periods. The changes are taken in valid-time order
  (an undated description first: "from the start of its history"; ties in recording
  order); a change that leaves the value as it was ends nothing.

Read functions take `as_of` (a day or a partial date) and `known_at` (a log position; None:
now): `body`, `bodies`, `status_history`, `name_history`, `seat_history`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import ids
from sco_registry.domain.bodies import BodyCategory
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.domain.time import PartialDate
from sco_registry.projections import derived as d
from sco_registry.projections.base import Tables, metadata

EVENTS = "body_events"
FACTS = "body_facts"
PERIODS = "body_periods"

DESCRIBED = ("BodyDecided", "BodyEstablished", "ExpertGroupFormed")

FACT_COLUMNS: d.Content = (
    ("name", d.TEXT, False),
    ("abbreviation", d.TEXT, True),
    ("category", d.TEXT, False),
    ("organization_id", d.TEXT, False),
    ("parent", d.TEXT, True),
    ("permanence", d.TEXT, True),
    ("mandate", d.TEXT, True),
    ("expires_on", d.TEXT, True),
    ("decided_on", d.TEXT, True),
    ("established_on", d.TEXT, True),
    ("dissolved_on", d.TEXT, True),
    ("dissolved", sa.Boolean(), False),
    ("seat", d.TEXT, True),
    ("seat_state", d.TEXT, True),
    *d.EVENT_COLUMNS,
)
PERIOD_COLUMNS: d.Content = (
    ("aspect", d.TEXT, False),
    ("status", d.TEXT, True),
    ("name", d.TEXT, True),
    ("abbreviation", d.TEXT, True),
    ("seat", d.TEXT, True),
    ("seat_state", d.TEXT, True),
    *d.VALID_COLUMNS,
    *d.EVENT_COLUMNS,
)
ASPECTS = ("status", "name", "seat")


class BodiesProjection(d.DerivedProjection):
    name = "bodies"
    version = 1
    prefix = ids.BODY
    events_table = EVENTS
    key = "body_id"
    row_tables: ClassVar[Mapping[str, d.Content]] = {FACTS: FACT_COLUMNS, PERIODS: PERIOD_COLUMNS}
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {FACTS: ("organization_id", "category")}

    def derive(self, record_id: str, stream: list[d.Held]) -> Mapping[str, list[dict[str, Any]]]:
        return derive(stream)

    def derive_kept(
        self, record_id: str, stream: list[d.Held], rows: dict[Hashable, Any]
    ) -> Mapping[str, list[dict[str, Any]]]:
        return derive(stream, rows)


LIVE: Tables = BodiesProjection.define(metadata)
BodiesProjection.tables = LIVE


def _s(date: PartialDate | None) -> str | None:
    return None if date is None else str(date)


def _values(h: d.Held, aspect: str) -> dict[str, Any] | None:
    """The value an event gives an aspect (None: it gives none, the value stays)."""
    t, data = h.event_type, h.data
    if aspect == "status":
        if t == "BodyDecided":
            return {"status": "decided"}
        if t in ("BodyEstablished", "ExpertGroupFormed"):
            return {"status": "established"}
        if t == "BodyDissolved":
            return {"status": "dissolved"}
        return None
    if aspect == "name":
        if t in DESCRIBED or t == "BodyRenamed":
            return {"name": data["name"], "abbreviation": data.get("abbreviation")}
        return None
    if t in DESCRIBED or t == "SeatRelocated":
        if data.get("seat") is None:
            return None
        return {"seat": data["seat"], "seat_state": data.get("seat_state")}
    return None


_EMPTY = {"status": None, "name": None, "abbreviation": None, "seat": None, "seat_state": None}


def _periods(ordered: Sequence[d.Held], aspect: str, rows: d.Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    current: tuple[d.Held, dict[str, Any]] | None = None

    def close(end: d.Held | None) -> None:
        assert current is not None
        start, values = current
        # An undated start ended by an undated change held on no day the registry can name.
        if end is not None and end.date is None:
            return
        out.append(rows.get(aspect, start, end, _row, aspect, start, values, end))

    for h in ordered:
        if aspect != "status" and h.event_type == "BodyDissolved":
            if current is not None:
                close(h)
            current = None
            continue
        values = _values(h, aspect)
        if values is None or (current is not None and values == current[1]):
            continue
        if current is not None:
            close(h)
        current = (h, values)
    if current is not None:
        close(None)
    return out


def _row(
    aspect: str, start: d.Held, values: Mapping[str, Any], end: d.Held | None
) -> dict[str, Any]:
    """A period of `aspect` (its `values` are `start`'s) from `start` to `end`."""
    period = Period(start.date, None if end is None else end.date)
    return {"aspect": aspect, **_EMPTY, **values, **period.columns(), **d.started_ended(start, end)}


def derive(
    stream: Sequence[d.Held], kept: dict[Hashable, Any] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """A body's facts row and its periods (content columns) from its stream as it holds.
    `kept`: the periods made so far, kept with a carried stream (`derived.Rows`)."""
    rows = d.Rows(kept, len(stream))
    described = [h for h in stream if h.event_type in DESCRIBED]
    if not described:
        return {FACTS: [], PERIODS: []}
    ordered = d.in_valid_order(stream)
    latest = described[-1].data
    decided = [h.date for h in described if h.event_type == "BodyDecided"]
    established = [h.date for h in described if h.event_type != "BodyDecided"]
    dissolutions = [h for h in stream if h.event_type == "BodyDissolved"]
    periods = [row for aspect in ASPECTS for row in _periods(ordered, aspect, rows)]
    names = [p for p in periods if p["aspect"] == "name"]
    seats = [p for p in periods if p["aspect"] == "seat"]
    facts = {
        "name": (names[-1]["name"] if names else latest["name"]),
        "abbreviation": (names[-1]["abbreviation"] if names else latest.get("abbreviation")),
        "category": latest["category"],
        "organization_id": latest["organization_id"],
        "parent": latest.get("parent"),
        "permanence": latest.get("permanence"),
        "mandate": latest.get("mandate"),
        "expires_on": latest.get("expires_on"),
        "decided_on": _s(decided[-1]) if decided else None,
        "established_on": _s(established[-1]) if established else None,
        "dissolved_on": _s(dissolutions[-1].date) if dissolutions else None,
        "dissolved": bool(dissolutions),
        "seat": seats[-1]["seat"] if seats else None,
        "seat_state": seats[-1]["seat_state"] if seats else None,
        **d.started_ended(described[-1], dissolutions[-1] if dissolutions else None),
    }
    return {FACTS: [facts], PERIODS: periods}


# --- read functions -----------------------------------------------------------------------------

AsOf = dt.date | PartialDate


@dataclass(frozen=True, slots=True)
class BodyRecord:
    """A body's facts as known over a record period (dates as given)."""

    body_id: str
    name: str
    abbreviation: str | None
    category: BodyCategory
    organization_id: str
    parent: str | None
    permanence: str | None
    mandate: str | None
    expires_on: str | None
    decided_on: str | None
    established_on: str | None
    dissolved_on: str | None
    dissolved: bool
    seat: str | None
    seat_state: str | None
    events: tuple[tuple[Any, int], ...]
    sources: tuple[Mapping[str, Any], ...]
    record: RecordPeriod


@dataclass(frozen=True, slots=True)
class BodyPeriod:
    """One period of a body's status, name or seat, as known over a record period."""

    body_id: str
    aspect: str
    status: str | None
    name: str | None
    abbreviation: str | None
    seat: str | None
    seat_state: str | None
    period: Period
    events: tuple[tuple[Any, int], ...]
    sources: tuple[Mapping[str, Any], ...]
    record: RecordPeriod


@dataclass(frozen=True, slots=True)
class PeriodAnswer:
    """A period that holds (yes) or may hold (perhaps) at the date asked about."""

    answer: Answer
    row: BodyPeriod

    @property
    def certain(self) -> bool:
        return self.answer.certain


@dataclass(frozen=True, slots=True)
class BodyAt:
    """A body at a date: its facts, and the status, name and seat periods that may hold
    then (two of one aspect when the dates do not say which side of a change it is)."""

    body: BodyRecord
    status: tuple[PeriodAnswer, ...]
    name: tuple[PeriodAnswer, ...]
    seat: tuple[PeriodAnswer, ...]


def _record(m: sa.RowMapping) -> BodyRecord:
    return BodyRecord(
        body_id=m["body_id"],
        name=m["name"],
        abbreviation=m["abbreviation"],
        category=BodyCategory(m["category"]),
        organization_id=m["organization_id"],
        parent=m["parent"],
        permanence=m["permanence"],
        mandate=m["mandate"],
        expires_on=m["expires_on"],
        decided_on=m["decided_on"],
        established_on=m["established_on"],
        dissolved_on=m["dissolved_on"],
        dissolved=bool(m["dissolved"]),
        seat=m["seat"],
        seat_state=m["seat_state"],
        events=d.events_of(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
    )


def _period(m: sa.RowMapping) -> BodyPeriod:
    return BodyPeriod(
        body_id=m["body_id"],
        aspect=m["aspect"],
        status=m["status"],
        name=m["name"],
        abbreviation=m["abbreviation"],
        seat=m["seat"],
        seat_state=m["seat_state"],
        period=Period.from_columns(dict(m)),
        events=d.events_of(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
    )


def _history(
    conn: Connection, body_id: str, aspect: str, known_at: int | None, tables: Tables | None
) -> list[BodyPeriod]:
    table = (tables or LIVE)[PERIODS]
    query = (
        sa.select(table)
        .where(table.c.body_id == body_id, table.c.aspect == aspect, d.known(table, known_at))
        .order_by(table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [_period(m) for m in conn.execute(query).mappings()]


def status_history(
    conn: Connection, body_id: str, known_at: int | None = None, *, tables: Tables | None = None
) -> list[BodyPeriod]:
    """The body's status periods (decided, established, dissolved) in valid-time order."""
    return _history(conn, body_id, "status", known_at, tables)


def name_history(
    conn: Connection, body_id: str, known_at: int | None = None, *, tables: Tables | None = None
) -> list[BodyPeriod]:
    """The body's names (with abbreviations) in valid-time order, as known at `known_at`."""
    return _history(conn, body_id, "name", known_at, tables)


def seat_history(
    conn: Connection, body_id: str, known_at: int | None = None, *, tables: Tables | None = None
) -> list[BodyPeriod]:
    """The body's seats (with their states) in valid-time order, as known at `known_at`."""
    return _history(conn, body_id, "seat", known_at, tables)


def _facts(
    conn: Connection, table: sa.Table, known_at: int | None, *conditions: Any
) -> list[BodyRecord]:
    query = sa.select(table).where(*conditions, d.known(table, known_at)).order_by(table.c.body_id)
    return [_record(m) for m in conn.execute(query).mappings()]


def _at(
    conn: Connection,
    table: sa.Table,
    body_ids: Sequence[str],
    as_of: AsOf,
    known_at: int | None,
    span: Span,
    *conditions: Any,
) -> list[PeriodAnswer]:
    possible, yes = d.valid_conditions(table, as_of, span)
    query = (
        sa.select(table, yes)
        .where(table.c.body_id.in_(body_ids), possible, d.known(table, known_at), *conditions)
        .order_by(table.c.body_id, table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [PeriodAnswer(d.answer(m), _period(m)) for m in conn.execute(query).mappings()]


def body(
    conn: Connection,
    body_id: str,
    as_of: AsOf | None = None,
    known_at: int | None = None,
    *,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> BodyAt | None:
    """The body as known at `known_at` (None if not known then), with the status, name and
    seat periods that may hold on `as_of` (None: the latest of each, answered yes)."""
    live = tables or LIVE
    found = _facts(conn, live[FACTS], known_at, live[FACTS].c.body_id == body_id)
    if not found:
        return None
    if as_of is None:
        latest = {}
        for aspect in ASPECTS:
            rows = _history(conn, body_id, aspect, known_at, tables)
            latest[aspect] = tuple(PeriodAnswer(Answer.YES, r) for r in rows[-1:])
        return BodyAt(found[0], latest["status"], latest["name"], latest["seat"])
    answers = _at(conn, live[PERIODS], [body_id], as_of, known_at, span)
    by = {a: tuple(x for x in answers if x.row.aspect == a) for a in ASPECTS}
    return BodyAt(found[0], by["status"], by["name"], by["seat"])


def bodies(
    conn: Connection,
    organization: str | None = None,
    category: BodyCategory | str | None = None,
    status_on: AsOf | None = None,
    known_at: int | None = None,
    *,
    status: str | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[BodyAt]:
    """The bodies known at `known_at`, of an organization and a category if given, by id.
    With `status_on`, only those with a status that may hold then (`status`: that one;
    else decided or established, not dissolved), each with its answers then."""
    live = tables or LIVE
    facts, periods = live[FACTS], live[PERIODS]
    conditions = []
    if organization is not None:
        conditions.append(facts.c.organization_id == organization)
    if category is not None:
        conditions.append(facts.c.category == str(category))
    found = _facts(conn, facts, known_at, *conditions)
    if status_on is None:
        return [BodyAt(b, (), (), ()) for b in found]
    answers = _at(conn, periods, [b.body_id for b in found], status_on, known_at, span)
    wanted = {status} if status is not None else {"decided", "established"}
    out = []
    for b in found:
        mine = [a for a in answers if a.row.body_id == b.body_id]
        statuses = tuple(a for a in mine if a.row.aspect == "status")
        if not any(a.row.status in wanted for a in statuses):
            continue
        out.append(
            BodyAt(
                b,
                statuses,
                tuple(a for a in mine if a.row.aspect == "name"),
                tuple(a for a in mine if a.row.aspect == "seat"),
            )
        )
    return out
