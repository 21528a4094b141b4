"""Corrections: an event corrected or retracted by a later one, never rewritten."""

from __future__ import annotations

import uuid

import pytest

from sco_registry.domain import catalog
from sco_registry.domain import corrections as c
from sco_registry.domain.corrections import (
    CorrectEvent,
    CorrectionFacts,
    CorrectionState,
    EventCorrected,
    EventRetracted,
    RetractEvent,
)
from sco_registry.domain.errors import RegistryError
from sco_registry.domain.folding import StoredEvent, effective
from sco_registry.domain.meetings import MeetingFormat, MeetingHeld
from tests.unit.domain.gwt import SRC, d

HELD = MeetingHeld(
    valid_time=d("1998-06-03"),
    sources=SRC,
    meeting_id="meeting/shanghai_five/1998",
    body_id="body/shanghai_five_summit",
    start_date=d("1998-06-03"),
    end_date=None,
    city="Almaty",
    host_state="KZ",
    format=MeetingFormat.IN_PERSON,
    ordinal=3,
    chair=None,
    participants=(),
    documents=(),
)
ID = uuid.uuid4()
STREAM = [StoredEvent(ID, "MeetingHeld", catalog.to_json(HELD))]
FACTS = CorrectionFacts(STREAM)


def decide(cmd: CorrectEvent | RetractEvent, facts: CorrectionFacts = FACTS) -> list[object]:
    return list(c.decide(cmd, CorrectionState(), facts))


def correct(**changes: object) -> CorrectEvent:
    return CorrectEvent(
        stream_id=HELD.meeting_id,
        event_id=ID,
        reason="the joint statement is dated 3 July",
        changes=changes,
        sources=SRC,
    )


def test_correct_an_event_and_see_it_corrected() -> None:
    (event,) = decide(correct(start_date="1998-07-03", valid_time="1998-07-03"))
    assert isinstance(event, EventCorrected) and event.valid_time == d("1998-07-03")
    stored = StoredEvent(uuid.uuid4(), "EventCorrected", catalog.to_json(event))
    (now,) = effective([*STREAM, stored])
    assert now.data["start_date"] == "1998-07-03" and now.event_id == ID


def test_retract_an_event_and_see_it_gone() -> None:
    (event,) = decide(
        RetractEvent(stream_id=HELD.meeting_id, event_id=ID, reason="no such meeting", sources=SRC)
    )
    assert isinstance(event, EventRetracted)
    stored = StoredEvent(uuid.uuid4(), "EventRetracted", catalog.to_json(event))
    assert effective([*STREAM, stored]) == []
    with pytest.raises(RegistryError) as e:
        decide(correct(city="Alma-Ata"), CorrectionFacts([*STREAM, stored]))
    assert e.value.code == "correction.already_retracted"


@pytest.mark.parametrize(
    ("cmd", "code"),
    [
        (
            CorrectEvent(
                stream_id="meeting/x",
                event_id=uuid.uuid4(),
                reason="r",
                changes={"city": "x"},
                sources=SRC,
            ),
            "correction.unknown_event",
        ),
        (
            CorrectEvent(stream_id="meeting/x", event_id=ID, reason="r", changes={}, sources=SRC),
            "correction.empty",
        ),
        (
            CorrectEvent(
                stream_id="meeting/x", event_id=ID, reason="r", changes={"colour": "x"}, sources=SRC
            ),
            "correction.unknown_field",
        ),
        (
            CorrectEvent(
                stream_id="meeting/x",
                event_id=ID,
                reason="r",
                changes={"start_date": "3 July"},
                sources=SRC,
            ),
            "correction.invalid",
        ),
        (
            CorrectEvent(
                stream_id="meeting/x", event_id=ID, reason=" ", changes={"city": "x"}, sources=SRC
            ),
            "correction.missing_reason",
        ),
        (
            CorrectEvent(
                stream_id=HELD.meeting_id,
                event_id=ID,
                reason="r",
                changes={"meeting_id": "meeting/y"},
                sources=SRC,
            ),
            "correction.identity_field",
        ),
        (
            CorrectEvent(
                stream_id="meeting/x", event_id=ID, reason="r", changes={"city": "x"}, sources=()
            ),
            "source.missing",
        ),
    ],
)
def test_correction_rules(cmd: CorrectEvent, code: str) -> None:
    with pytest.raises(RegistryError) as e:
        decide(cmd)
    assert e.value.code == code


def test_a_correction_is_not_itself_corrected() -> None:
    (event,) = decide(correct(city="Alma-Ata"))
    cid = uuid.uuid4()
    stored = StoredEvent(cid, "EventCorrected", catalog.to_json(event))  # type: ignore[arg-type]
    cmd = CorrectEvent(
        stream_id="meeting/x", event_id=cid, reason="r", changes={"reason": "x"}, sources=SRC
    )
    with pytest.raises(RegistryError) as e:
        decide(cmd, CorrectionFacts([*STREAM, stored]))
    assert e.value.code == "correction.of_correction"
