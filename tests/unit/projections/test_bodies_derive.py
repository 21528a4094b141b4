"""`bodies.derive`, `offices.derive`, `mandates.derive`: a record's rows from its stream as
recorded (`derived.held`: corrections applied, retractions left out)."""

from __future__ import annotations

import uuid
from typing import Any

from sco_registry.projections import bodies, mandates, offices
from sco_registry.projections.derived import held


class Stream:
    """A record stream being written: (position, event id, type, data) rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, dict[str, Any]]] = []

    def add(self, type: str, date: str | None, **data: Any) -> str:
        event_id = str(uuid.uuid4())
        full = {"valid_time": date, "sources": [{"title": type}], **data}
        self.rows.append((len(self.rows) + 1, event_id, type, full))
        return event_id

    def describe(self, type: str, date: str | None, **over: Any) -> str:
        fields = {
            "body_id": "body/x",
            "name": "Centre",
            "abbreviation": None,
            "category": "permanent_body",
            "organization_id": "organization/sco",
            "parent": None,
            "permanence": None,
            "seat": "Bishkek",
            "seat_state": "KG",
            "mandate": None,
            "expires_on": None,
        }
        return self.add(type, date, **{**fields, **over})

    def body(self) -> dict[str, list[dict[str, Any]]]:
        return bodies.derive(held(self.rows))


def periods(rows: dict[str, list[dict[str, Any]]], aspect: str) -> list[tuple[Any, ...]]:
    key = {"status": "status", "name": "name", "seat": "seat"}[aspect]
    return [
        (p[key], p["valid_from"], p["valid_to"])
        for p in rows[bodies.PERIODS]
        if p["aspect"] == aspect
    ]


def test_a_dissolution_ends_the_name_and_the_seat_and_begins_the_dissolved_status() -> None:
    s = Stream()
    s.describe("BodyEstablished", "2001")
    s.add("BodyDissolved", "2005", body_id="body/x")
    rows = s.body()
    assert periods(rows, "status") == [("established", "2001", "2005"), ("dissolved", "2005", None)]
    assert periods(rows, "name") == [("Centre", "2001", "2005")]
    assert periods(rows, "seat") == [("Bishkek", "2001", "2005")]
    [facts] = rows[bodies.FACTS]
    assert (facts["dissolved"], facts["dissolved_on"], facts["established_on"]) == (
        True,
        "2005",
        "2001",
    )


def test_an_establishment_at_the_planned_seat_ends_no_seat_period() -> None:
    s = Stream()
    s.describe("BodyDecided", "2001")
    s.describe("BodyEstablished", "2004")
    assert periods(s.body(), "seat") == [("Bishkek", "2001", None)]
    s.describe("BodyEstablished", "2005", seat="Tashkent", seat_state="UZ")  # elsewhere
    assert periods(s.body(), "seat") == [("Bishkek", "2001", "2005"), ("Tashkent", "2005", None)]


def test_changes_are_taken_in_valid_time_order_not_recording_order() -> None:
    s = Stream()
    s.describe("BodyDecided", "2001")
    s.add("BodyRenamed", "2006", body_id="body/x", name="Third", abbreviation=None)
    s.add("BodyRenamed", "2003", body_id="body/x", name="Second", abbreviation="S")
    assert periods(s.body(), "name") == [
        ("Centre", "2001", "2003"),
        ("Second", "2003", "2006"),
        ("Third", "2006", None),
    ]
    assert s.body()[bodies.FACTS][0]["name"] == "Third"  # the latest in valid time


def test_an_undated_start_ended_by_an_undated_change_is_left_out() -> None:
    s = Stream()
    s.describe("BodyDecided", None)
    s.describe("BodyEstablished", None)
    assert periods(s.body(), "status") == [("established", None, None)]
    s.describe("BodyEstablished", "2004")  # a dated description after both
    statuses = periods(s.body(), "status")
    assert statuses == [("established", None, None)]  # same status: nothing ends


def test_a_corrected_relocation_and_a_retracted_rename() -> None:
    s = Stream()
    s.describe("BodyDecided", "2001")
    moved = s.add("SeatRelocated", "2003-09", body_id="body/x", seat="Tashkent", seat_state="UZ")
    renamed = s.add("BodyRenamed", "2002", body_id="body/x", name="Other", abbreviation=None)
    s.add("EventCorrected", None, event_id=moved, changes={"valid_time": "2003-09-05"})
    s.add("EventRetracted", None, event_id=renamed)
    rows = s.body()
    assert periods(rows, "seat") == [
        ("Bishkek", "2001", "2003-09-05"),
        ("Tashkent", "2003-09-05", None),
    ]
    assert periods(rows, "name") == [("Centre", "2001", None)]
    tashkent = next(p for p in rows[bodies.PERIODS] if p["seat"] == "Tashkent")
    assert [e["position"] for e in tashkent["events"]] == [2, 4]  # relocated, corrected


def test_no_description_no_rows() -> None:
    s = Stream()
    s.add("BodyRenamed", "2003", body_id="body/x", name="Second", abbreviation=None)
    assert s.body() == {bodies.FACTS: [], bodies.PERIODS: []}


def test_a_term_ends_at_its_recorded_end_or_at_its_ending() -> None:
    s = Stream()
    term = {"term_id": "office/x/a", "body_id": "body/x", "office": "director", "person": "A"}
    s.add("OfficeTermRecorded", "2004", **term, nationality=None, from_date="2004", to_date=None)
    [open_] = offices.derive(held(s.rows))
    assert (open_["valid_from"], open_["valid_to"], open_["end_event_id"]) == ("2004", None, None)
    ended = s.add("OfficeTermEnded", "2006", term_id="office/x/a")
    [closed] = offices.derive(held(s.rows))
    assert (closed["valid_to"], closed["end_event_id"]) == ("2006", ended)
    s.add("EventRetracted", None, event_id=ended)
    assert offices.derive(held(s.rows)) == [open_]


def test_a_mandate_is_open_until_fulfilled() -> None:
    s = Stream()
    given = {"mandate_id": "mandate/m", "by_body": "body/a", "to_body": "body/b", "task": "t"}
    s.add("MandateGiven", "2005", **given, document=None, due_meeting="meeting/m", due_date=None)
    [m] = mandates.derive(held(s.rows))
    assert (m["fulfilled"], m["valid_to"], m["due_meeting"]) == (False, None, "meeting/m")
    s.add("MandateFulfilled", "2006", mandate_id="mandate/m", document="document/d")
    [m] = mandates.derive(held(s.rows))
    assert (m["fulfilled"], m["valid_to"], m["fulfilled_document"]) == (True, "2006", "document/d")
