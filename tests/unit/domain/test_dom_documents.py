"""The documents family: drafting mandated, drafted, signed, ratified, in force, amended,
superseded; the signatory, meeting and date rules."""

from __future__ import annotations

import dataclasses

import pytest

from sco_registry.domain import documents as doc
from sco_registry.domain.documents import (
    BringDocumentIntoForce,
    DocumentAmended,
    DocumentCategory,
    DocumentDrafted,
    DocumentEnteredIntoForce,
    DocumentFacts,
    DocumentRatified,
    DocumentSigned,
    DocumentState,
    DocumentSuperseded,
    DraftingMandated,
    MandateDrafting,
    MeetingFact,
    RatifyDocument,
    RecordDocument,
    RecordDraft,
    SupersedeDocument,
)
from sco_registry.domain.events import Event
from sco_registry.domain.membership import MembershipStatus as S
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

SPEC = Spec(doc.decide, doc.evolve, DocumentState())
SIX = ("CN", "KG", "KZ", "RU", "TJ", "UZ")
CHARTER = "document/charter-2002"
MEETING = "meeting/heads_of_state/2002"
HELD = MeetingFact(held=True, start_date=d("2002-06-07"), end_date=d("2002-06-07"))
MEMBERS = {s: frozenset({S.FOUNDING_MEMBER}) for s in SIX}
FACTS = DocumentFacts(KNOWN_STATES, frozenset(), MEMBERS, HELD)

SIGN = RecordDocument(
    document_id=CHARTER,
    title="Charter of the Shanghai Cooperation Organization",
    category=DocumentCategory.CHARTER,
    signed_on=d("2002-06-07"),
    place="St. Petersburg",
    meeting=MEETING,
    parties=SIX,
    in_force_on=d("2003-09-19"),
    sources=SRC,
)
MANDATE = MandateDrafting(
    document_id=CHARTER,
    title="Charter of the Shanghai Cooperation Organization",
    category=DocumentCategory.CHARTER,
    date=d("2001-06-15"),
    mandated_by="body/heads_of_state_council",
    mandated_to="body/state_coordinators_council",
    due_meeting=MEETING,
    mandate_document="document/establishment-declaration-2001",
    sources=SRC,
)
KNOWN_FOR_MANDATE = DocumentFacts(
    known_ids=frozenset(
        {MANDATE.mandated_by, MANDATE.mandated_to, MEETING, MANDATE.mandate_document or ""}
    )
)


def events(given: list[Event], cmd: object, facts: DocumentFacts = FACTS) -> list[Event]:
    return SPEC.then(given, cmd, facts)


SIGNED = events([], dataclasses.replace(SIGN, in_force_on=None))


def test_mandate_draft_sign_ratify_in_force() -> None:
    (mandated,) = events([], MANDATE, KNOWN_FOR_MANDATE)
    assert isinstance(mandated, DraftingMandated) and mandated.due_meeting == MEETING
    (drafted,) = events(
        [mandated],
        RecordDraft(
            document_id=CHARTER, date=d("2002-04"), drafted_by=MANDATE.mandated_to, sources=SRC
        ),
        DocumentFacts(known_ids=frozenset({MANDATE.mandated_to})),
    )
    assert isinstance(drafted, DocumentDrafted)
    signed, in_force = events([mandated, drafted], SIGN)
    assert isinstance(signed, DocumentSigned) and signed.parties == SIX
    assert isinstance(in_force, DocumentEnteredIntoForce) and in_force.valid_time == d("2003-09-19")
    (ratified,) = events(
        [signed], RatifyDocument(document_id=CHARTER, state="KZ", date=d("2002-12"), sources=SRC)
    )
    assert isinstance(ratified, DocumentRatified) and ratified.state == "KZ"
    (force,) = events(
        SIGNED, BringDocumentIntoForce(document_id=CHARTER, date=d("2003-09-19"), sources=SRC)
    )
    assert isinstance(force, DocumentEnteredIntoForce)


