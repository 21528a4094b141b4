"""`append_batch` (the import's path): units in order in one transaction, guarded by the
head; in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from sco_registry.store.base import AppendUnit, EventStore, StreamAppend, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import HeadMoved, StoreError, WrongExpectedVersion
from tests.contract.test_store_contract import ev


def unit(key: str | None, *batches: StreamAppend) -> AppendUnit:
    return AppendUnit(batches, key)


async def test_units_append_in_order_with_their_keys_and_results(store: EventStore) -> None:
    await store.append("a", [ev(0)])
    results = await store.append_batch(
        [
            unit("k1", StreamAppend("a", [ev(1)], 1), StreamAppend("b", [ev(2)], 0)),
            unit("k2", StreamAppend("b", [ev(3), ev(4)], 1), StreamAppend("a", [], 2)),
            unit(None, StreamAppend("a", [ev(5)], 2)),
        ],
        expected_head=1,
    )
    assert [(r.first_position, r.last_position) for r in results] == [(2, 3), (4, 5), (6, 6)]
    assert [dict(r.stream_versions) for r in results] == [
        {"a": 2, "b": 1},
        {"b": 3, "a": 2},  # a stream read (no events) with its version, as in append_many
        {"a": 3},
    ]
    log = await store.read_all()
    assert [(e.stream_id, e.stream_version, e.data["n"]) for e in log] == [
        ("a", 1, 0), ("a", 2, 1), ("b", 1, 2), ("b", 2, 3), ("b", 3, 4), ("a", 3, 5),
    ]  # fmt: skip
    assert verify_events(log).ok
    # Each unit's key is recorded as by append_many: the same append again replays.
    again = await store.append_many(
        [StreamAppend("b", [ev(3), ev(4)], 1), StreamAppend("a", [], 5)], idempotency_key="k2"
    )
    assert again.replayed and (again.first_position, again.last_position) == (4, 5)
    assert await store.head_position() == 6


async def test_a_moved_head_appends_nothing(store: EventStore) -> None:
    await store.append("a", [ev(0)])
    await store.append("z", [ev(9)])  # another writer, on a stream the units do not touch
    with pytest.raises(HeadMoved) as caught:
        await store.append_batch([unit("k", StreamAppend("a", [ev(1)], 1))], expected_head=1)
    assert caught.value.code == "store.head_moved" and caught.value.actual == 2
    assert isinstance(caught.value, WrongExpectedVersion)
    assert await store.head_position() == 2
    # Negative control: the same batch at the head as it is goes through.
    await store.append_batch([unit("k", StreamAppend("a", [ev(1)], 1))], expected_head=2)
    assert await store.head_position() == 3


async def test_a_failing_unit_takes_back_the_units_before_it(store: EventStore) -> None:
    await store.append("a", [ev(0)])
    units = [
        unit("k1", StreamAppend("a", [ev(1)], 1)),
        unit("k2", StreamAppend("b", [ev(2)], StreamState.NO_STREAM)),
        # Expects "a" as it was before k1: wrong once k1 is applied.
        unit("k3", StreamAppend("a", [ev(3)], 1)),
    ]
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append_batch(units, expected_head=1)
    assert caught.value.stream_id == "a" and caught.value.actual == 2
    assert [e.data["n"] for e in await store.read_all()] == [0]
    assert await store.stream_version("b") == 0
    # Nothing of it stayed: not the events, not the keys (k1 appends anew, not a replay).
    fresh = await store.append("a", [ev(1)], 1, idempotency_key="k1")
    assert not fresh.replayed and fresh.first_position == 2
    assert verify_events(await store.read_all()).ok


async def test_a_recorded_key_fails_the_batch(store: EventStore) -> None:
    await store.append("a", [ev(0)], idempotency_key="k1")
    with pytest.raises(StoreError) as caught:
        await store.append_batch(
            [unit("k0", StreamAppend("b", [ev(1)])), unit("k1", StreamAppend("a", [ev(0)]))],
            expected_head=1,
        )
    assert caught.value.code == "store.batch_key_recorded"
    assert await store.head_position() == 1


async def test_empty_batches_are_refused(store: EventStore) -> None:
    for units in ([], [unit("k", StreamAppend("a", []))]):
        with pytest.raises(StoreError) as caught:
            await store.append_batch(units, expected_head=0)
        assert caught.value.code == "store.empty_append"
    assert await store.head_position() == 0


async def test_a_batch_racing_an_append_either_lands_whole_first_or_finds_the_head_moved(
    store: EventStore,
) -> None:
    import asyncio

    units = [unit(f"k{i}", StreamAppend(f"s{i}", [ev(i)], 0)) for i in range(20)]
    outcomes = await asyncio.gather(
        store.append_batch(units, expected_head=0),
        store.append("other", [ev(99)]),
        return_exceptions=True,
    )
    log = await store.read_all()
    assert [e.position for e in log] == list(range(1, len(log) + 1))
    assert verify_events(log).ok
    if isinstance(outcomes[0], HeadMoved):
        assert [e.stream_id for e in log] == ["other"]
    else:
        assert not isinstance(outcomes[0], BaseException)
        assert [e.stream_id for e in log] == [f"s{i}" for i in range(20)] + ["other"]


async def test_a_batch_runs_the_inline_projections_in_its_transaction(store: EventStore) -> None:
    from sco_registry.projections.base import ProjectionFailed
    from tests.contract.test_projection_hook import Tally, _checkpoint, _runner, _tally
    from tests.contract.test_projection_hook import ev as pev

    runner = await _runner(store, Tally())
    await store.append_batch(
        [unit("k1", StreamAppend("a", [pev("A")])), unit("k2", StreamAppend("b", [pev("B")]))],
        expected_head=0,
    )
    assert await _tally(runner) == [(1, "a", "A"), (2, "b", "B")]
    assert await _checkpoint(runner) == 2
    # A unit the projection refuses takes the whole batch back: events, rows, checkpoint.
    with pytest.raises(ProjectionFailed):
        await store.append_batch(
            [
                unit("k3", StreamAppend("c", [pev("C")])),
                unit("k4", StreamAppend("d", [pev("Boom")])),
            ],
            expected_head=2,
        )
    assert await store.head_position() == 2
    assert await _tally(runner) == [(1, "a", "A"), (2, "b", "B")]
    assert await _checkpoint(runner) == 2
