"""The organization stream family: the "Shanghai Five" process and the SCO, their founding,
adopted purposes and principles, and succession. Stream id: the record id (`organization/sco`).

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
    require_sources,
)

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundOrganization:
    """Record an organization's founding. With a predecessor, the predecessor's stream records
    its succession in the same transaction.

    `founding_document` may be left None and recorded later with RecordFoundingDocument: the
    founding document is signed at a meeting of a body of the organization, so an importer
    records the organization first and its founding document after the document.
    """

    organization_id: str
    name: str
    founded_on: PartialDate
    abbreviation: str | None = None
    founded_at: str | None = None
    founding_members: tuple[str, ...] = ()
    founding_document: str | None = None
    predecessor: str | None = None
    purposes: tuple[str, ...] = ()
    principles: tuple[str, ...] = ()
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordFoundingDocument:
    """Name the document that founded an organization (valid time: the founding date)."""

    organization_id: str
    document_id: str
    sources: Sources
    record_id: str | None = None


class PrincipleKind(enum.StrEnum):
    PURPOSES = "purposes"  # Art. 2
    SHANGHAI_SPIRIT = "shanghai_spirit"  # Art. 4
    PRINCIPLES = "principles"  # Art. 5, 6, 7


@dataclass(frozen=True, kw_only=True, slots=True)
class AdoptPrinciples:
    """Record purposes, the "Shanghai Spirit" or principles adopted by an organization."""

    organization_id: str
    kind: PrincipleKind
    texts: tuple[str, ...]
    date: PartialDate
    document: str | None = None
    sources: Sources
    record_id: str | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class OrganizationFounded(Event):
    organization_id: str
    name: str
    abbreviation: str | None
    founded_at: str | None
    founding_members: tuple[str, ...]
    founding_document: str | None
    predecessor: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundingDocumentRecorded(Event):
    organization_id: str
    document_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class _TextsAdopted(Event):
    organization_id: str
    texts: tuple[str, ...]
    document: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PurposesAdopted(_TextsAdopted):
    """Art. 2."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ShanghaiSpiritAdopted(_TextsAdopted):
    """Art. 4."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PrinciplesAdopted(_TextsAdopted):
    """Art. 5, 6, 7."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OrganizationSucceeded(Event):
    """On the predecessor's stream: `successor` took its place (valid time: its founding)."""

    organization_id: str
    successor: str


_ADOPTED: dict[PrincipleKind, type[_TextsAdopted]] = {
    PrincipleKind.PURPOSES: PurposesAdopted,
    PrincipleKind.SHANGHAI_SPIRIT: ShanghaiSpiritAdopted,
    PrincipleKind.PRINCIPLES: PrinciplesAdopted,
}

# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationState:
    founded: bool = False
    organization_id: str | None = None
    name: str | None = None
    founded_on: PartialDate | None = None
    founding_document: str | None = None
    predecessor: str | None = None
    successor: str | None = None


@dataclass(frozen=True, slots=True)
class OrganizationFacts:
    """`known_ids`: the referenced records (documents, organizations) the registry holds.
    `predecessor`: the predecessor's state when the command names one."""

    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()
    predecessor: OrganizationState | None = None


OrganizationCommand = FoundOrganization | RecordFoundingDocument | AdoptPrinciples


