"""The membership family: every change, admission, grants, endings, and their rules."""

from __future__ import annotations

import pytest

from sco_registry.domain import membership as m
from sco_registry.domain.membership import (
    EVENT_FOR_CHANGE,
    AdmitMember,
    MemberAdmitted,
    MembershipChange,
    MembershipFacts,
    MembershipState,
    MembershipStatus,
    RecordMembershipChange,
)
from sco_registry.domain.time import PartialDate
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

SPEC = Spec(m.decide, m.evolve, MembershipState())
SCO, FIVE = "organization/sco", "organization/shanghai-five"
MEETING, DOC = "meeting/heads_of_state/2017", "document/decision-2017"
FACTS = MembershipFacts(KNOWN_STATES, frozenset({SCO, FIVE, MEETING, DOC}))


def change(
    c: MembershipChange,
    after: MembershipStatus | None,
    date: str = "2017-06-09",
    state: str = "IN",
    org: str = SCO,
    **kw: str | None,
) -> RecordMembershipChange:
    return RecordMembershipChange(
        organization_id=org,
        state=state,
        date=d(date),
        change=c,
        status_after=after,
        sources=SRC,
        **kw,  # type: ignore[arg-type]
    )


def happened(
    cmd: RecordMembershipChange, given: list[m.MembershipChanged] | None = None
) -> m.MembershipChanged:
    (event,) = SPEC.then(given or [], cmd, FACTS)
    assert isinstance(event, m.MembershipChanged)
    return event


OBSERVER = happened(
    change(MembershipChange.STATUS_GRANTED, MembershipStatus.OBSERVER, "2005-07-05")
)
S = MembershipStatus


@pytest.mark.parametrize(
    ("c", "after"),
    [
        (MembershipChange.PARTICIPATION_BEGAN, S.SHANGHAI_FIVE_PARTICIPANT),
        (MembershipChange.FOUNDING_MEMBER, S.FOUNDING_MEMBER),
        (MembershipChange.APPLICATION_FILED, S.OBSERVER),
        (MembershipChange.ADMISSION_PROCEDURE_STARTED, S.OBSERVER),
        (MembershipChange.OBLIGATIONS_MEMORANDUM_SIGNED, S.OBSERVER),
        (MembershipChange.ADMITTED, S.MEMBER),
        (MembershipChange.STATUS_GRANTED, S.DIALOGUE_PARTNER),
        (MembershipChange.STATUS_MEMORANDUM_SIGNED, S.OBSERVER),
        (MembershipChange.STATUS_CHANGED, S.PARTNER),
        (MembershipChange.WITHDREW, None),
        (MembershipChange.SUSPENDED, S.OBSERVER),
        (MembershipChange.ENDED, None),
    ],
)
def test_every_change_is_recorded_as_its_event(c: MembershipChange, after: S | None) -> None:
    event = happened(change(c, after, meeting=MEETING), [OBSERVER])
    assert type(event) is EVENT_FOR_CHANGE[c]
    assert event.valid_time == d("2017-06-09") and event.status_after == after
    assert event.meeting == MEETING and event.sources == SRC


def test_admit_member_with_its_recorded_decision() -> None:
    cmd = AdmitMember(
        organization_id=SCO,
        state="IN",
        date=d("2017-06-09"),
        meeting=MEETING,
        document=DOC,
        sources=SRC,
    )
    (event,) = SPEC.then([OBSERVER], cmd, FACTS)
    assert isinstance(event, MemberAdmitted) and event.status_after is S.MEMBER
    assert event.document == DOC


def test_double_admission_is_refused() -> None:
    admitted = happened(change(MembershipChange.ADMITTED, S.MEMBER, "2017-06"))
    SPEC.then_rejected(
        [admitted],
        change(MembershipChange.ADMITTED, S.MEMBER, "2018"),
        FACTS,
        "membership.already_member",
    )
    cmd = AdmitMember(organization_id=SCO, state="IN", date=d("2017-06-09"), sources=SRC)
    SPEC.then_rejected([admitted], cmd, FACTS, "membership.already_member")


def test_founding_member_twice_is_refused() -> None:
    founding = happened(
        change(MembershipChange.FOUNDING_MEMBER, S.FOUNDING_MEMBER, "2001-06-15", "KZ")
    )
    again = change(MembershipChange.FOUNDING_MEMBER, S.FOUNDING_MEMBER, "2001-06-15", "KZ")
    SPEC.then_rejected([founding], again, FACTS, "membership.already_member")


def test_readmission_after_withdrawal_is_accepted() -> None:
    admitted = happened(change(MembershipChange.ADMITTED, S.MEMBER, "2017"))
    withdrew = happened(change(MembershipChange.WITHDREW, None, "2019"), [admitted])
    assert happened(change(MembershipChange.ADMITTED, S.MEMBER, "2021"), [admitted, withdrew])


def test_double_grant_of_the_same_status_is_refused() -> None:
    again = change(MembershipChange.STATUS_GRANTED, S.OBSERVER, "2006")
    SPEC.then_rejected([OBSERVER], again, FACTS, "membership.status_already_granted")


def test_grant_of_another_status_or_a_memorandum_is_accepted() -> None:
    assert happened(change(MembershipChange.STATUS_GRANTED, S.DIALOGUE_PARTNER, "2009"), [OBSERVER])
    assert happened(
        change(MembershipChange.STATUS_MEMORANDUM_SIGNED, S.OBSERVER, "2010-04"), [OBSERVER]
    )


