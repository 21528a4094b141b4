"""Read models: the timeline, audit and compliance models' tables.

The timeline keeps every stream as recorded (`timeline_events`) and its facts, corrections
and retractions with both times (`timeline_facts`, in valid-time keyset order). The audit
model keeps one row per event with its chain hashes (`audit_events`). The compliance model
keeps the norm-relevant streams (`compliance_events`), each stream's facts
(`compliance_facts`) and the findings per named reading with both times
(`compliance_findings`). See `sco_registry/projections/{timeline,audit,compliance}.py`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")


def upgrade() -> None:
    op.create_table(
        "timeline_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_timeline_events"),
    )
    op.create_index("ix_timeline_events_stream_id", "timeline_events", ["stream_id"])
    op.create_table(
        "timeline_facts",
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=True) for c in VALID),
        sa.Column("sort_lo", sa.Text(), nullable=False),
        sa.Column("sort_hi", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("position", Position, nullable=False),
        sa.Column("corrects_event_id", sa.Text(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("stream_id", "recorded_from", "ordinal", name="pk_timeline_facts"),
    )
    op.create_index(
        "ix_timeline_facts_sort_lo_sort_hi_position",
        "timeline_facts",
        ["sort_lo", "sort_hi", "position"],
    )
    op.create_index("ix_timeline_facts_record_id", "timeline_facts", ["record_id"])
    op.create_table(
        "audit_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
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
        sa.PrimaryKeyConstraint("position", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_stream_id", "audit_events", ["stream_id"])
    op.create_index("ix_audit_events_record_id", "audit_events", ["record_id"])
    op.create_index("ix_audit_events_event_id", "audit_events", ["event_id"])
    op.create_table(
        "compliance_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_compliance_events"),
    )
    op.create_index("ix_compliance_events_stream_id", "compliance_events", ["stream_id"])
    op.create_table(
        "compliance_facts",
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name="pk_compliance_facts"),
    )
    op.create_table(
        "compliance_findings",
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.Column("reading", sa.Text(), nullable=False),
        sa.Column("article", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("recorded_from", "ordinal", name="pk_compliance_findings"),
    )
    op.create_index("ix_compliance_findings_year_body", "compliance_findings", ["year", "body"])


def downgrade() -> None:
    op.drop_index("ix_compliance_findings_year_body", "compliance_findings")
    op.drop_table("compliance_findings")
    op.drop_table("compliance_facts")
    op.drop_index("ix_compliance_events_stream_id", "compliance_events")
    op.drop_table("compliance_events")
    op.drop_index("ix_audit_events_event_id", "audit_events")
    op.drop_index("ix_audit_events_record_id", "audit_events")
    op.drop_index("ix_audit_events_stream_id", "audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_timeline_facts_record_id", "timeline_facts")
    op.drop_index("ix_timeline_facts_sort_lo_sort_hi_position", "timeline_facts")
    op.drop_table("timeline_facts")
    op.drop_index("ix_timeline_events_stream_id", "timeline_events")
    op.drop_table("timeline_events")
