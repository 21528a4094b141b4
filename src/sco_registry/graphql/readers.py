"""Thin read functions the API needs that the read models' modules do not give: batched
lookups by id (for the DataLoaders), the states (reference data, from the timeline model's
copy of their stream), membership changes with their kind, the raw event log from the audit
model, and the position the log had reached at a time. Synchronous, over a `Connection`,
with both times like every read function; they reuse the models' own row mappings."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from sco_registry.db import decode_json
from sco_registry.domain.ids import STATES_STREAM
from sco_registry.domain.periods import record_time_sql
from sco_registry.domain.time import PartialDate
from sco_registry.projections import (
    audit,
    bodies,
    documents,
    meetings,
    membership,
    offices,
    statements,
    timeline,
)
from sco_registry.projections.records import ROWS, KeptRows, json_text, known, parse_uuid
from sco_registry.store.chain import parse_timestamp


def _known(table: sa.Table, known_at: int | None) -> Any:
    if known_at is None:
        return table.c.recorded_to.is_(None)
    return sa.text(record_time_sql(table.name)).bindparams(position=known_at)


# --- states -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateRow:
    code: str
    name: str
    events: tuple[tuple[str, int], ...]  # (event id, position) of each registration


def states(conn: Connection, known_at: int | None = None) -> list[StateRow]:
    """The states registered (reference data) as known at `known_at`, by code, each with
    its latest name and the registrations that made it."""
    table = timeline.LIVE[timeline.EVENTS]
    now = known_at is None
    query = statements.cached(table, ("states", now), functools.partial(_states, now))
    values = {} if now else {"r_position": known_at}
    rows = tuple(tuple(r) for r in conn.execute(query, values))
    return list(_kept_states(rows))


def _state_rows(rows: Sequence[Sequence[Any]]) -> list[StateRow]:
    """`states`' answer from its statement's rows (position, event id, data as text)."""
    names: dict[str, str] = {}
    made: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for position, event_id, text in rows:
        data = decode_json(text)
        names[data["code"]] = data["name"]
        made[data["code"]].append((event_id, int(position)))
    return [StateRow(c, names[c], tuple(made[c])) for c in sorted(names)]


#: `states`' answers by the rows they were made from (the same rows: the same states,
#: decoded once; a copy of the list handed out): the registrations change rarely, and a
#: page of meetings read and decoded them all for every request.
_kept_states: KeptRows[list[StateRow]] = KeptRows(_state_rows, 16)


def _states(now: bool, table: sa.Table) -> sa.Select[Any]:
    """`states`' statement, built once per table and kind of known-at question (the
    position bound at execution, `r_position`); the data as its text (`decode_json`)."""
    query = sa.select(table.c.position, table.c.event_id, json_text(table.c.data)).where(
        table.c.stream_id == STATES_STREAM
    )
    if not now:
        query = query.where(
            table.c.position <= sa.bindparam("r_position", type_=table.c.position.type)
        )
    return query.order_by(table.c.position)


# --- membership changes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A change of a state's status: the start of a status period, with the event type that
    made it (`kind`) and the status after it."""

    kind: str
    period: membership.StatusPeriod


def membership_changes(
    conn: Connection,
    state: str | None = None,
    organization: str | None = None,
    kinds: Collection[str] | None = None,
    status_after: str | None = None,
    meeting: str | None = None,
    date_from: PartialDate | None = None,
    date_to: PartialDate | None = None,
    known_at: int | None = None,
) -> list[MembershipChange]:
    """The changes matching every filter, as known at `known_at`, in valid-time order (undated
    first, then state). A date filter keeps a change that may fall in the range."""
    periods = membership.LIVE[membership.PERIODS]
    changes = membership.LIVE[membership.CHANGES]
    query = (
        sa.select(periods, changes.c.event_type.label("change_kind"))
        .join(changes, changes.c.event_id == periods.c.start_event_id)
        .where(_known(periods, known_at))
    )
    for column, value in (
        (periods.c.state, state),
        (periods.c.organization_id, organization),
        (periods.c.status, status_after),
        (periods.c.meeting, meeting),
    ):
        if value is not None:
            query = query.where(column == value)
    if kinds is not None:
        query = query.where(changes.c.event_type.in_(list(kinds)))
    if date_from is not None:
        query = query.where(periods.c.valid_from_hi >= date_from.lower.isoformat())
    if date_to is not None:
        query = query.where(periods.c.valid_from_lo <= date_to.upper.isoformat())
    query = query.order_by(
        periods.c.valid_from_lo.nulls_first(), periods.c.state, periods.c.start_position
    )
    return [
        MembershipChange(m["change_kind"], membership._row(m))
        for m in conn.execute(query).mappings()
    ]


# --- batched lookups (DataLoaders) --------------------------------------------------------------


def meetings_by_id(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, meetings.Meeting]:
    table = meetings.LIVE[ROWS]
    query = meetings._select(table).where(table.c.record_id.in_(list(ids)), known(table, known_at))
    found = (meetings._row(r) for r in conn.execute(query))
    return {m.meeting_id: m for m in found}


