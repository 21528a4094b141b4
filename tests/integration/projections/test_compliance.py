"""The compliance read model on every store: rebuild equals inline (bundled and generated
histories), the bundled history's departures by hand under each named reading, a correction
and a retraction in both times, and the read function's filters."""

from __future__ import annotations

import uuid

import pytest

from sco_registry.domain.corrections import EventCorrected, EventRetracted
from sco_registry.domain.norms import (
    CYCLE,
    EVERY_MEMBER_BETWEEN_TURNS,
    NO_CONSECUTIVE_HOST,
    READINGS,
    FindingStatus,
)
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import compliance as cm
from sco_registry.projections.runner import ProjectionRunner
from sco_registry.store.base import EventStore
from tests.integration.projections.models_support import (
    import_generated,
    rebuild_equals_inline,
    runner,
)
from tests.integration.projections.test_membership import CITE, new

CHS, CHG = "body/heads_of_state_council", "body/heads_of_government_council"
SUMMIT_2003 = "meeting/heads_of_state/2003"
DEPARTED, MET = FindingStatus.DEPARTED, FindingStatus.MET


async def found(r: ProjectionRunner, **kw: object) -> list[cm.ComplianceFinding]:
    return await r.read(lambda c: cm.findings(c, **kw))  # type: ignore[arg-type]


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    await rebuild_equals_inline(r, "compliance", cm.LIVE)


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    r = runner(store)
    await import_generated(store, seed)
    await rebuild_equals_inline(r, "compliance", cm.LIVE)


async def test_f_the_bundled_history_departs_where_the_hosts_say(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    standing = await found(r, standing_only=True)
    # The standing readings: 48 findings (12 annual, 23 rotations, 12 admissions, 1 Charter).
    assert len(standing) == 48
    # By hand from the records' hosts: heads of state CN 2001, RU 2002, RU 2003, UZ, KZ,
    # CN 2006 (KG, TJ not yet), KG, TJ, RU, UZ, KZ, CN; heads of government KZ 2001, CN,
    # KG, RU 2005, TJ 2006, UZ, KZ, CN, TJ 2010 (KG, RU not since), RU 2011 (KG not since).
    departed = [(f.year, f.body) for f in standing if f.outcome is DEPARTED]
    assert departed == [(2003, CHS), (2006, CHS), (2010, CHG), (2011, CHG)]
    assert {f.reading for f in standing if f.norm == "rotation"} == {EVERY_MEMBER_BETWEEN_TURNS}
    # Rotation read as "no state hosts two meetings in a row", and as cycles: only Moscow
    # 2003 after St. Petersburg 2002 departs (CN in 2006 opens no objection: the cycle
    # restarted with RU in 2003 and CN had not hosted in it).
    for reading in (NO_CONSECUTIVE_HOST, CYCLE):
        rows = await found(r, rule="rotation", reading=reading)
        assert len(rows) == 23 and all(
            f.reading_text == READINGS[("rotation", reading)] for f in rows
        )
        assert [(f.year, f.body) for f in rows if f.outcome is DEPARTED] == [(2003, CHS)]
    [moscow] = await found(r, year=2003, body=CHS, rule="rotation", reading=NO_CONSECUTIVE_HOST)
    assert moscow.evidence == ("meeting/heads_of_state/2002", SUMMIT_2003)
    # Filters: outcome and year; the Charter signed at the 2002 summit.
    [charter] = await found(r, rule="charter_signed_2002")
    assert charter.outcome is MET and "meeting/heads_of_state/2002" in charter.evidence
    assert all(f.outcome is DEPARTED for f in await found(r, outcome="departed"))
    assert len(await found(r, outcome=DEPARTED)) == 6
    assert {f.year for f in await found(r, year=2005)} == {2005}


async def summit_2003_id(store: EventStore) -> uuid.UUID:
    [held] = await store.read_stream(SUMMIT_2003)
    return held.event_id


async def test_c_a_correction_changes_current_findings_not_those_known_before(
    store: EventStore,
) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    before = await store.head_position()
    fix = EventCorrected(
        valid_time=None,
        sources=CITE,
        stream_id=SUMMIT_2003,
        event_id=await summit_2003_id(store),
        reason="a test: the host said otherwise",
        changes={"host_state": "KZ"},
    )
    await store.append(SUMMIT_2003, [new(fix)])

    async def rotation_2003(known_at: int | None, reading: str) -> FindingStatus:
        [f] = await found(
            r, year=2003, body=CHS, rule="rotation", reading=reading, known_at=known_at
        )
        return f.outcome

    for reading in (EVERY_MEMBER_BETWEEN_TURNS, NO_CONSECUTIVE_HOST, CYCLE):
        assert await rotation_2003(before, reading) is DEPARTED
        assert await rotation_2003(None, reading) is MET
    # KZ then hosts 2005 again before RU and others had their turn.
    [kz] = await found(r, year=2005, body=CHS, rule="rotation", reading=EVERY_MEMBER_BETWEEN_TURNS)
    assert kz.outcome is DEPARTED
    await rebuild_equals_inline(r, "compliance", cm.LIVE)


async def test_c_a_retraction_removes_the_meeting_from_current_findings_only(
    store: EventStore,
) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    before = await store.head_position()
    gone = EventRetracted(
        valid_time=None,
        sources=CITE,
        stream_id=SUMMIT_2003,
        event_id=await summit_2003_id(store),
        reason="a test: no such summit",
    )
    await store.append(SUMMIT_2003, [new(gone)])

    async def annual_2003(known_at: int | None) -> cm.ComplianceFinding:
        [f] = await found(r, year=2003, rule="annual_heads_of_state_meeting", known_at=known_at)
        return f

    was, now = await annual_2003(before), await annual_2003(None)
    assert (was.outcome, now.outcome) == (MET, DEPARTED)
    assert was.evidence == (SUMMIT_2003,) and now.evidence == ()
    assert was.record.recorded_to == before + 1
    assert await found(r, year=2003, body=CHS, rule="rotation") == []
    assert len(await found(r, year=2003, body=CHS, rule="rotation", known_at=before)) == 3


async def test_the_model_gives_what_the_norms_give_over_the_log_itself(store: EventStore) -> None:
    from sco_registry.application.compliance import check_norms

    r = runner(store)
    assert (await load_bundled(store)).ok
    model = [f.as_finding() for f in await found(r, standing_only=True)]
    assert model == await check_norms(store)
    # Negative control: every reading is more than the standing ones.
    assert len(await found(r)) > len(model)
