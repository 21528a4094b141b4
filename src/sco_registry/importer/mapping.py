"""From history-file records to the domain's commands (the one module that knows both).

Each record becomes one or more `Step`s; a step's idempotency key is the record id for the
record's first command and `<record id>#2`, `#3`... for further ones. Which cross-record facts
a command needs (a document's founding parties, an organization's founding document recorded
after that document) is worked out here, following `sco_registry.domain.commands`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sco_registry.domain import bodies, documents, meetings, membership, organization
from sco_registry.domain.catalog import EVENT_TYPES
from sco_registry.domain.commands import Command
from sco_registry.domain.mandates import RecordMandate
from sco_registry.domain.offices import RecordOfficeTerm
from sco_registry.domain.states import RegisterState
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.importer.order import Step
from sco_registry.importer.records import (
    AnyRecord,
    BodyChangeKind,
    BodyChangeRecord,
    BodyRecord,
    DocumentRecord,
    HistoryFile,
    MandateRecord,
    MeetingRecord,
    MembershipRecord,
    OfficeTermRecord,
    OrganizationRecord,
)

# "Declaration on the Establishment of ... (15 June 2001), Art. 8": the article is split off
# into the citation's own field, so that readers can show and filter by it.
_ARTICLE = re.compile(r"^(?P<title>.+?),\s+(?P<article>Art\.\s*\d+.*)$")


def state_key(code: str, name: str) -> str:
    """Idempotency key of a state registration: a new name for a code is a new fact."""
    return f"state/{code}/{name}"


def state_commands(files: Sequence[HistoryFile]) -> list[tuple[str, RegisterState]]:
    """Every state of every file, first file first, once per (code, name)."""
    seen: dict[tuple[str, str], RegisterState] = {}
    for f in files:
        for code, name in f.states.items():
            seen.setdefault((code, name), RegisterState(code=code, name=name))
    return [(state_key(code, name), cmd) for (code, name), cmd in seen.items()]


def citations(record: AnyRecord) -> tuple[Citation, ...]:
    out = []
    for c in record.sources:
        m = _ARTICLE.match(c.title or "")
        if m:
            out.append(Citation(title=m["title"], url=c.url, article=m["article"]))
        else:
            out.append(Citation(title=c.title, url=c.url))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CrossFacts:
    """What a record's commands need from other records of the import.

    `founding_parties`: document id -> the listed parties that gain their status on its
    signing day, by it or by another document of that day (see `cross_facts`); the
    signatory rule accepts them though their membership records come after the document.
    `signatory_records`: document id -> the membership records that make its other parties
    members or participants by its date; the document is recorded after them (a signatory
    must hold such a status when it signs), which references alone do not say.
    """

    founding_parties: Mapping[str, tuple[str, ...]]
    signatory_records: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class LoggedFacts:
    """What earlier imports put in the log that the inferences use: the founding parties
    and signing dates of documents, the membership changes (state, date, document), and
    the same changes as the domain holds them, by state in log order (`statuses`: what a
    state holds before the import, which orders its changes, see `order.stream_order`)."""

    founding: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    signed: Mapping[str, PartialDate] = field(default_factory=dict)
    memberships: Sequence[tuple[str, PartialDate, str | None]] = ()
    statuses: Sequence[tuple[str, membership.RecordedChange]] = ()


def logged_change(event_type: str, data: Mapping[str, object]) -> membership.RecordedChange:
    """A membership event of the log (its type and data) as the domain's state holds it."""
    cls = EVENT_TYPES[event_type].cls
    assert issubclass(cls, membership.MembershipChanged)
    date, after = data.get("valid_time"), data.get("status_after")
    return membership.RecordedChange(
        str(data.get("organization_id")),
        cls.CHANGE,
        None if after is None else membership.MembershipStatus(str(after)),
        PartialDate.parse(date) if isinstance(date, str) else None,
    )


