"""The offices read model: who held which office of which body, over time.

One row per office term (`office_terms`, `derived.py`: per term stream, both times, facts
from the events as corrected): the body, the office, the person and their nationality, and
the valid period from the term's start to its end (the end recorded with the term, or the
date of the `OfficeTermEnded` that ended it; none: still held). Read functions: `holders`
(who may hold a body's offices on a date) and `office_history` (a body's terms in order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import ids
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.domain.time import PartialDate
from sco_registry.projections import derived as d
from sco_registry.projections.base import Tables, metadata

EVENTS = "office_events"
TERMS = "office_terms"

TERM_COLUMNS: d.Content = (
    ("body_id", d.TEXT, False),
    ("office", d.TEXT, False),
    ("person", d.TEXT, False),
    ("nationality", d.TEXT, True),
    *d.VALID_COLUMNS,
    *d.EVENT_COLUMNS,
)


class OfficesProjection(d.DerivedProjection):
    name = "offices"
    version = 1
    prefix = ids.OFFICE
    events_table = EVENTS
    key = "term_id"
    row_tables: ClassVar[Mapping[str, d.Content]] = {TERMS: TERM_COLUMNS}
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {TERMS: ("body_id", "office")}

    def derive(self, record_id: str, stream: list[d.Held]) -> Mapping[str, list[dict[str, Any]]]:
        return {TERMS: derive(stream)}


LIVE: Tables = OfficesProjection.define(metadata)
OfficesProjection.tables = LIVE


def derive(stream: Sequence[d.Held]) -> list[dict[str, Any]]:
    """A term's row (content columns) from its stream as it holds: none if not recorded."""
    recorded = [h for h in stream if h.event_type == "OfficeTermRecorded"]
    if not recorded:
        return []
    start = recorded[-1]
    ended = [h for h in stream if h.event_type == "OfficeTermEnded"]
    end = ended[-1] if ended else None
    until = end.date if end is not None else start.date_of("to_date")
    period = Period(start.date_of("from_date"), until)
    return [
        {
            "body_id": start.data["body_id"],
            "office": start.data["office"],
            "person": start.data["person"],
            "nationality": start.data.get("nationality"),
            **period.columns(),
            **d.started_ended(start, end),
        }
    ]


# --- read functions -----------------------------------------------------------------------------

AsOf = dt.date | PartialDate


@dataclass(frozen=True, slots=True)
class OfficeTerm:
    """One term of office, as known over a record period."""

    term_id: str
    body_id: str
    office: str
    person: str
    nationality: str | None
    period: Period
    events: tuple[tuple[Any, int], ...]
    sources: tuple[Mapping[str, Any], ...]
    record: RecordPeriod


@dataclass(frozen=True, slots=True)
class Holder:
    """A term that holds (yes) or may hold (perhaps) on the date asked about."""

    answer: Answer
    term: OfficeTerm

    @property
    def certain(self) -> bool:
        return self.answer.certain


def _term(m: sa.RowMapping) -> OfficeTerm:
    return OfficeTerm(
        term_id=m["term_id"],
        body_id=m["body_id"],
        office=m["office"],
        person=m["person"],
        nationality=m["nationality"],
        period=Period.from_columns(dict(m)),
        events=d.events_of(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
    )


def holders(
    conn: Connection,
    body_id: str,
    as_of: AsOf,
    known_at: int | None = None,
    *,
    office: str | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[Holder]:
    """The terms of the body's offices (or of one `office`) that may hold on `as_of`, as
    known at `known_at`: yes or perhaps; by office, then start."""
    table = (tables or LIVE)[TERMS]
    possible, yes = d.valid_conditions(table, as_of, span)
    conditions: list[Any] = [table.c.body_id == body_id, possible, d.known(table, known_at)]
    if office is not None:
        conditions.append(table.c.office == office)
    query = (
        sa.select(table, yes)
        .where(*conditions)
        .order_by(table.c.office, table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [Holder(d.answer(m), _term(m)) for m in conn.execute(query).mappings()]


def office_history(
    conn: Connection,
    body_id: str,
    office: str | None = None,
    known_at: int | None = None,
    *,
    tables: Tables | None = None,
) -> list[OfficeTerm]:
    """The body's terms of office (of one `office` if given) in valid-time order (undated
    first, ties in recording order), as known at `known_at`."""
    table = (tables or LIVE)[TERMS]
    conditions: list[Any] = [table.c.body_id == body_id, d.known(table, known_at)]
    if office is not None:
        conditions.append(table.c.office == office)
    query = (
        sa.select(table)
        .where(*conditions)
        .order_by(table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [_term(m) for m in conn.execute(query).mappings()]
