"""Handlers through the bus on the in-memory store: one per family, the metadata they write,
two-stream appends, rejections that append nothing, retries and idempotent re-runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from sco_registry.application import HANDLERS, CommandContext, handle
from sco_registry.application.bus import MAX_ATTEMPTS
from sco_registry.domain import commands as c
from sco_registry.domain.bodies import BodyCategory, BodyStatus, Permanence
from sco_registry.domain.documents import DocumentCategory
from sco_registry.domain.errors import RegistryError
from sco_registry.domain.meetings import MeetingStatus
from sco_registry.domain.membership import MembershipChange, MembershipStatus
from sco_registry.domain.organization import PrincipleKind
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.store.base import AppendResult, NewEvent, StreamAppend
from sco_registry.store.errors import IdempotencyConflict, WrongExpectedVersion
from sco_registry.store.memory import InMemoryEventStore

SRC = (Citation(title="Declaration on the Establishment of the SCO", article="Art. 8"),)
SIX = ("CN", "KG", "KZ", "RU", "TJ", "UZ")
CORRELATION = uuid.uuid4()


def d(text: str) -> PartialDate:
    return PartialDate.parse(text)


def ctx(key: str | None = None) -> CommandContext:
    return CommandContext(actor="curator@test", correlation_id=CORRELATION, idempotency_key=key)


async def run(store: Any, *commands: Any) -> None:
    for command in commands:
        await handle(command, store, ctx())


def states() -> list[c.RegisterState]:
    return [c.RegisterState(code=s, name=s) for s in (*SIX, "IN", "PK")]


SCO_FOUND = c.FoundOrganization(
    organization_id="organization/sco", name="SCO", founded_on=d("2001-06-15"), sources=SRC
)
CHS = c.RecordBody(
    body_id="body/heads_of_state_council",
    name="Council of Heads of State",
    category=BodyCategory.COUNCIL,
    status=BodyStatus.ESTABLISHED,
    established_on=d("2001-06-15"),
    sources=SRC,
)
MEETING_2002 = c.RecordMeeting(
    meeting_id="meeting/heads_of_state/2002",
    body_id=CHS.body_id,
    start_date=d("2002-06-07"),
    city="St. Petersburg",
    host_state="RU",
    sources=SRC,
)
FOUNDERS = [
    c.RecordMembershipChange(
        organization_id="organization/sco",
        state=s,
        date=d("2001-06-15"),
        change=MembershipChange.FOUNDING_MEMBER,
        status_after=MembershipStatus.FOUNDING_MEMBER,
        sources=SRC,
    )
    for s in SIX
]
CHARTER = c.RecordDocument(
    document_id="document/charter-2002",
    title="Charter",
    category=DocumentCategory.CHARTER,
    signed_on=d("2002-06-07"),
    meeting=MEETING_2002.meeting_id,
    parties=SIX,
    sources=SRC,
)


async def world() -> InMemoryEventStore:
    store = InMemoryEventStore()
    await run(store, *states(), SCO_FOUND, CHS, MEETING_2002, *FOUNDERS)
    return store


def test_every_command_has_its_familys_handler() -> None:
    import typing

    names = set(typing.get_args(c.Command))
    assert set(HANDLERS) == names
    # One handler per family (domain module): `decide_body` for the commands of bodies.py.
    family = {"states": "state", "bodies": "body", "meetings": "meeting"}
    family |= {"documents": "document", "offices": "office", "mandates": "mandate"}
    family |= {"corrections": "correction", "membership": "membership"}
    family |= {"organization": "organization"}
    for command_type, handler in HANDLERS.items():
        module = command_type.__module__.rsplit(".", 1)[-1]
        assert handler.__name__ == f"decide_{family[module]}", command_type


async def test_states_handler_registers_and_ignores_repeats() -> None:
    store = InMemoryEventStore()
    first = await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx())
    again = await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx())
    assert first.events_appended == 1 and first.stream_ids == ("reference/states",)
    assert again.events_appended == 0 and again.first_position is None


async def test_organization_handler_appends_succession_to_both_streams_at_once() -> None:
    store = InMemoryEventStore()
    five = c.FoundOrganization(
        organization_id="organization/shanghai-five",
        name="Shanghai Five",
        founded_on=d("1996-04-26"),
        sources=SRC,
    )
    await run(store, five)
    result = await handle(
        c.FoundOrganization(
            organization_id="organization/sco",
            name="SCO",
            founded_on=d("2001-06-15"),
            predecessor=five.organization_id,
            purposes=("mutual trust",),
            sources=SRC,
        ),
        store,
        ctx("organization/sco"),
    )
    assert result.stream_ids == ("organization/sco", "organization/shanghai-five")
    assert (result.first_position, result.last_position) == (2, 4)
    pred = await store.read_stream("organization/shanghai-five")
    assert [e.type for e in pred] == ["OrganizationFounded", "OrganizationSucceeded"]
    await run(
        store,
        c.AdoptPrinciples(
            organization_id="organization/sco",
            kind=PrincipleKind.SHANGHAI_SPIRIT,
            texts=("trust",),
            date=d("2001-06-15"),
            sources=SRC,
        ),
    )


async def test_membership_handler_writes_metadata_valid_time_and_sources() -> None:
    store = await world()
    cmd = c.AdmitMember(
        organization_id="organization/sco",
        state="IN",
        date=d("2017-06"),
        meeting=MEETING_2002.meeting_id,
        sources=SRC,
        record_id="membership/IN/2017-06/admitted",
    )
    context = CommandContext(
        actor="curator@test",
        correlation_id=CORRELATION,
        causation_id=uuid.uuid4(),
        idempotency_key="membership/IN/2017-06/admitted",
    )
    result = await handle(cmd, store, context)
    (event,) = await store.read_stream("membership/IN")
    assert result.stream_ids == ("membership/IN",) and event.position == result.last_position
    assert event.type == "MemberAdmitted" and event.valid_time == d("2017-06")
    assert str(event.valid_time) == "2017-06"  # precision kept
    assert event.actor == "curator@test" and event.correlation_id == CORRELATION
    assert event.causation_id == context.causation_id
    assert event.metadata["actor"] == "curator@test"
    assert event.metadata["correlation_id"] == str(CORRELATION)
    assert event.metadata["record_id"] == "membership/IN/2017-06/admitted"
    assert event.sources[0].title == "Declaration on the Establishment of the SCO, Art. 8"
    assert event.data["sources"][0]["article"] == "Art. 8"


async def test_bodies_handler_records_the_rats_history() -> None:
    store = await world()
    await run(
        store,
        c.RecordBody(
            body_id="body/rats",
            name="Anti-terrorist Center",
            category=BodyCategory.PERMANENT_BODY,
            status=BodyStatus.DECIDED,
            permanence=Permanence.PERMANENT,
            seat="Bishkek",
            seat_state="KG",
            sources=SRC,
        ),
        c.RenameBody(body_id="body/rats", date=d("2002-06-07"), name="RATS", sources=SRC),
        c.RelocateSeat(
            body_id="body/rats", date=d("2003-09-05"), seat="Tashkent", seat_state="UZ", sources=SRC
        ),
        c.EstablishBody(body_id="body/rats", date=d("2004-06-17"), sources=SRC),
        c.ApproveBodyRules(
            body_id="body/rats", title="Regulations", approved_by=CHS.body_id, sources=SRC
        ),
        c.DissolveBody(body_id="body/rats", date=d("2050"), sources=SRC),
    )
    types = [e.type for e in await store.read_stream("body/rats")]
    assert types == [
        "BodyDecided",
        "BodyRenamed",
        "SeatRelocated",
        "BodyEstablished",
        "BodyRulesApproved",
        "BodyDissolved",
    ]
    with pytest.raises(RegistryError) as e:
        await run(
            store,
            c.RecordMeeting(
                meeting_id="meeting/rats/2051",
                body_id="body/rats",
                start_date=d("2051"),
                sources=SRC,
            ),
        )
    assert e.value.code == "meeting.body_dissolved"


async def test_meetings_handler_schedules_moves_postpones_holds_and_cancels() -> None:
    store = await world()
    sched = c.ScheduleMeeting(
        meeting_id="meeting/heads_of_state/2020",
        body_id=CHS.body_id,
        start_date=d("2020-07"),
        host_state="RU",
        sources=SRC,
    )
    await run(
        store,
        sched,
        c.PostponeMeeting(meeting_id=sched.meeting_id, date=d("2020-04"), sources=SRC),
        c.MoveMeeting(meeting_id=sched.meeting_id, date=d("2020-10"), city="Moscow", sources=SRC),
        c.HoldMeeting(meeting_id=sched.meeting_id, start_date=d("2020-11-10"), sources=SRC),
        c.RecordMeeting(
            meeting_id="meeting/x/1",
            body_id=CHS.body_id,
            start_date=d("2021"),
            status=MeetingStatus.CANCELLED,
            sources=SRC,
        ),
        c.ScheduleMeeting(
            meeting_id="meeting/x/2", body_id=CHS.body_id, start_date=d("2022"), sources=SRC
        ),
        c.CancelMeeting(meeting_id="meeting/x/2", date=d("2022"), sources=SRC),
    )
    types = [e.type for e in await store.read_stream(sched.meeting_id)]
    assert types == ["MeetingScheduled", "MeetingPostponed", "MeetingMoved", "MeetingHeld"]


async def test_documents_handler_checks_signatories_and_the_meeting() -> None:
    store = await world()
    await run(store, CHARTER)
    await run(
        store,
        c.RatifyDocument(document_id=CHARTER.document_id, state="KZ", date=d("2003"), sources=SRC),
        c.BringDocumentIntoForce(
            document_id=CHARTER.document_id, date=d("2003-09-19"), sources=SRC
        ),
        c.RecordDocument(
            document_id="document/protocol-2003",
            title="Protocol",
            category=DocumentCategory.PROTOCOL,
            signed_on=d("2003-09-05"),
            parties=SIX,
            amends=CHARTER.document_id,
            sources=SRC,
        ),
        c.MandateDrafting(
            document_id="document/convention",
            title="Convention",
            category=DocumentCategory.CONVENTION,
            date=d("2004"),
            mandated_by=CHS.body_id,
            mandated_to=CHS.body_id,
            sources=SRC,
        ),
        c.RecordDraft(document_id="document/convention", date=d("2005"), sources=SRC),
        c.SupersedeDocument(
            document_id="document/protocol-2003",
            superseded_by=CHARTER.document_id,
            date=d("2010"),
            sources=SRC,
        ),
    )
    types = [e.type for e in await store.read_stream(CHARTER.document_id)]
    assert types == [
        "DocumentSigned",
        "DocumentRatified",
        "DocumentEnteredIntoForce",
        "DocumentAmended",
    ]
    head = await store.head_position()
    with pytest.raises(RegistryError) as e:
        await run(
            store,
            c.RecordDocument(
                document_id="document/x",
                title="X",
                category=DocumentCategory.AGREEMENT,
                signed_on=d("2003"),
                parties=("CN", "IN"),
                sources=SRC,
            ),
        )
    assert e.value.code == "document.signatory_not_member"
    assert await store.head_position() == head  # nothing appended


async def test_a_document_at_a_meeting_not_held_appends_nothing() -> None:
    store = await world()
    await run(
        store,
        c.ScheduleMeeting(
            meeting_id="meeting/heads_of_state/2003",
            body_id=CHS.body_id,
            start_date=d("2003-05-29"),
            sources=SRC,
        ),
    )
    head = await store.head_position()
    with pytest.raises(RegistryError) as e:
        await run(
            store,
            c.RecordDocument(
                document_id="document/d",
                title="D",
                category=DocumentCategory.DECLARATION,
                signed_on=d("2003-05-29"),
                meeting="meeting/heads_of_state/2003",
                sources=SRC,
            ),
        )
    assert e.value.code == "document.meeting_not_held"
    assert await store.head_position() == head


async def test_offices_and_mandates_handlers() -> None:
    store = await world()
    await run(
        store,
        c.RecordOfficeTerm(
            term_id="office/chs/x",
            body_id=CHS.body_id,
            office="chair",
            person="X",
            nationality="KZ",
            from_date=d("2004"),
            sources=SRC,
        ),
        c.EndOfficeTerm(term_id="office/chs/x", date=d("2006"), sources=SRC),
        c.RecordMandate(
            mandate_id="mandate/x",
            by_body=CHS.body_id,
            to_body=CHS.body_id,
            date=d("2005"),
            task="t",
            due_meeting=MEETING_2002.meeting_id,
            sources=SRC,
        ),
        c.FulfilMandate(mandate_id="mandate/x", date=d("2006"), sources=SRC),
    )
    assert [e.type for e in await store.read_stream("office/chs/x")] == [
        "OfficeTermRecorded",
        "OfficeTermEnded",
    ]
    assert [e.type for e in await store.read_stream("mandate/x")] == [
        "MandateGiven",
        "MandateFulfilled",
    ]


async def test_corrections_handler_corrects_then_the_state_follows() -> None:
    store = await world()
    (held,) = await store.read_stream(MEETING_2002.meeting_id)
    await run(
        store,
        c.CorrectEvent(
            stream_id=MEETING_2002.meeting_id,
            event_id=held.event_id,
            reason="wrong host",
            changes={"host_state": "CN"},
            sources=SRC,
        ),
    )
    # The meeting is still held: a document can be signed at it; the correction is in the log.
    await run(store, CHARTER)
    types = [e.type for e in await store.read_stream(MEETING_2002.meeting_id)]
    assert types == ["MeetingHeld", "EventCorrected"]
    await run(
        store,
        c.RetractEvent(
            stream_id=MEETING_2002.meeting_id,
            event_id=held.event_id,
            reason="no such meeting",
            sources=SRC,
        ),
    )
    with pytest.raises(RegistryError) as e:
        await run(
            store,
            c.RecordDocument(
                document_id="document/y",
                title="Y",
                category=DocumentCategory.DECLARATION,
                signed_on=d("2002-06-07"),
                meeting=MEETING_2002.meeting_id,
                sources=SRC,
            ),
        )
    assert e.value.code == "reference.unknown_meeting"


async def test_an_idempotent_rerun_returns_the_first_outcome_as_replayed() -> None:
    store = await world()
    first = await handle(CHARTER, store, ctx("document/charter-2002"))
    head = await store.head_position()
    again = await handle(CHARTER, store, ctx("document/charter-2002"))
    assert again.replayed and not first.replayed
    assert (again.first_position, again.last_position) == (
        first.first_position,
        first.last_position,
    )
    assert again.events_appended == 0 and await store.head_position() == head


async def test_the_same_key_with_other_content_is_a_conflict() -> None:
    store = await world()
    await handle(CHARTER, store, ctx("document/charter-2002"))
    other = c.RecordDocument(
        document_id=CHARTER.document_id,
        title="Another title",
        category=DocumentCategory.CHARTER,
        signed_on=d("2002-06-07"),
        meeting=MEETING_2002.meeting_id,
        parties=SIX,
        sources=SRC,
    )
    with pytest.raises(IdempotencyConflict):
        await handle(other, store, ctx("document/charter-2002"))


class ConflictingStore:
    """Appends a competing event to the target stream just before the first `conflicts`
    appends, as a concurrent writer between our read and our append would."""

    def __init__(self, inner: InMemoryEventStore, conflicts: int) -> None:
        self.inner, self.conflicts, self.appends = inner, conflicts, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        self.appends += 1
        if self.conflicts > 0:
            self.conflicts -= 1
            rival = NewEvent(
                type="StateRegistered",
                data={
                    "valid_time": None,
                    "sources": [],
                    "code": f"Z{self.conflicts}",
                    "name": "Rival",
                },
            )
            await self.inner.append(batches[0].stream_id, [rival])
        return await self.inner.append_many(batches, idempotency_key=idempotency_key)


async def test_a_concurrency_conflict_is_retried_with_fresh_state() -> None:
    store = ConflictingStore(InMemoryEventStore(), conflicts=1)
    result = await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx())  # type: ignore[arg-type]
    assert store.appends == 2 and result.events_appended == 1
    names = [e.data["code"] for e in await store.inner.read_stream("reference/states")]
    assert names == ["Z0", "KZ"]


async def test_after_the_last_attempt_the_conflict_propagates() -> None:
    store = ConflictingStore(InMemoryEventStore(), conflicts=MAX_ATTEMPTS)
    with pytest.raises(WrongExpectedVersion):
        await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx())  # type: ignore[arg-type]
    assert store.appends == MAX_ATTEMPTS
    codes = [e.data["code"] for e in await store.inner.read_stream("reference/states")]
    assert "KZ" not in codes


async def test_an_old_event_form_in_the_log_is_upcast_when_the_stream_is_loaded() -> None:
    import json
    from pathlib import Path

    store = await world()
    old = json.loads(
        (
            Path(__file__).parents[1] / "domain" / "fixtures" / "office_term_recorded_v1.json"
        ).read_text()
    )
    await store.append(
        "office/secretariat/zhang-deguang",
        [NewEvent(type=old["type"], data=old["data"], schema_version=old["schema_version"])],
    )
    # The old form carried its end as "to": "2006"; read through upcaster 1 it is the v2
    # `to_date`, so ending the term again is refused (and the term is known, not unknown).
    with pytest.raises(RegistryError) as e:
        await run(
            store,
            c.EndOfficeTerm(
                term_id="office/secretariat/zhang-deguang", date=d("2007"), sources=SRC
            ),
        )
    assert e.value.code == "office.term_already_ended"


class CountingStore(InMemoryEventStore):
    """Counts the reads of each stream."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[str, int] = {}

    async def read_stream(self, stream_id: str, **kwargs: Any) -> Any:
        self.reads[stream_id] = self.reads.get(stream_id, 0) + 1
        return await super().read_stream(stream_id, **kwargs)


