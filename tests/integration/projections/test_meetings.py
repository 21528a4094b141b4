"""The meetings read model on every store: rebuild equals inline, corrections and
retractions in both times, postponements and moves, partial dates, and the bundled history's
heads-of-state meetings checked by hand."""

from __future__ import annotations

import uuid

import pytest

from sco_registry.domain.documents import DocumentCategory, DocumentSigned
from sco_registry.domain.meetings import (
    MeetingFormat,
    MeetingHeld,
    MeetingMoved,
    MeetingPostponed,
    MeetingScheduled,
)
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import meetings as mt
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs

P = rs.P
SUMMIT = "meeting/heads_of_state/2030"
HSC = "body/heads_of_state_council"


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    assert await rs.check_rebuild_of_bundled(store, "meetings", mt.LIVE) == 29


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    assert await rs.check_rebuild_of_generated(store, "meetings", mt.LIVE, seed) > 0


def held(start: str, city: str, end: str | None = None) -> MeetingHeld:
    return MeetingHeld(
        valid_time=P(start),
        sources=rs.CITE,
        meeting_id=SUMMIT,
        body_id=HSC,
        start_date=P(start),
        end_date=P(end) if end else None,
        city=city,
        host_state="KZ",
        format=MeetingFormat.IN_PERSON,
        ordinal=30,
        chair="KZ",
        participants=("CN", "KZ"),
        documents=(),
    )


def signed(doc: str, meeting: str) -> DocumentSigned:
    return DocumentSigned(
        valid_time=P("2030-06-01"),
        sources=rs.CITE,
        document_id=doc,
        title="A declaration",
        category=DocumentCategory.DECLARATION,
        place="Astana",
        meeting=meeting,
        parties=("CN", "KZ"),
        founding_parties=(),
        amends=None,
    )


async def test_c_a_correction_changes_current_answers_not_those_known_before(
    store: EventStore,
) -> None:
    r = rs.runner(store)
    summit, doc = uuid.uuid4(), uuid.uuid4()
    await rs.append_all(
        store,
        [
            (SUMMIT, rs.new(held("2030-06-01", "Almaty"), event_id=summit)),  # 1
            ("document/d-2030", rs.new(signed("document/d-2030", SUMMIT), event_id=doc)),  # 2
            (SUMMIT, rs.correction(SUMMIT, summit, city="Astana")),  # 3
            ("document/d-2030", rs.correction("document/d-2030", doc, meeting="meeting/x")),  # 4
        ],
    )
    before = await r.read(lambda c: mt.meeting(c, SUMMIT, 2))
    now = await r.read(lambda c: mt.meeting(c, SUMMIT))
    assert before is not None and now is not None
    assert (before.meeting.city, now.meeting.city) == ("Almaty", "Astana")
    assert [d.document_id for d in before.documents] == ["document/d-2030"]
    assert now.documents == ()  # the corrected signature names another meeting
    assert [p for _, p in now.meeting.events] == [1, 3]
    assert {"title": "a better source", "url": None, "article": None} in now.meeting.sources
    assert (before.meeting.record.recorded_from, before.meeting.record.recorded_to) == (1, 3)
    assert await r.read(lambda c: mt.meetings(c, host_state="KZ", known_at=0)) == []


async def test_c_a_retraction_removes_the_meeting_from_current_answers_only(
    store: EventStore,
) -> None:
    r = rs.runner(store)
    summit = uuid.uuid4()
    await rs.append_all(
        store,
        [
            (SUMMIT, rs.new(held("2030-06-01", "Almaty"), event_id=summit)),
            (SUMMIT, rs.retraction(SUMMIT, summit)),
        ],
    )
    assert await r.read(lambda c: mt.meeting(c, SUMMIT)) is None
    assert await r.read(lambda c: mt.meetings(c)) == []
    kept = await r.read(lambda c: mt.meeting(c, SUMMIT, 1))
    assert kept is not None and kept.meeting.city == "Almaty"


