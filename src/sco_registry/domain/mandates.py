"""The mandates stream family: an instruction by one body to another (the history format's
`mandate` kind) and its fulfilment. Stream id: the record id (`mandate/2005-07-05/...`).

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
    require_order,
    require_sources,
)

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordMandate:
    """`due` of the format is either a meeting id (`due_meeting`) or a date (`due_date`)."""

    mandate_id: str
    by_body: str
    to_body: str
    date: PartialDate
    task: str
    document: str | None = None
    due_meeting: str | None = None
    due_date: PartialDate | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FulfilMandate:
    mandate_id: str
    date: PartialDate
    document: str | None = None
    sources: Sources
    record_id: str | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MandateGiven(Event):
    mandate_id: str
    by_body: str
    to_body: str
    task: str
    document: str | None
    due_meeting: str | None
    due_date: PartialDate | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MandateFulfilled(Event):
    mandate_id: str
    document: str | None


# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MandateState:
    given: bool = False
    given_on: PartialDate | None = None
    fulfilled: bool = False


@dataclass(frozen=True, slots=True)
class MandateFacts:
    known_ids: frozenset[str] = frozenset()  # bodies, meetings, documents referred to


MandateCommand = RecordMandate | FulfilMandate
_ORDER = "date.end_before_start"


def decide(command: MandateCommand, state: MandateState, facts: MandateFacts) -> list[Event]:
    mandate = check_id(command.mandate_id, ids.MANDATE)
    require_sources(command.sources)
    known = facts.known_ids
    require_known(command.document, command.document in known, kind="document", field="document")
    if isinstance(command, RecordMandate):
        if state.given:
            raise IntegrityViolation(
                f"{mandate} is already recorded",
                code="mandate.already_recorded",
                details={"mandate": mandate},
            )
        if not command.task.strip():
            raise InvalidValue("a mandate needs a task", code="mandate.missing_task")
        for name, kind, ref in (
            ("by", "body", command.by_body),
            ("to", "body", command.to_body),
            ("due", "meeting", command.due_meeting),
        ):
            require_known(ref, ref in known, kind=kind, field=name)
        require_order(command.date, command.due_date, what="due before given", code=_ORDER)
        return [
            MandateGiven(
                valid_time=command.date,
                sources=command.sources,
                mandate_id=mandate,
                by_body=command.by_body,
                to_body=command.to_body,
                task=command.task,
                document=command.document,
                due_meeting=command.due_meeting,
                due_date=command.due_date,
            )
        ]
    if not state.given:
        raise NotFound(
            f"unknown mandate {mandate!r}",
            code="reference.unknown_mandate",
            details={"mandate": mandate},
        )
    if state.fulfilled:
        raise IntegrityViolation(
            f"{mandate} is already fulfilled",
            code="mandate.already_fulfilled",
            details={"mandate": mandate},
        )
    require_order(state.given_on, command.date, what="fulfilled before given", code=_ORDER)
    return [
        MandateFulfilled(
            valid_time=command.date,
            sources=command.sources,
            mandate_id=mandate,
            document=command.document,
        )
    ]


def evolve(state: MandateState, event: Event) -> MandateState:
    if isinstance(event, MandateGiven):
        return replace(state, given=True, given_on=event.valid_time)
    if isinstance(event, MandateFulfilled):
        return replace(state, fulfilled=True)
    return state
