"""Read models: the indexes the read side's latency needs (issues 8 and 9).

- `ix_meetings_rows_page`: `meetings_page`'s order (the start's bounds, undated first,
  then the id) as expressions, so that a page of meetings is read off the index and cut
  at its limit instead of sorting every row (`projections/meetings.py`, `page_order`);
- `ix_documents_rows_meeting`: the documents signed at a meeting (one meeting's page, the
  documents of a page of meetings in the API's loader);
- `ix_membership_periods_meeting`: the membership decisions taken at a meeting.

The same indexes are declared on the tables in the projection modules (the migrations test
compares the two).

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `meetings.page_order` renders them (SQLite matches an expression index on its text).
MEETINGS_PAGE = (
    "coalesce(valid_from_lo, '')",
    "coalesce(valid_from_hi, '')",
)


def upgrade() -> None:
    op.create_index(
        "ix_meetings_rows_page",
        "meetings_rows",
        [*(sa.text(e) for e in MEETINGS_PAGE), "record_id"],
    )
    op.create_index("ix_documents_rows_meeting", "documents_rows", ["meeting"])
    op.create_index("ix_membership_periods_meeting", "membership_periods", ["meeting"])


def downgrade() -> None:
    op.drop_index("ix_membership_periods_meeting", table_name="membership_periods")
    op.drop_index("ix_documents_rows_meeting", table_name="documents_rows")
    op.drop_index("ix_meetings_rows_page", table_name="meetings_rows")
