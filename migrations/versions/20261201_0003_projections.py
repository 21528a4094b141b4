"""Read models: the projections' checkpoints and the membership model's tables.

`projection_checkpoints` holds, per projection, the version of the code that wrote its rows
and the last log position applied (written in the same transaction as the rows). The
membership model keeps each state's membership stream as recorded (`membership_changes`)
and its status periods with both times (`membership_periods`). See docs/architecture.md
("The read side") and `sco_registry/projections/`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")


def upgrade() -> None:
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", Position, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projection_checkpoints"),
    )
    op.create_table(
        "membership_changes",
        sa.Column("position", Position, autoincrement=False, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_membership_changes"),
    )
    op.create_index("ix_membership_changes_state", "membership_changes", ["state"])
    op.create_table(
        "membership_periods",
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_to", Position, nullable=True),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=True) for c in VALID),
        sa.Column("meeting", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("start_event_id", sa.Text(), nullable=False),
        sa.Column("start_position", Position, nullable=False),
        sa.Column("end_event_id", sa.Text(), nullable=True),
        sa.Column("end_position", Position, nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("state", "recorded_from", "ordinal", name="pk_membership_periods"),
    )
    op.create_index(
        "ix_membership_periods_organization_id_status",
        "membership_periods",
        ["organization_id", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_membership_periods_organization_id_status", "membership_periods")
    op.drop_table("membership_periods")
    op.drop_index("ix_membership_changes_state", "membership_changes")
    op.drop_table("membership_changes")
    op.drop_table("projection_checkpoints")