async def test_postponements_and_moves_are_kept_with_their_dates(store: EventStore) -> None:
    r = rs.runner(store)
    scheduled = MeetingScheduled(
        valid_time=P("2030-06-01"),
        sources=rs.CITE,
        meeting_id=SUMMIT,
        body_id=HSC,
        start_date=P("2030-06-01"),
        end_date=P("2030-06-02"),
        city="Almaty",
        host_state="KZ",
        format=MeetingFormat.IN_PERSON,
        ordinal=30,
        chair=None,
    )
    postponed = MeetingPostponed(
        valid_time=P("2030-05"),
        sources=rs.CITE,
        meeting_id=SUMMIT,
        new_start_date=P("2030-09"),
        new_end_date=None,
    )
    moved = MeetingMoved(
        valid_time=P("2030-07-01"),
        sources=rs.CITE,
        meeting_id=SUMMIT,
        city=None,
        host_state=None,
        format=MeetingFormat.VIRTUAL,
    )
    await rs.append_all(store, [(SUMMIT, rs.new(e)) for e in (scheduled, postponed, moved)])
    detail = await r.read(lambda c: mt.meeting(c, SUMMIT))
    assert detail is not None
    m = detail.meeting
    assert (m.status, str(m.start_date), m.end_date, m.city) == (
        "postponed",
        "2030-09",
        None,
        "Almaty",
    )
    assert m.format == "virtual"
    assert [(c["kind"], c["date"]) for c in m.changes] == [
        ("postponed", "2030-05"),
        ("moved", "2030-07-01"),
    ]
    first = await r.read(lambda c: mt.meeting(c, SUMMIT, 1))
    assert first is not None and first.meeting.status == "scheduled"
    assert await r.read(lambda c: mt.meetings(c, status="scheduled")) == []
    assert [x.meeting_id for x in await r.read(lambda c: mt.meetings(c, status="postponed"))] == [
        SUMMIT
    ]


async def test_e_a_meeting_dated_to_a_month_keeps_its_precision_and_its_year(
    store: EventStore,
) -> None:
    r = rs.runner(store)
    await store.append(SUMMIT, [rs.new(held("2030-06", "Almaty"))])
    [m] = await r.read(lambda c: mt.meetings(c, year_from=2030, year_to=2030))
    assert str(m.start_date) == "2030-06" and str(m.period.start) == "2030-06"
    assert await r.read(lambda c: mt.meetings(c, year_from=2031)) == []
    assert await r.read(lambda c: mt.meetings(c, year_to=2029)) == []


# --- (f) the bundled history, checked against its records by hand --------------------------------

# data/sco-history-1996-2012.json: meeting/heads_of_state/2001 ... /2012, ordinals 1 to 12,
# one a year; the 2002 one held in St. Petersburg (RU) on 2002-06-07, where
# document/charter-2002 and document/rats-agreement-2002 name it as their meeting.


async def test_f_heads_of_state_meetings_of_the_bundled_history(store: EventStore) -> None:
    r = rs.runner(store)
    assert (await load_bundled(store)).ok
    found = await r.read(lambda c: mt.meetings(c, body=HSC, year_from=2001, year_to=2012))
    assert [m.ordinal for m in found] == list(range(1, 13))
    assert [m.start_date.year for m in found if m.start_date] == list(range(2001, 2013))
    last = await r.read(lambda c: mt.meetings(c, body=HSC, descending=True))
    assert last[0].meeting_id == "meeting/heads_of_state/2012"
    assert [m.meeting_id for m in await r.read(lambda c: mt.meetings(c, body=HSC, ordinal=2))] == [
        "meeting/heads_of_state/2002"
    ]
    detail = await r.read(lambda c: mt.meeting(c, "meeting/heads_of_state/2002"))
    assert detail is not None
    m = detail.meeting
    assert (m.city, m.host_state, str(m.start_date), str(m.end_date), m.status) == (
        "St. Petersburg",
        "RU",
        "2002-06-07",
        "2002-06-07",
        "held",
    )
    assert [d.document_id for d in detail.documents] == [
        "document/charter-2002",
        "document/rats-agreement-2002",
    ]
    docs = await r.read(lambda c: mt.documents_of_meeting(c, "meeting/heads_of_state/2002"))
    assert [d.document_id for d in docs] == [d.document_id for d in detail.documents]
    # Membership decisions taken there: Mongolia an observer at the 2004 summit.
    tashkent = await r.read(lambda c: mt.meeting(c, "meeting/heads_of_state/2004"))
    assert tashkent is not None
    assert [(p.state, p.status.value) for p in tashkent.decisions] == [("MN", "observer")]
    assert detail.decisions == ()
