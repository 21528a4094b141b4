"""The read models of bodies, offices and mandates, end to end, on every store: rebuild
equals inline (bundled and generated histories), known-at-P equals a replay to P,
corrections and retractions in both times, partial dates, and the bundled history's
anti-terrorist structure and Secretariat checked by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog
from sco_registry.domain.bodies import (
    BodyCategory,
    BodyDecided,
    BodyDissolved,
    BodyEstablished,
    BodyRenamed,
    ExpertGroupFormed,
    Permanence,
    SeatRelocated,
)
from sco_registry.domain.corrections import EventCorrected, EventRetracted
from sco_registry.domain.events import Event
from sco_registry.domain.mandates import MandateFulfilled, MandateGiven
from sco_registry.domain.offices import OfficeTermEnded, OfficeTermRecorded
from sco_registry.domain.periods import Answer
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections import bodies as b
from sco_registry.projections import mandates as md
from sco_registry.projections import offices as o
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, runner_for
from sco_registry.store.base import EventStore, NewEvent
from sco_registry.store.memory import InMemoryEventStore
from tests.property import support
from tests.strategies.history import build_history

D = dt.date.fromisoformat
P = PartialDate.parse
MODELS: list[ModuleType] = [b, o, md]
NAMES = {b: "bodies", o: "offices", md: "mandates"}


def runner(store: EventStore) -> ProjectionRunner:
    return runner_for(cast(ProjectionHost, store), batch_size=50)


async def all_rows(r: ProjectionRunner, model: ModuleType) -> dict[str, list[tuple[Any, ...]]]:
    def work(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for key, table in model.LIVE.items():
            query = sa.select(table).order_by(*table.primary_key.columns)
            out[key] = [tuple(row) for row in conn.execute(query)]
        return out

    return await r.read(work)


# --- (a) a rebuild gives exactly the rows inline application gave ------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: NAMES[m])
async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(
    store: EventStore, model: ModuleType
) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    inline = await all_rows(r, model)
    assert all(inline.values())  # every table of the model has rows
    reports = {rep.name: rep for rep in await r.verify()}
    assert reports[NAMES[model]].ok, reports[NAMES[model]]
    await r.rebuild(NAMES[model])
    assert await all_rows(r, model) == inline


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    r = runner(store)
    with tempfile.TemporaryDirectory() as tmp:
        paths = support.write_files(build_history(seed, years=3, files=2), Path(tmp))
        assert (await import_files(paths, store)).ok
    inline = {NAMES[m]: await all_rows(r, m) for m in MODELS}
    assert inline["bodies"][b.PERIODS] and inline["bodies"][b.FACTS]
    await r.rebuild()
    assert {NAMES[m]: await all_rows(r, m) for m in MODELS} == inline
    assert all(rep.ok for rep in await r.verify())


# --- a small history with corrections and retractions ------------------------------------------

CITE = (Citation(title="a test source"),)
X, Y = "body/x", "body/y"


def new(event: Event, *, event_id: uuid.UUID | None = None) -> NewEvent:
    name = catalog.type_name(event)
    return NewEvent(
        type=name,
        data=catalog.to_json(event),
        valid_time=event.valid_time,
        schema_version=catalog.schema_version_of(name),
        event_id=event_id or uuid.uuid4(),
    )


def described(cls: type[Any], date: str | None, body_id: str = X, **over: Any) -> Any:
    fields: dict[str, Any] = {
        "valid_time": None if date is None else P(date),
        "sources": CITE,
        "body_id": body_id,
        "name": "Centre",
        "abbreviation": "C",
        "category": BodyCategory.PERMANENT_BODY,
        "organization_id": "organization/sco",
        "parent": None,
        "permanence": Permanence.PERMANENT,
        "seat": "Bishkek",
        "seat_state": "KG",
        "mandate": None,
        "expires_on": None,
    }
    return cls(**{**fields, **over})


def fix(stream: str, target: uuid.UUID, changes: dict[str, Any]) -> NewEvent:
    return new(
        EventCorrected(
            valid_time=None,
            sources=(Citation(title="a better source"),),
            stream_id=stream,
            event_id=target,
            reason="the sources say so",
            changes=changes,
        )
    )


def gone(stream: str, target: uuid.UUID) -> NewEvent:
    return new(
        EventRetracted(
            valid_time=None, sources=CITE, stream_id=stream, event_id=target, reason="not so"
        )
    )


TERM = "office/x/a"
MANDATE = "mandate/m1"


def small_history() -> list[tuple[str, NewEvent]]:
    """(stream, event), positions from 1: body/x decided 2001-06-15 at Bishkek (1), renamed
    2002-06-07 (2), relocated to Tashkent "2003-09" (3, corrected to 2003-09-05 at 4),
    established 2004-06-17 (5), renamed "2005" (6, retracted at 7); a term at body/x from
    "2004" (8), its person corrected (9), ended 2006 (10); a mandate by body/y to body/x (11),
    fulfilled 2007 (12), the fulfilment retracted (13); body/y an undated temporary expert
    group (14), dissolved "2002-06" (15)."""
    moved, renamed, term, done = (uuid.uuid4() for _ in range(4))
    relocated = SeatRelocated(
        valid_time=P("2003-09"),
        sources=CITE,
        body_id=X,
        seat="Tashkent",
        seat_state="UZ",
        previous_seat="Bishkek",
    )

    def rename(date: str, name: str) -> BodyRenamed:
        return BodyRenamed(
            valid_time=P(date),
            sources=CITE,
            body_id=X,
            name=name,
            abbreviation=None,
            previous_name="",
        )

    recorded = OfficeTermRecorded(
        valid_time=P("2004"),
        sources=CITE,
        term_id=TERM,
        body_id=X,
        office="director",
        person="A. Person",
        nationality="KZ",
        from_date=P("2004"),
        to_date=None,
    )
    given = MandateGiven(
        valid_time=P("2005-07-05"),
        sources=CITE,
        mandate_id=MANDATE,
        by_body=Y,
        to_body=X,
        task="report",
        document=None,
        due_meeting=None,
        due_date=P("2006"),
    )
    return [
        (X, new(described(BodyDecided, "2001-06-15"))),
        (X, new(rename("2002-06-07", "Structure"))),
        (X, new(relocated, event_id=moved)),
        (X, fix(X, moved, {"valid_time": "2003-09-05"})),
        (
            X,
            new(
                described(
                    BodyEstablished,
                    "2004-06-17",
                    name="Structure",
                    abbreviation=None,
                    seat="Tashkent",
                    seat_state="UZ",
                )
            ),
        ),
        (X, new(rename("2005", "Wrong"), event_id=renamed)),
        (X, gone(X, renamed)),
        (TERM, new(recorded, event_id=term)),
        (TERM, fix(TERM, term, {"person": "B. Person"})),
        (TERM, new(OfficeTermEnded(valid_time=P("2006"), sources=CITE, term_id=TERM))),
        (MANDATE, new(given)),
        (
            MANDATE,
            new(
                MandateFulfilled(
                    valid_time=P("2007"), sources=CITE, mandate_id=MANDATE, document=None
                ),
                event_id=done,
            ),
        ),
        (MANDATE, gone(MANDATE, done)),
        (
            Y,
            new(
                described(
                    ExpertGroupFormed,
                    None,
                    Y,
                    name="Experts",
                    category=BodyCategory.EXPERT_GROUP,
                    permanence=Permanence.TEMPORARY,
                    seat=None,
                    seat_state=None,
                    mandate="draft the charter",
                    expires_on=P("2002"),
                )
            ),
        ),
        (Y, new(BodyDissolved(valid_time=P("2002-06"), sources=CITE, body_id=Y))),
    ]


async def append_all(store: EventStore, events: list[tuple[str, NewEvent]]) -> None:
    for stream, event in events:
        await store.append(stream, [event])


def _without_record(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_record(v) for k, v in value.items() if k != "record"}
    if isinstance(value, list | tuple):
        return [_without_record(v) for v in value]
    return value


def facts(row: Any) -> str:
    """A row's facts (a dataclass, nested ones too), without their record times."""
    return json.dumps(_without_record(dataclasses.asdict(row)), sort_keys=True, default=str)


