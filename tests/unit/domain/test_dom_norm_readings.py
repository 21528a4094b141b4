"""Rotation's named readings: no state hosts two meetings in a row; within a cycle every
member hosts once before any hosts again, new members joining at the next cycle."""

from __future__ import annotations

from sco_registry.domain.norms import (
    CYCLE,
    EVERY_MEMBER_BETWEEN_TURNS,
    NO_CONSECUTIVE_HOST,
    READINGS,
    FindingStatus,
    HeldMeeting,
    MemberTerm,
    NormFacts,
    evaluate,
    evaluate_all,
)
from tests.unit.domain.gwt import d

CHS = "body/heads_of_state_council"
MET, DEPARTED = FindingStatus.MET, FindingStatus.DEPARTED


def facts(hosts: dict[int, str], members: dict[str, str]) -> NormFacts:
    return NormFacts(
        founded_on=d("2001-01-01"),
        meetings=tuple(
            HeldMeeting(f"meeting/chs/{y}", CHS, d(f"{y}-06-01"), h) for y, h in hosts.items()
        ),
        members=tuple(MemberTerm(s, d(since)) for s, since in members.items()),
        rotating_bodies=(CHS,),
    )


def rotation(f: NormFacts, reading: str) -> dict[int, FindingStatus]:
    return {
        x.year: x.status for x in evaluate_all(f) if x.norm == "rotation" and x.reading == reading
    }


HOSTS = {2001: "A", 2002: "D", 2003: "B", 2004: "C", 2005: "D", 2006: "A", 2007: "A"}
LATE_D = {"A": "2001-01-01", "B": "2001-01-01", "C": "2001-01-01", "D": "2002-01-01"}


def test_no_consecutive_host_departs_only_for_a_host_of_the_previous_meeting() -> None:
    got = rotation(facts(HOSTS, LATE_D), NO_CONSECUTIVE_HOST)
    assert got == {y: DEPARTED if y == 2007 else MET for y in HOSTS}


def test_cycle_new_members_join_at_the_next_cycle() -> None:
    got = rotation(facts(HOSTS, LATE_D), CYCLE)
    # D joined after the first cycle opened (2001): hosting in 2002 departs; the cycle
    # closes with C in 2004, D hosts the next one in 2005; A twice in one cycle departs.
    assert got == {
        2001: MET,
        2002: DEPARTED,
        2003: MET,
        2004: MET,
        2005: MET,
        2006: MET,
        2007: DEPARTED,
    }
    # Negative control: D a member from the start may host in the first cycle.
    early = {**LATE_D, "D": "2001-01-01"}
    assert rotation(facts(HOSTS, early), CYCLE)[2002] is MET


def test_the_standing_reading_is_what_evaluate_reports_and_every_finding_names_one() -> None:
    f = facts(HOSTS, LATE_D)
    standing = evaluate(f)
    assert {x.reading for x in standing if x.norm == "rotation"} == {EVERY_MEMBER_BETWEEN_TURNS}
    assert all((x.norm, x.reading) in READINGS for x in evaluate_all(f))
    assert set(standing) < set(evaluate_all(f))
    # The readings disagree: the standing one objects to D hosting again in 2005 (A has
    # not hosted since D's 2002 turn), the cycle reading does not (2005 opens a new cycle).
    assert rotation(f, EVERY_MEMBER_BETWEEN_TURNS)[2005] is DEPARTED
    assert rotation(f, CYCLE)[2005] is MET
