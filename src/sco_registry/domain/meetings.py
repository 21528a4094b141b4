"""The meetings stream family: one meeting of any body, scheduled, held, postponed, moved or
cancelled, with dates, city, host state, format, chair, participants and documents adopted.
Stream id: the record id (`meeting/heads_of_state/2002`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from sco_registry.domain import ids
from sco_registry.domain.errors import IntegrityViolation, InvalidValue, NotFound
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import (
    Sources,
    check_id,
    require_known,
    require_known_states,
    require_order,
    require_sources,
)


class MeetingFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"


class MeetingStatus(enum.StrEnum):
    """What the history format's `status` can say of a recorded meeting."""

    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordMeeting:
    """Record a meeting as the history format gives it (held, postponed or cancelled)."""

    meeting_id: str
    body_id: str
    start_date: PartialDate
    end_date: PartialDate | None = None
    city: str | None = None
    host_state: str | None = None
    format: MeetingFormat = MeetingFormat.IN_PERSON
    status: MeetingStatus = MeetingStatus.HELD
    ordinal: int | None = None
    chair: str | None = None
    participants: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleMeeting:
    meeting_id: str
    body_id: str
    start_date: PartialDate
    end_date: PartialDate | None = None
    city: str | None = None
    host_state: str | None = None
    format: MeetingFormat = MeetingFormat.IN_PERSON
    ordinal: int | None = None
    chair: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class HoldMeeting:
    """A scheduled meeting was held; fields left None keep what was scheduled."""

    meeting_id: str
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    city: str | None = None
    host_state: str | None = None
    format: MeetingFormat | None = None
    chair: str | None = None
    participants: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostponeMeeting:
    """Postponed on `date`; `new_start_date` when a new date was set."""

    meeting_id: str
    date: PartialDate
    new_start_date: PartialDate | None = None
    new_end_date: PartialDate | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MoveMeeting:
    """Moved (on `date`) to another city, host or format."""

    meeting_id: str
    date: PartialDate
    city: str | None = None
    host_state: str | None = None
    format: MeetingFormat | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CancelMeeting:
    meeting_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MeetingScheduled(Event):
    """Valid time: the planned start."""

    meeting_id: str
    body_id: str
    start_date: PartialDate
    end_date: PartialDate | None
    city: str | None
    host_state: str | None
    format: MeetingFormat
    ordinal: int | None
    chair: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MeetingHeld(Event):
    """Valid time: the start. Carries the meeting as held, whatever was scheduled."""

    meeting_id: str
    body_id: str
    start_date: PartialDate
    end_date: PartialDate | None
    city: str | None
    host_state: str | None
    format: MeetingFormat
    ordinal: int | None
    chair: str | None
    participants: tuple[str, ...]
    documents: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class MeetingPostponed(Event):
    """Valid time: when it was postponed (None when the sources do not say)."""

    meeting_id: str
    new_start_date: PartialDate | None
    new_end_date: PartialDate | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MeetingMoved(Event):
    meeting_id: str
    city: str | None
    host_state: str | None
    format: MeetingFormat | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MeetingCancelled(Event):
    meeting_id: str


# --- state and facts --------------------------------------------------------------------------


class MeetingPhase(enum.StrEnum):
    NONE = "none"
    SCHEDULED = "scheduled"
    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class MeetingState:
    phase: MeetingPhase = MeetingPhase.NONE
    meeting_id: str | None = None
    body_id: str | None = None
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    city: str | None = None
    host_state: str | None = None
    format: MeetingFormat = MeetingFormat.IN_PERSON
    ordinal: int | None = None
    chair: str | None = None
    participants: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    """What the rules need to know of the meeting's body: whether it is recorded, when it was
    dissolved and, for a temporary expert group, when its mandate expires."""

    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()  # the body and the documents referred to
    body_dissolved: bool = False
    body_dissolved_on: PartialDate | None = None
    body_expires_on: PartialDate | None = None


