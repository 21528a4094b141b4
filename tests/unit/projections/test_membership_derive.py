"""`membership.derive`: a state's status periods from its membership stream as recorded."""

from __future__ import annotations

import uuid
from typing import Any

from sco_registry.projections.membership import derive

SCO = "organization/sco"
FIVE = "organization/shanghai-five"


class Stream:
    """A membership stream being written: (position, event id, type, data) rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, dict[str, Any]]] = []

    def add(self, type: str, data: dict[str, Any]) -> str:
        event_id = str(uuid.uuid4())
        self.rows.append((len(self.rows) + 1, event_id, type, data))
        return event_id

    def change(
        self, type: str, date: str | None, status: str | None, org: str = SCO, **more: Any
    ) -> str:
        data = {
            "organization_id": org,
            "state": "XX",
            "status_after": status,
            "valid_time": date,
            "meeting": None,
            "document": None,
            "sources": [{"title": type, "url": None, "article": None}],
            **more,
        }
        return self.add(type, data)


def periods(stream: Stream) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (p["organization_id"], p["status"], p["valid_from"], p["valid_to"])
        for p in derive(stream.rows)
    ]


def test_a_change_to_another_status_ends_the_period_and_one_keeping_it_does_not() -> None:
    s = Stream()
    s.change("StatusGranted", "2004-06-17", "observer")
    s.change("ApplicationFiled", "2006", "observer")  # keeps the status: ends nothing
    s.change("MemberAdmitted", "2012-06", "member")
    assert periods(s) == [
        (SCO, "observer", "2004-06-17", "2012-06"),
        (SCO, "member", "2012-06", None),
    ]
    observer = derive(s.rows)[0]
    assert [e["position"] for e in observer["events"]] == [1, 3]  # began by 1, ended by 3
    assert observer["end_position"] == 3 and observer["valid_to_lo"] == "2012-06-01"


def test_a_withdrawal_ends_the_period_and_opens_none() -> None:
    s = Stream()
    s.change("FoundingMemberJoined", "2001-06-15", "founding_member")
    s.change("MemberWithdrew", "2010", None)
    assert periods(s) == [(SCO, "founding_member", "2001-06-15", "2010")]


def test_organizations_have_periods_of_their_own_in_valid_time_order() -> None:
    s = Stream()
    s.change("StatusGranted", "2001", "observer", org=FIVE)
    s.change("FoundingMemberJoined", "2001-06-15", "founding_member")
    s.change("ParticipationBegan", "1996-04-26", "shanghai_five_participant", org=FIVE)
    # By organization id, then valid time (the participation was recorded last).
    assert periods(s) == [
        (SCO, "founding_member", "2001-06-15", None),
        (FIVE, "shanghai_five_participant", "1996-04-26", "2001"),
        (FIVE, "observer", "2001", None),
    ]


def test_corrections_and_retractions_are_applied_and_named() -> None:
    s = Stream()
    granted = s.change("StatusGranted", "2004-06", "observer")
    wrong = s.change("StatusGranted", "2005", "dialogue_partner")
    assert periods(s) == [
        (SCO, "observer", "2004-06", "2005"),
        (SCO, "dialogue_partner", "2005", None),
    ]
    fix = s.add(
        "EventCorrected",
        {
            "stream_id": "membership/XX",
            "event_id": granted,
            "reason": "the day",
            "changes": {"valid_time": "2004-06-17"},
            "valid_time": "2004-06-17",
            "sources": [{"title": "better", "url": None, "article": None}],
        },
    )
    s.add(
        "EventRetracted",
        {
            "stream_id": "membership/XX",
            "event_id": wrong,
            "reason": "no such grant",
            "valid_time": "2005",
            "sources": [{"title": "none", "url": None, "article": None}],
        },
    )
    [only] = derive(s.rows)
    assert (only["status"], only["valid_from"], only["valid_to"]) == (
        "observer",
        "2004-06-17",
        None,
    )
    assert [e["event_id"] for e in only["events"]] == [granted, fix]
    assert [src["title"] for src in only["sources"]] == ["StatusGranted", "better"]


def test_an_undated_status_replaced_by_an_undated_one_is_left_out() -> None:
    s = Stream()
    s.change("StatusGranted", None, "observer")
    s.change("StatusGranted", None, "partner")
    s.change("StatusChanged", "2010", "member")
    assert periods(s) == [(SCO, "partner", None, "2010"), (SCO, "member", "2010", None)]
