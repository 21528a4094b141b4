"""Read models of bodies, offices and mandates.

Each keeps the events of its record streams as recorded (`body_events`, `office_events`,
`mandate_events`) and its rows with both times: a body's facts (`body_facts`) and its
status, name and seat periods (`body_periods`), the terms of office (`office_terms`), the
mandates (`mandates`). See docs/architecture.md ("The read side") and
`sco_registry/projections/{derived,bodies,offices,mandates}.py`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "body_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_body_events"),
    )
    op.create_index("ix_body_events_stream_id", "body_events", ["stream_id"])
    op.create_table(
        "body_facts",
        sa.Column("body_id", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("abbreviation", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Text(), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.Column("permanence", sa.Text(), nullable=True),
        sa.Column("mandate", sa.Text(), nullable=True),
        sa.Column("expires_on", sa.Text(), nullable=True),
        sa.Column("decided_on", sa.Text(), nullable=True),
        sa.Column("established_on", sa.Text(), nullable=True),
        sa.Column("dissolved_on", sa.Text(), nullable=True),
        sa.Column("dissolved", sa.Boolean(), nullable=False),
        sa.Column("seat", sa.Text(), nullable=True),
        sa.Column("seat_state", sa.Text(), nullable=True),
        sa.Column("start_event_id", sa.Text(), nullable=False),
        sa.Column("start_position", Position, nullable=False),
        sa.Column("end_event_id", sa.Text(), nullable=True),
        sa.Column("end_position", Position, nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("body_id", "recorded_from", "ordinal", name="pk_body_facts"),
    )
    op.create_index(
        "ix_body_facts_organization_id_category", "body_facts", ["organization_id", "category"]
    )
    op.create_table(
        "body_periods",
        sa.Column("body_id", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("aspect", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("abbreviation", sa.Text(), nullable=True),
        sa.Column("seat", sa.Text(), nullable=True),
        sa.Column("seat_state", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_from_lo", sa.Text(), nullable=True),
        sa.Column("valid_from_hi", sa.Text(), nullable=True),
        sa.Column("valid_to", sa.Text(), nullable=True),
        sa.Column("valid_to_lo", sa.Text(), nullable=True),
        sa.Column("valid_to_hi", sa.Text(), nullable=True),
        sa.Column("start_event_id", sa.Text(), nullable=False),
        sa.Column("start_position", Position, nullable=False),
        sa.Column("end_event_id", sa.Text(), nullable=True),
        sa.Column("end_position", Position, nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("body_id", "recorded_from", "ordinal", name="pk_body_periods"),
    )
    op.create_table(
        "office_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_office_events"),
    )
    op.create_index("ix_office_events_stream_id", "office_events", ["stream_id"])
    op.create_table(
        "office_terms",
        sa.Column("term_id", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("body_id", sa.Text(), nullable=False),
        sa.Column("office", sa.Text(), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("nationality", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_from_lo", sa.Text(), nullable=True),
        sa.Column("valid_from_hi", sa.Text(), nullable=True),
        sa.Column("valid_to", sa.Text(), nullable=True),
        sa.Column("valid_to_lo", sa.Text(), nullable=True),
        sa.Column("valid_to_hi", sa.Text(), nullable=True),
        sa.Column("start_event_id", sa.Text(), nullable=False),
        sa.Column("start_position", Position, nullable=False),
        sa.Column("end_event_id", sa.Text(), nullable=True),
        sa.Column("end_position", Position, nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term_id", "recorded_from", "ordinal", name="pk_office_terms"),
    )
    op.create_index("ix_office_terms_body_id_office", "office_terms", ["body_id", "office"])
    op.create_table(
        "mandate_events",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_mandate_events"),
    )
    op.create_index("ix_mandate_events_stream_id", "mandate_events", ["stream_id"])
    op.create_table(
        "mandates",
        sa.Column("mandate_id", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("by_body", sa.Text(), nullable=False),
        sa.Column("to_body", sa.Text(), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("due_meeting", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Text(), nullable=True),
        sa.Column("fulfilled", sa.Boolean(), nullable=False),
        sa.Column("fulfilled_document", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_from_lo", sa.Text(), nullable=True),
        sa.Column("valid_from_hi", sa.Text(), nullable=True),
        sa.Column("valid_to", sa.Text(), nullable=True),
        sa.Column("valid_to_lo", sa.Text(), nullable=True),
        sa.Column("valid_to_hi", sa.Text(), nullable=True),
        sa.Column("start_event_id", sa.Text(), nullable=False),
        sa.Column("start_position", Position, nullable=False),
        sa.Column("end_event_id", sa.Text(), nullable=True),
        sa.Column("end_position", Position, nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("mandate_id", "recorded_from", "ordinal", name="pk_mandates"),
    )
    op.create_index("ix_mandates_to_body", "mandates", ["to_body"])


def downgrade() -> None:
    op.drop_index("ix_mandates_to_body", "mandates")
    op.drop_table("mandates")
    op.drop_index("ix_mandate_events_stream_id", "mandate_events")
    op.drop_table("mandate_events")
    op.drop_index("ix_office_terms_body_id_office", "office_terms")
    op.drop_table("office_terms")
    op.drop_index("ix_office_events_stream_id", "office_events")
    op.drop_table("office_events")
    op.drop_table("body_periods")
    op.drop_index("ix_body_facts_organization_id_category", "body_facts")
    op.drop_table("body_facts")
    op.drop_index("ix_body_events_stream_id", "body_events")
    op.drop_table("body_events")
