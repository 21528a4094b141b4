"""Test (b) for every read model at once, on every store: for every position P of a history
with corrections and retractions, each model's rows known at P (whole tables, record time
aside) and the read functions' answers known at P equal those of a fresh replay of the log
up to P into empty tables; the same over a generated history with corrections and
retractions added. Negative controls: the comparison fails, for every model, when the
known-at filter is dropped, and the answers known one position earlier are not always the
replay's."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.projections.base import Projection
from sco_registry.store.base import EventStore, NewEvent
from sco_registry.store.memory import InMemoryEventStore
from tests.integration.projections import every_model as em
from tests.integration.projections import models_support as ms
from tests.integration.projections import records_support as rs

# One history for every store, and the fresh replays of each of its prefixes made once: they
# do not depend on the store under test (each is an empty in-memory log).
HISTORY = em.history()
_REPLAYS: list[tuple[dict[str, em.Tables], dict[str, list[object]]]] = []


async def _replays(projections: list[Projection]) -> list[tuple[dict[str, em.Tables], Any]]:
    if not _REPLAYS:
        for p in range(len(HISTORY) + 1):
            replay = InMemoryEventStore()
            fresh = em.runner(replay)
            await rs.append_all(replay, HISTORY[:p])
            tables = await fresh.read(em.tables_known_at(projections, None))
            _REPLAYS.append((tables, await fresh.read(em.answers_known_at(None))))
    return _REPLAYS


@pytest.mark.slow
async def test_b_every_model_known_at_each_position_equals_a_fresh_replay(
    store: EventStore,
) -> None:
    r = em.runner(store)
    await rs.append_all(store, HISTORY)
    projections = r.projections
    names = {p.name for p in projections}
    assert len(names) == 10
    unfiltered_differs: Counter[str] = Counter()
    earlier_differs: Counter[str] = Counter()
    before: dict[str, list[object]] | None = None
    for p, (want, want_answers) in enumerate(await _replays(projections)):
        got = await r.read(em.tables_known_at(projections, p))
        for name in names:
            assert got[name] == want[name], (p, name)
        got_answers = await r.read(em.answers_known_at(p))
        for model, answers in want_answers.items():
            assert got_answers[model] == answers, (p, model)
        # Negative controls: every row ever (no known-at filter), and what was known one
        # position earlier, are not the replay's.
        unfiltered = await r.read(em.tables_known_at(projections, p, filtered=False))
        unfiltered_differs.update(n for n in names if unfiltered[n] != want[n])
        if before is not None:  # the answers known at p - 1
            earlier_differs.update(m for m in want_answers if before[m] != want_answers[m])
        before = got_answers
    assert set(unfiltered_differs) == names, unfiltered_differs
    assert set(earlier_differs) == set(want_answers), earlier_differs


def _corrections_and_retractions(log: list[tuple[str, NewEvent]]) -> list[tuple[str, NewEvent]]:
    """Some of a generated log's events corrected (a dated one's date given to its year only:
    a coarser date never puts an end before its start) or retracted, deterministically."""
    extra = []
    for i, (stream, e) in enumerate(log):
        if e.type in CORRECTION_TYPES:
            continue
        when = e.data.get("valid_time")
        if i % 7 == 3 and isinstance(when, str) and len(when) > 4:
            extra.append((stream, rs.correction(stream, e.event_id, valid_time=when[:4])))
        elif i % 11 == 5:
            extra.append((stream, rs.retraction(stream, e.event_id)))
    return extra


@pytest.mark.parametrize("seed", [5])
async def test_b_a_generated_history_with_corrections_known_at_p_equals_a_replay(
    store: EventStore, seed: int
) -> None:
    """The replay here is one empty log fed the events one by one, compared at every tenth
    position of the import and at every position of the corrections after it (a fresh
    replay per position would cost a square of the log's length)."""
    r = em.runner(store)
    await ms.import_generated(store, seed)
    log = await em.logged(store)
    extra = _corrections_and_retractions(log)
    assert len(extra) > 5
    await rs.append_all(store, extra)
    events = log + extra
    projections = r.projections
    replay = InMemoryEventStore()
    fresh = em.runner(replay)
    checked, unfiltered_differs = 0, 0
    for p in range(len(events) + 1):
        if p:
            stream, event = events[p - 1]
            await replay.append(stream, [event])
        if p <= len(log) and p % 10:
            continue
        want = await fresh.read(em.tables_known_at(projections, None))
        assert await r.read(em.tables_known_at(projections, p)) == want, p
        unfiltered = await r.read(em.tables_known_at(projections, p, filtered=False))
        unfiltered_differs += unfiltered != want
        checked += 1
    assert checked > len(extra)
    assert unfiltered_differs == checked  # closed rows, or rows not yet made, at every P
