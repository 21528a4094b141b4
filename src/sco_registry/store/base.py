"""The event log's vocabulary and interface, shared by every store and its contract tests.

Versions are 1-based: a stream's first event has version 1; a stream with no events has
version 0. Positions in the global log are 1-based and contiguous (no gaps, ever): readers
can therefore tell a missing event from one not yet written.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sco_registry import ids
from sco_registry.domain.time import PartialDate


class StreamState(enum.Enum):
    """Expected-version conditions other than an exact version."""

    ANY = "any"
    NO_STREAM = "no_stream"
    STREAM_EXISTS = "stream_exists"

    def __str__(self) -> str:
        return self.value


ExpectedVersion = int | StreamState


@dataclass(frozen=True, slots=True)
class Source:
    """A citation: the document and article, or a title and URL, that a fact rests on."""

    title: str | None = None
    url: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"title": self.title, "url": self.url}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Source:
        return cls(title=raw.get("title"), url=raw.get("url"))


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. The store adds position, stream version, record time and hash."""

    type: str
    data: Mapping[str, Any]
    valid_time: PartialDate | None = None
    schema_version: int = 1
    metadata: Mapping[str, Any] = field(default_factory=dict)
    sources: Sequence[Source] = ()
    actor: str | None = None
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    event_id: uuid.UUID = field(default_factory=ids.uuid4)  # no GIL given away (`ids`)


@dataclass(frozen=True, slots=True)
class StreamAppend:
    """A batch for one stream with the version it is expected to be at."""

    stream_id: str
    events: Sequence[NewEvent]
    expected: ExpectedVersion = StreamState.ANY


@dataclass(frozen=True, slots=True)
class AppendUnit:
    """What one `append_many` call would append (its batches, read checks included, and its
    idempotency key), as one of several in `append_batch`."""

    batches: Sequence[StreamAppend]
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the log holds it."""

    position: int
    event_id: uuid.UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    valid_time: PartialDate | None
    recorded_at: dt.datetime
    actor: str | None
    sources: Sequence[Source]
    correlation_id: uuid.UUID | None
    causation_id: uuid.UUID | None
    hash: str


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append did. `replayed` is true when an idempotency key had been used before:
    the positions are then those of the first append, and nothing new was written."""

    first_position: int
    last_position: int
    stream_versions: Mapping[str, int]
    replayed: bool = False


class EventStore(Protocol):
    """The event log. Every implementation passes `tests/contract`."""

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected: ExpectedVersion = StreamState.ANY,
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch to one stream atomically (see `append_many`)."""
        ...

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        """Append batches to several streams in one transaction: all or nothing.

        Raises WrongExpectedVersion (naming the first failing stream) or IdempotencyConflict.
        """
        ...

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        """Append `units` in order in one transaction: all or nothing, one result each.

        Guarded by the head: raises HeadMoved, appending nothing, unless the log's last
        position is `expected_head` once the append lock is held (so the log is exactly the
        one the caller read, and nothing it decided on has changed). Each unit is checked as
        `append_many` checks it, against the log as the units before it leave it
        (WrongExpectedVersion), and records its idempotency key; a key recorded before fails
        the batch (`store.batch_key_recorded`): a batch never replays."""
        ...

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]: ...

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events with position > `after`, in position order. Never skips: once a reader has
        seen position p, no event with a position below p can appear later."""
        ...

    def iter_all(self, *, after: int = 0, batch_size: int = 1000) -> AsyncIterator[RecordedEvent]:
        """All events after `after`, read in pages."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 when it has no events)."""
        ...

    async def head_position(self) -> int:
        """The position of the last event (0 for an empty log)."""
        ...

    async def wait_for_events(self, after: int, timeout: float) -> bool:
        """Wait until the log may hold events after `after`, or `timeout` seconds pass.

        A wake-up only: returns True when woken, and the caller must read to find out."""
        ...

    async def close(self) -> None: ...


class EventStoreBase(abc.ABC):
    """What every store derives from its two primitives, `append_many` and `read_all`:
    the one-stream `append` and the paging `iter_all`. Written once for all stores."""

    @abc.abstractmethod
    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult: ...

    @abc.abstractmethod
    async def read_all(
        self, *, after: int = 0, limit: int | None = None
    ) -> list[RecordedEvent]: ...

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected: ExpectedVersion = StreamState.ANY,
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self.append_many(
            [StreamAppend(stream_id, events, expected)], idempotency_key=idempotency_key
        )

    async def read_streams(self, starts: Mapping[str, int]) -> dict[str, list[RecordedEvent]]:
        """Several streams at once: each stream's events from its version in `starts` on,
        as `read_stream(stream, from_version=...)` gives them (here one read each; the
        PostgreSQL store reads them in one statement, one round trip)."""
        read = self.read_stream  # type: ignore[attr-defined]
        return {s: await read(s, from_version=v) for s, v in starts.items()}

    async def iter_all(
        self, *, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        while True:
            page = await self.read_all(after=after, limit=batch_size)
            for event in page:
                yield event
            if len(page) < batch_size:
                return
            after = page[-1].position