def documents_by_id(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, documents.Document]:
    table = documents.LIVE[ROWS]
    query = documents._select(table).where(table.c.record_id.in_(list(ids)), known(table, known_at))
    found = (documents._row(r) for r in conn.execute(query))
    return {d.document_id: d for d in found}


def documents_of_meetings(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, list[documents.Document]]:
    """The documents whose signature names each meeting, by id (as `documents_of_meeting`)."""
    table = documents.LIVE[ROWS]
    now = known_at is None
    dialect = conn.dialect.name
    query = statements.cached(
        table,
        ("documents_of_meetings", now, dialect),
        functools.partial(_documents_of_meetings, now, dialect),
    )
    values: dict[str, Any] = {"r_meetings": _id_list(dialect, ids)}
    if not now:
        values["position"] = known_at
    out: dict[str, list[documents.Document]] = defaultdict(list)
    for r in conn.execute(query, values):
        out[r.meeting].append(documents._row(r))
    return out


def _id_list(dialect: str, ids: Sequence[str]) -> Any:
    """The ids as `_ids_in` binds them: one JSON array (SQLite), one array (PostgreSQL),
    or a list for an expanding parameter."""
    if dialect == "sqlite":
        return json.dumps(list(ids))
    return list(ids)


def _ids_in(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[bool]:
    """`column IN (the ids)`, the ids one parameter (`r_meetings`, `_id_list`): on SQLite
    the values of a JSON array (`json_each`), on PostgreSQL `= ANY` an array; elsewhere an
    expanding parameter. Expanded at each execution (a placeholder and a parameter per id),
    100 ids cost about a third of reading the page's documents."""
    if dialect == "sqlite":
        param = sa.bindparam("r_meetings", type_=sa.Text())
        values = sa.select(sa.column("value", sa.Text())).select_from(sa.func.json_each(param))
        return column.in_(values)
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam("r_meetings", type_=postgresql.ARRAY(sa.Text())))
    return column.in_(sa.bindparam("r_meetings", expanding=True))


def _documents_of_meetings(now: bool, dialect: str, table: sa.Table) -> sa.Select[Any]:
    """`documents_of_meetings`' statement, built once per table, dialect and kind of
    known-at question (as `membership.members_on`'s): the ids one parameter (`_ids_in`),
    the position (`position`) bound at execution. Built anew, the statement and its cache
    key (its 100 ids each a literal) cost more than the rows it reads."""
    known = table.c.recorded_to.is_(None) if now else sa.text(record_time_sql(table.name))
    return (
        documents._select(table)
        .where(_ids_in(table.c.meeting, dialect), known)
        .order_by(table.c.record_id)
    )


def decisions_of_meetings(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, list[membership.StatusPeriod]]:
    """The status periods begun by a change naming each meeting (as `meeting(...).decisions`)."""
    periods = membership.LIVE[membership.PERIODS]
    query = (
        sa.select(periods)
        .where(periods.c.meeting.in_(list(ids)), known(periods, known_at))
        .order_by(periods.c.state, periods.c.start_position)
    )
    out: dict[str, list[membership.StatusPeriod]] = defaultdict(list)
    for m in conn.execute(query).mappings():
        out[m["meeting"]].append(membership._row(m))
    return out


def body_facts_by_id(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, bodies.BodyRecord]:
    table = bodies.LIVE[bodies.FACTS]
    return {b.body_id: b for b in bodies._facts(conn, table, known_at, table.c.body_id.in_(ids))}


def body_periods_at(
    conn: Connection,
    ids: Sequence[str],
    as_of: PartialDate,
    known_at: int | None,
    span: Any,
) -> dict[str, list[bodies.PeriodAnswer]]:
    """The status, name and seat periods of each body that may hold at `as_of`."""
    out: dict[str, list[bodies.PeriodAnswer]] = defaultdict(list)
    for a in bodies._at(conn, bodies.LIVE[bodies.PERIODS], list(ids), as_of, known_at, span):
        out[a.row.body_id].append(a)
    return out


def body_periods(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, list[bodies.BodyPeriod]]:
    """Every status, name and seat period of each body, in valid-time order."""
    table = bodies.LIVE[bodies.PERIODS]
    query = (
        sa.select(table)
        .where(table.c.body_id.in_(list(ids)), _known(table, known_at))
        .order_by(table.c.body_id, table.c.valid_from_lo.nulls_first(), table.c.start_position)
    )
    out: dict[str, list[bodies.BodyPeriod]] = defaultdict(list)
    for m in conn.execute(query).mappings():
        out[m["body_id"]].append(bodies._period(m))
    return out


@dataclass(frozen=True, slots=True)
class RecordNote:
    confidence: str | None
    note: str | None


