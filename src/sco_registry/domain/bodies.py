"""The bodies stream family: councils, permanent bodies, ministerial meetings, expert groups,
mechanisms, affiliated institutions and processes; each decided, established, relocated,
renamed, dissolved; rules of procedure approved. Stream id: the record id (`body/rats`).

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


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _BodyDescribed(Event):
    """The full description of a body, as the events that bring it into being carry it."""

    body_id: str
    name: str
    abbreviation: str | None
    category: BodyCategory
    organization_id: str
    parent: str | None
    permanence: Permanence | None
    seat: str | None
    seat_state: str | None
    mandate: str | None
    expires_on: PartialDate | None


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyDecided(_BodyDescribed):
    """Decided or planned, with its planned seat; not yet working (valid time: the decision)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyEstablished(_BodyDescribed):
    """Working from its valid time, at `seat` (which may differ from the planned seat)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpertGroupFormed(_BodyDescribed):
    """An expert group formed (Art. 3), permanent or temporary, with its mandate."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SeatRelocated(Event):
    body_id: str
    seat: str
    seat_state: str | None
    previous_seat: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyRenamed(Event):
    body_id: str
    name: str
    abbreviation: str | None
    previous_name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyDissolved(Event):
    body_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BodyRulesApproved(Event):
    body_id: str
    title: str
    approved_by: str | None
    temporary: bool
    document: str | None


# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodyState:
    recorded: bool = False
    body_id: str | None = None
    name: str | None = None
    abbreviation: str | None = None
    category: BodyCategory | None = None
    organization_id: str | None = None
    parent: str | None = None
    permanence: Permanence | None = None
    mandate: str | None = None
    status: BodyStatus | None = None
    decided_on: PartialDate | None = None
    established_on: PartialDate | None = None
    dissolved_on: PartialDate | None = None
    dissolved: bool = False
    expires_on: PartialDate | None = None
    seat: str | None = None
    seat_state: str | None = None


@dataclass(frozen=True, slots=True)
class BodyFacts:
    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()  # organization, parent, approving body, documents


BodyCommand = (
    RecordBody | EstablishBody | RelocateSeat | RenameBody | DissolveBody | ApproveBodyRules
)


def decide(command: BodyCommand, state: BodyState, facts: BodyFacts) -> list[Event]:
    check_id(command.body_id, ids.BODY)
    require_sources(command.sources)
    if isinstance(command, RecordBody):
        return _record(command, state, facts)
    if not state.recorded:
        raise NotFound(
            f"unknown body {command.body_id!r}",
            code="reference.unknown_body",
            details={"body": command.body_id, "field": "body_id"},
        )
    if isinstance(command, ApproveBodyRules):
        return _approve_rules(command, facts)
    date = command.date
    # A dissolved body changes no more: refused when the dates prove the change later than
    # the dissolution (or the dissolution is undated), or it is a second dissolution. A change
    # that may have come first ("2010-06-05" renamed, dissolved in "2010") is accepted: an
    # import records the coarser date first, and history does not say it came after.
    dissolved = state.dissolved_on
    if state.dissolved and (
        dissolved is None or dissolved.definitely_before(date) or isinstance(command, DissolveBody)
    ):
        raise IntegrityViolation(
            f"{command.body_id} was dissolved ({state.dissolved_on or 'date unknown'})",
            code="body.dissolved",
            details={"body": command.body_id, "dissolved_on": _s(state.dissolved_on)},
        )
    start = state.established_on or state.decided_on
    if isinstance(command, EstablishBody):
        if state.status is BodyStatus.ESTABLISHED:
            raise IntegrityViolation(
                f"{command.body_id} is already established",
                code="body.already_established",
                details={"body": command.body_id, "established_on": _s(state.established_on)},
            )
        require_order(state.decided_on, date, what="established before decided", code=_ORDER)
        seat_state = command.seat_state if command.seat else state.seat_state
        require_known_states(_opt(seat_state), facts.known_states, field="seat_state")
        assert state.body_id and state.name and state.category and state.organization_id
        return [
            BodyEstablished(
                valid_time=date,
                sources=command.sources,
                body_id=state.body_id,
                name=state.name,
                abbreviation=state.abbreviation,
                category=state.category,
                organization_id=state.organization_id,
                parent=state.parent,
                permanence=state.permanence,
                mandate=state.mandate,
                expires_on=state.expires_on,
                seat=command.seat or state.seat,
                seat_state=seat_state,
            )
        ]
    require_order(start, date, what="change before the body began", code=_ORDER)
    if isinstance(command, RelocateSeat):
        require_known_states(_opt(command.seat_state), facts.known_states, field="seat_state")
        if command.seat == state.seat and command.seat_state == state.seat_state:
            raise IntegrityViolation(
                f"{command.body_id} already sits in {command.seat}",
                code="body.seat_unchanged",
                details={"body": command.body_id, "seat": command.seat},
            )
        return [
            SeatRelocated(
                valid_time=date,
                sources=command.sources,
                body_id=command.body_id,
                seat=command.seat,
                seat_state=command.seat_state,
                previous_seat=state.seat,
            )
        ]
    if isinstance(command, RenameBody):
        if not command.name.strip():
            raise InvalidValue("a body needs a name", code="body.missing_name")
        return [
            BodyRenamed(
                valid_time=date,
                sources=command.sources,
                body_id=command.body_id,
                name=command.name,
                abbreviation=command.abbreviation,
                previous_name=state.name or "",
            )
        ]
    return [BodyDissolved(valid_time=date, sources=command.sources, body_id=command.body_id)]