async def test_a_meetings_body_is_read_once_and_a_retracted_body_is_unknown() -> None:
    """The body a meeting's decision loads (dissolved? expired?) also answers whether it
    is known: one read of its stream, and a body whose record was retracted is unknown,
    as when it was read apart."""
    store = CountingStore()
    await run(store, *states(), SCO_FOUND, CHS)
    store.reads.clear()
    await run(store, MEETING_2002)
    assert store.reads[CHS.body_id] == 1
    (recorded,) = await store.read_stream(CHS.body_id)
    await run(
        store,
        c.RetractEvent(stream_id=CHS.body_id, event_id=recorded.event_id, reason="no", sources=SRC),
    )
    later = c.RecordMeeting(
        meeting_id="meeting/heads_of_state/2003",
        body_id=CHS.body_id,
        start_date=d("2003-05-29"),
        sources=SRC,
    )
    with pytest.raises(RegistryError) as e:
        await run(store, later)
    assert e.value.code == "reference.unknown_body"
    assert await store.read_stream(later.meeting_id) == []


async def test_a_keyed_command_reads_its_own_stream_once() -> None:
    """The idempotency check's read of the command's own stream is the decision's read of
    it too (`loading.offered`): one read, not two; the command run again reads afresh."""
    store = CountingStore()
    await run(store, *states(), SCO_FOUND, CHS)
    store.reads.clear()
    await handle(MEETING_2002, store, ctx("meeting-2002"))
    assert store.reads[MEETING_2002.meeting_id] == 1
    again = await handle(MEETING_2002, store, ctx("meeting-2002"))
    assert again.replayed and store.reads[MEETING_2002.meeting_id] == 2  # read afresh


async def test_without_the_offer_a_keyed_command_reads_its_own_stream_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Negative control: the offer ignored, the decision reads the stream again."""
    import contextlib

    from sco_registry.application import loading

    monkeypatch.setattr(loading, "offered_reads", lambda *args: contextlib.nullcontext())
    store = CountingStore()
    await run(store, *states(), SCO_FOUND, CHS)
    store.reads.clear()
    await handle(MEETING_2002, store, ctx("meeting-2002"))
    assert store.reads[MEETING_2002.meeting_id] == 2


async def test_a_keyed_command_in_conflict_decides_again_on_a_fresh_read() -> None:
    """With a key, the read offered to the decision is the attempt's own: after a conflict
    the next attempt reads the stream again and decides on what is there now."""
    store = ConflictingStore(InMemoryEventStore(), conflicts=1)
    result = await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx("kz"))  # type: ignore[arg-type]
    assert store.appends == 2 and result.events_appended == 1
    names = [e.data["code"] for e in await store.inner.read_stream("reference/states")]
    assert names == ["Z0", "KZ"]
    again = await handle(c.RegisterState(code="KZ", name="Kazakhstan"), store, ctx("kz"))  # type: ignore[arg-type]
    assert again.replayed and again.events_appended == 0
