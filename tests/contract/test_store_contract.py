"""The one contract every EventStore passes: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sco_registry.domain.time import PartialDate
from sco_registry.store.base import EventStore, NewEvent, Source, StreamAppend, StreamState
from sco_registry.store.chain import GENESIS_HASH, verify_events
from sco_registry.store.errors import IdempotencyConflict, StoreError, WrongExpectedVersion


def ev(
    n: int = 0, *, type: str = "Thing", valid: str | None = "2001-06-15", **data: object
) -> NewEvent:
    return NewEvent(
        type=type,
        data={"n": n, **data},
        valid_time=None if valid is None else PartialDate.parse(valid),
        metadata={"note": "contract"},
        sources=(Source(title="Declaration, Art. 1"),),
        actor="tester",
        correlation_id=uuid.uuid4(),
    )


async def test_empty_log(store: EventStore) -> None:
    assert await store.head_position() == 0
    assert await store.read_all() == []
    assert await store.read_stream("nothing") == []
    assert await store.stream_version("nothing") == 0


async def test_append_assigns_contiguous_positions_and_versions(store: EventStore) -> None:
    r1 = await store.append("s-1", [ev(1), ev(2)], StreamState.NO_STREAM)
    r2 = await store.append("s-2", [ev(3)], StreamState.NO_STREAM)
    r3 = await store.append("s-1", [ev(4)], 2)
    assert (r1.first_position, r1.last_position, dict(r1.stream_versions)) == (1, 2, {"s-1": 2})
    assert (r2.first_position, r2.last_position) == (3, 3)
    assert (r3.first_position, r3.stream_versions["s-1"]) == (4, 3)
    assert not r1.replayed
    log = await store.read_all()
    assert [e.position for e in log] == [1, 2, 3, 4]
    assert [(e.stream_id, e.stream_version) for e in log] == [
        ("s-1", 1),
        ("s-1", 2),
        ("s-2", 1),
        ("s-1", 3),
    ]
    assert await store.head_position() == 4
    assert await store.stream_version("s-1") == 3


async def test_every_field_round_trips(store: EventStore) -> None:
    new = NewEvent(
        type="MeetingHeld",
        schema_version=2,
        data={"city": "Shanghai", "nested": {"list": [1, "two", None, True]}, "ünï": "çødé"},
        valid_time=PartialDate.parse("2001-06"),
        metadata={"record_id": "meeting/heads_of_state/2001"},
        sources=(Source(title="A", url="https://example.org/a"), Source(url="https://b")),
        actor="curator",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
    )
    await store.append("meeting/1", [new])
    (got,) = await store.read_stream("meeting/1")
    assert got.event_id == new.event_id
    assert got.type == "MeetingHeld" and got.schema_version == 2
    assert dict(got.data) == dict(new.data)
    assert dict(got.metadata) == dict(new.metadata)
    assert got.valid_time == PartialDate.parse("2001-06")
    assert str(got.valid_time) == "2001-06"  # precision kept, no invented day
    assert list(got.sources) == list(new.sources)
    assert got.actor == "curator"
    assert got.correlation_id == new.correlation_id and got.causation_id == new.causation_id
    assert got.recorded_at.tzinfo is not None
    assert len(got.hash) == 64


async def test_valid_time_may_be_absent(store: EventStore) -> None:
    await store.append("s", [ev(valid=None)])
    (got,) = await store.read_all()
    assert got.valid_time is None


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        (StreamState.ANY, True),
        (StreamState.NO_STREAM, False),
        (StreamState.STREAM_EXISTS, True),
        (2, True),
        (1, False),
        (3, False),
    ],
)
async def test_expected_version_on_existing_stream(
    store: EventStore, expected: int | StreamState, ok: bool
) -> None:
    await store.append("s", [ev(1), ev(2)])
    if ok:
        await store.append("s", [ev(3)], expected)
        assert await store.stream_version("s") == 3
    else:
        with pytest.raises(WrongExpectedVersion) as info:
            await store.append("s", [ev(3)], expected)
        assert info.value.stream_id == "s"
        assert info.value.actual == 2
        assert info.value.code == "store.wrong_expected_version"
        assert await store.head_position() == 2


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        (StreamState.ANY, True),
        (StreamState.NO_STREAM, True),
        (StreamState.STREAM_EXISTS, False),
        (0, True),
        (1, False),
    ],
)
async def test_expected_version_on_missing_stream(
    store: EventStore, expected: int | StreamState, ok: bool
) -> None:
    if ok:
        await store.append("new", [ev()], expected)
        assert await store.stream_version("new") == 1
    else:
        with pytest.raises(WrongExpectedVersion) as info:
            await store.append("new", [ev()], expected)
        assert info.value.actual is None
        assert await store.head_position() == 0


async def test_conflict_appends_nothing_from_the_batch(store: EventStore) -> None:
    await store.append("s", [ev(1)])
    with pytest.raises(WrongExpectedVersion):
        await store.append("s", [ev(2), ev(3), ev(4)], StreamState.NO_STREAM)
    assert [e.data["n"] for e in await store.read_all()] == [1]


async def test_multi_stream_append_is_atomic(store: EventStore) -> None:
    await store.append("b", [ev(0)])
    result = await store.append_many(
        [
            StreamAppend("a", [ev(1), ev(2)], StreamState.NO_STREAM),
            StreamAppend("b", [ev(3)], 1),
        ]
    )
    assert dict(result.stream_versions) == {"a": 2, "b": 2}
    assert (result.first_position, result.last_position) == (2, 4)
    with pytest.raises(WrongExpectedVersion) as info:
        await store.append_many(
            [
                StreamAppend("a", [ev(5)], 2),  # would hold
                StreamAppend("b", [ev(6)], 1),  # stale: b is at 2
            ]
        )
    assert info.value.stream_id == "b"
    assert await store.head_position() == 4
    assert await store.stream_version("a") == 2


async def test_idempotent_append_returns_first_outcome(store: EventStore) -> None:
    first = await store.append("s", [ev(1), ev(2)], idempotency_key="k-1")
    again = await store.append("s", [ev(1), ev(2)], idempotency_key="k-1")
    assert again.replayed and not first.replayed
    assert (again.first_position, again.last_position) == (
        first.first_position,
        first.last_position,
    )
    assert dict(again.stream_versions) == dict(first.stream_versions)
    assert await store.head_position() == 2


async def test_idempotency_holds_even_when_expected_version_would_now_fail(
    store: EventStore,
) -> None:
    await store.append("s", [ev(1)], StreamState.NO_STREAM, idempotency_key="k")
    again = await store.append("s", [ev(1)], StreamState.NO_STREAM, idempotency_key="k")
    assert again.replayed
    assert await store.head_position() == 1


async def test_idempotency_key_with_other_content_is_refused(store: EventStore) -> None:
    await store.append("s", [ev(1)], idempotency_key="k")
    with pytest.raises(IdempotencyConflict) as info:
        await store.append("s", [ev(2)], idempotency_key="k")
    assert info.value.code == "store.idempotency_conflict"
    with pytest.raises(IdempotencyConflict):
        await store.append("other", [ev(1)], idempotency_key="k")
    assert await store.head_position() == 1


async def test_failed_append_does_not_burn_the_idempotency_key(store: EventStore) -> None:
    await store.append("s", [ev(1)])
    with pytest.raises(WrongExpectedVersion):
        await store.append("s", [ev(2)], StreamState.NO_STREAM, idempotency_key="k")
    result = await store.append("t", [ev(2)], StreamState.NO_STREAM, idempotency_key="k2")
    assert not result.replayed
    retry = await store.append("s", [ev(2)], 1, idempotency_key="k")
    assert not retry.replayed


async def test_empty_and_malformed_appends_are_refused(store: EventStore) -> None:
    with pytest.raises(StoreError) as info:
        await store.append("s", [])
    assert info.value.code == "store.empty_append"
    with pytest.raises(StoreError) as info:
        await store.append_many([StreamAppend("s", [ev()]), StreamAppend("s", [ev()])])
    assert info.value.code == "store.duplicate_stream_in_append"
    with pytest.raises(StoreError):
        await store.append("", [ev()])
    assert await store.head_position() == 0


async def test_duplicate_event_id_is_refused(store: EventStore) -> None:
    e = ev(1)
    await store.append("s", [e])
    with pytest.raises(StoreError):
        await store.append("t", [e])
    assert await store.head_position() == 1


async def test_read_stream_from_version_and_limit(store: EventStore) -> None:
    await store.append("s", [ev(i) for i in range(1, 11)])
    await store.append("other", [ev(99)])
    part = await store.read_stream("s", from_version=4, limit=3)
    assert [e.stream_version for e in part] == [4, 5, 6]
    assert [e.data["n"] for e in await store.read_stream("s", from_version=9)] == [9, 10]


async def test_read_all_after_and_limit_and_iter(store: EventStore) -> None:
    for i in range(7):
        await store.append(f"s-{i % 3}", [ev(i)])
    page = await store.read_all(after=2, limit=3)
    assert [e.position for e in page] == [3, 4, 5]
    assert [e.position for e in await store.read_all(after=7)] == []
    seen = [e.position async for e in store.iter_all(after=1, batch_size=2)]
    assert seen == [2, 3, 4, 5, 6, 7]


async def test_iter_all_in_large_pages_is_read_all(store: EventStore) -> None:
    # Pages above the SQLite inline size, read one page ahead by the SQL store.
    for i in range(0, 230, 10):
        await store.append(f"s-{i % 7}", [ev(n) for n in range(i, i + 10)])
    everything = await store.read_all()
    for after, size in ((0, 40), (5, 33), (0, 230), (0, 231), (200, 50)):
        seen = [e async for e in store.iter_all(after=after, batch_size=size)]
        assert seen == [e for e in everything if e.position > after]
    # A caller that stops early: the page read ahead is dropped, the store reads on.
    it = store.iter_all(batch_size=40)
    first = [await anext(it) for _ in range(45)]
    await it.aclose()  # type: ignore[attr-defined]
    assert first == everything[:45]
    assert [e.position for e in await store.read_all(after=228)] == [229, 230]


async def test_hash_chain_links_every_event(store: EventStore) -> None:
    await store.append("a", [ev(1), ev(2)])
    await store.append_many([StreamAppend("b", [ev(3)]), StreamAppend("c", [ev(4)])])
    log = await store.read_all()
    report = verify_events(log)
    assert report.ok and report.checked == 4
    assert report.head_hash == log[-1].hash != GENESIS_HASH
    assert len({e.hash for e in log}) == 4


async def test_concurrent_appends_to_one_stream_exactly_one_wins(store: EventStore) -> None:
    await store.append("s", [ev(0)])

    async def attempt(i: int) -> bool:
        try:
            await store.append("s", [ev(i)], 1)
            return True
        except WrongExpectedVersion:
            return False

    outcomes = await asyncio.gather(*(attempt(i) for i in range(1, 5)))
    assert sum(outcomes) == 1
    assert await store.stream_version("s") == 2
    assert verify_events(await store.read_all()).ok


async def test_concurrent_appends_to_many_streams_all_land(store: EventStore) -> None:
    async def writer(w: int) -> None:
        for i in range(10):
            await store.append(f"w-{w}", [ev(i)], i)

    await asyncio.gather(*(writer(w) for w in range(4)))
    log = await store.read_all()
    assert [e.position for e in log] == list(range(1, 41))
    assert verify_events(log).ok


async def test_wait_for_events_wakes_up_and_times_out(store: EventStore) -> None:
    assert await store.wait_for_events(0, timeout=0.05) is False

    async def later() -> None:
        await asyncio.sleep(0.05)
        await store.append("s", [ev()])

    task = asyncio.create_task(later())
    woke = await store.wait_for_events(0, timeout=5)
    await task
    assert woke
    assert await store.wait_for_events(0, timeout=0.01) is True


async def test_empty_batch_whose_expected_version_holds_guards_the_append(
    store: EventStore,
) -> None:
    # A batch with no events checks its stream's expected version and writes nothing to it:
    # how a command makes the streams it read for facts part of its consistency check.
    await store.append("fact", [ev(1)])
    result = await store.append_many(
        [
            StreamAppend("w", [ev(2)], StreamState.NO_STREAM),
            StreamAppend("fact", [], 1),
            StreamAppend("absent", [], 0),
        ]
    )
    assert (result.first_position, result.last_position) == (2, 2)
    assert await store.stream_version("fact") == 1
    assert await store.stream_version("absent") == 0
    assert [e.data["n"] for e in await store.read_stream("fact")] == [1]
    assert await store.read_stream("absent") == []
    assert [(e.stream_id, e.data["n"]) for e in await store.read_all()] == [("fact", 1), ("w", 2)]
    assert verify_events(await store.read_all()).ok


@pytest.mark.parametrize(("fact_stream", "expected"), [("fact", 0), ("fact", 2), ("absent", 0)])
async def test_empty_batch_whose_expected_version_fails_refuses_the_whole_append(
    store: EventStore, fact_stream: str, expected: int
) -> None:
    await store.append("fact", [ev(1)])
    if fact_stream == "absent":  # created after it was read as missing
        await store.append("absent", [ev(2)])
    head = await store.head_position()
    with pytest.raises(WrongExpectedVersion) as info:
        await store.append_many(
            [
                StreamAppend("w", [ev(3)], StreamState.NO_STREAM),  # would hold
                StreamAppend(fact_stream, [], expected),
            ]
        )
    assert info.value.stream_id == fact_stream
    assert info.value.actual == 1
    assert await store.head_position() == head
    assert await store.stream_version("w") == 0
    assert await store.stream_version(fact_stream) == 1


async def test_append_of_empty_batches_only_is_refused(store: EventStore) -> None:
    await store.append("fact", [ev(1)])
    with pytest.raises(StoreError) as info:
        await store.append_many([StreamAppend("fact", [], 1), StreamAppend("other", [], 0)])
    assert info.value.code == "store.empty_append"
    assert await store.head_position() == 1
