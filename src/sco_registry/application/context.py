"""What a command runs with (who, under which correlation) and what running it gave."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandContext:
    """`idempotency_key`: running the same command again with it appends nothing and returns
    the first outcome (`replayed`). The importer passes a record's id."""

    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Positions are None when the command had nothing new to record (`events_appended` 0),
    e.g. a state registered again under the same name."""

    stream_ids: tuple[str, ...]
    first_position: int | None
    last_position: int | None
    replayed: bool = False
    events_appended: int = 0
