"""The bodies stream family: councils, permanent bodies, ministerial meetings, expert groups,
mechanisms, affiliated institutions and processes; each decided, established, relocated,
renamed, dissolved; rules of procedure approved. Stream id: the record id (`body/rats`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources


class BodyCategory(enum.StrEnum):
    COUNCIL = "council"
    PERMANENT_BODY = "permanent_body"
    MINISTERIAL_MEETING = "ministerial_meeting"
    EXPERT_GROUP = "expert_group"
    MECHANISM = "mechanism"
    AFFILIATED = "affiliated"
    PROCESS = "process"


class BodyStatus(enum.StrEnum):
    DECIDED = "decided"  # decided or planned, not yet working
    ESTABLISHED = "established"


class Permanence(enum.StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordBody:
    """Record a body as decided (with its planned seat) or established (the history format's
    `body` kind). An expert group may carry its `mandate` and, when temporary, `expires_on`."""

    body_id: str
    name: str
    category: BodyCategory
    status: BodyStatus
    organization_id: str = "organization/sco"
    established_on: PartialDate | None = None
    decided_on: PartialDate | None = None
    abbreviation: str | None = None
    parent: str | None = None
    permanence: Permanence | None = None
    seat: str | None = None
    seat_state: str | None = None
    mandate: str | None = None
    expires_on: PartialDate | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EstablishBody:
    """A decided body starts working, possibly at another seat than planned."""

    body_id: str
    date: PartialDate
    seat: str | None = None
    seat_state: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RelocateSeat:
    body_id: str
    date: PartialDate
    seat: str
    seat_state: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RenameBody:
    body_id: str
    date: PartialDate
    name: str
    abbreviation: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DissolveBody:
    """A body is dissolved (a temporary expert group disbanded)."""

    body_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ApproveBodyRules:
    """Rules of a body approved by another (Art. 11: the State Coordinators' Council's
    temporary rules, approved by the foreign ministers). `date` None: not yet dated."""

    body_id: str
    title: str
    approved_by: str | None = None
    temporary: bool = False
    date: PartialDate | None = None
    document: str | None = None
    sources: Sources
    record_id: str | None = None
