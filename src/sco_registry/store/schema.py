"""The event log's tables as SQLAlchemy Core metadata; the Alembic revisions must match it.

A test compares this metadata with a migrated database (Alembic autogenerate), so a change
here without a revision, or the reverse, fails CI.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

# `json` on PostgreSQL (revision 0002), JSON text on SQLite: both keep the text the store
# writes, byte for byte. Not jsonb, which re-normalizes values (1e100 comes back as an
# integer, -0.0 as 0.0, U+0000 is refused) and costs a conversion on every read; the log is
# never queried by JSON content.
Json = sa.JSON()

# A 64-bit integer everywhere; on SQLite spelled INTEGER so that a primary key is the rowid
# itself (one B-tree instead of a table plus a unique index). SQLite integers are 64-bit.
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "events",
    metadata,
    # Assigned by the store under the append lock, contiguous from 1; never a sequence
    # (see store/sql.py for why).
    sa.Column("position", Position, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.Uuid(), nullable=False),
    sa.Column("stream_id", sa.Text(), nullable=False),
    sa.Column("stream_version", sa.BigInteger(), nullable=False),
    sa.Column("event_type", sa.Text(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    # The valid time as given ("2001-06"), and the days it may stand for, for range queries.
    sa.Column("valid_time", sa.Text(), nullable=True),
    sa.Column("valid_from", sa.Date(), nullable=True),
    sa.Column("valid_to", sa.Date(), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text(), nullable=True),
    sa.Column("sources", Json, nullable=False),
    sa.Column("correlation_id", sa.Uuid(), nullable=True),
    sa.Column("causation_id", sa.Uuid(), nullable=True),
    sa.Column("hash", sa.CHAR(64), nullable=False),
    sa.UniqueConstraint("event_id"),
    # Also the index for reading a stream in version order.
    sa.UniqueConstraint("stream_id", "stream_version"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("fingerprint", sa.Text(), nullable=False),
    sa.Column("first_position", sa.BigInteger(), nullable=False),
    sa.Column("last_position", sa.BigInteger(), nullable=False),
    sa.Column("stream_versions", Json, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)