def test_sign_with_parties_unknown_to_the_sources_and_no_meeting() -> None:
    cmd = dataclasses.replace(
        SIGN, document_id="document/protocol", parties=None, meeting=None, in_force_on=None
    )
    (signed,) = events([], cmd, DocumentFacts(KNOWN_STATES))
    assert isinstance(signed, DocumentSigned) and signed.parties is None


def test_sign_an_amendment_records_it_on_the_amended_document_too() -> None:
    facts = dataclasses.replace(FACTS, amended=SPEC.state(SIGNED))
    cmd = dataclasses.replace(
        SIGN,
        document_id="document/charter-protocol-2003",
        amends=CHARTER,
        meeting=None,
        signed_on=d("2003-09-05"),
        in_force_on=None,
    )
    _signed, amended = events([], cmd, facts)
    assert isinstance(amended, DocumentAmended)
    assert amended.document_id == CHARTER and amended.amended_by == cmd.document_id


def test_supersede() -> None:
    cmd = SupersedeDocument(
        document_id=CHARTER, superseded_by="document/new", date=d("2030"), sources=SRC
    )
    (event,) = events(SIGNED, cmd, DocumentFacts(known_ids=frozenset({"document/new"})))
    assert isinstance(event, DocumentSuperseded)
    SPEC.then_rejected(
        [*SIGNED, event],
        cmd,
        DocumentFacts(known_ids=frozenset({"document/new"})),
        "document.already_superseded",
    )
    SPEC.then_rejected(SIGNED, cmd, DocumentFacts(), "reference.unknown_document")


def test_signatories_must_be_members_or_parties_on_the_signing_date() -> None:
    facts = dataclasses.replace(
        FACTS, signatory_statuses={**MEMBERS, "UZ": frozenset({S.OBSERVER})}
    )
    SPEC.then_rejected([], SIGN, facts, "document.signatory_not_member")
    facts = dataclasses.replace(
        FACTS, signatory_statuses={k: v for k, v in MEMBERS.items() if k != "UZ"}
    )
    SPEC.then_rejected([], SIGN, facts, "document.signatory_not_member")


def test_shanghai_five_participants_sign_its_documents() -> None:
    five = {s: frozenset({S.SHANGHAI_FIVE_PARTICIPANT}) for s in SIX}
    facts = DocumentFacts(KNOWN_STATES, frozenset(), five, HELD)
    assert events([], SIGN, facts)


def test_founding_parties_sign_the_document_that_makes_them_parties() -> None:
    facts = DocumentFacts(KNOWN_STATES, frozenset(), {}, HELD)
    SPEC.then_rejected([], SIGN, facts, "document.signatory_not_member")
    assert events([], dataclasses.replace(SIGN, founding_parties=SIX), facts)
    SPEC.then_rejected(
        [],
        dataclasses.replace(SIGN, founding_parties=("IN",)),
        facts,
        "document.founding_party_not_a_party",
    )


def test_a_document_signed_at_a_meeting_needs_it_recorded_as_held() -> None:
    SPEC.then_rejected(
        [], SIGN, dataclasses.replace(FACTS, meeting=None), "reference.unknown_meeting"
    )
    not_held = MeetingFact(held=False, start_date=d("2002-06-07"), end_date=None)
    SPEC.then_rejected(
        [], SIGN, dataclasses.replace(FACTS, meeting=not_held), "document.meeting_not_held"
    )


def test_signed_on_a_month_only_date_at_a_meeting_of_that_month_is_accepted() -> None:
    meeting = MeetingFact(held=True, start_date=d("2009-06-15"), end_date=d("2009-06-16"))
    cmd = dataclasses.replace(SIGN, signed_on=d("2009-06"), in_force_on=None)
    assert events([], cmd, dataclasses.replace(FACTS, meeting=meeting))
    SPEC.then_rejected(
        [],
        dataclasses.replace(cmd, signed_on=d("2009-07")),
        dataclasses.replace(FACTS, meeting=meeting),
        "document.signed_outside_meeting",
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"parties": ("CN", "XX")}, "reference.unknown_state"),
        ({"in_force_on": d("2001")}, "document.in_force_before_signature"),
        ({"amends": "document/none"}, "reference.unknown_document"),
        ({"title": ""}, "document.missing_title"),
        ({"document_id": "charter"}, "id.malformed"),
    ],
)
def test_sign_rules(changes: dict[str, object], code: str) -> None:
    SPEC.then_rejected([], dataclasses.replace(SIGN, **changes), FACTS, code)  # type: ignore[arg-type]