async def known(r: ProjectionRunner, known_at: int | None) -> list[Any]:
    asked: list[Any] = [D("2002-06-07"), D("2003-09-05"), P("2003-09"), P("2005"), D("2006-01-01")]

    def work(conn: Connection) -> list[Any]:
        out: list[Any] = []
        for body_id in (X, Y):
            for fn in (b.status_history, b.name_history, b.seat_history):
                out.append(sorted(facts(p) for p in fn(conn, body_id, known_at)))
            for when in asked:
                at = b.body(conn, body_id, when, known_at)
                out.append(None if at is None else facts(at))
        out.append([facts(t) for t in o.office_history(conn, X, known_at=known_at)])
        out.append([facts(h) for when in asked for h in o.holders(conn, X, when, known_at)])
        out.append([facts(m) for m in md.mandates(conn, known_at=known_at)])
        out.append([facts(a) for a in b.bodies(conn, known_at=known_at)])
        return out

    return await r.read(work)


async def test_b_answers_known_at_each_position_equal_a_replay_up_to_it(store: EventStore) -> None:
    history = small_history()
    r = runner(store)
    await append_all(store, history)
    differs = 0
    for p in range(len(history) + 1):
        replay = InMemoryEventStore()
        fresh = runner(replay)
        await append_all(replay, history[:p])
        assert await known(r, p) == await known(fresh, None), p
        # Negative control: what was known one position earlier is not always the replay.
        if p and await known(r, p - 1) != await known(fresh, None):
            differs += 1
    assert differs == len(history)  # every event of this history changes some answer


