"""`read_streams`: several streams, each from its version on, as `read_stream` gives them
one by one (PostgreSQL: one statement for them all); and a keyed `recordMeeting` reads its
own stream, the body and the known states in one read there (`loading.read_ahead`), where
it made three (the negative control: no read ahead)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from sco_registry.application import CommandContext, bus, handle
from sco_registry.domain.meetings import RecordMeeting
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.store.base import EventStore, NewEvent
from sco_registry.store.sql import SqlEventStore
from tests.unit.application.test_app_handlers import CHS, SCO_FOUND, run, states

SRC = (Citation("test", "https://example.org"),)


async def test_read_streams_is_read_stream_for_each(store: EventStore) -> None:
    for n in range(1, 6):
        await store.append("s-a", [NewEvent(type="T", data={"n": n})])
        if n % 2:
            await store.append("s-b", [NewEvent(type="T", data={"n": n})])
    starts = {"s-a": 3, "s-b": 1, "s-none": 1, "s-late": 9}
    await store.append("s-late", [NewEvent(type="T", data={})])
    found = await store.read_streams(starts)  # type: ignore[attr-defined]
    assert list(found) == list(starts)
    for stream, start in starts.items():
        assert found[stream] == await store.read_stream(stream, from_version=start)
    assert [e.stream_version for e in found["s-a"]] == [3, 4, 5]
    assert found["s-none"] == found["s-late"] == []


def _ctx(key: str) -> CommandContext:
    return CommandContext(actor="t", correlation_id=uuid.uuid4(), idempotency_key=key)


# On PostgreSQL only (one statement there; SQLite and memory read stream by stream).
@pytest.mark.parametrize(
    "store", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("ahead", [True, False], ids=["read-ahead", "negative-control"])
async def test_a_keyed_record_meeting_reads_its_streams_at_once(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    assert isinstance(store, SqlEventStore) and store._postgres
    await run(store, *states(), SCO_FOUND, CHS)
    if not ahead:
        monkeypatch.setattr(bus, "READ_AHEAD", {})
    reads: list[Any] = []
    runner_read = store._runner.read

    async def counted(work: Any, **kwargs: Any) -> Any:
        if "_read_events" in work.__qualname__:  # (not the append's autocommit call)
            reads.append(work)
        return await runner_read(work, **kwargs)

    monkeypatch.setattr(store._runner, "read", counted)
    for n in range(3):
        meeting = RecordMeeting(
            meeting_id=f"meeting/heads_of_state/{2003 + n}",
            body_id=CHS.body_id,
            start_date=PartialDate.parse(f"{2003 + n}-06-15"),
            host_state="KZ",
            sources=SRC,
        )
        reads.clear()
        result = await handle(meeting, store, _ctx(meeting.meeting_id))
        assert result.events_appended == 1
        assert len(reads) == (1 if ahead else 3)
