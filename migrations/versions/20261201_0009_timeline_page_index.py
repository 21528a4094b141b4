"""The timeline: its page index carries the columns a page's conditions test (issue 8).

`ix_timeline_facts_page` (`sort_lo, sort_hi, position`, then `recorded_from,
recorded_to`) replaces `ix_timeline_facts_sort_lo_sort_hi_position` (its prefix): a page
known at a position tests the record-time conditions on the index's entries (a page from
or to a date tests its bounds on the sort keys) and reads only the rows of the page
(`projections/timeline.py`, `_page`; on PostgreSQL an index-only scan), instead of
reading every row it rejects.

The same index is declared on the table in the projection module (the migrations test
compares the two).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ["sort_lo", "sort_hi", "position"]


def upgrade() -> None:
    op.drop_index("ix_timeline_facts_sort_lo_sort_hi_position", table_name="timeline_facts")
    op.create_index(
        "ix_timeline_facts_page",
        "timeline_facts",
        [*ORDER, "recorded_from", "recorded_to"],
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_facts_page", table_name="timeline_facts")
    op.create_index("ix_timeline_facts_sort_lo_sort_hi_position", "timeline_facts", ORDER)
