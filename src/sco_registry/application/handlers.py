"""One handler per command family: load the stream(s), gather the facts, decide. Each
returns the batches to append; the bus (`bus.handle`, which maps every command type to its
family's handler) appends them in one transaction and retries. Which stream a command or an
event belongs to is the domain's (`domain/streams.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sco_registry.application import facts as f
from sco_registry.application.facts import ReadSet
from sco_registry.application.loading import load
from sco_registry.domain import (
    bodies,
    corrections,
    documents,
    ids,
    mandates,
    meetings,
    membership,
    offices,
    organization,
    states,
)
from sco_registry.domain.commands import (
    AdmitMember,
    AdoptPrinciples,
    ApproveBodyRules,
    CorrectEvent,
    EndOfficeTerm,
    FoundOrganization,
    FulfilMandate,
    MandateDrafting,
    RecordBody,
    RecordDocument,
    RecordDraft,
    RecordFoundingDocument,
    RecordMandate,
    RecordMembershipChange,
    RecordOfficeTerm,
    RegisterState,
    RetractEvent,
    SupersedeDocument,
)
from sco_registry.domain.events import Event
from sco_registry.domain.folding import stored_events
from sco_registry.domain.streams import stream_of
from sco_registry.domain.values import check_id
from sco_registry.store.base import EventStore


def _no_reads() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Decision:
    """What a command decided: the events per stream, each stream with the version it had
    when it was read. The first stream is the command's own.

    `reads`: the streams read for facts (a signatory's membership, the meeting's body...),
    each with the version read (0: no stream then). The bus checks them at append time."""

    primary: str
    versions: dict[str, int]
    events: Sequence[Event]
    reads: Mapping[str, int] = field(default_factory=_no_reads)


def _decision(
    primary: str, versions: dict[str, int], events: Sequence[Event], reads: ReadSet | None = None
) -> Decision:
    return Decision(primary, versions, events, _no_reads() if reads is None else reads.versions)


# --- states -----------------------------------------------------------------------------------


async def decide_state(command: RegisterState, store: EventStore) -> Decision:
    stream = stream_of(command)
    loaded = await load(store, stream, states.evolve, states.KnownStates())
    events = states.decide(command, loaded.state)
    return _decision(stream, {stream: loaded.version}, events)


# --- organization -----------------------------------------------------------------------------


async def decide_organization(
    command: FoundOrganization | RecordFoundingDocument | AdoptPrinciples, store: EventStore
) -> Decision:
    org_id = check_id(command.organization_id, ids.ORGANIZATION)
    loaded = await load(store, org_id, organization.evolve, organization.OrganizationState())
    reads = ReadSet()
    versions = {org_id: loaded.version}
    refs: list[str | None] = []
    predecessor = None
    members: tuple[str, ...] = ()
    if isinstance(command, FoundOrganization):
        refs.append(command.founding_document)
        members = command.founding_members
        if command.predecessor is not None:
            pred = await load(
                store, command.predecessor, organization.evolve, organization.OrganizationState()
            )
            predecessor = pred.state
            reads.loaded(pred)
    elif isinstance(command, RecordFoundingDocument):
        refs.append(command.document_id)
    else:
        refs.append(command.document)
    facts = organization.OrganizationFacts(
        known_states=await f.known_states(store, reads) if members else frozenset(),
        known_ids=await f.known_ids(store, reads, refs),
        predecessor=predecessor,
    )
    return _decision(org_id, versions, organization.decide(command, loaded.state, facts), reads)


# --- membership -------------------------------------------------------------------------------


async def decide_membership(
    command: RecordMembershipChange | AdmitMember, store: EventStore
) -> Decision:
    stream = stream_of(command)
    loaded = await load(store, stream, membership.evolve, membership.MembershipState())
    reads = ReadSet()
    facts = membership.MembershipFacts(
        known_states=await f.known_states(store, reads),
        known_ids=await f.known_ids(
            store, reads, [command.organization_id, command.meeting, command.document]
        ),
    )
    events = membership.decide(command, loaded.state, facts)
    return _decision(stream, {stream: loaded.version}, events, reads)


# --- bodies -----------------------------------------------------------------------------------


async def decide_body(command: bodies.BodyCommand, store: EventStore) -> Decision:
    body_id = check_id(command.body_id, ids.BODY)
    loaded = await load(store, body_id, bodies.evolve, bodies.BodyState())
    reads = ReadSet()
    refs: list[str | None] = []
    if isinstance(command, RecordBody):
        refs += [command.organization_id, command.parent]
    elif isinstance(command, ApproveBodyRules):
        refs += [command.approved_by, command.document]
    facts = bodies.BodyFacts(
        known_states=await f.known_states(store, reads),
        known_ids=await f.known_ids(store, reads, refs),
    )
    events = bodies.decide(command, loaded.state, facts)
    return _decision(body_id, {body_id: loaded.version}, events, reads)


# --- meetings ---------------------------------------------------------------------------------


def meeting_reads(command: meetings.MeetingCommand) -> list[tuple[str, Any, Any]]:
    """The streams `decide_meeting` loads besides the meeting's own, as `load` is called for
    them (stream, evolve, initial state): the body the command names, the known states. The
    bus reads them with the command's own stream, in one read (`loading.read_ahead`)."""
    body_id = getattr(command, "body_id", None)
    found: list[tuple[str, Any, Any]] = [(states.STREAM_ID, states.evolve, states.KnownStates())]
    if body_id:
        found.append((body_id, bodies.evolve, bodies.BodyState()))
    return found


