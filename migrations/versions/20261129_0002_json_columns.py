"""On PostgreSQL, the event log's JSON columns become `json` (the input text, kept verbatim)
instead of `jsonb`; nothing to do on SQLite, where JSON is text already.

jsonb re-normalizes what it stores: a float of 1e16 or more comes back as an integer, -0.0 as
0.0, and U+0000 is refused, so the store had to refuse such values on PostgreSQL to keep the
chain hashes verifiable. `json` keeps the exact text the store wrote (canonical JSON, the
same text the hash covers), and reading it back as text needs no jsonb-to-text conversion,
which dominated reads. The log is never queried by JSON content (read models are).

Existing rows get jsonb's text form (keys ordered by length, `{"a": 1}` spacing), not the
canonical text they were written as. That is harmless: `verify` recomputes each hash from
the decoded values, and the values are equal, since only values jsonb keeps were ever
stored. The rewrite fires no row triggers (ALTER TABLE, not UPDATE).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("events", "data"),
    ("events", "metadata"),
    ("events", "sources"),
    ("idempotency_keys", "stream_versions"),
]


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=postgresql.JSON(),
            existing_type=postgresql.JSONB(),
            existing_nullable=False,
            postgresql_using=f'"{column}"::text::json',
        )


def downgrade() -> None:
    # Back to jsonb: values jsonb cannot keep (floats of 1e16 or more, -0.0) would change and
    # then fail `verify`, and U+0000 makes the conversion fail; the 0001 store refuses them.
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=postgresql.JSONB(),
            existing_type=postgresql.JSON(),
            existing_nullable=False,
            postgresql_using=f'"{column}"::jsonb',
        )