def test_a_grant_recorded_after_a_later_fact_is_judged_at_its_own_date() -> None:
    # Sri Lanka's memorandum (2010-05, month only) recorded before the 2009 grant.
    memo = happened(
        change(MembershipChange.STATUS_MEMORANDUM_SIGNED, S.DIALOGUE_PARTNER, "2010-05", "LK")
    )
    facts = MembershipFacts(KNOWN_STATES | {"LK"}, FACTS.known_ids)
    grant = change(MembershipChange.STATUS_GRANTED, S.DIALOGUE_PARTNER, "2009-06-16", "LK")
    assert SPEC.then([memo], grant, facts)


def test_inconsistent_status_is_refused() -> None:
    SPEC.then_rejected(
        [], change(MembershipChange.ADMITTED, S.OBSERVER), FACTS, "membership.inconsistent_status"
    )
    SPEC.then_rejected(
        [],
        change(MembershipChange.STATUS_GRANTED, S.MEMBER),
        FACTS,
        "membership.inconsistent_status",
    )


@pytest.mark.parametrize(
    "c", [MembershipChange.WITHDREW, MembershipChange.SUSPENDED, MembershipChange.ENDED]
)
def test_ending_a_status_never_held_is_refused(c: MembershipChange) -> None:
    SPEC.then_rejected([], change(c, None), FACTS, "membership.no_status")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("state", "XX", "reference.unknown_state"),
        ("organization_id", "organization/nato", "reference.unknown_organization"),
        ("meeting", "meeting/none", "reference.unknown_meeting"),
        ("document", "document/none", "reference.unknown_document"),
    ],
)
def test_unknown_references_are_refused(field: str, value: str, code: str) -> None:
    cmd = change(MembershipChange.APPLICATION_FILED, S.OBSERVER)
    import dataclasses

    SPEC.then_rejected([], dataclasses.replace(cmd, **{field: value}), FACTS, code)


def test_status_at_and_statuses_at_follow_valid_time() -> None:
    participant = happened(
        change(
            MembershipChange.PARTICIPATION_BEGAN,
            S.SHANGHAI_FIVE_PARTICIPANT,
            "1996-04-26",
            "KZ",
            FIVE,
        )
    )
    founding = happened(
        change(MembershipChange.FOUNDING_MEMBER, S.FOUNDING_MEMBER, "2001-06", "KZ"), [participant]
    )
    state = SPEC.state([participant, founding])
    assert state.status_at(SCO, d("2000")) is None
    # "2001-06" may be 15 June: a member possibly on that day.
    assert state.status_at(SCO, d("2001-06-15")) is S.FOUNDING_MEMBER
    assert state.statuses_at(d("2001-06-15")) == {S.FOUNDING_MEMBER, S.SHANGHAI_FIVE_PARTICIPANT}
    assert state.statuses_at(PartialDate(1995)) == frozenset()


def test_status_at_overlapping_changes_follow_recording_order() -> None:
    """Granted on 2070-06-05, then (recorded after it) withdrew in "2070": the dates overlap,
    so the recording order says which came last, and in 2071 the state holds nothing. The
    order by earliest day put the grant last (2070-06-05 starts after 2070-01-01)."""
    RC, C = m.RecordedChange, MembershipChange
    grant = RC(SCO, C.STATUS_GRANTED, S.OBSERVER, d("2070-06-05"))
    withdrew = RC(SCO, C.WITHDREW, None, d("2070"))
    assert MembershipState((grant, withdrew)).status_at(SCO, d("2071")) is None
    # Control: recorded the other way round, the grant is the last of the two.
    assert MembershipState((withdrew, grant)).status_at(SCO, d("2071")) is S.OBSERVER
    # Dates that prove an order win over the recording order: a grant of 2072 recorded
    # before a withdrawal of 2070 is still the latest in 2073.
    late = RC(SCO, C.STATUS_GRANTED, S.PARTNER, d("2072"))
    assert MembershipState((late, withdrew)).status_at(SCO, d("2073")) is S.PARTNER
    # And a change that may be after the date asked does not count.
    assert MembershipState((grant,)).status_at(SCO, d("2070-06-04")) is None


def test_status_refusal_is_the_rule_decide_applies() -> None:
    """`status_refusal` (which the import orders by) and `decide` agree: a second grant of a
    held status is refused by both, a grant after the withdrawal by neither."""
    RC, C = m.RecordedChange, MembershipChange
    held = MembershipState((RC(SCO, C.STATUS_GRANTED, S.OBSERVER, d("2068")),))
    again = change(C.STATUS_GRANTED, S.OBSERVER, "2070", "MN")
    refusal = m.status_refusal(held, SCO, "MN", d("2070"), C.STATUS_GRANTED, S.OBSERVER)
    assert refusal is not None and refusal.code == "membership.status_already_granted"
    with pytest.raises(m.IntegrityViolation) as e:
        m.decide(again, held, FACTS)
    assert e.value.code == refusal.code
    left = MembershipState((*held.changes, RC(SCO, C.WITHDREW, None, d("2069"))))
    assert m.status_refusal(left, SCO, "MN", d("2070"), C.STATUS_GRANTED, S.OBSERVER) is None
    assert m.decide(again, left, FACTS)
