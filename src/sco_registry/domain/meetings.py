"""The meetings stream family: one meeting of any body, scheduled, held, postponed, moved or
cancelled, with dates, city, host state, format, chair, participants and documents adopted.
Stream id: the record id (`meeting/heads_of_state/2002`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources


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
