"""The read-side benchmark's synthetic logs (`bench/synthetic.py`), small, so that the
harness cannot rot: the log appends (through `append_batch`, as the benchmark fills it),
is deterministic from its seed, has the mix it claims, and every read model rebuilt from it
equals what inline application gave (on the in-memory store, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import synthetic
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, runner_for
from sco_registry.store.base import EventStore
from sco_registry.store.memory import InMemoryEventStore


def _summary(events: int, seed: int) -> list[tuple[str, str, str, Any]]:
    return [
        (stream, str(e.event_id), e.type, e.data)
        for unit in synthetic.generate(events, seed)
        for stream, e in unit
    ]


def test_the_log_is_deterministic_from_its_seed_and_exactly_its_size() -> None:
    first = _summary(1_200, 7)
    assert len(first) == 1_200
    assert _summary(1_200, 7) == first
    # The negative control: another seed, another log.
    assert _summary(1_200, 8) != first
    # The smaller log is a prefix of the larger (the benchmark's sizes share their start).
    assert _summary(3_000, 7)[:1_200] == first


def test_the_mix_has_every_family_corrections_and_retractions() -> None:
    types = Counter(t for _, _, t, _ in _summary(8_000, synthetic.SEED))
    for family in (
        "StateRegistered",
        "OrganizationFounded",
        "FoundingMemberJoined",
        "StatusGranted",
        "MemberAdmitted",
        "ExpertGroupFormed",
        "BodyRenamed",
        "SeatRelocated",
        "BodyDissolved",
        "MeetingHeld",
        "MeetingPostponed",
        "MeetingMoved",
        "DocumentSigned",
        "DocumentRatified",
        "DocumentEnteredIntoForce",
        "DocumentAmended",
        "OfficeTermRecorded",
        "OfficeTermEnded",
        "MandateGiven",
        "MandateFulfilled",
        "EventCorrected",
        "EventRetracted",
    ):
        assert types[family] > 0, family
    assert 0.01 < types["EventCorrected"] / 8_000 < 0.05


async def _rows(runner: ProjectionRunner) -> dict[str, list[tuple[Any, ...]]]:
    def work(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for p in runner.projections:
            for key, table in p.tables.items():
                query = sa.select(table).order_by(*table.primary_key.columns)
                out[f"{p.name}.{key}"] = [tuple(r) for r in conn.execute(query)]
        return out

    return await runner.read(work)


@pytest.mark.slow
@pytest.mark.parametrize("events", [250])
async def test_a_filled_log_rebuilds_to_the_rows_inline_application_gave(
    store: EventStore, events: int
) -> None:
    if isinstance(store, InMemoryEventStore):  # its clock: the simulated one, as the bench's
        store = InMemoryEventStore(clock=synthetic.simulated_clock())
    runner = runner_for(cast(ProjectionHost, store), batch_size=100)
    assert await synthetic.fill(store, events) == events
    assert await store.head_position() == events
    inline = await _rows(runner)
    assert sum(map(len, inline.values())) > events  # every model has rows
    assert all(inline[f"{name}.{key}"] for name, key in (("membership", "membership_periods"),
               ("meetings", "rows"), ("documents", "rows"), ("audit", "audit_events")))  # fmt: skip
    assert await runner.rebuild() == events
    assert await _rows(runner) == inline
    with pytest.raises(ValueError, match="not empty"):
        await synthetic.fill(store, 10)