def cross_facts(records: Iterable[AnyRecord], logged: LoggedFacts | None = None) -> CrossFacts:
    """The cross-record facts of an import (docs/data.md, "The mapping's inferences").

    A founding party of a document is a state listed among its `parties` whose membership
    change, dated on the signing day, cites that document or another document signed on that
    day: only what the records say makes a state a party, and a state that becomes a member
    by one instrument of a summit signs the others as one (otherwise the documents would
    each wait for the other's members: a cycle no order satisfies). Changes and documents of
    earlier imports count as those of this one (`logged`), so that how records are split
    into imports does not change the events. A document already in the log keeps the
    founding parties it was recorded with (those still listed), so that a membership record
    added by a later file does not make it look changed.
    """
    records = list(records)
    logged = logged or LoggedFacts()
    documents_ = [r for r in records if isinstance(r, DocumentRecord)]
    signed = {**logged.signed, **{d.id: d.signed_on for d in documents_}}
    changes = [r for r in records if isinstance(r, MembershipRecord)]
    dated = [*logged.memberships, *((m.state, m.date, m.document) for m in changes)]
    founding: dict[str, list[str]] = {}
    for d in documents_:
        listed = frozenset(d.parties or ())
        if d.id in logged.founding:
            founding[d.id] = [s for s in logged.founding[d.id] if s in listed]
            continue
        for state, date, document in dated:
            if state not in listed or not date.overlaps(d.signed_on):
                continue
            cited = signed.get(document) if document is not None else None
            if document == d.id or (cited is not None and cited.overlaps(d.signed_on)):
                founding.setdefault(d.id, [])
                if state not in founding[d.id]:
                    founding[d.id].append(state)
    before: dict[str, frozenset[str]] = {}
    for d in documents_:
        parties = set(d.parties or ()) - set(founding.get(d.id, ()))
        before[d.id] = frozenset(
            m.id
            for m in changes
            if m.state in parties
            and m.document != d.id
            and not d.signed_on.definitely_before(m.date)
        )
    return CrossFacts(
        {doc: tuple(sorted(states)) for doc, states in founding.items() if states}, before
    )


def steps_for(file: str, record: AnyRecord, facts: CrossFacts) -> list[Step]:
    commands = _commands(record, facts.founding_parties)
    if isinstance(record, DocumentRecord):
        signatories = facts.signatory_records.get(record.id, frozenset())
        commands = [(command, after | signatories) for command, after in commands]
    out = []
    for i, (command, after) in enumerate(commands):
        key = record.id if i == 0 else f"{record.id}#{i + 1}"
        out.append(Step(key, file, record, command, frozenset(after), i))
    return out


def _refs(*ids: str | None) -> set[str]:
    return {i for i in ids if i is not None}


