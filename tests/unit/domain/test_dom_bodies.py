"""The bodies family: recorded (decided / established / expert group), established later,
relocated, renamed, dissolved, rules approved; and their rules."""

from __future__ import annotations

import dataclasses

import pytest

from sco_registry.domain import bodies as b
from sco_registry.domain.bodies import (
    ApproveBodyRules,
    BodyCategory,
    BodyDecided,
    BodyDissolved,
    BodyEstablished,
    BodyFacts,
    BodyRenamed,
    BodyRulesApproved,
    BodyState,
    BodyStatus,
    DissolveBody,
    EstablishBody,
    ExpertGroupFormed,
    Permanence,
    RecordBody,
    RelocateSeat,
    RenameBody,
    SeatRelocated,
)
from sco_registry.domain.events import Event
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

SPEC = Spec(b.decide, b.evolve, BodyState())
SCO = "organization/sco"
CFM, RULES_DOC = "body/foreign_ministers_council", "document/coordinators-rules"
FACTS = BodyFacts(KNOWN_STATES, frozenset({SCO, CFM, RULES_DOC}))

RATS = RecordBody(
    body_id="body/rats",
    name="Anti-terrorist Center of the SCO",
    abbreviation="RATS",
    category=BodyCategory.PERMANENT_BODY,
    status=BodyStatus.DECIDED,
    decided_on=d("2001-06-15"),
    permanence=Permanence.PERMANENT,
    seat="Bishkek",
    seat_state="KG",
    sources=SRC,
)


def one(given: list[Event], cmd: object) -> Event:
    (event,) = SPEC.then(given, cmd, FACTS)
    return event


DECIDED = one([], RATS)


def test_record_a_decided_body_with_its_planned_seat() -> None:
    assert isinstance(DECIDED, BodyDecided)
    assert DECIDED.seat == "Bishkek" and DECIDED.valid_time == d("2001-06-15")


def test_record_an_established_body_without_a_date() -> None:
    # Real history: the trade ministers' meeting is attested, its founding date is not.
    cmd = dataclasses.replace(
        RATS,
        body_id="body/trade",
        status=BodyStatus.ESTABLISHED,
        decided_on=None,
        seat=None,
        seat_state=None,
        category=BodyCategory.MINISTERIAL_MEETING,
    )
    event = one([], cmd)
    assert isinstance(event, BodyEstablished) and event.valid_time is None


def test_record_a_temporary_expert_group_with_mandate_and_expiry() -> None:
    cmd = RecordBody(
        body_id="body/experts/trade",
        name="Experts on trade facilitation",
        category=BodyCategory.EXPERT_GROUP,
        status=BodyStatus.ESTABLISHED,
        established_on=d("2002"),
        permanence=Permanence.TEMPORARY,
        mandate="study work plans and proposals",
        expires_on=d("2003"),
        sources=SRC,
    )
    event = one([], cmd)
    assert isinstance(event, ExpertGroupFormed)
    assert event.mandate == "study work plans and proposals" and event.expires_on == d("2003")


def test_rats_decided_for_bishkek_relocated_and_established_in_tashkent() -> None:
    renamed = one(
        [DECIDED],
        RenameBody(
            body_id="body/rats",
            date=d("2002-06-07"),
            name="Regional Anti-Terrorist Structure",
            sources=SRC,
        ),
    )
    moved = one(
        [DECIDED, renamed],
        RelocateSeat(
            body_id="body/rats", date=d("2003-09-05"), seat="Tashkent", seat_state="UZ", sources=SRC
        ),
    )
    established = one(
        [DECIDED, renamed, moved],
        EstablishBody(body_id="body/rats", date=d("2004-06-17"), sources=SRC),
    )
    assert isinstance(renamed, BodyRenamed) and renamed.previous_name.startswith("Anti-terrorist")
    assert isinstance(moved, SeatRelocated) and moved.previous_seat == "Bishkek"
    assert isinstance(established, BodyEstablished)
    assert (
        established.seat == "Tashkent" and established.name == "Regional Anti-Terrorist Structure"
    )
    state = SPEC.state([DECIDED, renamed, moved, established])
    assert state.status is BodyStatus.ESTABLISHED and state.established_on == d("2004-06-17")


def test_establish_at_another_seat_than_planned() -> None:
    event = one(
        [DECIDED],
        EstablishBody(
            body_id="body/rats", date=d("2004"), seat="Tashkent", seat_state="UZ", sources=SRC
        ),
    )
    assert isinstance(event, BodyEstablished) and event.seat_state == "UZ"


def test_dissolve_and_approve_rules() -> None:
    dissolved = one([DECIDED], DissolveBody(body_id="body/rats", date=d("2030"), sources=SRC))
    assert isinstance(dissolved, BodyDissolved)
    rules = one(
        [DECIDED],
        ApproveBodyRules(
            body_id="body/rats",
            title="Temporary rules",
            approved_by=CFM,
            temporary=True,
            date=d("2002-01"),
            document=RULES_DOC,
            sources=SRC,
        ),
    )
    assert isinstance(rules, BodyRulesApproved) and rules.temporary and rules.approved_by == CFM


