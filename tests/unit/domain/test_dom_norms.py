"""The declaration's norms over a small fixture history with departures."""

from __future__ import annotations

from sco_registry.domain.norms import (
    Admission,
    FindingStatus,
    HeldMeeting,
    MemberTerm,
    NormFacts,
    SignedDocument,
    evaluate,
)
from tests.unit.domain.gwt import d

CHS, CHG = "body/heads_of_state_council", "body/heads_of_government_council"
FOUR = ("CN", "KZ", "RU", "UZ")


def chs(year: int, host: str | None, date: str | None = None) -> HeldMeeting:
    return HeldMeeting(f"meeting/chs/{year}", CHS, d(date or f"{year}-06"), host)


FACTS = NormFacts(
    founded_on=d("2001-06-15"),
    meetings=(
        chs(2001, "CN"),
        chs(2002, "RU"),
        chs(2003, "RU"),  # again at once: departs from rotation
        # 2004: no meeting of heads of state
        chs(2005, "KZ"),
        chs(2006, None),  # no host recorded
        chs(2007, "UZ"),
        chs(2008, "CN"),  # every other member hosted since 2001: meets rotation
        HeldMeeting("meeting/chg/2002", CHG, d("2002"), "KZ"),
    ),
    members=(*(MemberTerm(s, d("2001-06-15")) for s in FOUR), MemberTerm("IN", d("2006"))),
    admissions=(
        Admission("IN", d("2006"), "meeting/chs/2006", None, "membership/IN"),
        Admission("PK", d("2007-06"), None, None, "membership/PK"),
    ),
    documents=(SignedDocument("document/charter", "charter", d("2003-05"), None),),
    until_year=2008,
)


def find(norm: str, year: int, body: str = CHS) -> list[tuple[FindingStatus, str, tuple[str, ...]]]:
    return [
        (f.status, f.explanation, f.evidence)
        for f in evaluate(FACTS)
        if f.norm == norm and f.year == year and f.body == body
    ]


def test_one_formal_meeting_of_heads_of_state_a_year() -> None:
    assert find("annual_heads_of_state_meeting", 2003)[0][0] is FindingStatus.MET
    (status, text, evidence) = find("annual_heads_of_state_meeting", 2004)[0]
    assert status is FindingStatus.DEPARTED and evidence == () and "2004" in text


def test_rotation_among_member_states() -> None:
    assert find("rotation", 2002)[0][0] is FindingStatus.MET  # first turn
    (status, text, evidence) = find("rotation", 2003)[0]
    assert status is FindingStatus.DEPARTED
    assert evidence == ("meeting/chs/2002", "meeting/chs/2003")
    assert find("rotation", 2006)[0][0] is FindingStatus.NOT_APPLICABLE
    # IN became a member in 2006 but has not hosted: CN hosting again in 2008 departs.
    (status, text, _) = find("rotation", 2008)[0]
    assert status is FindingStatus.DEPARTED and "IN" in text
    assert find("rotation", 2002, CHG)[0][0] is FindingStatus.MET


def test_rotation_met_once_every_member_hosted() -> None:
    facts = NormFacts(
        founded_on=d("2001"),
        meetings=(chs(2001, "CN"), chs(2002, "RU"), chs(2003, "CN")),
        members=(MemberTerm("CN", d("2001")), MemberTerm("RU", d("2001"))),
    )
    (f,) = [f for f in evaluate(facts) if f.norm == "rotation" and f.year == 2003]
    assert f.status is FindingStatus.MET


def test_admission_by_consensus_with_a_recorded_decision() -> None:
    (status, _, evidence) = find("admission_by_consensus", 2006, "organization/sco")[0]
    assert status is FindingStatus.MET and evidence == ("membership/IN", "meeting/chs/2006")
    (status, text, _) = find("admission_by_consensus", 2007, "organization/sco")[0]
    assert status is FindingStatus.DEPARTED and "PK" in text
    assert (
        find("admission_by_consensus", 2005, "organization/sco")[0][0]
        is FindingStatus.NOT_APPLICABLE
    )


def test_charter_signed_at_the_2002_meeting() -> None:
    (status, text, evidence) = find("charter_signed_2002", 2002)[0]
    assert status is FindingStatus.DEPARTED and "2003-05" in text
    assert evidence == ("document/charter",)
    met = NormFacts(
        founded_on=d("2001-06-15"),
        meetings=(chs(2002, "RU", "2002-06-07"),),
        documents=(
            SignedDocument("document/charter", "charter", d("2002-06-07"), "meeting/chs/2002"),
        ),
    )
    (f,) = [f for f in evaluate(met) if f.norm == "charter_signed_2002"]
    assert f.status is FindingStatus.MET
    none = NormFacts(founded_on=d("2001-06-15"), until_year=2002)
    (f,) = [f for f in evaluate(none) if f.norm == "charter_signed_2002"]
    assert f.status is FindingStatus.DEPARTED


def test_findings_carry_article_year_and_body() -> None:
    findings = evaluate(FACTS)
    assert {f.article for f in findings} == {"Art. 3", "Art. 7", "final part"}
    assert [f.year for f in findings] == sorted(f.year for f in findings)
    assert evaluate(NormFacts(founded_on=None)) == []