MeetingCommand = (
    RecordMeeting | ScheduleMeeting | HoldMeeting | PostponeMeeting | MoveMeeting | CancelMeeting
)

_ORDER = "date.end_before_start"


def decide(command: MeetingCommand, state: MeetingState, facts: MeetingFacts) -> list[Event]:
    check_id(command.meeting_id, ids.MEETING)
    require_sources(command.sources)
    if isinstance(command, RecordMeeting | ScheduleMeeting):
        return _record(command, state, facts)
    if state.phase is MeetingPhase.NONE:
        raise NotFound(
            f"unknown meeting {command.meeting_id!r}",
            code="reference.unknown_meeting",
            details={"meeting": command.meeting_id, "field": "meeting_id"},
        )
    details = {"meeting": command.meeting_id, "phase": str(state.phase)}
    if state.phase is MeetingPhase.HELD:
        raise IntegrityViolation(
            f"{command.meeting_id} was already held", code="meeting.already_held", details=details
        )
    if state.phase is MeetingPhase.CANCELLED:
        raise IntegrityViolation(
            f"{command.meeting_id} was cancelled", code="meeting.cancelled", details=details
        )
    src = command.sources
    if isinstance(command, HoldMeeting):
        assert state.body_id is not None and state.start_date is not None
        start = command.start_date or state.start_date
        end = command.end_date or (None if command.start_date else state.end_date)
        host = command.host_state or state.host_state
        _check(start, end, host, command.participants, command.documents, facts)
        return [
            MeetingHeld(
                valid_time=start,
                sources=src,
                meeting_id=command.meeting_id,
                body_id=state.body_id,
                start_date=start,
                end_date=end,
                city=command.city or state.city,
                host_state=host,
                format=command.format or state.format,
                ordinal=state.ordinal,
                chair=command.chair or state.chair,
                participants=command.participants,
                documents=command.documents,
            )
        ]
    if isinstance(command, PostponeMeeting):
        require_order(command.new_start_date, command.new_end_date, what="ends", code=_ORDER)
        return [
            MeetingPostponed(
                valid_time=command.date,
                sources=src,
                meeting_id=command.meeting_id,
                new_start_date=command.new_start_date,
                new_end_date=command.new_end_date,
            )
        ]
    if isinstance(command, MoveMeeting):
        host = command.host_state
        require_known_states([] if host is None else [host], facts.known_states, field="host")
        if command.city is None and host is None and command.format is None:
            raise InvalidValue("a move needs a city, host or format", code="meeting.empty_move")
        return [
            MeetingMoved(
                valid_time=command.date,
                sources=src,
                meeting_id=command.meeting_id,
                city=command.city,
                host_state=host,
                format=command.format,
            )
        ]
    return [MeetingCancelled(valid_time=command.date, sources=src, meeting_id=command.meeting_id)]


def _check(
    start: PartialDate,
    end: PartialDate | None,
    host: str | None,
    participants: tuple[str, ...],
    documents: tuple[str, ...],
    facts: MeetingFacts,
) -> None:
    require_order(start, end, what="the meeting ends before it starts", code=_ORDER)
    require_known_states([] if host is None else [host], facts.known_states, field="host_state")
    require_known_states(participants, facts.known_states, field="participants")
    for doc in documents:
        require_known(doc, doc in facts.known_ids, kind="document", field="documents")
    # A dissolved body holds no meeting: refused when the dates prove the meeting later (or
    # the dissolution is undated); an overlap ("2004-06" and "2004-06-17") is accepted.
    dissolved = facts.body_dissolved_on
    if facts.body_dissolved and (dissolved is None or dissolved.definitely_before(start)):
        raise IntegrityViolation(
            f"the body was dissolved ({dissolved or 'date unknown'}) before {start}",
            code="meeting.body_dissolved",
            details={"dissolved_on": None if dissolved is None else str(dissolved)},
        )
    expires = facts.body_expires_on
    if expires is not None and expires.definitely_before(start):
        raise IntegrityViolation(
            f"the temporary group's mandate expired ({expires}) before {start}",
            code="meeting.body_expired",
            details={"expires_on": str(expires), "start_date": str(start)},
        )


