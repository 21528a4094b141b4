"""The meetings family: recorded, scheduled, held, postponed, moved, cancelled; and rules."""

from __future__ import annotations

import dataclasses

import pytest

from sco_registry.domain import meetings as mt
from sco_registry.domain.events import Event
from sco_registry.domain.meetings import (
    CancelMeeting,
    HoldMeeting,
    MeetingCancelled,
    MeetingFacts,
    MeetingFormat,
    MeetingHeld,
    MeetingMoved,
    MeetingPhase,
    MeetingPostponed,
    MeetingScheduled,
    MeetingState,
    MeetingStatus,
    MoveMeeting,
    PostponeMeeting,
    RecordMeeting,
    ScheduleMeeting,
)
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

SPEC = Spec(mt.decide, mt.evolve, MeetingState())
CHS, DOC = "body/heads_of_state_council", "document/charter-2002"
FACTS = MeetingFacts(KNOWN_STATES, frozenset({CHS, DOC}))
ID = "meeting/heads_of_state/2002"

RECORD = RecordMeeting(
    meeting_id=ID,
    body_id=CHS,
    ordinal=2,
    start_date=d("2002-06-07"),
    end_date=d("2002-06-07"),
    city="St. Petersburg",
    host_state="RU",
    sources=SRC,
)
SCHEDULE = ScheduleMeeting(
    meeting_id="meeting/heads_of_state/2020",
    body_id=CHS,
    start_date=d("2020-07"),
    city="St. Petersburg",
    host_state="RU",
    sources=SRC,
)


def events(given: list[Event], cmd: object, facts: MeetingFacts = FACTS) -> list[Event]:
    return SPEC.then(given, cmd, facts)


SCHEDULED = events([], SCHEDULE)


def test_record_a_held_meeting_with_no_documents() -> None:
    (held,) = events([], RECORD)
    assert isinstance(held, MeetingHeld) and held.valid_time == d("2002-06-07")
    assert held.documents == () and held.format is MeetingFormat.IN_PERSON


def test_record_a_held_meeting_with_participants_chair_and_documents() -> None:
    cmd = dataclasses.replace(RECORD, chair="V. Putin", participants=("CN", "RU"), documents=(DOC,))
    (held,) = events([], cmd)
    assert (
        isinstance(held, MeetingHeld)
        and held.participants == ("CN", "RU")
        and held.chair == "V. Putin"
    )


@pytest.mark.parametrize(
    ("status", "last"),
    [(MeetingStatus.POSTPONED, MeetingPostponed), (MeetingStatus.CANCELLED, MeetingCancelled)],
)
def test_record_a_postponed_or_cancelled_meeting(status: MeetingStatus, last: type) -> None:
    scheduled, ended = events([], dataclasses.replace(RECORD, status=status))
    assert isinstance(scheduled, MeetingScheduled) and isinstance(ended, last)
    assert ended.valid_time is None  # the sources date the meeting, not the decision


def test_schedule_then_hold_virtually() -> None:
    assert isinstance(SCHEDULED[0], MeetingScheduled)
    cmd = HoldMeeting(
        meeting_id=SCHEDULE.meeting_id,
        start_date=d("2020-11-10"),
        format=MeetingFormat.VIRTUAL,
        sources=SRC,
    )
    (held,) = events(SCHEDULED, cmd)
    assert isinstance(held, MeetingHeld)
    assert held.format is MeetingFormat.VIRTUAL and held.city == "St. Petersburg"
    assert held.start_date == d("2020-11-10")


def test_postpone_move_cancel() -> None:
    (post,) = events(
        SCHEDULED,
        PostponeMeeting(
            meeting_id=SCHEDULE.meeting_id,
            date=d("2020-04"),
            new_start_date=d("2020-11-10"),
            sources=SRC,
        ),
    )
    assert isinstance(post, MeetingPostponed)
    (moved,) = events(
        [*SCHEDULED, post],
        MoveMeeting(
            meeting_id=SCHEDULE.meeting_id,
            date=d("2020-10"),
            format=MeetingFormat.VIRTUAL,
            sources=SRC,
        ),
    )
    assert isinstance(moved, MeetingMoved)
    state = SPEC.state([*SCHEDULED, post, moved])
    assert state.phase is MeetingPhase.POSTPONED and state.start_date == d("2020-11-10")
    assert state.format is MeetingFormat.VIRTUAL
    (cancelled,) = events(
        SCHEDULED, CancelMeeting(meeting_id=SCHEDULE.meeting_id, date=d("2020-05"), sources=SRC)
    )
    assert isinstance(cancelled, MeetingCancelled)


