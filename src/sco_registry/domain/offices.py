"""The offices stream family: a person's term in an office of a body, with the office's title
as it was at the time. Stream id: the record id (`office/secretariat/zhang-deguang`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

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

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordOfficeTerm:
    """The history format's `office_term` kind. `office` is the title at the time
    (`executive_secretary`, `secretary_general`, `director`)."""

    term_id: str
    body_id: str
    office: str
    person: str
    from_date: PartialDate
    to_date: PartialDate | None = None
    nationality: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EndOfficeTerm:
    term_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class OfficeTermRecorded(Event):
    """Valid time: the start of the term. Schema version 2: version 1 called `office` `title`
    and the dates `from`/`to` (see the catalog's upcaster 1)."""

    term_id: str
    body_id: str
    office: str
    person: str
    nationality: str | None
    from_date: PartialDate
    to_date: PartialDate | None


@dataclass(frozen=True, kw_only=True, slots=True)
class OfficeTermEnded(Event):
    term_id: str


# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfficeTermState:
    recorded: bool = False
    body_id: str | None = None
    office: str | None = None
    person: str | None = None
    from_date: PartialDate | None = None
    to_date: PartialDate | None = None
    ended: bool = False


@dataclass(frozen=True, slots=True)
class OfficeFacts:
    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()  # the body


OfficeCommand = RecordOfficeTerm | EndOfficeTerm
_ORDER = "date.end_before_start"


def decide(command: OfficeCommand, state: OfficeTermState, facts: OfficeFacts) -> list[Event]:
    term = check_id(command.term_id, ids.OFFICE)
    require_sources(command.sources)
    if isinstance(command, RecordOfficeTerm):
        if state.recorded:
            raise IntegrityViolation(
                f"{term} is already recorded",
                code="office.term_already_recorded",
                details={"term": term},
            )
        if not command.office.strip() or not command.person.strip():
            raise InvalidValue("a term needs an office and a person", code="office.incomplete")
        body = check_id(command.body_id, ids.BODY)
        require_known(body, body in facts.known_ids, kind="body", field="body_id")
        nat = command.nationality
        require_known_states([] if nat is None else [nat], facts.known_states, field="nationality")
        require_order(command.from_date, command.to_date, what="term ends before", code=_ORDER)
        return [
            OfficeTermRecorded(
                valid_time=command.from_date,
                sources=command.sources,
                term_id=term,
                body_id=body,
                office=command.office,
                person=command.person,
                nationality=nat,
                from_date=command.from_date,
                to_date=command.to_date,
            )
        ]
    if not state.recorded:
        raise NotFound(
            f"unknown office term {term!r}",
            code="reference.unknown_office_term",
            details={"term": term},
        )
    if state.ended or state.to_date is not None:
        raise IntegrityViolation(
            f"{term} already ended ({state.to_date})",
            code="office.term_already_ended",
            details={"term": term, "to_date": str(state.to_date)},
        )
    require_order(state.from_date, command.date, what="term ends before", code=_ORDER)
    return [OfficeTermEnded(valid_time=command.date, sources=command.sources, term_id=term)]


def evolve(state: OfficeTermState, event: Event) -> OfficeTermState:
    if isinstance(event, OfficeTermRecorded):
        return replace(
            state,
            recorded=True,
            body_id=event.body_id,
            office=event.office,
            person=event.person,
            from_date=event.from_date,
            to_date=event.to_date,
        )
    if isinstance(event, OfficeTermEnded):
        return replace(state, ended=True, to_date=event.valid_time)
    return state
