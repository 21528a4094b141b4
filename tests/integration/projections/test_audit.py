"""The audit read model on every store: rebuild equals inline, corrections name the event
they correct, known-at, and the bundled `meeting/heads_of_state/2002` checked by hand (its
events, with hashes the chain's verification accepts)."""

from __future__ import annotations

import pytest

from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import audit as a
from sco_registry.store.base import EventStore
from sco_registry.store.chain import GENESIS_HASH, chain_hash, envelope_of, verify_events
from tests.integration.projections.models_support import (
    import_generated,
    rebuild_equals_inline,
    runner,
)
from tests.integration.projections.test_membership import append_all, small_history


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    rows = await r.read(lambda c: a.audit(c, "meeting/heads_of_state/2002"))
    assert rows
    await rebuild_equals_inline(r, "audit", a.LIVE)


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    r = runner(store)
    await import_generated(store, seed)
    await rebuild_equals_inline(r, "audit", a.LIVE)


async def test_f_the_2002_summit_is_audited_with_hashes_the_chain_accepts(
    store: EventStore,
) -> None:
    r = runner(store)
    assert (await load_bundled(store)).ok
    log = [e async for e in store.iter_all()]
    assert verify_events(log).ok
    by_position = {e.position: e for e in log}
    entity = "meeting/heads_of_state/2002"
    rows = await r.read(lambda c: a.audit(c, entity))
    # By hand: the bundled record `meeting/heads_of_state/2002` (St. Petersburg, 7 June
    # 2002) becomes one MeetingHeld event of its stream, loaded by the bootstrap.
    assert [(x.type, x.stream_id, x.record_id) for x in rows] == [("MeetingHeld", entity, entity)]
    for x in rows:
        e = by_position[x.position]
        assert (x.event_id, x.hash, x.actor) == (e.event_id, e.hash, "bootstrap")
        assert (x.correlation_id, x.causation_id) == (e.correlation_id, e.causation_id)
        assert x.recorded_at == e.recorded_at and x.corrects is None
        previous = by_position[x.position - 1].hash if x.position > 1 else GENESIS_HASH
        assert x.previous_hash == previous
        assert chain_hash(x.previous_hash, envelope_of(e)) == x.hash
        # Negative control: the hash does not follow from another predecessor.
        assert (
            chain_hash(GENESIS_HASH if previous != GENESIS_HASH else "1" * 64, envelope_of(e))
            != x.hash
        )
    # An entity nothing made has no audit.
    assert await r.read(lambda c: a.audit(c, "meeting/nowhere")) == []


async def test_c_corrections_name_the_corrected_event_and_known_at_cuts(
    store: EventStore,
) -> None:
    r = runner(store)
    history = small_history()
    await append_all(store, history)
    rows = await r.read(lambda c: a.audit(c, "membership/MN"))
    assert [(x.position, x.type) for x in rows] == [
        (2, "StatusGranted"),
        (4, "EventCorrected"),
        (7, "StatusChanged"),
    ]
    assert rows[1].corrects == (rows[0].event_id, 2)
    assert rows[0].corrects is None
    [gone] = [x for x in await r.read(lambda c: a.audit(c, "membership/IN")) if x.corrects]
    assert gone.type == "EventRetracted" and gone.corrects is not None and gone.corrects[1] == 3
    early = await r.read(lambda c: a.audit(c, "membership/MN", 3))
    assert [x.position for x in early] == [2]
    assert [x.position for x in await r.read(lambda c: a.audit(c, "membership/MN", 1))] == []