def _commands(
    r: AnyRecord, parties: Mapping[str, tuple[str, ...]]
) -> list[tuple[Command, set[str]]]:
    src = citations(r)
    if isinstance(r, OrganizationRecord):
        found = organization.FoundOrganization(
            organization_id=r.id,
            name=r.name,
            founded_on=r.founded_on,
            abbreviation=r.abbreviation,
            founded_at=r.founded_at,
            predecessor=r.predecessor,
            purposes=r.purposes,
            principles=r.principles,
            sources=src,
            record_id=r.id,
        )
        out: list[tuple[Command, set[str]]] = [(found, _refs(r.predecessor))]
        if r.founding_document is not None:
            # The founding document is signed at a meeting of one of the organization's own
            # bodies: it can only be named once recorded, so it is a second step.
            named = organization.RecordFoundingDocument(
                organization_id=r.id, document_id=r.founding_document, sources=src, record_id=r.id
            )
            out.append((named, {r.founding_document}))
        return out
    if isinstance(r, BodyRecord):
        body = bodies.RecordBody(
            body_id=r.id,
            name=r.name,
            category=bodies.BodyCategory(r.category.value),
            status=bodies.BodyStatus(r.status.value),
            organization_id=r.organization,
            established_on=r.established,
            abbreviation=r.abbreviation,
            parent=r.parent,
            permanence=None if r.permanence is None else bodies.Permanence(r.permanence.value),
            seat=r.seat,
            seat_state=r.seat_state,
            sources=src,
            record_id=r.id,
        )
        return [(body, _refs(r.organization, r.parent))]
    if isinstance(r, BodyChangeRecord):
        return _body_change(r, src)
    if isinstance(r, MeetingRecord):
        meeting = meetings.RecordMeeting(
            meeting_id=r.id,
            body_id=r.body,
            start_date=r.start_date,
            end_date=r.end_date,
            city=r.city,
            host_state=r.host_state,
            format=meetings.MeetingFormat(r.format.value),
            status=meetings.MeetingStatus(r.status.value),
            ordinal=r.ordinal,
            sources=src,
            record_id=r.id,
        )
        return [(meeting, {r.body})]
    if isinstance(r, DocumentRecord):
        document = documents.RecordDocument(
            document_id=r.id,
            title=r.title,
            category=documents.DocumentCategory(r.category.value),
            signed_on=r.signed_on,
            place=r.place,
            meeting=r.meeting,
            parties=r.parties,
            founding_parties=parties.get(r.id, ()),
            in_force_on=r.in_force_on,
            amends=r.amends,
            sources=src,
            record_id=r.id,
        )
        return [(document, _refs(r.meeting, r.amends))]
    if isinstance(r, MembershipRecord):
        change = membership.RecordMembershipChange(
            organization_id=r.organization,
            state=r.state,
            date=r.date,
            change=membership.MembershipChange(r.change.value),
            status_after=(
                None if r.status_after is None else membership.MembershipStatus(r.status_after)
            ),
            meeting=r.meeting,
            document=r.document,
            sources=src,
            record_id=r.id,
        )
        return [(change, _refs(r.organization, r.meeting, r.document))]
    if isinstance(r, OfficeTermRecord):
        term = RecordOfficeTerm(
            term_id=r.id,
            body_id=r.body,
            office=r.office.value,
            person=r.person,
            from_date=r.from_,
            to_date=r.to,
            nationality=r.nationality,
            sources=src,
            record_id=r.id,
        )
        return [(term, {r.body})]
    return [(_mandate(r, src), _refs(r.by, r.to, r.document, r.due_meeting))]


def _mandate(r: MandateRecord, src: tuple[Citation, ...]) -> RecordMandate:
    return RecordMandate(
        mandate_id=r.id,
        by_body=r.by,
        to_body=r.to,
        date=r.date,
        task=r.task,
        document=r.document,
        due_meeting=r.due_meeting,
        due_date=r.due_date,
        sources=src,
        record_id=r.id,
    )


def _body_change(r: BodyChangeRecord, src: tuple[Citation, ...]) -> list[tuple[Command, set[str]]]:
    after = {r.body}
    if r.change is BodyChangeKind.ESTABLISHED:
        out: list[tuple[Command, set[str]]] = [
            (
                bodies.EstablishBody(
                    body_id=r.body,
                    date=r.date,
                    seat=r.seat,
                    seat_state=r.seat_state,
                    sources=src,
                    record_id=r.id,
                ),
                after,
            )
        ]
        if r.name is not None:  # established under a new name: the format allows both at once
            rename = bodies.RenameBody(
                body_id=r.body, date=r.date, name=r.name, sources=src, record_id=r.id
            )
            out.append((rename, after))
        return out
    if r.change is BodyChangeKind.SEAT_RELOCATED:
        assert r.seat is not None  # the format check requires it
        relocate = bodies.RelocateSeat(
            body_id=r.body,
            date=r.date,
            seat=r.seat,
            seat_state=r.seat_state,
            sources=src,
            record_id=r.id,
        )
        return [(relocate, after)]
    if r.change is BodyChangeKind.RENAMED:
        assert r.name is not None
        rename = bodies.RenameBody(
            body_id=r.body, date=r.date, name=r.name, sources=src, record_id=r.id
        )
        return [(rename, after)]
    return [(bodies.DissolveBody(body_id=r.body, date=r.date, sources=src, record_id=r.id), after)]
