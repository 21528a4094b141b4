"""The documents stream family: an instrument's drafting mandated and drafted, its signature
(where, when, by whom), ratification per state, entry into force, amendment and supersession.
Stream id: the record id (`document/charter-2002`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sco_registry.domain import ids
from sco_registry.domain.errors import IntegrityViolation, InvalidValue, NotFound
from sco_registry.domain.events import Event
from sco_registry.domain.membership import PARTY_STATUSES, MembershipStatus
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import (
    Sources,
    check_id,
    require_known,
    require_known_states,
    require_order,
    require_sources,
)


class DocumentCategory(enum.StrEnum):
    AGREEMENT = "agreement"
    DECLARATION = "declaration"
    CHARTER = "charter"
    CONVENTION = "convention"
    TREATY = "treaty"
    REGULATION = "regulation"
    MEMORANDUM = "memorandum"
    PROGRAMME = "programme"
    STRATEGY = "strategy"
    JOINT_STATEMENT = "joint_statement"
    PROTOCOL = "protocol"
    DECISION = "decision"


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MandateDrafting:
    """A body instructs another to draft a document, due at a meeting or by a date
    (the declaration's final part: the Charter, to the State Coordinators' Council, 2002)."""

    document_id: str
    title: str
    category: DocumentCategory
    date: PartialDate
    mandated_by: str
    mandated_to: str
    due_meeting: str | None = None
    due_date: PartialDate | None = None
    mandate_document: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordDraft:
    document_id: str
    date: PartialDate
    drafted_by: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordDocument:
    """Record a signed instrument (the history format's `document` kind).

    `parties` is None where the sources do not list them. `founding_parties` are signatories
    that become members or participants through this very document (the 1996 Shanghai
    agreement, the 2001 declaration, Uzbekistan's 2001 admission statement): the signatory
    rule accepts them though no status is recorded for them yet, because their membership
    records cite this document and so can only be recorded after it. They must be listed in
    `parties` (`document.founding_party_not_a_party` otherwise). The importer passes only
    the listed parties whose membership record, dated on the signing day, cites this
    document or another instrument signed that day, the records of earlier imports included
    (docs/data.md, "The mapping's inferences"); a state that only cites the document (a
    status granted at the summit that adopted it) is not one.
    With `amends`, the amended document's stream records the amendment in the same transaction.
    """

    document_id: str
    title: str
    category: DocumentCategory
    signed_on: PartialDate
    place: str | None = None
    meeting: str | None = None
    parties: tuple[str, ...] | None = None
    founding_parties: tuple[str, ...] = ()
    in_force_on: PartialDate | None = None
    amends: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RatifyDocument:
    document_id: str
    state: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BringDocumentIntoForce:
    document_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SupersedeDocument:
    document_id: str
    superseded_by: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class DraftingMandated(Event):
    document_id: str
    title: str
    category: DocumentCategory
    mandated_by: str
    mandated_to: str
    due_meeting: str | None
    due_date: PartialDate | None
    mandate_document: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentDrafted(Event):
    document_id: str
    drafted_by: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentSigned(Event):
    """Valid time: the signature. `parties` None: the sources do not list them."""

    document_id: str
    title: str
    category: DocumentCategory
    place: str | None
    meeting: str | None
    parties: tuple[str, ...] | None
    founding_parties: tuple[str, ...]
    amends: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentRatified(Event):
    document_id: str
    state: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentEnteredIntoForce(Event):
    document_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentAmended(Event):
    """On the amended document's stream; valid time: the amendment's signature."""

    document_id: str
    amended_by: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentSuperseded(Event):
    document_id: str
    superseded_by: str


# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentState:
    """What the rules need of a document; read models keep the rest."""

    exists: bool = False
    document_id: str | None = None
    title: str | None = None
    category: DocumentCategory | None = None
    signed: bool = False
    signed_on: PartialDate | None = None
    meeting: str | None = None
    parties: tuple[str, ...] | None = None
    ratified_by: Mapping[str, PartialDate | None] = field(default_factory=dict)
    in_force: bool = False
    superseded_by: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingFact:
    """The meeting a document is signed at, as its stream says."""

    held: bool
    start_date: PartialDate | None
    end_date: PartialDate | None


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """`signatory_statuses`: for each listed party, the statuses it may hold (in any
    organization) on the signing date. `meeting`: the signing meeting, when recorded.
    `amended`: the state of the document amended, when the command amends one."""

    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()  # bodies, meetings, documents referred to
    signatory_statuses: Mapping[str, frozenset[MembershipStatus]] = field(default_factory=dict)
    meeting: MeetingFact | None = None
    amended: DocumentState | None = None


DocumentCommand = (
    MandateDrafting
    | RecordDraft
    | RecordDocument
    | RatifyDocument
    | BringDocumentIntoForce
    | SupersedeDocument
)

_ORDER = "date.end_before_start"


def _unknown(document_id: str) -> NotFound:
    return NotFound(
        f"unknown document {document_id!r}",
        code="reference.unknown_document",
        details={"document": document_id, "field": "document_id"},
    )


def _violation(message: str, code: str, **details: object) -> IntegrityViolation:
    return IntegrityViolation(message, code=code, details={k: str(v) for k, v in details.items()})


def decide(command: DocumentCommand, state: DocumentState, facts: DocumentFacts) -> list[Event]:
    doc = check_id(command.document_id, ids.DOCUMENT)
    require_sources(command.sources)
    if isinstance(command, RecordDocument):
        return _sign(command, state, facts)
    if isinstance(command, MandateDrafting):
        return _mandate(command, state, facts)
    if not state.exists:
        raise _unknown(doc)
    src = command.sources
    if isinstance(command, RecordDraft):
        by = command.drafted_by
        require_known(by, by in facts.known_ids, kind="body", field="drafted_by")
        if state.signed_on is not None and state.signed_on.definitely_before(command.date):
            raise _violation(
                f"{doc} was signed ({state.signed_on}) before this draft ({command.date})",
                "document.drafted_after_signature",
                signed_on=state.signed_on,
                date=command.date,
            )
        return [
            DocumentDrafted(valid_time=command.date, sources=src, document_id=doc, drafted_by=by)
        ]
    if isinstance(command, SupersedeDocument):
        by = command.superseded_by
        require_known(
            by, by in facts.known_ids and by != doc, kind="document", field="superseded_by"
        )
        if state.superseded_by is not None:
            raise _violation(
                f"{doc} was already superseded by {state.superseded_by}",
                "document.already_superseded",
                superseded_by=state.superseded_by,
            )
        return [
            DocumentSuperseded(
                valid_time=command.date, sources=src, document_id=doc, superseded_by=by
            )
        ]
    if not state.signed:
        raise _violation(f"{doc} is not signed yet", "document.not_signed", document=doc)
    if isinstance(command, RatifyDocument):
        require_known_states([command.state], facts.known_states, field="state")
        if state.signed_on is not None and command.date.definitely_before(state.signed_on):
            raise _violation(
                f"{doc} ratified by {command.state} ({command.date}) before its signature "
                f"({state.signed_on})",
                "document.ratified_before_signature",
                signed_on=state.signed_on,
                date=command.date,
            )
        if state.parties is not None and command.state not in state.parties:
            raise _violation(
                f"{command.state} is not a party to {doc}",
                "document.not_a_party",
                state=command.state,
            )
        if command.state in state.ratified_by:
            raise _violation(
                f"{command.state} already ratified {doc}",
                "document.already_ratified",
                state=command.state,
            )
        return [
            DocumentRatified(
                valid_time=command.date, sources=src, document_id=doc, state=command.state
            )
        ]
    if state.in_force:
        raise _violation(f"{doc} is already in force", "document.already_in_force", document=doc)
    _check_in_force(state.signed_on, command.date)
    return [DocumentEnteredIntoForce(valid_time=command.date, sources=src, document_id=doc)]


def _check_in_force(signed_on: PartialDate | None, in_force_on: PartialDate | None) -> None:
    if (
        signed_on is not None
        and in_force_on is not None
        and in_force_on.definitely_before(signed_on)
    ):
        raise _violation(
            f"in force ({in_force_on}) before its signature ({signed_on})",
            "document.in_force_before_signature",
            signed_on=signed_on,
            in_force_on=in_force_on,
        )


def _mandate(command: MandateDrafting, state: DocumentState, facts: DocumentFacts) -> list[Event]:
    if state.exists:
        raise _violation(
            f"{command.document_id} is already recorded; its drafting cannot be mandated anew",
            "document.already_recorded",
            document=command.document_id,
        )
    for name, kind, ref in (
        ("mandated_by", "body", command.mandated_by),
        ("mandated_to", "body", command.mandated_to),
        ("due_meeting", "meeting", command.due_meeting),
        ("mandate_document", "document", command.mandate_document),
    ):
        require_known(ref, ref in facts.known_ids, kind=kind, field=name)
    require_order(command.date, command.due_date, what="due before mandated", code=_ORDER)
    return [
        DraftingMandated(
            valid_time=command.date,
            sources=command.sources,
            document_id=command.document_id,
            title=command.title,
            category=command.category,
            mandated_by=command.mandated_by,
            mandated_to=command.mandated_to,
            due_meeting=command.due_meeting,
            due_date=command.due_date,
            mandate_document=command.mandate_document,
        )
    ]


def _sign(command: RecordDocument, state: DocumentState, facts: DocumentFacts) -> list[Event]:
    doc, date = command.document_id, command.signed_on
    if state.signed:
        raise _violation(
            f"{doc} is already signed ({state.signed_on})", "document.already_signed", document=doc
        )
    if not command.title.strip():
        raise InvalidValue("a document needs a title", code="document.missing_title")
    _check_meeting(command, facts)
    parties = command.parties
    require_known_states(parties or (), facts.known_states, field="parties")
    stray = set(command.founding_parties) - set(parties or ())
    if stray:
        raise _violation(
            f"founding parties {sorted(stray)} are not among the parties",
            "document.founding_party_not_a_party",
            founding_parties=sorted(stray),
        )
    # A signatory must be a member or participant on the signing date (any organization: the
    # Five's participants sign its documents), unless it becomes one by this very document.
    for party in parties or ():
        statuses = facts.signatory_statuses.get(party, frozenset())
        if party not in command.founding_parties and not statuses & PARTY_STATUSES:
            raise _violation(
                f"{party} is not a member or party on {date} and so cannot sign {doc}",
                "document.signatory_not_member",
                state=party,
                date=date,
                statuses=sorted(statuses),
            )
    _check_in_force(date, command.in_force_on)
    src = command.sources
    events: list[Event] = [
        DocumentSigned(
            valid_time=date,
            sources=src,
            document_id=doc,
            title=command.title,
            category=command.category,
            place=command.place,
            meeting=command.meeting,
            parties=parties,
            founding_parties=command.founding_parties,
            amends=command.amends,
        )
    ]
    if command.in_force_on is not None:
        events.append(
            DocumentEnteredIntoForce(valid_time=command.in_force_on, sources=src, document_id=doc)
        )
    if command.amends is not None:
        amended = facts.amended
        if amended is None or not amended.exists or command.amends == doc:
            raise NotFound(
                f"unknown document {command.amends!r} in amends",
                code="reference.unknown_document",
                details={"document": command.amends, "field": "amends"},
            )
        if amended.signed_on is not None and date.definitely_before(amended.signed_on):
            raise _violation(
                f"{doc} ({date}) cannot amend {command.amends}, signed later ({amended.signed_on})",
                "document.amends_later_document",
                amends=command.amends,
                signed_on=amended.signed_on,
            )
        events.append(
            DocumentAmended(
                valid_time=date, sources=src, document_id=command.amends, amended_by=doc
            )
        )
    return events


def _check_meeting(command: RecordDocument, facts: DocumentFacts) -> None:
    meeting = command.meeting
    if meeting is None:
        return
    fact = facts.meeting
    require_known(meeting, fact is not None, kind="meeting", field="meeting")
    assert fact is not None
    if not fact.held:
        raise _violation(
            f"{command.document_id} cannot be signed at {meeting}: not recorded as held",
            "document.meeting_not_held",
            meeting=meeting,
        )
    start, end = fact.start_date, fact.end_date or fact.start_date
    date = command.signed_on
    if (start is not None and date.definitely_before(start)) or (
        end is not None and end.definitely_before(date)
    ):
        raise _violation(
            f"signed on {date}, outside {meeting} ({start} to {end})",
            "document.signed_outside_meeting",
            meeting=meeting,
            signed_on=date,
        )


def evolve(state: DocumentState, event: Event) -> DocumentState:
    if isinstance(event, DraftingMandated):
        return replace(
            state,
            exists=True,
            document_id=event.document_id,
            title=event.title,
            category=event.category,
        )
    if isinstance(event, DocumentSigned):
        return replace(
            state,
            exists=True,
            document_id=event.document_id,
            title=event.title,
            category=event.category,
            signed=True,
            signed_on=event.valid_time,
            meeting=event.meeting,
            parties=event.parties,
        )
    if isinstance(event, DocumentRatified):
        return replace(state, ratified_by={**state.ratified_by, event.state: event.valid_time})
    if isinstance(event, DocumentEnteredIntoForce):
        return replace(state, in_force=True)
    if isinstance(event, DocumentSuperseded):
        return replace(state, superseded_by=event.superseded_by)
    return state
