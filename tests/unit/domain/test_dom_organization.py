"""The organization family: founding, founding document, principles, succession."""

from __future__ import annotations

from sco_registry.domain import organization as o
from sco_registry.domain.organization import (
    AdoptPrinciples,
    FoundingDocumentRecorded,
    FoundOrganization,
    OrganizationFacts,
    OrganizationFounded,
    OrganizationState,
    OrganizationSucceeded,
    PrincipleKind,
    PrinciplesAdopted,
    PurposesAdopted,
    RecordFoundingDocument,
    ShanghaiSpiritAdopted,
)
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

SPEC = Spec(o.decide, o.evolve, OrganizationState())
DECL = "document/establishment-declaration-2001"
FACTS = OrganizationFacts(known_states=KNOWN_STATES, known_ids=frozenset({DECL}))

FIVE = OrganizationFounded(
    valid_time=d("1996-04-26"),
    sources=SRC,
    organization_id="organization/shanghai-five",
    name="Shanghai Five",
    abbreviation=None,
    founded_at="Shanghai",
    founding_members=(),
    founding_document=None,
    predecessor=None,
)
FIVE_STATE = o.evolve(OrganizationState(), FIVE)


def found_sco(**changes: object) -> FoundOrganization:
    fields: dict[str, object] = {
        "organization_id": "organization/sco",
        "name": "Shanghai Cooperation Organisation",
        "abbreviation": "SCO",
        "founded_on": d("2001-06-15"),
        "founded_at": "Shanghai",
        "founding_members": ("CN", "KZ", "KG", "RU", "TJ", "UZ"),
        "founding_document": DECL,
        "predecessor": "organization/shanghai-five",
        "purposes": ("strengthening mutual trust",),
        "principles": ("non-alignment (Art. 7)",),
        "sources": SRC,
        "record_id": "organization/sco",
    }
    fields.update(changes)
    return FoundOrganization(**fields)  # type: ignore[arg-type]


def test_found_organization_with_predecessor_records_succession_too() -> None:
    facts = OrganizationFacts(KNOWN_STATES, frozenset({DECL}), predecessor=FIVE_STATE)
    events = SPEC.then([], found_sco(), facts)
    assert [type(e) for e in events] == [
        OrganizationFounded,
        PurposesAdopted,
        PrinciplesAdopted,
        OrganizationSucceeded,
    ]
    founded, succession = events[0], events[-1]
    assert isinstance(founded, OrganizationFounded) and founded.valid_time == d("2001-06-15")
    assert founded.founding_document == DECL and founded.sources == SRC
    assert isinstance(succession, OrganizationSucceeded)
    assert succession.organization_id == "organization/shanghai-five"
    assert succession.successor == "organization/sco"


def test_found_twice_is_refused() -> None:
    SPEC.then_rejected(
        [FIVE],
        FoundOrganization(
            organization_id="organization/shanghai-five",
            name="x",
            founded_on=d("1996"),
            sources=SRC,
        ),
        FACTS,
        "organization.already_founded",
    )


def test_unknown_founding_document_is_refused() -> None:
    facts = OrganizationFacts(KNOWN_STATES, frozenset(), predecessor=FIVE_STATE)
    SPEC.then_rejected([], found_sco(), facts, "reference.unknown_document")


def test_unknown_founding_member_is_refused() -> None:
    facts = OrganizationFacts(frozenset({"CN"}), frozenset({DECL}), predecessor=FIVE_STATE)
    SPEC.then_rejected([], found_sco(), facts, "reference.unknown_state")


def test_unknown_predecessor_is_refused() -> None:
    SPEC.then_rejected([], found_sco(), FACTS, "reference.unknown_organization")


def test_predecessor_already_succeeded_is_refused() -> None:
    succeeded = o.evolve(
        FIVE_STATE,
        OrganizationSucceeded(
            valid_time=None,
            sources=SRC,
            organization_id=FIVE.organization_id,
            successor="organization/x",
        ),
    )
    facts = OrganizationFacts(KNOWN_STATES, frozenset({DECL}), predecessor=succeeded)
    SPEC.then_rejected([], found_sco(), facts, "organization.already_succeeded")


def test_successor_founded_before_predecessor_is_refused() -> None:
    facts = OrganizationFacts(KNOWN_STATES, frozenset({DECL}), predecessor=FIVE_STATE)
    SPEC.then_rejected([], found_sco(founded_on=d("1995")), facts, "date.end_before_start")


def test_successor_in_the_same_year_is_accepted() -> None:
    # "1996" may be a day after 26 April 1996: not proven earlier, so accepted.
    facts = OrganizationFacts(KNOWN_STATES, frozenset({DECL}), predecessor=FIVE_STATE)
    assert SPEC.then([], found_sco(founded_on=d("1996")), facts)


def test_record_founding_document() -> None:
    facts = OrganizationFacts(known_ids=frozenset({"document/shanghai-agreement-1996"}))
    cmd = RecordFoundingDocument(
        organization_id=FIVE.organization_id,
        document_id="document/shanghai-agreement-1996",
        sources=SRC,
    )
    (event,) = SPEC.then([FIVE], cmd, facts)
    assert isinstance(event, FoundingDocumentRecorded) and event.valid_time == d("1996-04-26")
    assert SPEC.then([FIVE, event], cmd, facts) == []  # the same again: nothing new


def test_record_founding_document_rules() -> None:
    cmd = RecordFoundingDocument(
        organization_id=FIVE.organization_id, document_id="document/a", sources=SRC
    )
    SPEC.then_rejected([FIVE], cmd, OrganizationFacts(), "reference.unknown_document")
    SPEC.then_rejected(
        [],
        cmd,
        OrganizationFacts(known_ids=frozenset({"document/a"})),
        "reference.unknown_organization",
    )
    other = FoundingDocumentRecorded(
        valid_time=None, sources=SRC, organization_id=FIVE.organization_id, document_id="document/b"
    )
    SPEC.then_rejected(
        [FIVE, other],
        cmd,
        OrganizationFacts(known_ids=frozenset({"document/a"})),
        "organization.founding_document_recorded",
    )


def test_adopt_the_shanghai_spirit() -> None:
    cmd = AdoptPrinciples(
        organization_id=FIVE.organization_id,
        kind=PrincipleKind.SHANGHAI_SPIRIT,
        texts=("mutual trust", "mutual benefit"),
        date=d("2001-06-15"),
        sources=SRC,
    )
    (event,) = SPEC.then([FIVE], cmd, OrganizationFacts())
    assert isinstance(event, ShanghaiSpiritAdopted) and event.texts == (
        "mutual trust",
        "mutual benefit",
    )
    SPEC.then_rejected(
        [FIVE],
        AdoptPrinciples(
            organization_id=FIVE.organization_id,
            kind=PrincipleKind.PURPOSES,
            texts=(),
            date=d("2001"),
            sources=SRC,
        ),
        OrganizationFacts(),
        "organization.no_texts",
    )


def test_a_fact_without_sources_is_refused() -> None:
    SPEC.then_rejected([], found_sco(sources=()), FACTS, "source.missing")


def test_a_malformed_id_is_refused() -> None:
    SPEC.then_rejected([], found_sco(organization_id="sco"), FACTS, "id.malformed")


def test_names_and_own_predecessor() -> None:
    facts = OrganizationFacts(KNOWN_STATES, frozenset({DECL}), predecessor=FIVE_STATE)
    SPEC.then_rejected([], found_sco(name=" "), facts, "organization.missing_name")
    SPEC.then_rejected(
        [], found_sco(predecessor="organization/sco"), facts, "organization.own_predecessor"
    )
