"""The event log: `events` (append-only, enforced by triggers) and `idempotency_keys`.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in store/schema.py: a revision never imports application code.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The message every refusal starts with; the store maps it to AppendOnlyViolation.
REFUSED = "events are append-only"

PG_TRIGGERS = [
    f"""
    CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED}: % on events refused', TG_OP
            USING HINT = 'correct a fact by appending a new event';
    END;
    $$
    """,
    """
    CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change()
    """,
    """
    CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()
    """,
]

# SQLite has no TRUNCATE (DELETE without WHERE fires the delete trigger, which disables the
# truncate optimisation). `INSERT OR REPLACE` deletes a conflicting row *without* firing
# delete triggers (unless recursive_triggers is on), so inserts over an existing position,
# event id or stream version are refused before they reach the unique constraints. Each
# guard names the column so the store can tell a duplicate event id from a version race.
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE on events refused'); END
    """,
    f"""
    CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: DELETE on events refused'); END
    """,
    f"""
    CREATE TRIGGER events_guard_position BEFORE INSERT ON events
    WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: position already recorded'); END
    """,
    f"""
    CREATE TRIGGER events_guard_event_id BEFORE INSERT ON events
    WHEN EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: event_id already recorded'); END
    """,
    f"""
    CREATE TRIGGER events_guard_stream_version BEFORE INSERT ON events
    WHEN EXISTS (
        SELECT 1 FROM events
        WHERE stream_id = NEW.stream_id AND stream_version = NEW.stream_version
    )
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: stream_version already recorded'); END
    """,
]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("stream_version", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("valid_time", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("sources", Json, nullable=False),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.Column("causation_id", sa.Uuid(), nullable=True),
        sa.Column("hash", sa.CHAR(64), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_events"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
        sa.UniqueConstraint(
            "stream_id", "stream_version", name="uq_events_stream_id_stream_version"
        ),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("first_position", sa.BigInteger(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("stream_versions", Json, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        triggers = PG_TRIGGERS
    elif dialect == "sqlite":
        triggers = SQLITE_TRIGGERS
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_refuse_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_refuse_update_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_refuse_change()")
    op.drop_table("idempotency_keys")
    op.drop_table("events")
