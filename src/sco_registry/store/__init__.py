"""The append-only event log: one interface, an in-memory and an SQL (SQLite/PostgreSQL) store."""

from sco_registry.store.base import (
    AppendResult,
    EventStore,
    NewEvent,
    RecordedEvent,
    Source,
    StreamAppend,
    StreamState,
)
from sco_registry.store.errors import (
    AppendOnlyViolation,
    IdempotencyConflict,
    StoreError,
    WrongExpectedVersion,
)

__all__ = [
    "AppendOnlyViolation",
    "AppendResult",
    "EventStore",
    "IdempotencyConflict",
    "NewEvent",
    "RecordedEvent",
    "Source",
    "StoreError",
    "StreamAppend",
    "StreamState",
    "WrongExpectedVersion",
]