# --- (c) corrections and retractions in both times -----------------------------------------------


def seats(periods: list[b.BodyPeriod]) -> list[tuple[str | None, str]]:
    return [(p.seat, str(p.period)) for p in periods]


async def test_c_a_correction_changes_current_answers_not_those_known_before(
    store: EventStore,
) -> None:
    r = runner(store)
    await append_all(store, small_history())
    before = await r.read(lambda c: b.seat_history(c, X, 3))
    assert seats(before) == [("Bishkek", "[2001-06-15, 2003-09)"), ("Tashkent", "[2003-09, ..)")]
    now = await r.read(lambda c: b.seat_history(c, X))
    assert seats(now) == [("Bishkek", "[2001-06-15, 2003-09-05)"), ("Tashkent", "[2003-09-05, ..)")]
    assert [pos for _, pos in now[1].events] == [3, 4]  # relocated, corrected
    assert {"title": "a better source", "url": None, "article": None} in now[1].sources
    assert (before[1].record.recorded_from, before[1].record.recorded_to) == (3, 4)

    async def seat_on(day: str, known_at: int | None) -> list[tuple[str | None, Answer]]:
        at = await r.read(lambda c: b.body(c, X, D(day), known_at))
        assert at is not None
        return [(a.row.seat, a.answer) for a in at.seat]

    assert await seat_on("2003-09-02", 3) == [
        ("Bishkek", Answer.PERHAPS),
        ("Tashkent", Answer.PERHAPS),
    ]
    assert await seat_on("2003-09-02", None) == [("Bishkek", Answer.YES)]
    # The term's person, corrected at 9.
    [held] = await r.read(lambda c: o.holders(c, X, D("2005-01-01"), 8))
    assert held.term.person == "A. Person"
    [held] = await r.read(lambda c: o.holders(c, X, D("2005-01-01")))
    assert (held.term.person, held.term.nationality, held.answer) == ("B. Person", "KZ", Answer.YES)


