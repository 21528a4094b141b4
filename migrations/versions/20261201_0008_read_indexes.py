"""Read models: the indexes the read side's latency needs (issues 8 and 9).

- `ix_meetings_rows_page`: `meetings_page`'s order (the start's bounds, undated first,
  then the id) as expressions, so that a page of meetings is read off the index and cut
  at its limit instead of sorting every row (`projections/meetings.py`, `page_order`);
- `ix_documents_rows_meeting`: the documents signed at a meeting (one meeting's page, the
  documents of a page of meetings in the API's loader);
- `ix_membership_periods_meeting`: the membership decisions taken at a meeting;
- `ix_timeline_facts_spanning`: the timeline's facts whose valid period crosses a new year
  (or has no start), in page order, partial: a page of the timeline from a date reads them
  off it and the others from the date's year on (`projections/timeline.py`, `timeline`),
  instead of scanning every fact before the date.

The same indexes are declared on the tables in the projection modules (the migrations test
compares the two).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
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
    spans = sa.text("substr(valid_to_hi, 1, 4) != substr(sort_lo, 1, 4)")
    op.create_index(
        "ix_timeline_facts_spanning",
        "timeline_facts",
        ["sort_lo", "sort_hi", "position"],
        sqlite_where=spans,
        postgresql_where=spans,
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_facts_spanning", table_name="timeline_facts")
    op.drop_index("ix_membership_periods_meeting", table_name="membership_periods")
    op.drop_index("ix_documents_rows_meeting", table_name="documents_rows")
    op.drop_index("ix_meetings_rows_page", table_name="meetings_rows")
