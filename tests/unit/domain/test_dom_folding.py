"""Folding (`domain/folding.py`): events as a log holds them are upcast, corrections and
retractions applied, and a family's state folded over what remains, with no store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sco_registry.domain import catalog, meetings, offices
from sco_registry.domain.corrections import EventCorrected, EventRetracted
from sco_registry.domain.folding import StoredEvent, fold, stored_events
from tests.unit.domain.gwt import SRC, d
from tests.unit.domain.test_dom_corrections import HELD

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Logged:
    """What a log holds of an event, as far as folding reads it (duck-typed, no store)."""

    event_id: uuid.UUID
    type: str
    schema_version: int
    data: Mapping[str, Any]


def test_stored_events_are_upcast_to_the_current_schema() -> None:
    old = json.loads((FIXTURES / "office_term_recorded_v1.json").read_text())
    (stored,) = stored_events([Logged(uuid.uuid4(), old["type"], 1, old["data"])])
    assert stored.data["office"] == "executive_secretary" and "title" not in stored.data
    state = fold(offices.evolve, offices.OfficeTermState(), [stored])
    assert state.office == "executive_secretary" and state.to_date == d("2006")


def test_fold_applies_corrections_and_retractions_before_evolving() -> None:
    held_id, other_id = uuid.uuid4(), uuid.uuid4()
    stream = [StoredEvent(held_id, "MeetingHeld", catalog.to_json(HELD))]
    initial = meetings.MeetingState()
    assert fold(meetings.evolve, initial, stream).city == "Almaty"  # control: as recorded
    corrected = EventCorrected(
        valid_time=HELD.valid_time, sources=SRC, stream_id=HELD.meeting_id,
        event_id=held_id, reason="a misprint", changes={"city": "Alma-Ata"},
    )  # fmt: skip
    stream.append(StoredEvent(other_id, "EventCorrected", catalog.to_json(corrected)))
    assert fold(meetings.evolve, initial, stream).city == "Alma-Ata"
    retracted = EventRetracted(
        valid_time=HELD.valid_time, sources=SRC, stream_id=HELD.meeting_id,
        event_id=held_id, reason="no such meeting",
    )  # fmt: skip
    stream.append(StoredEvent(uuid.uuid4(), "EventRetracted", catalog.to_json(retracted)))
    assert fold(meetings.evolve, initial, stream) == initial
