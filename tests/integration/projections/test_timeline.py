"""The timeline read model on every store: rebuild equals inline (bundled and generated
histories), corrections and retractions as rows of their own superseding the facts in
record time, partial dates in the order and the range, the keyset paging, and the bundled
history checked by hand."""

from __future__ import annotations

import pytest

from sco_registry.domain.periods import RecordPeriod
from sco_registry.domain.time import PartialDate
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import timeline as t
from sco_registry.store.base import EventStore
from tests.integration.projections.models_support import (
    import_generated,
    rebuild_equals_inline,
    runner,
)
from tests.integration.projections.test_membership import append_all, small_history

P = PartialDate.parse


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    await rebuild_equals_inline(r, "timeline", t.LIVE)


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    r = runner(store)
    await import_generated(store, seed)
    await rebuild_equals_inline(r, "timeline", t.LIVE)


async def test_c_a_correction_supersedes_the_fact_and_shows_as_a_correction(
    store: EventStore,
) -> None:
    r = runner(store)
    await append_all(store, small_history())

    async def mn(known_at: int | None) -> list[t.TimelineEntry]:
        return await r.read(lambda c: t.timeline(c, entity="membership/MN", known_at=known_at))

    [before] = await mn(3)
    assert str(before.period.start) == "2004-06" and before.kind == "membership"
    now = await mn(None)
    assert [(e.kind, e.position) for e in now] == [
        ("membership", 2),
        ("correction", 4),
        ("membership", 7),
    ]
    fact, fix = now[0], now[1]
    assert str(fact.period.start) == "2004-06-17" and fact.record == RecordPeriod(4, None)
    assert before.record == RecordPeriod(2, 4)  # superseded in record time by the correction
    assert fix.corrects == fact.event_id and "valid_time" in fix.summary
    assert fix.sources[0]["title"] == "a better source"


async def test_c_a_retraction_removes_the_fact_from_current_answers_only(
    store: EventStore,
) -> None:
    r = runner(store)
    await append_all(store, small_history())
    before = await r.read(lambda c: t.timeline(c, entity="membership/IN", known_at=5))
    assert [e.kind for e in before] == ["membership"]
    now = await r.read(lambda c: t.timeline(c, entity="membership/IN"))
    assert [e.kind for e in now] == ["retraction"]
    assert now[0].corrects == before[0].event_id
    assert before[0].record == RecordPeriod(3, 6)
    assert await r.read(lambda c: t.timeline(c, kinds={"membership"}, entity="membership/IN")) == []


async def test_e_partial_dates_order_by_their_bounds_and_range_by_what_they_may_cover(
    store: EventStore,
) -> None:
    r = runner(store)
    await append_all(store, small_history())
    # Known at 3, MN's grant is dated "2004-06": it may fall on any day of June.
    june = await r.read(
        lambda c: t.timeline(c, from_=P("2004-06-20"), to=P("2004-06-25"), known_at=3)
    )
    assert [e.entity for e in june] == ["membership/MN"]
    assert june[0].key[:2] == ("2004-06-01", "2004-06-30")
    # Corrected to the 17th, it no longer falls in 20-25 June.
    assert await r.read(lambda c: t.timeline(c, from_=P("2004-06-20"), to=P("2004-06-25"))) == []
    found = await r.read(lambda c: t.timeline(c, from_=P("2004"), to=P("2004")))
    assert [(e.entity, e.kind) for e in found] == [
        ("membership/MN", "membership"),
        ("membership/MN", "correction"),
    ]


async def test_keyset_pages_give_the_whole_timeline_in_its_order(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    whole = await r.read(lambda c: t.timeline(c, limit=10_000))
    assert len(whole) == await store.head_position()  # no corrections: one row per event
    keys = [e.key for e in whole]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    paged: list[t.TimelineEntry] = []
    after = None
    while True:
        page = await r.read(lambda c, after=after: t.timeline(c, after=after, limit=7))
        if not page:
            break
        paged += page
        after = page[-1].key
    assert paged == whole
    # Negative control: a page restarted from its first key skips that entry.
    second = await r.read(lambda c: t.timeline(c, after=whole[0].key, limit=3))
    assert second == whole[1:4]


async def test_f_the_bundled_2002_summit_and_its_year(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    [summit] = await r.read(lambda c: t.timeline(c, entity="meeting/heads_of_state/2002"))
    # By hand from data/sco-history-1996-2012.json: St. Petersburg, 7 June 2002, host Russia,
    # confidence high, the note listing the Charter's signing.
    assert (summit.kind, summit.event_type, summit.record_id) == (
        "meeting",
        "MeetingHeld",
        "meeting/heads_of_state/2002",
    )
    assert str(summit.period.start) == str(summit.period.end) == "2002-06-07"
    assert "city=St. Petersburg" in summit.summary and "host_state=RU" in summit.summary
    assert summit.confidence == "high" and summit.note and "SCO Charter signed" in summit.note
    assert summit.sources
    year = await r.read(lambda c: t.timeline(c, from_=P("2002"), to=P("2002"), kinds={"meeting"}))
    # The only meeting the bundled history dates in 2002 is the summit.
    assert [e.entity for e in year] == ["meeting/heads_of_state/2002"]
    # Negative control: 2001 holds other meetings (and not this one).
    other = await r.read(lambda c: t.timeline(c, from_=P("2001"), to=P("2001"), kinds={"meeting"}))
    assert other and "meeting/heads_of_state/2002" not in [e.entity for e in other]


async def test_an_event_type_the_catalog_does_not_know_is_shown_as_stored(
    store: EventStore,
) -> None:
    import uuid

    from sco_registry.store.base import NewEvent

    r = runner(store)
    await store.append("note/1", [NewEvent(type="Noted", data={"n": 1}, event_id=uuid.uuid4())])
    [row] = await r.read(lambda c: t.timeline(c))
    assert (row.kind, row.event_type, row.summary, row.period.start) == (
        "note",
        "Noted",
        "Noted: n=1",
        None,
    )
    assert row.key == (t.LOWEST, t.HIGHEST, 1)  # undated: first, by position