async def decide_meeting(command: meetings.MeetingCommand, store: EventStore) -> Decision:
    meeting_id = check_id(command.meeting_id, ids.MEETING)
    loaded = await load(store, meeting_id, meetings.evolve, meetings.MeetingState())
    reads = ReadSet()
    body_id = getattr(command, "body_id", None) or loaded.state.body_id
    docs: tuple[str, ...] = getattr(command, "documents", ())
    body = await f.body_state(store, reads, body_id) if body_id else bodies.BodyState()
    facts = meetings.MeetingFacts(
        known_states=await f.known_states(store, reads),
        known_ids=await f.known_ids(store, reads, [body_id, *docs]),
        body_dissolved=body.dissolved,
        body_dissolved_on=body.dissolved_on,
        body_expires_on=body.expires_on,
    )
    events = meetings.decide(command, loaded.state, facts)
    return _decision(meeting_id, {meeting_id: loaded.version}, events, reads)


# --- documents --------------------------------------------------------------------------------


async def decide_document(command: documents.DocumentCommand, store: EventStore) -> Decision:
    doc_id = check_id(command.document_id, ids.DOCUMENT)
    loaded = await load(store, doc_id, documents.evolve, documents.DocumentState())
    reads = ReadSet()
    versions = {doc_id: loaded.version}
    facts = documents.DocumentFacts(known_states=await f.known_states(store, reads))
    if isinstance(command, RecordDocument):
        amended = None
        if command.amends is not None and command.amends != doc_id:
            other = await load(store, command.amends, documents.evolve, documents.DocumentState())
            amended = other.state
            reads.loaded(other)
        facts = documents.DocumentFacts(
            known_states=facts.known_states,
            signatory_statuses=await f.signatory_statuses(
                store, reads, command.parties or (), command.signed_on
            ),
            meeting=await f.meeting_fact(store, reads, command.meeting),
            amended=amended,
        )
    elif isinstance(command, MandateDrafting):
        refs = [command.mandated_by, command.mandated_to, command.due_meeting]
        facts = documents.DocumentFacts(
            known_ids=await f.known_ids(store, reads, [*refs, command.mandate_document])
        )
    elif isinstance(command, RecordDraft):
        facts = documents.DocumentFacts(
            known_ids=await f.known_ids(store, reads, [command.drafted_by])
        )
    elif isinstance(command, SupersedeDocument):
        facts = documents.DocumentFacts(
            known_ids=await f.known_ids(store, reads, [command.superseded_by])
        )
    events = documents.decide(command, loaded.state, facts)
    return _decision(doc_id, versions, events, reads)


# --- offices and mandates ---------------------------------------------------------------------


async def decide_office(command: RecordOfficeTerm | EndOfficeTerm, store: EventStore) -> Decision:
    term_id = check_id(command.term_id, ids.OFFICE)
    loaded = await load(store, term_id, offices.evolve, offices.OfficeTermState())
    reads = ReadSet()
    refs = [command.body_id] if isinstance(command, RecordOfficeTerm) else []
    facts = offices.OfficeFacts(
        known_states=await f.known_states(store, reads),
        known_ids=await f.known_ids(store, reads, refs),
    )
    events = offices.decide(command, loaded.state, facts)
    return _decision(term_id, {term_id: loaded.version}, events, reads)


async def decide_mandate(command: RecordMandate | FulfilMandate, store: EventStore) -> Decision:
    mandate_id = check_id(command.mandate_id, ids.MANDATE)
    loaded = await load(store, mandate_id, mandates.evolve, mandates.MandateState())
    reads = ReadSet()
    refs: list[str | None] = [command.document]
    if isinstance(command, RecordMandate):
        refs += [command.by_body, command.to_body, command.due_meeting]
    facts = mandates.MandateFacts(known_ids=await f.known_ids(store, reads, refs))
    events = mandates.decide(command, loaded.state, facts)
    return _decision(mandate_id, {mandate_id: loaded.version}, events, reads)


# --- corrections ------------------------------------------------------------------------------


async def decide_correction(command: CorrectEvent | RetractEvent, store: EventStore) -> Decision:
    recorded = await store.read_stream(command.stream_id)
    version = recorded[-1].stream_version if recorded else 0
    facts = corrections.CorrectionFacts(events=stored_events(recorded))
    events = corrections.decide(command, corrections.CorrectionState(), facts)
    return _decision(command.stream_id, {command.stream_id: version}, events)
