"""The corrections family: an event that corrects or retracts an earlier event of a stream,
naming it by event id, with the reason. It is appended to the corrected event's stream, and
loading a stream applies it (see `effective`), so the history keeps both facts.

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class CorrectEvent:
    """Correct fields of an earlier event: `changes` maps field names of its JSON form to
    their corrected JSON values (dates as strings). `valid_time` defaults to the corrected
    event's."""

    stream_id: str
    event_id: uuid.UUID
    reason: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    valid_time: PartialDate | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RetractEvent:
    """Retract an earlier event: the registry no longer holds it for true."""

    stream_id: str
    event_id: uuid.UUID
    reason: str
    sources: Sources
    record_id: str | None = None
