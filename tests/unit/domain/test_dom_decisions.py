"""Named examples of the shapes that generated valid files showed the domain refusing, and
the decision taken on each (docs/data.md, "Valid by the format, refused by the domain")."""

from __future__ import annotations

import pytest

from sco_registry.domain import documents
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