async def test_c_a_retraction_removes_the_fact_from_current_answers_only(
    store: EventStore,
) -> None:
    r = runner(store)
    await append_all(store, small_history())

    def names(known_at: int | None) -> Callable[[Connection], list[tuple[str | None, str]]]:
        return lambda c: [(p.name, str(p.period)) for p in b.name_history(c, X, known_at)]

    centre = ("Centre", "[2001-06-15, 2002-06-07)")
    assert await r.read(names(6)) == [
        centre,
        ("Structure", "[2002-06-07, 2005)"),
        ("Wrong", "[2005, ..)"),
    ]
    assert await r.read(names(None)) == [centre, ("Structure", "[2002-06-07, ..)")]
    at = await r.read(lambda c: b.body(c, X, known_at=6))
    assert at is not None and at.body.name == "Wrong"
    at = await r.read(lambda c: b.body(c, X))
    assert at is not None and at.body.name == "Structure" and at.body.seat == "Tashkent"
    # The mandate's fulfilment, retracted at 13: fulfilled as known at 12, open now.
    [m12] = await r.read(lambda c: md.mandates(c, to=X, known_at=12))
    [now] = await r.read(lambda c: md.mandates(c, to=X))
    assert (m12.fulfilled, str(m12.period)) == (True, "[2005-07-05, 2007)")
    assert (now.fulfilled, str(now.period), now.due_date) == (False, "[2005-07-05, ..)", "2006")
    assert await r.read(lambda c: md.mandates(c, by=X)) == []


# --- (e) partial dates, expert groups, statuses -------------------------------------------------


async def test_e_statuses_and_partial_dates(store: EventStore) -> None:
    r = runner(store)
    await append_all(store, small_history())
    status = await r.read(lambda c: b.status_history(c, X))
    assert [(p.status, str(p.period)) for p in status] == [
        ("decided", "[2001-06-15, 2004-06-17)"),
        ("established", "[2004-06-17, ..)"),
    ]
    # The term from "2004" to "2006": perhaps on a day of 2004, yes some time in 2004,
    # perhaps on a day of 2006, not after it.
    for day, expected in (("2003-12-31", []), ("2004-03-01", [Answer.PERHAPS])):
        found = await r.read(lambda c, day=day: o.holders(c, X, D(day)))
        assert [h.answer for h in found] == expected, day
    assert [h.answer for h in await r.read(lambda c: o.holders(c, X, P("2004")))] == [Answer.YES]
    assert [h.answer for h in await r.read(lambda c: o.holders(c, X, D("2006-06-01")))] == [
        Answer.PERHAPS
    ]
    assert await r.read(lambda c: o.holders(c, X, D("2007-01-01"))) == []
    # The expert group: undated (from the start of its history), dissolved "2002-06".
    [group] = await r.read(lambda c: b.bodies(c, category=BodyCategory.EXPERT_GROUP))
    assert (group.body.body_id, group.body.permanence, group.body.mandate) == (
        Y,
        "temporary",
        "draft the charter",
    )
    assert (group.body.expires_on, group.body.dissolved_on) == ("2002", "2002-06")
    ys = await r.read(lambda c: b.status_history(c, Y))
    assert [(p.status, str(p.period)) for p in ys] == [
        ("established", "[.., 2002-06)"),
        ("dissolved", "[2002-06, ..)"),
    ]
    on = await r.read(lambda c: b.bodies(c, status_on=D("2002-06-10")))
    assert [(a.body.body_id, [(s.row.status, s.answer) for s in a.status]) for a in on] == [
        (X, [("decided", Answer.YES)]),
        (Y, [("established", Answer.PERHAPS), ("dissolved", Answer.PERHAPS)]),
    ]
    later = await r.read(lambda c: b.bodies(c, status_on=D("2002-07-01")))
    assert [a.body.body_id for a in later] == [X]
    gone_ = await r.read(lambda c: b.bodies(c, status_on=D("2002-07-01"), status="dissolved"))
    assert [a.body.body_id for a in gone_] == [Y]


