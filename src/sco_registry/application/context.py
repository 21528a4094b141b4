"""What a command runs with (who, under which correlation) and what running it gave."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def _no_annotations() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CommandContext:
    """`idempotency_key`: running the same command again with it appends nothing and returns
    the first outcome (`replayed`). The importer passes a record's id.

    `annotations`: facts about the record, not the event: e.g. the source's confidence and a
    curator's note; stored in each event's metadata under `record` (nothing is stored when
    empty). They are not part of the command's fingerprint: a replay under the same key with
    other annotations is still a replay (the importer compares them itself). JSON values only.

    `expected_version`: the version the caller last saw of the command's own stream (the
    decision's primary stream; 0: no stream yet). When given, the command is refused with
    WrongExpectedVersion unless the stream is still at that version when it is decided, and
    the append expects that same version under the store's lock, so a write in between
    fails it too. A replay (a key used before) returns the first outcome regardless.
    """

    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    idempotency_key: str | None = None
    # hash=False: a mapping is unhashable, and the context stays hashable as before.
    annotations: Mapping[str, Any] = field(default_factory=_no_annotations, hash=False)
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Positions are None when the command had nothing new to record (`events_appended` 0),
    e.g. a state registered again under the same name."""

    stream_ids: tuple[str, ...]
    first_position: int | None
    last_position: int | None
    replayed: bool = False
    events_appended: int = 0
