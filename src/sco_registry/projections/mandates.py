"""The mandates read model: which body tasked which, with what, by when, and whether done.

One row per mandate (`mandates`, `derived.py`: per mandate stream, both times, facts from
the events as corrected): the body that gave it and the body it is addressed to, the task,
the document, what it is due by (a meeting and/or a date, as given), and, where the domain
records it, its fulfilment (date and document). Its valid period is the time it stood
open: from its giving to its fulfilment (none: open). Read function: `mandates`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import ids
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.projections import asof
from sco_registry.projections import derived as d
from sco_registry.projections.base import Tables, metadata

EVENTS = "mandate_events"
MANDATES = "mandates"

MANDATE_COLUMNS: d.Content = (
    ("by_body", d.TEXT, False),
    ("to_body", d.TEXT, False),
    ("task", d.TEXT, False),
    ("document", d.TEXT, True),
    ("due_meeting", d.TEXT, True),
    ("due_date", d.TEXT, True),
    ("fulfilled", sa.Boolean(), False),
    ("fulfilled_document", d.TEXT, True),
    *d.VALID_COLUMNS,
    *d.EVENT_COLUMNS,
)


class MandatesProjection(d.DerivedProjection):
    name = "mandates"
    version = 1
    prefix = ids.MANDATE
    events_table = EVENTS
    key = "mandate_id"
    row_tables: ClassVar[Mapping[str, d.Content]] = {MANDATES: MANDATE_COLUMNS}
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {MANDATES: ("to_body",)}

    def derive(self, record_id: str, stream: list[d.Held]) -> Mapping[str, list[dict[str, Any]]]:
        return {MANDATES: derive(stream)}


LIVE: Tables = MandatesProjection.define(metadata)
MandatesProjection.tables = LIVE


def derive(stream: Sequence[d.Held]) -> list[dict[str, Any]]:
    """A mandate's row (content columns) from its stream as it holds: none if not given."""
    given = [h for h in stream if h.event_type == "MandateGiven"]
    if not given:
        return []
    start = given[-1]
    done = [h for h in stream if h.event_type == "MandateFulfilled"]
    end = done[-1] if done else None
    data = start.data
    return [
        {
            "by_body": data["by_body"],
            "to_body": data["to_body"],
            "task": data["task"],
            "document": data.get("document"),
            "due_meeting": data.get("due_meeting"),
            "due_date": data.get("due_date"),
            "fulfilled": end is not None,
            "fulfilled_document": None if end is None else end.data.get("document"),
            **Period(start.date, None if end is None else end.date).columns(),
            **d.started_ended(start, end),
        }
    ]


@dataclass(frozen=True, slots=True)
class Mandate:
    """One mandate, as known over a record period; `period`: given to fulfilled."""

    mandate_id: str
    by_body: str
    to_body: str
    task: str
    document: str | None
    due_meeting: str | None
    due_date: str | None
    fulfilled: bool
    fulfilled_document: str | None
    period: Period
    events: tuple[tuple[Any, int], ...]
    sources: tuple[Mapping[str, Any], ...]
    record: RecordPeriod
    # Asked as of a date: did the mandate stand open then, given and not yet fulfilled (yes
    # or perhaps)? None: not asked.
    answer: Answer | None = None


def _mandate(m: sa.RowMapping) -> Mandate:
    return Mandate(
        mandate_id=m["mandate_id"],
        by_body=m["by_body"],
        to_body=m["to_body"],
        task=m["task"],
        document=m["document"],
        due_meeting=m["due_meeting"],
        due_date=m["due_date"],
        fulfilled=bool(m["fulfilled"]),
        fulfilled_document=m["fulfilled_document"],
        period=asof.period_of(m),
        events=d.events_of(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
        answer=asof.answer_in(m),
    )


def mandates(
    conn: Connection,
    by: str | None = None,
    to: str | None = None,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[Mandate]:
    """The mandates given by the body `by` and/or addressed to `to` (all if neither), as
    known at `known_at`, in the order given (undated first), ties by id. `as_of` keeps the
    mandates that stood open, or may have, then (from their giving to their fulfilment),
    each with its `answer` (yes or perhaps)."""
    table = (tables or LIVE)[MANDATES]
    conditions: list[Any] = [d.known(table, known_at)]
    columns: list[Any] = [table]
    if as_of is not None:
        conditions.append(asof.possible(table, as_of, span, asof.Rule.PERIOD))
        columns.append(asof.answer_column(table, as_of, span, asof.Rule.PERIOD))
    if by is not None:
        conditions.append(table.c.by_body == by)
    if to is not None:
        conditions.append(table.c.to_body == to)
    query = (
        sa.select(*columns)
        .where(*conditions)
        .order_by(table.c.valid_from_lo.nulls_first(), table.c.mandate_id)
    )
    return [_mandate(m) for m in conn.execute(query).mappings()]
