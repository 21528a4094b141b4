"""The valid-time half of the meetings, documents, organizations and mandates reads on every
store (`projections/asof.py`, `docs/time.md`): asked as of a day or a partial date they answer
yes, perhaps or no, never an invented day; together with `known_at` they answer in both
times. The bundled history is checked by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sco_registry.db import create_engine, migrate
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.periods import Answer, Period, Span, position_known_at
from sco_registry.domain.time import PartialDate
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import asof
from sco_registry.projections import documents as dc
from sco_registry.projections import mandates as md
from sco_registry.projections import meetings as mt
from sco_registry.projections import organizations as og
from sco_registry.projections.runner import ProjectionRunner
from sco_registry.store.base import EventStore
from sco_registry.store.memory import InMemoryEventStore
from sco_registry.store.sql import SqlEventStore
from tests.integration.projections import every_model as em
from tests.integration.projections import records_support as rs
from tests.integration.projections.test_bodies import small_history as bodies_history

P = PartialDate.parse
D = dt.date.fromisoformat
FIVE, SCO = "organization/shanghai-five", "organization/sco"
YES, NO, PERHAPS = Answer.YES, Answer.NO, Answer.PERHAPS


async def _meetings(r: ProjectionRunner, when: Any, **kw: Any) -> list[tuple[str, Answer | None]]:
    found = await r.read(lambda c: mt.meetings(c, as_of=when, **kw))
    return [(m.meeting_id, m.answer) for m in found]


async def _documents(r: ProjectionRunner, when: Any, **kw: Any) -> list[tuple[str, Answer | None]]:
    found = await r.read(lambda c: dc.documents(c, as_of=when, **kw))
    return [(d.document_id, d.answer) for d in found]


async def _orgs(r: ProjectionRunner, when: Any, **kw: Any) -> list[tuple[str, Answer | None]]:
    found = await r.read(lambda c: og.organizations(c, as_of=when, **kw))
    return [(o.organization_id, o.answer) for o in found]


async def _mandates(r: ProjectionRunner, when: Any, **kw: Any) -> list[tuple[str, Answer | None]]:
    found = await r.read(lambda c: md.mandates(c, as_of=when, **kw))
    return [(m.mandate_id, m.answer) for m in found]


async def test_f_the_bundled_history_as_of_dates(store: EventStore) -> None:
    r = rs.runner(store)
    assert (await load_bundled(store)).ok
    # The Shanghai Five until the SCO's founding on 2001-06-15; both at some time in 2001.
    assert await _orgs(r, D("2001-06-14")) == [(FIVE, YES)]
    assert await _orgs(r, D("2001-06-15")) == [(SCO, YES)]
    assert await _orgs(r, P("2001")) == [(FIVE, YES), (SCO, YES)]
    assert await _orgs(r, P("2001"), span=Span.THROUGHOUT) == []
    assert await _orgs(r, D("1996-04-25")) == []
    sco = await r.read(lambda c: og.organization(c, SCO, as_of=D("2001-06-14")))
    assert sco is not None and sco.answer is NO and sco.founding_members  # still read
    # The first summit took place on its one day; the 2001 Shanghai Five summit on
    # 14 and 15 June, the SCO's founding summit on the 15th.
    assert await _meetings(r, D("1996-04-26")) == [("meeting/shanghai_five/1996", YES)]
    assert await _meetings(r, D("1996-04-27")) == []
    assert await _meetings(r, D("2001-06-15")) == [
        ("meeting/shanghai_five/2001", YES),
        ("meeting/heads_of_state/2001", YES),
    ]
    assert await _meetings(r, D("2001-06-16")) == []
    assert await _meetings(r, P("2009-06"), body="body/heads_of_state_council") == [
        ("meeting/heads_of_state/2009", YES)
    ]
    # Negative control: the meeting's stored period asked as a period (end excluded) would
    # say the one-day summit never took place.
    first = await r.read(lambda c: mt.meeting(c, "meeting/shanghai_five/1996"))
    assert first is not None and first.meeting.period.on(D("1996-04-26")) is NO
    # The Charter and the RATS agreement stand from their signature, 2002-06-07.
    before = await _documents(r, D("2002-06-06"), meeting="meeting/heads_of_state/2002")
    on = await _documents(r, D("2002-06-07"), meeting="meeting/heads_of_state/2002")
    assert (before, on) == (
        [],
        [("document/charter-2002", YES), ("document/rats-agreement-2002", YES)],
    )
    charter = await r.read(lambda c: dc.document(c, "document/charter-2002", as_of=D("2002-06-06")))
    assert charter is not None and charter.answer is NO
    # The 2009 information security agreement was signed some day of June 2009.
    infosec = "document/information-security-agreement-2009"
    for when, answer in ((D("2009-05-31"), NO), (D("2009-06-15"), PERHAPS), (D("2009-07-01"), YES)):
        found = await r.read(lambda c, w=when: dc.document(c, infosec, as_of=w))
        assert found is not None and found.answer is answer, when
    # The Astana mandate on the Secretariat's head stands open from 2005-07-05 (no
    # fulfilment is recorded).
    title = "mandate/2005-07-05/secretariat-head-title"
    assert title not in dict(await _mandates(r, D("2005-07-04")))
    assert dict(await _mandates(r, D("2005-07-05")))[title] is YES
    assert await r.read(lambda c: md.mandates(c)) == await r.read(
        lambda c: md.mandates(c, known_at=None)
    )


async def test_c_e_as_of_answers_in_both_times(store: EventStore) -> None:
    """`every_model.records_history()`: positions as its docstring says."""
    r = rs.runner(store)
    await rs.append_all(store, em.records_history())
    summit, doc, org = em.SUMMIT, em.DOC, em.ORG
    # The summit, first "2030-06" (one day of June), corrected at 6 to 10-11 June.
    assert await _meetings(r, D("2030-06-11"), known_at=5) == [(summit, PERHAPS)]
    assert await _meetings(r, D("2030-06-11")) == [(summit, YES)]
    assert await _meetings(r, D("2030-06-12"), known_at=5) == [(summit, PERHAPS)]
    assert await _meetings(r, D("2030-06-12")) == []
    assert await _meetings(r, D("2030-05-31"), known_at=5) == []
    assert await _meetings(r, P("2030-06"), known_at=5) == [(summit, YES)]
    assert await _meetings(r, P("2030-06"), known_at=5, span=Span.THROUGHOUT) == []
    detail = await r.read(lambda c: mt.meeting(c, summit, 5, as_of=D("2030-06-12")))
    assert detail is not None and detail.meeting.answer is PERHAPS
    assert str(detail.meeting.start_date) == "2030-06"  # the precision as given
    detail = await r.read(lambda c: mt.meeting(c, summit, as_of=D("2030-06-12")))
    assert detail is not None and detail.meeting.answer is NO
    # The 2031 summit, retracted at 10: gone from current answers only.
    assert await _meetings(r, D("2031-05-01"), known_at=9) == [(em.SUMMIT_2031, YES)]
    assert await _meetings(r, D("2031-05-01")) == []
    # The treaty, signed "2030-06" (corrected to 2030-06-10 at 7), superseded in 2035 (12).
    assert await _documents(r, D("2030-06-05"), known_at=6) == [(doc, PERHAPS)]
    assert await _documents(r, D("2030-06-05")) == []
    assert await _documents(r, P("2034")) == [(doc, YES)]
    assert await _documents(r, P("2035")) == [(doc, PERHAPS)]  # superseded some day of it
    assert await _documents(r, P("2035"), known_at=11) == [(doc, YES)]
    assert await _documents(r, D("2036-01-01")) == []
    # The organization, founded "2001-06" (corrected to 2001-06-15 at 11), succeeded in 2040.
    assert await _orgs(r, D("2001-06-10"), known_at=10) == [(org, PERHAPS)]
    assert await _orgs(r, D("2001-06-10")) == []
    found = await r.read(lambda c: og.organization(c, org, 10, as_of=D("2001-06-10")))
    assert found is not None and found.answer is PERHAPS
    found = await r.read(lambda c: og.organization(c, org, as_of=D("2001-06-10")))
    assert found is not None and found.answer is NO
    assert await _orgs(r, P("2040")) == [(org, PERHAPS)]
    assert await _orgs(r, D("2041-01-01")) == []
    assert await _orgs(r, D("2041-01-01"), known_at=12) == [(org, YES)]
    assert await _orgs(r, D("2030-01-01"), known_at=0) == []


async def test_c_e_a_mandate_open_until_a_fulfilment_that_was_retracted(store: EventStore) -> None:
    """The bodies tests' small history: the mandate given 2005-07-05 (11), fulfilled in 2007
    (12), the fulfilment retracted (13)."""
    r = rs.runner(store)
    await rs.append_all(store, bodies_history())
    assert await _mandates(r, D("2005-07-04")) == []
    assert await _mandates(r, D("2008-01-01"), known_at=12) == []
    assert await _mandates(r, P("2007"), known_at=12) == [("mandate/m1", PERHAPS)]
    assert await _mandates(r, P("2007"), known_at=12, span=Span.THROUGHOUT) == []
    assert await _mandates(r, D("2008-01-01")) == [("mandate/m1", YES)]
    [row] = await r.read(lambda c: md.mandates(c, known_at=12))
    assert row.answer is None and row.period == Period.parse("2005-07-05", "2007")


_T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
# Record times by position: a clock that steps back at 4 (the event at 4 recorded before 3).
_CLOCK = [_T0 + dt.timedelta(minutes=m) for m in (0, 10, 20, 15, 30, 30)]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def stepped_store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    ticks = iter(_CLOCK)

    def clock() -> dt.datetime:
        return next(ticks)

    if request.param == "memory":
        yield InMemoryEventStore(clock=clock)
        return
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
        await migrate(url)
    else:
        url = request.getfixturevalue("pg_clone_url")
    sql_store = SqlEventStore(create_engine(url), clock=clock)
    try:
        yield sql_store
    finally:
        await sql_store.close()


async def test_known_at_a_time_is_the_position_reached_then(stepped_store: EventStore) -> None:
    r = rs.runner(stepped_store)
    history = em.records_history()[: len(_CLOCK)]
    await rs.append_all(stepped_store, history)
    log = [(e.position, e.recorded_at) async for e in stepped_store.iter_all()]
    assert [t for _, t in log] == _CLOCK
    asked = sorted({t + d for t in _CLOCK for d in (-ONE_US, dt.timedelta(0), ONE_US)})
    got = [await r.read(lambda c, t=t: asof.position_at(c, t)) for t in asked]
    assert got == [position_known_at(log, t) for t in asked]
    # By hand: at 12:20 three events were recorded; at 12:15 two (the fourth, recorded at
    # 12:15 after the third, is not known before the third); before 12:00 none.
    assert [
        await r.read(lambda c, t=t: asof.position_at(c, t))
        for t in (
            _T0 + dt.timedelta(minutes=20),
            _T0 + dt.timedelta(minutes=15),
            _T0 - ONE_US,
            _T0 + dt.timedelta(hours=1),
        )
    ] == [4, 2, 0, 6]
    # A read known at that time: the organization as the registry held it at 12:10.
    at = await r.read(lambda c: og.organization(c, em.ORG, asof.position_at(c, _T0)))
    assert at is not None and str(at.founded_on) == "2001-06"
    with pytest.raises(InvalidValue) as e:
        await r.read(lambda c: asof.position_at(c, dt.datetime(2026, 1, 1)))
    assert e.value.code == "period.naive_time"


ONE_US = dt.timedelta(microseconds=1)