_ORDER = "date.end_before_start"


def _s(date: PartialDate | None) -> str | None:
    return None if date is None else str(date)


def _opt(code: str | None) -> list[str]:
    return [] if code is None else [code]


def _record(command: RecordBody, state: BodyState, facts: BodyFacts) -> list[Event]:
    if state.recorded:
        raise IntegrityViolation(
            f"{command.body_id} is already recorded",
            code="body.already_recorded",
            details={"body": command.body_id},
        )
    if not command.name.strip():
        raise InvalidValue("a body needs a name", code="body.missing_name")
    org = check_id(command.organization_id, ids.ORGANIZATION)
    require_known(org, org in facts.known_ids, kind="organization", field="organization_id")
    parent = command.parent
    require_known(parent, parent in facts.known_ids, kind="body", field="parent")
    require_known_states(_opt(command.seat_state), facts.known_states, field="seat_state")
    if command.expires_on is not None and command.permanence is Permanence.PERMANENT:
        raise IntegrityViolation(
            f"{command.body_id} is permanent and cannot expire",
            code="body.permanent_with_expiry",
            details={"body": command.body_id, "expires_on": str(command.expires_on)},
        )
    require_order(
        command.decided_on, command.established_on, what="established before decided", code=_ORDER
    )
    start = command.established_on or command.decided_on
    require_order(start, command.expires_on, what="expires before it began", code=_ORDER)
    decided = command.status is BodyStatus.DECIDED
    cls: type[_BodyDescribed]
    if decided:
        cls = BodyDecided
    elif command.category is BodyCategory.EXPERT_GROUP:
        cls = ExpertGroupFormed
    else:
        cls = BodyEstablished
    return [
        cls(
            valid_time=command.decided_on if decided else command.established_on,
            sources=command.sources,
            body_id=command.body_id,
            name=command.name,
            abbreviation=command.abbreviation,
            category=command.category,
            organization_id=org,
            parent=parent,
            permanence=command.permanence,
            seat=command.seat,
            seat_state=command.seat_state,
            mandate=command.mandate,
            expires_on=command.expires_on,
        )
    ]


def _approve_rules(command: ApproveBodyRules, facts: BodyFacts) -> list[Event]:
    by = command.approved_by
    require_known(by, by in facts.known_ids, kind="body", field="approved_by")
    doc = command.document
    require_known(doc, doc in facts.known_ids, kind="document", field="document")
    if not command.title.strip():
        raise InvalidValue("rules need a title", code="body.missing_rules_title")
    return [
        BodyRulesApproved(
            valid_time=command.date,
            sources=command.sources,
            body_id=command.body_id,
            title=command.title,
            approved_by=by,
            temporary=command.temporary,
            document=doc,
        )
    ]


def evolve(state: BodyState, event: Event) -> BodyState:
    if isinstance(event, _BodyDescribed):
        decided = isinstance(event, BodyDecided)
        return replace(
            state,
            recorded=True,
            body_id=event.body_id,
            name=event.name,
            abbreviation=event.abbreviation,
            category=event.category,
            organization_id=event.organization_id,
            parent=event.parent,
            permanence=event.permanence,
            mandate=event.mandate,
            expires_on=event.expires_on,
            seat=event.seat,
            seat_state=event.seat_state,
            status=BodyStatus.DECIDED if decided else BodyStatus.ESTABLISHED,
            decided_on=event.valid_time if decided else state.decided_on,
            established_on=state.established_on if decided else event.valid_time,
        )
    if isinstance(event, SeatRelocated):
        return replace(state, seat=event.seat, seat_state=event.seat_state)
    if isinstance(event, BodyRenamed):
        return replace(state, name=event.name, abbreviation=event.abbreviation)
    if isinstance(event, BodyDissolved):
        return replace(state, dissolved=True, dissolved_on=event.valid_time)
    return state