def record_notes(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, RecordNote]:
    """Each record's confidence and note, as its history file gave them (the events'
    metadata `record`, kept by the timeline model), from its latest fact known then."""
    table = timeline.LIVE[timeline.FACTS]
    query = (
        sa.select(table.c.record_id, table.c.confidence, table.c.note)
        .where(table.c.record_id.in_(list(ids)), _known(table, known_at))
        .order_by(table.c.record_id, table.c.position)
    )
    out: dict[str, RecordNote] = {}
    for record_id, confidence, note in conn.execute(query):
        if confidence is not None or note is not None or record_id not in out:
            out[record_id] = RecordNote(confidence, note)
    return out


# --- the raw event log (the audit model: one row per event, with its hash) ----------------------


@dataclass(frozen=True, slots=True)
class LogFilter:
    stream: str | None = None
    type: str | None = None
    actor: str | None = None
    position_from: int | None = None
    position_to: int | None = None
    recorded_from: str | None = None  # format_timestamp text: it sorts as the times do
    recorded_to: str | None = None
    known_at: int | None = None


def _log_conditions(table: sa.Table, f: LogFilter) -> list[Any]:
    conditions: list[Any] = []
    for column, value in (
        (table.c.stream_id, f.stream),
        (table.c.event_type, f.type),
        (table.c.actor, f.actor),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.position_from is not None:
        conditions.append(table.c.position >= f.position_from)
    if f.position_to is not None:
        conditions.append(table.c.position <= f.position_to)
    if f.known_at is not None:
        conditions.append(table.c.position <= f.known_at)
    if f.recorded_from is not None:
        conditions.append(table.c.recorded_at >= f.recorded_from)
    if f.recorded_to is not None:
        conditions.append(table.c.recorded_at <= f.recorded_to)
    return conditions


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else parse_uuid(value)


# The text `format_timestamp` writes, ASCII digits only.
_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z", re.ASCII)


def _timestamp(text: str) -> dt.datetime:
    """`parse_timestamp(text)`, the same value, without `strptime` for the text
    `format_timestamp` writes (`YYYY-MM-DDTHH:MM:SS.ffffffZ`: for it, `strptime`'s fields
    are these digits); anything else, and a field out of range, through `parse_timestamp`
    (its value or its error)."""
    found = _STAMP.fullmatch(text)
    if found is not None:
        try:
            y, mo, d, h, mi, sec, micro = map(int, found.groups())
            return dt.datetime(y, mo, d, h, mi, sec, micro, tzinfo=dt.UTC)
        except ValueError:
            pass
    return parse_timestamp(text)


def _audit_entry(m: sa.RowMapping) -> audit.AuditEntry:
    """An audit row as `audit.audit` maps it."""
    corrects = m["corrects_event_id"]
    return audit.AuditEntry(
        event_id=parse_uuid(m["event_id"]),
        position=int(m["position"]),
        stream_id=m["stream_id"],
        stream_version=int(m["stream_version"]),
        record_id=m["record_id"],
        type=m["event_type"],
        recorded_at=_timestamp(m["recorded_at"]),
        actor=m["actor"],
        correlation_id=_uuid(m["correlation_id"]),
        causation_id=_uuid(m["causation_id"]),
        hash=m["hash"],
        previous_hash=m["previous_hash"],
        corrects=None if corrects is None else (parse_uuid(corrects), m["corrects_position"]),
    )


def log_events(
    conn: Connection, f: LogFilter, after: int | None = None, limit: int = 100
) -> list[audit.AuditEntry]:
    """The events matching `f`, in log order, after the position `after`, at most `limit`."""
    table = audit.LIVE[audit.EVENTS]
    conditions = _log_conditions(table, f)
    if after is not None:
        conditions.append(table.c.position > after)
    query = sa.select(table).where(*conditions).order_by(table.c.position).limit(limit)
    return [_audit_entry(m) for m in conn.execute(query).mappings()]


def count_log_events(conn: Connection, f: LogFilter) -> int:
    table = audit.LIVE[audit.EVENTS]
    query = sa.select(sa.func.count()).select_from(table).where(*_log_conditions(table, f))
    return int(conn.execute(query).scalar_one())


def position_at(conn: Connection, stamp: str) -> int:
    """The position the log had reached at the time `stamp` (`format_timestamp` text): the
    longest prefix recorded at or before it (docs/time.md, "Known at a time T")."""
    table = audit.LIVE[audit.EVENTS]
    later = sa.select(sa.func.min(table.c.position) - 1).where(table.c.recorded_at > stamp)
    last = sa.select(sa.func.max(table.c.position))
    value = conn.execute(
        sa.select(sa.func.coalesce(later.scalar_subquery(), last.scalar_subquery(), 0))
    ).scalar_one()
    return int(value)


def office_terms_by_id(
    conn: Connection, ids: Sequence[str], known_at: int | None
) -> dict[str, offices.OfficeTerm]:
    table = offices.LIVE[offices.TERMS]
    query = sa.select(table).where(table.c.term_id.in_(list(ids)), _known(table, known_at))
    return {m["term_id"]: offices._term(m) for m in conn.execute(query).mappings()}