def test_an_amendment_signed_before_the_amended_document_is_refused() -> None:
    facts = dataclasses.replace(FACTS, amended=SPEC.state(SIGNED))
    cmd = dataclasses.replace(
        SIGN,
        document_id="document/p",
        amends=CHARTER,
        meeting=None,
        signed_on=d("2001"),
        in_force_on=None,
    )
    SPEC.then_rejected([], cmd, facts, "document.amends_later_document")


def test_sign_twice_is_refused() -> None:
    SPEC.then_rejected(SIGNED, SIGN, FACTS, "document.already_signed")


def test_ratification_rules() -> None:
    def ratify(state: str, date: str) -> RatifyDocument:
        return RatifyDocument(document_id=CHARTER, state=state, date=d(date), sources=SRC)

    SPEC.then_rejected([], ratify("KZ", "2003"), FACTS, "reference.unknown_document")
    (mandated,) = events([], MANDATE, KNOWN_FOR_MANDATE)
    SPEC.then_rejected([mandated], ratify("KZ", "2003"), FACTS, "document.not_signed")
    SPEC.then_rejected(SIGNED, ratify("KZ", "2002-05"), FACTS, "document.ratified_before_signature")
    assert events(SIGNED, ratify("KZ", "2002-06"), FACTS)  # the signing month: not proven earlier
    SPEC.then_rejected(SIGNED, ratify("IN", "2003"), FACTS, "document.not_a_party")
    SPEC.then_rejected(SIGNED, ratify("XX", "2003"), FACTS, "reference.unknown_state")
    (kz,) = events(SIGNED, ratify("KZ", "2003"))
    SPEC.then_rejected([*SIGNED, kz], ratify("KZ", "2004"), FACTS, "document.already_ratified")


def test_in_force_rules() -> None:
    cmd = BringDocumentIntoForce(document_id=CHARTER, date=d("2003"), sources=SRC)
    SPEC.then_rejected([], cmd, FACTS, "reference.unknown_document")
    SPEC.then_rejected(events([], SIGN), cmd, FACTS, "document.already_in_force")
    early = BringDocumentIntoForce(document_id=CHARTER, date=d("2002-05"), sources=SRC)
    SPEC.then_rejected(SIGNED, early, FACTS, "document.in_force_before_signature")


def test_mandate_rules() -> None:
    SPEC.then_rejected([], MANDATE, DocumentFacts(), "reference.unknown_body")
    SPEC.then_rejected(
        [],
        dataclasses.replace(MANDATE, due_meeting="meeting/none"),
        KNOWN_FOR_MANDATE,
        "reference.unknown_meeting",
    )
    SPEC.then_rejected(
        [],
        dataclasses.replace(MANDATE, mandate_document="document/none"),
        KNOWN_FOR_MANDATE,
        "reference.unknown_document",
    )
    SPEC.then_rejected(
        [],
        dataclasses.replace(MANDATE, due_date=d("2000")),
        KNOWN_FOR_MANDATE,
        "date.end_before_start",
    )
    SPEC.then_rejected(SIGNED, MANDATE, KNOWN_FOR_MANDATE, "document.already_recorded")


def test_draft_rules() -> None:
    cmd = RecordDraft(document_id=CHARTER, date=d("2003"), sources=SRC)
    SPEC.then_rejected([], cmd, FACTS, "reference.unknown_document")
    SPEC.then_rejected(SIGNED, cmd, FACTS, "document.drafted_after_signature")
    SPEC.then_rejected(
        SIGNED,
        dataclasses.replace(cmd, date=d("2002-01"), drafted_by="body/none"),
        FACTS,
        "reference.unknown_body",
    )
