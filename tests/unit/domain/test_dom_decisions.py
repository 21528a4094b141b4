"""Named examples of the shapes that generated valid files showed the domain refusing, and
the decision taken on each (docs/data.md, "Valid by the format, refused by the domain")."""

from __future__ import annotations

import pytest

from sco_registry.domain import bodies, documents
from sco_registry.domain.errors import IntegrityViolation
from sco_registry.domain.membership import (
    MembershipChange,
    MembershipState,
    MembershipStatus,
    RecordedChange,
)
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation

SCO = "organization/sco"
SRC = (Citation(title="test"),)
d = PartialDate.parse


def member_then_withdrew(withdrew: str) -> MembershipState:
    return MembershipState(
        (
            RecordedChange(
                SCO, MembershipChange.FOUNDING_MEMBER, MembershipStatus.FOUNDING_MEMBER, d("1990")
            ),
            RecordedChange(SCO, MembershipChange.WITHDREW, None, d(withdrew)),
        )
    )


def sign(state: MembershipState, signed_on: str) -> list[object]:
    command = documents.RecordDocument(
        document_id="document/declaration",
        title="Declaration",
        category=documents.DocumentCategory.DECLARATION,
        signed_on=d(signed_on),
        parties=("KZ",),
        sources=SRC,
    )
    facts = documents.DocumentFacts(
        known_states=frozenset({"KZ"}),
        signatory_statuses={"KZ": state.statuses_at(d(signed_on))},
    )
    return list(documents.decide(command, documents.DocumentState(), facts))


def test_a_member_signs_in_the_month_it_withdraws() -> None:
    """Signed on 1994-08-08, withdrew in "1994-08": it may have signed before it left."""
    assert sign(member_then_withdrew("1994-08"), "1994-08-08")
    assert sign(member_then_withdrew("1994"), "1994-08-08")
    assert MembershipStatus.FOUNDING_MEMBER in member_then_withdrew("1994-08").statuses_at(
        d("1994-08-08")
    )


def test_a_withdrawal_proven_before_the_signature_is_still_refused() -> None:
    """Negative control: withdrew on 1994-08-01, signed on 1994-08-08 (or in "1994-09")."""
    for signed in ("1994-08-08", "1994-09"):
        with pytest.raises(IntegrityViolation) as e:
            sign(member_then_withdrew("1994-08-01"), signed)
        assert e.value.code == "document.signatory_not_member"
    assert member_then_withdrew("1994-08-01").statuses_at(d("1994-08-08")) == frozenset()


def test_a_later_status_does_not_reach_back() -> None:
    """A state admitted in "2017" may not yet be a member on 2017-06-09, but it may: the
    rule accepts it; on 2016-12-31 it cannot be one."""
    state = MembershipState(
        (RecordedChange(SCO, MembershipChange.ADMITTED, MembershipStatus.MEMBER, d("2017")),)
    )
    assert state.statuses_at(d("2017-06-09")) == {MembershipStatus.MEMBER}
    assert state.statuses_at(d("2016-12-31")) == frozenset()


def _dissolved(on: str) -> bodies.BodyState:
    return bodies.BodyState(
        recorded=True,
        body_id="body/group",
        name="Expert group",
        category=bodies.BodyCategory.EXPERT_GROUP,
        organization_id=SCO,
        status=bodies.BodyStatus.ESTABLISHED,
        established_on=d("2010-01-10"),
        dissolved=True,
        dissolved_on=d(on),
    )


def test_a_body_renamed_in_the_year_it_is_dissolved() -> None:
    """Renamed on 2010-06-05, dissolved in "2010": the import records the dissolution first
    (its date is coarser); the renaming may have come before it, so it is accepted."""
    rename = bodies.RenameBody(body_id="body/group", date=d("2010-06-05"), name="New", sources=SRC)
    (event,) = bodies.decide(rename, _dissolved("2010"), bodies.BodyFacts())
    assert isinstance(event, bodies.BodyRenamed)


def test_a_change_proven_after_the_dissolution_is_still_refused() -> None:
    """Negative control: dissolved on 2010-03-01, renamed on 2010-06-05; and a second
    dissolution whatever its date."""
    rename = bodies.RenameBody(body_id="body/group", date=d("2010-06-05"), name="New", sources=SRC)
    again = bodies.DissolveBody(body_id="body/group", date=d("2010-02"), sources=SRC)
    for command, state in ((rename, _dissolved("2010-03-01")), (again, _dissolved("2010"))):
        with pytest.raises(IntegrityViolation) as e:
            bodies.decide(command, state, bodies.BodyFacts())
        assert e.value.code == "body.dissolved"
