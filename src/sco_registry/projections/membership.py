"""The membership read model: each state's statuses in each organization over time.

A row is one version of one status period: a state held `status` (participant of the
Shanghai Five, founding member, member, observer, dialogue partner, partner) in an
organization over a valid period (`domain/periods.py`: the dates as given and their four
bounds), as the registry knew it over the record period [recorded_from, recorded_to) of log
positions (`recorded_at`: when the version was recorded). Every row names the events that
established it (`events`: ids and positions of the change that began it, the change that
ended it, and the corrections of either) and their sources (from the events' data as
corrected).

How the rows are made. Facts come from the events' data *as corrected*: the projection
keeps each state's membership stream (`membership_changes`, corrections and retractions
included) and, on every event of a state's stream, derives that state's periods afresh
from the stream as it now holds (`corrections.effective`): per organization, the changes in
valid-time order (ties in recording order, as `MembershipState.status_at` orders them); a
change whose `status_after` differs from the status held ends the period (its date is the
end) and opens the next (none after a withdrawal or an end); a change that leaves the
status as it was (an application filed) ends nothing. The derived periods are compared
with the state's current rows: a row that no longer holds is closed (`recorded_to` = the
event's position), a period not yet there is opened (`recorded_from` = it); unchanged rows
stay open. So a correction closes the versions it changes and opens their corrected
versions, a retraction closes its rows and opens none, and the rows known at P are exactly
those a replay of the log up to P would hold as current.

Read functions take both times: `as_of` (a day or a partial date, with the span asked
about) and `known_at` (a log position; None: now).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog
from sco_registry.domain.membership import PARTY_STATUSES, MembershipStatus, stream_id
from sco_registry.domain.periods import (
    Answer,
    Period,
    RecordPeriod,
    Span,
    question_params,
    record_time_sql,
    valid_time_sql,
)
from sco_registry.domain.time import PartialDate
from sco_registry.projections import asof, bitemporal, statements, streams, unit
from sco_registry.projections.base import Position, Projection, Tables, metadata
from sco_registry.projections.derived import Held, Rows, held, in_valid_order, started_ended
from sco_registry.store.base import RecordedEvent

STREAM_PREFIX = stream_id("")
CHANGES = "membership_changes"
PERIODS = "membership_periods"

# The content columns of a period row (all but its key and record time).
_VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")
CONTENT = (
    "organization_id",
    "status",
    *_VALID,
    "meeting",
    "document",
    "start_event_id",
    "start_position",
    "end_event_id",
    "end_position",
    "events",
    "sources",
)


class MembershipProjection(Projection):
    name = "membership"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        changes = sa.Table(
            CHANGES + suffix,
            target,
            sa.Column("position", Position, primary_key=True, autoincrement=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Index(f"ix_{CHANGES}{suffix}_state", "state"),
        )
        periods = sa.Table(
            PERIODS + suffix,
            target,
            sa.Column("state", sa.Text(), primary_key=True),
            sa.Column("recorded_from", Position, primary_key=True, autoincrement=False),
            sa.Column("ordinal", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("recorded_to", Position, nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            sa.Column("organization_id", sa.Text(), nullable=False),
            sa.Column("status", sa.Text(), nullable=False),
            *(sa.Column(c, sa.Text(), nullable=True) for c in _VALID),
            sa.Column("meeting", sa.Text(), nullable=True),
            sa.Column("document", sa.Text(), nullable=True),
            sa.Column("start_event_id", sa.Text(), nullable=False),
            sa.Column("start_position", Position, nullable=False),
            sa.Column("end_event_id", sa.Text(), nullable=True),
            sa.Column("end_position", Position, nullable=True),
            sa.Column("events", sa.JSON(), nullable=False),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.Index(f"ix_{PERIODS}{suffix}_organization_id_status", "organization_id", "status"),
            # The decisions taken at a meeting (the meetings model's reads, the API's loader).
            sa.Index(f"ix_{PERIODS}{suffix}_meeting", "meeting"),
        )
        return {CHANGES: changes, PERIODS: periods}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if not event.stream_id.startswith(STREAM_PREFIX):
            return
        state = event.stream_id[len(STREAM_PREFIX) :]
        data = catalog.upcast(event.type, event.schema_version, event.data)
        scope = {"state": state}
        # A long stream (a state's hundreds of changes) is carried from unit to unit.
        carried = streams.carry(
            conn, tables[CHANGES], ("state", state), event, ((tables[PERIODS], scope, CONTENT),)
        )
        stream = streams.keep(conn, tables[CHANGES], ("state", state), event, {"data": data})
        rows: dict[Hashable, Any] | None = None
        if carried is not None:
            memo = carried.setdefault("held", {})
            rows = carried.setdefault("periods", {})
        else:
            buffer = unit.active(conn)
            memo = None if buffer is None else buffer.memo.setdefault(("held", tables[CHANGES]), {})
        bitemporal.sync(
            conn,
            tables[PERIODS],
            scope=scope,
            content=CONTENT,
            derived=derive(stream, memo, rows),  # tuples of STREAM_COLUMNS
            event=event,
            new_scope=event.stream_version == 1,
        )


# The live tables, on the metadata the Alembic revisions match.
LIVE: Tables = MembershipProjection.define(metadata)
MembershipProjection.tables = LIVE


def derive(
    stream: Sequence[tuple[int, str, str, Mapping[str, Any]]],
    memo: dict[int, Held] | None = None,
    kept: dict[Hashable, Any] | None = None,
) -> list[dict[str, Any]]:
    """A state's status periods (content columns) from its membership stream as recorded:
    (position, event id, type, data upcast) in position order, corrections included.
    `memo`: a unit's or the stream's (`streams.carry`), for `derived.held`. `kept`: the
    stream's periods made so far (`derived.Rows`: a period is made from the `Held`s that
    start and end it alone), kept with the stream: a long stream's periods are not made
    and fingerprinted again on each of its events."""
    held_now = held(stream, memo)
    rows = Rows(kept, len(held_now))
    by_org: dict[str, list[Held]] = {}
    for h in held_now:
        by_org.setdefault(str(h.data["organization_id"]), []).append(h)
    out: list[dict[str, Any]] = []
    for org in sorted(by_org):
        current: Held | None = None
        for c in in_valid_order(by_org[org]):
            status = c.data.get("status_after")
            if current is not None and status != current.data.get("status_after"):
                # An undated change sorts first: it can only replace an undated status,
                # which then held on no day the registry can name, and is left out.
                if c.date is not None:
                    out.append(rows.get(org, current, c, _period, org, current, c))
                current = None
            if current is None and status is not None:
                current = c
        if current is not None:
            out.append(rows.get(org, current, None, _period, org, current, None))
    return out


def _period(org: str, start: Held, end: Held | None) -> dict[str, Any]:
    period = Period(start.date, None if end is None else end.date)
    return {
        "organization_id": org,
        "status": start.data.get("status_after"),
        **period.columns(),
        "meeting": start.data.get("meeting"),
        "document": start.data.get("document"),
        **started_ended(start, end),
    }


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusPeriod:
    """One row: a status held over a valid period, as known over a record period."""

    state: str
    organization_id: str
    status: MembershipStatus
    period: Period
    meeting: str | None
    document: str | None
    events: tuple[tuple[uuid.UUID, int], ...]
    sources: tuple[Mapping[str, Any], ...]
    record: RecordPeriod
    recorded_at: str


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """A status asked about at a date: `answer` yes or perhaps (never an invented day)."""

    state: str
    status: MembershipStatus
    answer: Answer
    row: StatusPeriod

    @property
    def certain(self) -> bool:
        return self.answer.certain


AsOf = dt.date | PartialDate


def _row(m: sa.RowMapping) -> StatusPeriod:
    return StatusPeriod(
        state=m["state"],
        organization_id=m["organization_id"],
        status=MembershipStatus(m["status"]),
        period=asof.period_of(m),
        meeting=m["meeting"],
        document=m["document"],
        events=tuple((uuid.UUID(e["event_id"]), int(e["position"])) for e in m["events"]),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
        recorded_at=m["recorded_at"],
    )


def _known(table: sa.Table, known_at: int | None) -> sa.ColumnElement[bool] | sa.TextClause:
    if known_at is None:
        return table.c.recorded_to.is_(None)
    return sa.text(record_time_sql(table.name)).bindparams(position=known_at)


def _answers(
    conn: Connection,
    table: sa.Table,
    as_of: AsOf,
    known_at: int | None,
    span: Span,
    *conditions: sa.ColumnElement[bool],
) -> list[StatusAnswer]:
    params = question_params(as_of)
    possible = sa.text(valid_time_sql(span, definite=False, table=table.name)).bindparams(**params)
    definite = sa.text(valid_time_sql(span, definite=True, table=table.name)).bindparams(**params)
    query = (
        sa.select(table, sa.case((definite, "yes"), else_="perhaps").label("answer"))
        .where(*conditions, possible, _known(table, known_at))
        .order_by(table.c.state, table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [
        StatusAnswer(m["state"], MembershipStatus(m["status"]), Answer(m["answer"]), _row(m))
        for m in conn.execute(query).mappings()
    ]


def _members_on(span: Span, now: bool, table: sa.Table) -> sa.Select[Any]:
    """`members_on`'s statement, built once per table, span and kind of known-at question:
    `_answers`' query with the organization and statuses bound (`m_organization`, the
    expanding `m_statuses`) and the as-of and known-at parameters left to the execution
    (`q_lo`, `q_hi`, `position`). Building it (its text clauses, the cache key) took about
    as long as running it."""
    possible = sa.text(valid_time_sql(span, definite=False, table=table.name))
    definite = sa.text(valid_time_sql(span, definite=True, table=table.name))
    known = table.c.recorded_to.is_(None) if now else sa.text(record_time_sql(table.name))
    return (
        sa.select(table, sa.case((definite, "yes"), else_="perhaps").label("answer"))
        .where(
            table.c.organization_id == sa.bindparam("m_organization", type_=sa.Text()),
            table.c.status.in_(sa.bindparam("m_statuses", expanding=True)),
            possible,
            known,
        )
        .order_by(table.c.state, table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )


def members_on(
    conn: Connection,
    organization_id: str,
    as_of: AsOf,
    known_at: int | None = None,
    *,
    span: Span = Span.SOMETIME,
    statuses: Collection[MembershipStatus] = PARTY_STATUSES,
    tables: Tables | None = None,
) -> list[StatusAnswer]:
    """The states holding one of `statuses` (by default the party statuses: participant,
    founding member, member) in the organization on `as_of`, as known at `known_at`: one
    answer per state, yes where some status definitely holds, else perhaps; by state code.
    A partial date asks about some time in it by default (`span`; a day: both the same)."""
    table = (tables or LIVE)[PERIODS]
    values: dict[str, Any] = {
        **question_params(as_of),
        "m_organization": organization_id,
        "m_statuses": [str(s) for s in statuses],
    }
    if known_at is not None:
        values["position"] = known_at
    query = statements.cached(
        table,
        ("members_on", span, known_at is None),
        functools.partial(_members_on, span, known_at is None),
    )
    found = [
        StatusAnswer(m["state"], MembershipStatus(m["status"]), Answer(m["answer"]), _row(m))
        for m in conn.execute(query, values).mappings()
    ]
    best: dict[str, StatusAnswer] = {}
    for a in found:
        if a.state not in best or (
            a.answer is Answer.YES and best[a.state].answer is not Answer.YES
        ):
            best[a.state] = a
    return [best[s] for s in sorted(best)]


def status_of(
    conn: Connection,
    state: str,
    organization_id: str,
    as_of: AsOf,
    known_at: int | None = None,
    *,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[StatusAnswer]:
    """Every status the state may hold in the organization on `as_of` (yes or perhaps;
    two when the dates do not say which side of a change the day falls on); [] for none."""
    table = (tables or LIVE)[PERIODS]
    return _answers(
        conn,
        table,
        as_of,
        known_at,
        span,
        table.c.state == state,
        table.c.organization_id == organization_id,
    )


def history_of(
    conn: Connection,
    state: str,
    organization_id: str,
    known_at: int | None = None,
    *,
    tables: Tables | None = None,
) -> list[StatusPeriod]:
    """The state's status periods in the organization, in valid-time order, as known then."""
    table = (tables or LIVE)[PERIODS]
    query = (
        sa.select(table)
        .where(
            table.c.state == state,
            table.c.organization_id == organization_id,
            _known(table, known_at),
        )
        .order_by(table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    return [_row(m) for m in conn.execute(query).mappings()]
