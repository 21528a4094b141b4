"""The audit read model: for any entity (a stream id, or the record id an importer gave its
events), the events that made it.

A row is one event as the log holds it: its id, position, stream and version, type,
recorded_at, actor, correlation and causation ids, its hash and the previous event's hash
(the log's one chain: the event at position - 1, or the genesis hash for the first), and for
a correction or retraction the event it names (id and position). Rows are never changed:
an event's audit does not depend on later events, so the rows known at P are the rows with
`position <= P`. The actor is stored as recorded; whether an API shows it is the API's
concern.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.projections import bitemporal, statements, unit
from sco_registry.projections.base import Position, Projection, Tables, metadata
from sco_registry.store.base import RecordedEvent
from sco_registry.store.chain import GENESIS_HASH, parse_timestamp

EVENTS = "audit_events"


class AuditProjection(Projection):
    name = "audit"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        events = sa.Table(
            EVENTS + suffix,
            target,
            sa.Column("position", Position, primary_key=True, autoincrement=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("stream_id", sa.Text(), nullable=False),
            sa.Column("stream_version", sa.Integer(), nullable=False),
            sa.Column("record_id", sa.Text(), nullable=True),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            sa.Column("actor", sa.Text(), nullable=True),
            sa.Column("correlation_id", sa.Text(), nullable=True),
            sa.Column("causation_id", sa.Text(), nullable=True),
            sa.Column("hash", sa.Text(), nullable=False),
            sa.Column("previous_hash", sa.Text(), nullable=False),
            sa.Column("corrects_event_id", sa.Text(), nullable=True),
            sa.Column("corrects_position", Position, nullable=True),
            sa.Index(f"ix_{EVENTS}{suffix}_stream_id", "stream_id"),
            sa.Index(f"ix_{EVENTS}{suffix}_record_id", "record_id"),
            sa.Index(f"ix_{EVENTS}{suffix}_event_id", "event_id"),
        )
        return {EVENTS: events}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        table = tables[EVENTS]
        buffer = unit.active(conn)
        # Under a unit: the hashes and positions of the events applied in it.
        seen: dict[Any, Any] | None = (
            None if buffer is None else buffer.memo.setdefault(("audit", table), {})
        )
        if seen is not None and not seen and buffer is not None and buffer.head is not None:
            # A carried unit (inline, `unit.Carried`): the log's event before this unit's
            # first is the one the carried rows stand at, whose hash the runner checked in
            # the chain; its row here holds that hash (read from the table otherwise).
            seen[buffer.head[0]] = buffer.head[1]
        previous = None if seen is None else seen.get(event.position - 1)
        if previous is None:
            previous = conn.execute(
                statements.cached(table, "hash_at", _hash_at), {"w_position": event.position - 1}
            ).scalar()
        corrects_id: str | None = None
        corrects_position: int | None = None
        if event.type in CORRECTION_TYPES:
            corrects_id = str(event.data["event_id"])
            corrects_position = None if seen is None else seen.get(corrects_id)
            if corrects_position is None:
                corrects_position = conn.execute(
                    statements.cached(table, "position_of", _position_of),
                    {"w_event_id": corrects_id},
                ).scalar()
        event_id = statements.uuid_text(event.event_id)
        if seen is not None:
            seen[event.position] = event.hash
            seen[event_id] = event.position
        record_id = event.metadata.get("record_id")
        row = {
            "position": event.position,
            "event_id": event_id,
            "stream_id": event.stream_id,
            "stream_version": event.stream_version,
            "record_id": None if record_id is None else str(record_id),
            "event_type": event.type,
            "recorded_at": bitemporal.record_time(event),
            "actor": event.actor,
            "correlation_id": _text(event.correlation_id),
            "causation_id": _text(event.causation_id),
            "hash": event.hash,
            "previous_hash": GENESIS_HASH if previous is None else previous,
            "corrects_event_id": corrects_id,
            "corrects_position": corrects_position,
        }
        unit.write(conn, table, [row])


def _hash_at(table: sa.Table) -> sa.Select[str]:
    return sa.select(table.c.hash).where(table.c.position == sa.bindparam("w_position"))


def _position_of(table: sa.Table) -> sa.Select[int]:
    return sa.select(table.c.position).where(table.c.event_id == sa.bindparam("w_event_id"))


LIVE: Tables = AuditProjection.define(metadata)
AuditProjection.tables = LIVE


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else statements.uuid_text(value)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event that made an entity, as the log holds it."""

    event_id: uuid.UUID
    position: int
    stream_id: str
    stream_version: int
    record_id: str | None
    type: str
    recorded_at: dt.datetime
    actor: str | None
    correlation_id: uuid.UUID | None
    causation_id: uuid.UUID | None
    hash: str
    previous_hash: str
    corrects: tuple[uuid.UUID, int | None] | None


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def audit(
    conn: Connection, entity: str, known_at: int | None = None, *, tables: Tables | None = None
) -> list[AuditEntry]:
    """The events of the stream `entity`, or carrying the record id `entity`, in log order,
    as known at position `known_at` (None: now); [] for an entity nothing made."""
    table = (tables or LIVE)[EVENTS]
    query = sa.select(table).where(sa.or_(table.c.stream_id == entity, table.c.record_id == entity))
    if known_at is not None:
        query = query.where(table.c.position <= known_at)
    out = []
    for m in conn.execute(query.order_by(table.c.position)).mappings():
        corrects = m["corrects_event_id"]
        out.append(
            AuditEntry(
                event_id=uuid.UUID(m["event_id"]),
                position=int(m["position"]),
                stream_id=m["stream_id"],
                stream_version=int(m["stream_version"]),
                record_id=m["record_id"],
                type=m["event_type"],
                recorded_at=parse_timestamp(m["recorded_at"]),
                actor=m["actor"],
                correlation_id=_uuid(m["correlation_id"]),
                causation_id=_uuid(m["causation_id"]),
                hash=m["hash"],
                previous_hash=m["previous_hash"],
                corrects=None
                if corrects is None
                else (uuid.UUID(corrects), m["corrects_position"]),
            )
        )
    return out