# --- (f) the bundled history, checked against its records by hand --------------------------------

# data/sco-history-1996-2012.json: body/rats, "Anti-terrorist Center of the SCO" (RATS),
# status decided (no date in the record), planned seat Bishkek (KG); body_change records:
# renamed "Regional Anti-Terrorist Structure" 2002-06-07, seat relocated to Tashkent (UZ)
# 2003-09-05, established 2004-06-17. The Secretariat's heads (office/secretariat/*):
# Zhang Deguang (CN), executive secretary 2004-01 to 2006; Bolat Nurgaliyev (KZ),
# secretary-general 2007-2009; Muratbek Imanaliev (KG), secretary-general 2010-2012.
RATS = "body/rats"


async def test_f_the_anti_terrorist_structure_and_the_secretariat(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    history = await r.read(lambda c: b.seat_history(c, RATS))
    assert [(p.seat, p.seat_state, str(p.period)) for p in history] == [
        ("Bishkek", "KG", "[.., 2003-09-05)"),
        ("Tashkent", "UZ", "[2003-09-05, ..)"),
    ]
    names = await r.read(lambda c: b.name_history(c, RATS))
    assert [(p.name, p.abbreviation, str(p.period)) for p in names] == [
        ("Anti-terrorist Center of the SCO", "RATS", "[.., 2002-06-07)"),
        ("Regional Anti-Terrorist Structure", None, "[2002-06-07, ..)"),
    ]
    status = await r.read(lambda c: b.status_history(c, RATS))
    assert [(p.status, str(p.period)) for p in status] == [
        ("decided", "[.., 2004-06-17)"),
        ("established", "[2004-06-17, ..)"),
    ]

    async def rats_on(day: str) -> tuple[Any, ...]:
        at = await r.read(lambda c: b.body(c, RATS, D(day)))
        assert at is not None
        return tuple(
            [(a.row.status or a.row.name or a.row.seat, a.answer.value) for a in x]
            for x in (at.status, at.name, at.seat)
        )

    assert await rats_on("2003-01-01") == (
        [("decided", "yes")],
        [("Regional Anti-Terrorist Structure", "yes")],
        [("Bishkek", "yes")],
    )
    assert await rats_on("2004-06-17") == (
        [("established", "yes")],
        [("Regional Anti-Terrorist Structure", "yes")],
        [("Tashkent", "yes")],
    )
    heads = await r.read(lambda c: o.office_history(c, "body/secretariat"))
    assert [(t.office, t.person, t.nationality, str(t.period)) for t in heads] == [
        ("executive_secretary", "Zhang Deguang", "CN", "[2004-01, 2006)"),
        ("secretary_general", "Bolat Nurgaliyev", "KZ", "[2007, 2009)"),
        ("secretary_general", "Muratbek Imanaliev", "KG", "[2010, 2012)"),
    ]
    [head] = await r.read(lambda c: o.holders(c, "body/secretariat", D("2008-01-01")))
    assert (head.term.person, head.answer) == ("Bolat Nurgaliyev", Answer.YES)
    sg = await r.read(lambda c: o.office_history(c, "body/secretariat", "secretary_general"))
    assert [t.person for t in sg] == ["Bolat Nurgaliyev", "Muratbek Imanaliev"]
    # The Astana summit's mandate (mandate/2005-07-05/secretariat-head-title), due 2006.
    found = await r.read(lambda c: md.mandates(c, to="body/national_coordinators_council"))
    title = [m for m in found if m.mandate_id == "mandate/2005-07-05/secretariat-head-title"]
    assert [(m.by_body, m.due_date, m.document) for m in title] == [
        ("body/heads_of_state_council", "2006", "document/astana-declaration-2005")
    ]
