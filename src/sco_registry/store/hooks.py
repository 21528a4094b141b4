"""The store's inline-projection hook: what a store calls inside an append's unit of work.

After the append's inserts and before COMMIT, a store with a projector attached calls
`projector.apply_inline(conn, events)` with the events just recorded (positions, versions,
record time and hashes assigned), on the same `Connection` and so in the same transaction:
whatever the projector writes commits with the events, and an exception from it rolls the
append back (no event, no row, no checkpoint move) and reaches the appender unchanged.

* SQL stores (SQLite, PostgreSQL): the connection of the append itself; the read models'
  tables are in the same database (created by the Alembic revisions).
* The in-memory store: a stdlib SQLite database in memory, owned by the store; its tables
  are created by `projector.create_schema(conn)` when the projector is attached. The
  projections' code is then the same on all three stores.

Two more units of work serve the projection runner (`sco_registry.projections.runner`):
`run_projection_write(work)` runs `work(conn, head)` in a write transaction holding the
append lock (so no append, and no inline apply, runs meanwhile; `head` is the log's last
position as of that lock), and `run_projection_read(work)` runs `work(conn)` in a read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection

from sco_registry.store.base import NewEvent, RecordedEvent
from sco_registry.store.rows import INSERT_COLUMNS

T = TypeVar("T")
ProjectionWrite = Callable[[Connection, int], T]
ProjectionRead = Callable[[Connection], T]


class ProjectorStale(Exception):
    """Raised by a projector inside an append's unit of work when what it assumed of the
    read models (their checkpoints, as its previous append left them) turns out not to
    hold: the store rolls the append back and makes it once more (the projector then reads
    what it needs)."""


class Projector(Protocol):
    def apply_inline(self, conn: Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply the events just recorded, in the append's transaction; raise to refuse it."""
        ...

    def create_schema(self, conn: Connection) -> None:
        """Create the read models' tables (only the in-memory store asks: SQL has Alembic)."""
        ...


_POSITION = INSERT_COLUMNS.index("position")
_STREAM = INSERT_COLUMNS.index("stream_id")
_VERSION = INSERT_COLUMNS.index("stream_version")
_DATA = INSERT_COLUMNS.index("data")
_METADATA = INSERT_COLUMNS.index("metadata")
_HASH = INSERT_COLUMNS.index("hash")


def recorded_from_rows(
    news: Sequence[NewEvent], rows: Sequence[tuple[Any, ...]], recorded_at: dt.datetime
) -> list[RecordedEvent]:
    """The recorded events of an append from its insert rows (`rows.encode_event`), as a
    read of the log would give them: JSON data decoded from the very text inserted."""
    return [
        RecordedEvent(
            position=row[_POSITION],
            event_id=new.event_id,
            stream_id=row[_STREAM],
            stream_version=row[_VERSION],
            type=new.type,
            schema_version=new.schema_version,
            data=json.loads(row[_DATA]),
            metadata=json.loads(row[_METADATA]),
            valid_time=new.valid_time,
            recorded_at=recorded_at,
            actor=new.actor,
            sources=tuple(new.sources),
            correlation_id=new.correlation_id,
            causation_id=new.causation_id,
            hash=row[_HASH],
        )
        for new, row in zip(news, rows, strict=True)
    ]