def _record(
    command: RecordMeeting | ScheduleMeeting, state: MeetingState, facts: MeetingFacts
) -> list[Event]:
    if state.phase is not MeetingPhase.NONE:
        raise IntegrityViolation(
            f"{command.meeting_id} is already recorded",
            code="meeting.already_recorded",
            details={"meeting": command.meeting_id, "phase": str(state.phase)},
        )
    body = check_id(command.body_id, ids.BODY)
    require_known(body, body in facts.known_ids, kind="body", field="body_id")
    if command.ordinal is not None and command.ordinal < 1:
        raise InvalidValue("an ordinal counts from 1", code="meeting.bad_ordinal")
    common = {
        "meeting_id": command.meeting_id,
        "body_id": body,
        "start_date": command.start_date,
        "end_date": command.end_date,
        "city": command.city,
        "host_state": command.host_state,
        "format": command.format,
        "ordinal": command.ordinal,
        "chair": command.chair,
    }
    start, src = command.start_date, command.sources
    if isinstance(command, ScheduleMeeting):
        _check(start, command.end_date, command.host_state, (), (), facts)
        return [MeetingScheduled(valid_time=start, sources=src, **common)]  # type: ignore[arg-type]
    _check(
        start, command.end_date, command.host_state, command.participants, command.documents, facts
    )
    if command.status is MeetingStatus.HELD:
        return [
            MeetingHeld(
                valid_time=start,
                sources=src,
                participants=command.participants,
                documents=command.documents,
                **common,  # type: ignore[arg-type]
            )
        ]
    # A meeting recorded as postponed or cancelled was scheduled first; the sources date the
    # meeting, not the decision to postpone or cancel it, so that step has no valid time.
    scheduled = MeetingScheduled(valid_time=start, sources=src, **common)  # type: ignore[arg-type]
    if command.status is MeetingStatus.POSTPONED:
        return [
            scheduled,
            MeetingPostponed(
                valid_time=None,
                sources=src,
                meeting_id=command.meeting_id,
                new_start_date=None,
                new_end_date=None,
            ),
        ]
    return [
        scheduled,
        MeetingCancelled(valid_time=None, sources=src, meeting_id=command.meeting_id),
    ]


def _arranged(
    state: MeetingState, event: MeetingScheduled | MeetingHeld, phase: MeetingPhase
) -> MeetingState:
    """The meeting's arrangements as a scheduling or a holding records them."""
    return replace(
        state,
        phase=phase,
        meeting_id=event.meeting_id,
        body_id=event.body_id,
        start_date=event.start_date,
        end_date=event.end_date,
        city=event.city,
        host_state=event.host_state,
        format=event.format,
        ordinal=event.ordinal,
        chair=event.chair,
    )


def evolve(state: MeetingState, event: Event) -> MeetingState:
    if isinstance(event, MeetingScheduled):
        return _arranged(state, event, MeetingPhase.SCHEDULED)
    if isinstance(event, MeetingHeld):
        return replace(
            _arranged(state, event, MeetingPhase.HELD),
            participants=event.participants,
            documents=event.documents,
        )
    if isinstance(event, MeetingPostponed):
        return replace(
            state,
            phase=MeetingPhase.POSTPONED,
            start_date=event.new_start_date or state.start_date,
            end_date=event.new_end_date if event.new_start_date else state.end_date,
        )
    if isinstance(event, MeetingMoved):
        return replace(
            state,
            city=event.city or state.city,
            host_state=event.host_state or state.host_state,
            format=event.format or state.format,
        )
    if isinstance(event, MeetingCancelled):
        return replace(state, phase=MeetingPhase.CANCELLED)
    return state