def decide(
    command: OrganizationCommand, state: OrganizationState, facts: OrganizationFacts
) -> list[Event]:
    check_id(command.organization_id, ids.ORGANIZATION)
    require_sources(command.sources)
    if isinstance(command, FoundOrganization):
        return _found(command, state, facts)
    if not state.founded:
        raise NotFound(
            f"unknown organization {command.organization_id!r}",
            code="reference.unknown_organization",
            details={"organization": command.organization_id},
        )
    if isinstance(command, RecordFoundingDocument):
        require_known(
            command.document_id,
            command.document_id in facts.known_ids,
            kind="document",
            field="document_id",
        )
        if state.founding_document == command.document_id:
            return []  # already recorded: nothing new
        if state.founding_document is not None:
            raise IntegrityViolation(
                f"{command.organization_id} already has a founding document "
                f"({state.founding_document}); correct that event instead",
                code="organization.founding_document_recorded",
                details={"recorded": state.founding_document, "given": command.document_id},
            )
        return [
            FoundingDocumentRecorded(
                valid_time=state.founded_on,
                sources=command.sources,
                organization_id=command.organization_id,
                document_id=command.document_id,
            )
        ]
    if not command.texts:
        raise InvalidValue("nothing adopted: no texts given", code="organization.no_texts")
    require_known(
        command.document, command.document in facts.known_ids, kind="document", field="document"
    )
    return [
        _ADOPTED[command.kind](
            valid_time=command.date,
            sources=command.sources,
            organization_id=command.organization_id,
            texts=command.texts,
            document=command.document,
        )
    ]


def _found(
    command: FoundOrganization, state: OrganizationState, facts: OrganizationFacts
) -> list[Event]:
    if state.founded:
        raise IntegrityViolation(
            f"{command.organization_id} is already founded",
            code="organization.already_founded",
            details={"organization": command.organization_id},
        )
    if not command.name.strip():
        raise InvalidValue("an organization needs a name", code="organization.missing_name")
    require_known_states(command.founding_members, facts.known_states, field="founding_members")
    doc = command.founding_document
    require_known(doc, doc in facts.known_ids, kind="document", field="founding_document")
    events: list[Event] = [
        OrganizationFounded(
            valid_time=command.founded_on,
            sources=command.sources,
            organization_id=command.organization_id,
            name=command.name,
            abbreviation=command.abbreviation,
            founded_at=command.founded_at,
            founding_members=command.founding_members,
            founding_document=doc,
            predecessor=command.predecessor,
        )
    ]
    for kind, texts in (
        (PrincipleKind.PURPOSES, command.purposes),
        (PrincipleKind.PRINCIPLES, command.principles),
    ):
        if texts:
            events.append(
                _ADOPTED[kind](
                    valid_time=command.founded_on,
                    sources=command.sources,
                    organization_id=command.organization_id,
                    texts=texts,
                    document=doc,
                )
            )
    if command.predecessor is not None:
        events.append(_succession(command, facts.predecessor))
    return events


def _succession(command: FoundOrganization, predecessor: OrganizationState | None) -> Event:
    name = command.predecessor
    assert name is not None
    if name == command.organization_id:
        raise IntegrityViolation(
            "an organization cannot succeed itself", code="organization.own_predecessor"
        )
    if predecessor is None or not predecessor.founded:
        raise NotFound(
            f"unknown organization {name!r} in predecessor",
            code="reference.unknown_organization",
            details={"organization": name, "field": "predecessor"},
        )
    if predecessor.successor not in (None, command.organization_id):
        raise IntegrityViolation(
            f"{name} was already succeeded by {predecessor.successor}",
            code="organization.already_succeeded",
            details={"predecessor": name, "successor": predecessor.successor},
        )
    if predecessor.founded_on is not None and command.founded_on.definitely_before(
        predecessor.founded_on
    ):
        raise IntegrityViolation(
            f"{command.organization_id} ({command.founded_on}) cannot succeed {name}, "
            f"founded later ({predecessor.founded_on})",
            code="date.end_before_start",
            details={"start": str(predecessor.founded_on), "end": str(command.founded_on)},
        )
    return OrganizationSucceeded(
        valid_time=command.founded_on,
        sources=command.sources,
        organization_id=name,
        successor=command.organization_id,
    )


def evolve(state: OrganizationState, event: Event) -> OrganizationState:
    if isinstance(event, OrganizationFounded):
        return replace(
            state,
            founded=True,
            organization_id=event.organization_id,
            name=event.name,
            founded_on=event.valid_time,
            founding_document=event.founding_document,
            predecessor=event.predecessor,
        )
    if isinstance(event, FoundingDocumentRecorded):
        return replace(state, founding_document=event.document_id)
    if isinstance(event, OrganizationSucceeded):
        return replace(state, successor=event.successor)
    return state