def test_record_twice_is_refused() -> None:
    SPEC.then_rejected(events([], RECORD), RECORD, FACTS, "meeting.already_recorded")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"body_id": "body/none"}, "reference.unknown_body"),
        ({"host_state": "XX"}, "reference.unknown_state"),
        ({"participants": ("RU", "XX")}, "reference.unknown_state"),
        ({"documents": ("document/none",)}, "reference.unknown_document"),
        ({"end_date": d("2002-06-06")}, "date.end_before_start"),
        ({"ordinal": 0}, "meeting.bad_ordinal"),
    ],
)
def test_record_rules(changes: dict[str, object], code: str) -> None:
    SPEC.then_rejected([], dataclasses.replace(RECORD, **changes), FACTS, code)  # type: ignore[arg-type]


def test_no_meeting_of_a_dissolved_body() -> None:
    facts = dataclasses.replace(FACTS, body_dissolved=True, body_dissolved_on=d("2001"))
    SPEC.then_rejected([], RECORD, facts, "meeting.body_dissolved")
    SPEC.then_rejected([], SCHEDULE, facts, "meeting.body_dissolved")
    SPEC.then_rejected(
        SCHEDULED,
        HoldMeeting(meeting_id=SCHEDULE.meeting_id, sources=SRC),
        facts,
        "meeting.body_dissolved",
    )


def test_a_meeting_in_the_month_of_the_dissolution_is_accepted() -> None:
    facts = dataclasses.replace(FACTS, body_dissolved=True, body_dissolved_on=d("2002-06"))
    assert events([], RECORD, facts)


def test_a_temporary_group_cannot_meet_after_it_expired() -> None:
    facts = dataclasses.replace(FACTS, body_expires_on=d("2002-05"))
    SPEC.then_rejected([], RECORD, facts, "meeting.body_expired")
    assert events([], RECORD, dataclasses.replace(FACTS, body_expires_on=d("2002")))


def test_changes_to_an_unknown_meeting_are_refused() -> None:
    for cmd in (
        HoldMeeting(meeting_id=ID, sources=SRC),
        PostponeMeeting(meeting_id=ID, date=d("2002"), sources=SRC),
        MoveMeeting(meeting_id=ID, date=d("2002"), city="Moscow", sources=SRC),
        CancelMeeting(meeting_id=ID, date=d("2002"), sources=SRC),
    ):
        SPEC.then_rejected([], cmd, FACTS, "reference.unknown_meeting")


def test_a_held_meeting_is_not_held_postponed_moved_or_cancelled_again() -> None:
    held = events([], RECORD)
    for cmd in (
        HoldMeeting(meeting_id=ID, sources=SRC),
        PostponeMeeting(meeting_id=ID, date=d("2002"), sources=SRC),
        MoveMeeting(meeting_id=ID, date=d("2002"), city="Moscow", sources=SRC),
        CancelMeeting(meeting_id=ID, date=d("2002"), sources=SRC),
    ):
        SPEC.then_rejected(held, cmd, FACTS, "meeting.already_held")


def test_a_cancelled_meeting_is_not_held() -> None:
    cancelled = events([], dataclasses.replace(RECORD, status=MeetingStatus.CANCELLED))
    SPEC.then_rejected(
        cancelled, HoldMeeting(meeting_id=ID, sources=SRC), FACTS, "meeting.cancelled"
    )


def test_postponed_and_moved_rules() -> None:
    bad = PostponeMeeting(
        meeting_id=SCHEDULE.meeting_id,
        date=d("2020"),
        new_start_date=d("2020-11"),
        new_end_date=d("2020-10"),
        sources=SRC,
    )
    SPEC.then_rejected(SCHEDULED, bad, FACTS, "date.end_before_start")
    SPEC.then_rejected(
        SCHEDULED,
        MoveMeeting(meeting_id=SCHEDULE.meeting_id, date=d("2020"), sources=SRC),
        FACTS,
        "meeting.empty_move",
    )
    SPEC.then_rejected(
        SCHEDULED,
        MoveMeeting(meeting_id=SCHEDULE.meeting_id, date=d("2020"), host_state="XX", sources=SRC),
        FACTS,
        "reference.unknown_state",
    )
