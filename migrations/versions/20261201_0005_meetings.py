"""Read models: meetings, documents and organizations.

Each keeps its records' streams as recorded (`<model>_events`) and one row per version of a
record with both times (`<model>_rows`). See docs/architecture.md ("The read side") and
`sco_registry/projections/records.py`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VALID = ("valid_from", "valid_from_lo", "valid_from_hi", "valid_to", "valid_to_lo", "valid_to_hi")
T, J, N = sa.Text, sa.JSON, sa.Integer

MODELS: dict[str, tuple[tuple[str, type[sa.types.TypeEngine[object]]], ...]] = {
    "meetings": (
        ("body_id", T),
        ("ordinal", N),
        ("start_date", T),
        ("end_date", T),
        ("city", T),
        ("host_state", T),
        ("format", T),
        ("status", T),
        ("chair", T),
        ("participants", J),
        ("documents", J),
        ("changes", J),
    ),
    "documents": (
        ("category", T),
        ("title", T),
        ("signed_on", T),
        ("place", T),
        ("meeting", T),
        ("parties", J),
        ("founding_parties", J),
        ("ratifications", J),
        ("in_force_on", T),
        ("amends", T),
        ("amended_by", J),
        ("superseded_by", T),
        ("superseded_on", T),
        ("mandate", J),
        ("drafts", J),
    ),
    "organizations": (
        ("name", T),
        ("abbreviation", T),
        ("founded_on", T),
        ("founded_at", T),
        ("founding_document", T),
        ("predecessor", T),
        ("successor", T),
        ("succeeded_on", T),
        ("purposes", J),
        ("shanghai_spirit", J),
        ("principles", J),
    ),
}


def upgrade() -> None:
    for model, columns in MODELS.items():
        op.create_table(
            f"{model}_events",
            sa.Column("position", Position, autoincrement=False, nullable=False),
            sa.Column("record_id", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("position", name=f"pk_{model}_events"),
        )
        op.create_index(f"ix_{model}_events_record_id", f"{model}_events", ["record_id"])
        op.create_table(
            f"{model}_rows",
            sa.Column("record_id", sa.Text(), nullable=False),
            sa.Column("recorded_from", Position, autoincrement=False, nullable=False),
            sa.Column("recorded_to", Position, nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            *(sa.Column(name, kind(), nullable=True) for name, kind in columns),
            *(sa.Column(c, sa.Text(), nullable=True) for c in VALID),
            sa.Column("events", sa.JSON(), nullable=False),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("record_id", "recorded_from", name=f"pk_{model}_rows"),
        )


def downgrade() -> None:
    for model in reversed(MODELS):
        op.drop_table(f"{model}_rows")
        op.drop_index(f"ix_{model}_events_record_id", f"{model}_events")
        op.drop_table(f"{model}_events")