def test_record_twice_is_refused() -> None:
    SPEC.then_rejected([DECIDED], RATS, FACTS, "body.already_recorded")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"organization_id": "organization/none"}, "reference.unknown_organization"),
        ({"parent": "body/none"}, "reference.unknown_body"),
        ({"seat_state": "XX"}, "reference.unknown_state"),
        ({"expires_on": d("2005")}, "body.permanent_with_expiry"),
        ({"status": BodyStatus.ESTABLISHED, "established_on": d("2000")}, "date.end_before_start"),
        ({"permanence": Permanence.TEMPORARY, "expires_on": d("2000")}, "date.end_before_start"),
        ({"name": " "}, "body.missing_name"),
    ],
)
def test_record_rules(changes: dict[str, object], code: str) -> None:
    SPEC.then_rejected([], dataclasses.replace(RATS, **changes), FACTS, code)  # type: ignore[arg-type]


def test_changes_to_an_unknown_body_are_refused() -> None:
    for cmd in (
        EstablishBody(body_id="body/rats", date=d("2004"), sources=SRC),
        RelocateSeat(body_id="body/rats", date=d("2004"), seat="Tashkent", sources=SRC),
        RenameBody(body_id="body/rats", date=d("2004"), name="x", sources=SRC),
        DissolveBody(body_id="body/rats", date=d("2004"), sources=SRC),
        ApproveBodyRules(body_id="body/rats", title="x", sources=SRC),
    ):
        SPEC.then_rejected([], cmd, FACTS, "reference.unknown_body")


def test_establish_twice_is_refused() -> None:
    est = one([DECIDED], EstablishBody(body_id="body/rats", date=d("2004"), sources=SRC))
    SPEC.then_rejected(
        [DECIDED, est],
        EstablishBody(body_id="body/rats", date=d("2005"), sources=SRC),
        FACTS,
        "body.already_established",
    )


def test_established_before_decided_is_refused() -> None:
    SPEC.then_rejected(
        [DECIDED],
        EstablishBody(body_id="body/rats", date=d("2000"), sources=SRC),
        FACTS,
        "date.end_before_start",
    )


def test_a_dissolved_body_changes_no_more() -> None:
    gone = one([DECIDED], DissolveBody(body_id="body/rats", date=d("2010"), sources=SRC))
    for cmd in (
        DissolveBody(body_id="body/rats", date=d("2011"), sources=SRC),
        RenameBody(body_id="body/rats", date=d("2011"), name="x", sources=SRC),
        RelocateSeat(body_id="body/rats", date=d("2011"), seat="Osh", sources=SRC),
        EstablishBody(body_id="body/rats", date=d("2011"), sources=SRC),
    ):
        SPEC.then_rejected([DECIDED, gone], cmd, FACTS, "body.dissolved")


def test_dissolved_before_it_began_is_refused() -> None:
    SPEC.then_rejected(
        [DECIDED],
        DissolveBody(body_id="body/rats", date=d("2000"), sources=SRC),
        FACTS,
        "date.end_before_start",
    )


def test_relocation_rules() -> None:
    SPEC.then_rejected(
        [DECIDED],
        RelocateSeat(
            body_id="body/rats", date=d("2003"), seat="Bishkek", seat_state="KG", sources=SRC
        ),
        FACTS,
        "body.seat_unchanged",
    )
    SPEC.then_rejected(
        [DECIDED],
        RelocateSeat(
            body_id="body/rats", date=d("2003"), seat="Paris", seat_state="FR", sources=SRC
        ),
        FACTS,
        "reference.unknown_state",
    )


def test_rules_approved_by_an_unknown_body_or_document_are_refused() -> None:
    cmd = ApproveBodyRules(body_id="body/rats", title="x", approved_by="body/none", sources=SRC)
    SPEC.then_rejected([DECIDED], cmd, FACTS, "reference.unknown_body")
    cmd = ApproveBodyRules(body_id="body/rats", title="x", document="document/none", sources=SRC)
    SPEC.then_rejected([DECIDED], cmd, FACTS, "reference.unknown_document")


def test_a_month_precise_change_in_the_month_of_a_day_precise_start_is_accepted() -> None:
    est = one(
        [],
        dataclasses.replace(
            RATS, status=BodyStatus.ESTABLISHED, decided_on=None, established_on=d("2004-06-17")
        ),
    )
    assert one([est], RenameBody(body_id="body/rats", date=d("2004-06"), name="RATS", sources=SRC))


def test_rules_need_a_title() -> None:
    cmd = ApproveBodyRules(body_id="body/rats", title=" ", sources=SRC)
    SPEC.then_rejected([DECIDED], cmd, FACTS, "body.missing_rules_title")
