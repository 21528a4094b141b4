"""The corrections family: an event that corrects or retracts an earlier event of a stream,
naming it by event id, with the reason. It is appended to the corrected event's stream, and
folding a stream applies it (`folding.effective`), so the history keeps both facts.

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sco_registry.domain import ids
from sco_registry.domain.errors import IntegrityViolation, InvalidValue, NotFound, RegistryError
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources, require_sources

if TYPE_CHECKING:
    from sco_registry.domain.folding import StoredEvent

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


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class EventCorrected(Event):
    stream_id: str
    event_id: uuid.UUID
    reason: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRetracted(Event):
    stream_id: str
    event_id: uuid.UUID
    reason: str


CORRECTION_TYPES = frozenset({"EventCorrected", "EventRetracted"})

# --- decide -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorrectionState:
    """Nothing is kept between corrections: the facts carry the stream as stored."""


@dataclass(frozen=True, slots=True)
class CorrectionFacts:
    """The target stream's events as stored (with corrections not yet applied)."""

    events: Sequence[StoredEvent] = ()


def decide(
    command: CorrectEvent | RetractEvent, state: CorrectionState, facts: CorrectionFacts
) -> list[Event]:
    # Imported here: folding reads the catalog, which knows every family, this one included.
    from sco_registry.domain.folding import effective

    require_sources(command.sources)
    if not command.reason.strip():
        raise InvalidValue("a correction needs a reason", code="correction.missing_reason")
    by_id = {e.event_id: e for e in facts.events}
    target = by_id.get(command.event_id)
    details = {"stream_id": command.stream_id, "event_id": str(command.event_id)}
    if target is None:
        raise NotFound(
            f"no event {command.event_id} in {command.stream_id}",
            code="correction.unknown_event",
            details=details,
        )
    if target.type in CORRECTION_TYPES:
        raise IntegrityViolation(
            "a correction is not itself corrected; record a new correction of the original",
            code="correction.of_correction",
            details=details,
        )
    current = {e.event_id: e for e in effective(facts.events)}.get(command.event_id)
    if current is None:
        raise IntegrityViolation(
            f"event {command.event_id} is already retracted",
            code="correction.already_retracted",
            details=details,
        )
    raw_valid = current.data.get("valid_time")
    valid = PartialDate.parse(raw_valid) if isinstance(raw_valid, str) else None
    if isinstance(command, RetractEvent):
        return [
            EventRetracted(
                valid_time=valid,
                sources=command.sources,
                stream_id=command.stream_id,
                event_id=command.event_id,
                reason=command.reason,
            )
        ]
    changes = dict(command.changes)
    if not changes:
        raise InvalidValue("a correction needs changes", code="correction.empty")
    unknown = sorted(set(changes) - set(current.data))
    if unknown:
        raise InvalidValue(
            f"{target.type} has no fields {unknown}",
            code="correction.unknown_field",
            details={**details, "fields": unknown},
        )
    # The fields that place the event in this stream (`meeting_id` of a meeting's event, the
    # `state` of a membership event) are not corrected: that would move it to another stream.
    identity = sorted(
        k
        for k, v in current.data.items()
        if k in changes and command.stream_id in (v, ids.membership_stream(v))
    )
    if identity:
        raise InvalidValue(
            f"{identity} place the event in {command.stream_id}; retract it and record anew",
            code="correction.identity_field",
            details={**details, "fields": identity},
        )
    _check_parses(target.type, {**current.data, **changes}, details)
    new_valid = changes.get("valid_time", raw_valid)
    return [
        EventCorrected(
            valid_time=command.valid_time
            or (PartialDate.parse(new_valid) if isinstance(new_valid, str) else None),
            sources=command.sources,
            stream_id=command.stream_id,
            event_id=command.event_id,
            reason=command.reason,
            changes=changes,
        )
    ]


def _check_parses(event_type: str, data: dict[str, Any], details: dict[str, str]) -> None:
    # Imported here: the catalog knows every family, this one included.
    from sco_registry.domain.catalog import from_json

    try:
        from_json(event_type, data)
    except (RegistryError, KeyError, TypeError, ValueError) as e:
        raise InvalidValue(
            f"the corrected {event_type} would not be valid: {e}",
            code="correction.invalid",
            details=details,
        ) from None


def evolve(state: CorrectionState, event: Event) -> CorrectionState:
    return state
