"""What a projection is, its checkpoint table, and its one error.

A projection has a `name`, a `version` (changed whenever what it writes changes: a stored
checkpoint of another version makes it *stale*, and only a rebuild makes it current again),
its tables (SQLAlchemy Core, built by `define(metadata, suffix)`, so the runner can build the
same tables under other names to rebuild or verify into), `apply` (one event, a synchronous
function over a `Connection`, in the caller's transaction) and its read functions (in its
own module).

The live tables of every projection are defined on `metadata` here, which the Alembic
revisions must match (the migrations test compares them, as for the event log's).
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.store.base import RecordedEvent
from sco_registry.store.errors import StoreError

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Log positions: 64-bit, as in the events table.
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

checkpoints = sa.Table(
    "projection_checkpoints",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True),
    # The version of the projection that wrote the rows: another version is stale.
    sa.Column("version", sa.Integer(), nullable=False),
    # Every event up to this position is applied, and none after it.
    sa.Column("position", Position, nullable=False),
)

Tables = Mapping[str, sa.Table]


class ProjectionFailed(StoreError):
    """A projection could not apply an event: its transaction (the append, a catch-up or a
    rebuild batch) is rolled back; the event is never skipped."""

    code = "projection.failed"

    def __init__(self, name: str, position: int, event_id: uuid.UUID, cause: BaseException):
        reason = str(cause) or cause.__class__.__name__
        super().__init__(
            f"projection {name!r} failed on the event at position {position} "
            f"({event_id}): {cause.__class__.__name__}: {reason}",
            details={"projection": name, "position": position, "event_id": str(event_id)},
        )
        self.projection = name
        self.position = position


class ProjectionError(StoreError):
    """A projection command that cannot be carried out (an unknown name, a stale model)."""

    code = "projection.error"


class Projection(abc.ABC):
    name: ClassVar[str]
    version: ClassVar[int]
    # The live tables: `define(metadata)`, done once, where the projection is defined.
    tables: ClassVar[Tables]

    @classmethod
    @abc.abstractmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        """The projection's tables on `target`, each named with `suffix` appended (and its
        indexes with it): the live tables (no suffix), or a scratch copy."""

    @abc.abstractmethod
    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        """Apply one event (in position order, each exactly once) to `tables`."""

    @classmethod
    def order_by(cls, table: sa.Table) -> list[sa.ColumnElement[object]]:
        """A total order of a table's rows, for comparing two builds row by row."""
        return list(table.primary_key.columns)
