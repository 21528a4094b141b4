"""The streams a handler reads for facts are checked at append time (the read set): a
concurrent change to one of them between the read and the append fails the append, the bus
re-runs the handler on fresh facts, and the rule holds. Each scenario also runs with the
check switched off, to show that the rule is then broken (so that the test can fail)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from sco_registry.application import bus, handle
from sco_registry.application import facts as f
from sco_registry.application import handlers as h
from sco_registry.application.handlers import Decision
from sco_registry.domain import commands as c
from sco_registry.domain.documents import DocumentCategory
from sco_registry.domain.errors import RegistryError
from sco_registry.domain.membership import MembershipChange
from sco_registry.store.base import AppendResult, NewEvent, StreamAppend
from sco_registry.store.errors import WrongExpectedVersion
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.application.test_app_handlers import CHS, SIX, SRC, ctx, d, run, world

WITHDRAWAL = c.RecordMembershipChange(
    organization_id="organization/sco",
    state="KG",
    date=d("2003-01-10"),
    change=MembershipChange.WITHDREW,
    status_after=None,
    sources=SRC,
)
SIGNED_BY_SIX = c.RecordDocument(
    document_id="document/agreement-2003",
    title="Agreement",
    category=DocumentCategory.AGREEMENT,
    signed_on=d("2003-09-05"),
    parties=SIX,
    sources=SRC,
)
SCHEDULED = c.ScheduleMeeting(
    meeting_id="meeting/heads_of_state/2020",
    body_id=CHS.body_id,
    start_date=d("2020-07"),
    sources=SRC,
)
HELD = c.HoldMeeting(meeting_id=SCHEDULED.meeting_id, start_date=d("2020-11-10"), sources=SRC)
DISSOLUTION = c.DissolveBody(body_id=CHS.body_id, date=d("2020-09-01"), sources=SRC)


class RacingStore:
    """Runs a competing command just before the first append, as a concurrent writer
    between our read and our append would; notes the appends that failed on a version."""

    def __init__(self, inner: InMemoryEventStore, competing: Any) -> None:
        self.inner, self.competing = inner, competing
        self.appends = 0
        self.conflicts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        self.appends += 1
        if self.competing is not None:
            competing, self.competing = self.competing, None
            await handle(competing, self.inner, ctx())
        try:
            return await self.inner.append_many(batches, idempotency_key=idempotency_key)
        except WrongExpectedVersion as e:
            self.conflicts.append(e.stream_id)
            raise


def count_runs(monkeypatch: pytest.MonkeyPatch, command_type: type[Any]) -> list[int]:
    """Wrap the command's handler in the bus to count how often it decides."""
    runs: list[int] = []
    handler = bus.HANDLERS[command_type]

    async def counted(command: Any, store: Any) -> Decision:
        runs.append(1)
        return await handler(command, store)

    monkeypatch.setitem(bus.HANDLERS, command_type, counted)
    return runs


def no_read_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bus, "_read_checks", lambda expected, written: [])


async def test_a_signatory_withdrawing_meanwhile_is_detected_and_the_signature_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inner = await world()
    store = RacingStore(inner, WITHDRAWAL)
    runs = count_runs(monkeypatch, c.RecordDocument)
    with pytest.raises(RegistryError) as e:
        await handle(SIGNED_BY_SIX, store, ctx())  # type: ignore[arg-type]
    assert e.value.code == "document.signatory_not_member"
    assert store.conflicts == ["membership/KG"]  # the fact stream, not the written one
    assert store.appends == 1 and len(runs) == 2  # re-run on fresh facts, then refused
    assert await inner.read_stream(SIGNED_BY_SIX.document_id) == []
    assert [r.type for r in await inner.read_stream("membership/KG")][-1] == "MemberWithdrew"


async def test_without_the_read_check_the_withdrawal_goes_unseen_and_the_rule_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_read_checks(monkeypatch)
    inner = await world()
    store = RacingStore(inner, WITHDRAWAL)
    await handle(SIGNED_BY_SIX, store, ctx())  # type: ignore[arg-type]
    assert store.conflicts == []
    signed = await inner.read_stream(SIGNED_BY_SIX.document_id)
    assert [r.type for r in signed] == ["DocumentSigned"]
    # The log now holds what the rule forbids: decided afresh, the same signature is refused.
    again = c.RecordDocument(
        document_id="document/agreement-2003-bis",
        title=SIGNED_BY_SIX.title,
        category=SIGNED_BY_SIX.category,
        signed_on=SIGNED_BY_SIX.signed_on,
        parties=SIX,
        sources=SRC,
    )
    with pytest.raises(RegistryError) as e:
        await run(inner, again)
    assert e.value.code == "document.signatory_not_member"


async def test_a_body_dissolved_meanwhile_is_detected_and_the_meeting_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inner = await world()
    await run(inner, SCHEDULED)
    store = RacingStore(inner, DISSOLUTION)
    runs = count_runs(monkeypatch, c.HoldMeeting)
    with pytest.raises(RegistryError) as e:
        await handle(HELD, store, ctx())  # type: ignore[arg-type]
    assert e.value.code == "meeting.body_dissolved"
    assert store.conflicts == [CHS.body_id]
    assert store.appends == 1 and len(runs) == 2
    assert [r.type for r in await inner.read_stream(SCHEDULED.meeting_id)] == ["MeetingScheduled"]
    assert [r.type for r in await inner.read_stream(CHS.body_id)][-1] == "BodyDissolved"


async def test_without_the_read_check_a_dissolved_body_holds_a_meeting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_read_checks(monkeypatch)
    inner = await world()
    await run(inner, SCHEDULED)
    store = RacingStore(inner, DISSOLUTION)
    await handle(HELD, store, ctx())  # type: ignore[arg-type]
    assert store.conflicts == []
    assert [r.type for r in await inner.read_stream(SCHEDULED.meeting_id)] == [
        "MeetingScheduled",
        "MeetingHeld",
    ]
    assert [r.type for r in await inner.read_stream(CHS.body_id)][-1] == "BodyDissolved"
    with pytest.raises(RegistryError) as e:  # what the rule says about that log
        await run(inner, c.RecordMeeting(meeting_id="meeting/x", **_held_again()))
    assert e.value.code == "meeting.body_dissolved"


def _held_again() -> dict[str, Any]:
    return {"body_id": CHS.body_id, "start_date": HELD.start_date, "sources": SRC}


async def test_a_decision_carries_what_it_read_and_the_bus_checks_it() -> None:
    store = await world()
    decision = await h.decide_document(SIGNED_BY_SIX, store)
    assert decision.reads == {
        "reference/states": await store.stream_version("reference/states"),
        **{f"membership/{s}": 1 for s in SIX},
    }
    batches = bus._batches(SIGNED_BY_SIX, decision, ctx(), "fp")
    first = batches[0]
    assert (first.stream_id, len(first.events), first.expected) == (
        SIGNED_BY_SIX.document_id,
        1,
        0,
    )
    checks = {b.stream_id: b.expected for b in batches if not b.events}
    assert checks == dict(decision.reads)


async def test_a_stream_read_as_missing_is_checked_as_still_missing() -> None:
    store = await world()
    reads = f.ReadSet()
    known = await f.known_ids(store, reads, ["document/not-yet", CHS.body_id, None])
    assert known == {CHS.body_id}
    assert reads.versions == {"document/not-yet": 0, CHS.body_id: 1}
    decision = Decision("document/d", {"document/d": 0}, [], reads.versions)
    checks = bus._read_checks(bus._expected_versions(decision), {"document/d"})
    assert [(b.stream_id, b.expected) for b in checks] == [
        (CHS.body_id, 1),
        ("document/not-yet", 0),
    ]
    # Created between the read and the append: the append fails.
    await store.append("document/not-yet", [_any_event()])
    with pytest.raises(WrongExpectedVersion) as e:
        await store.append_many([StreamAppend("document/d", [_any_event()], 0), *checks])
    assert e.value.stream_id == "document/not-yet"
    assert await store.stream_version("document/d") == 0


def _any_event() -> NewEvent:
    return NewEvent(type="Thing", data={})


async def test_a_stream_both_loaded_and_read_at_two_versions_expects_the_older() -> None:
    decision = Decision("a", {"a": 3, "b": 2}, [], {"a": 2, "c": 0})
    assert bus._expected_versions(decision) == {"a": 2, "b": 2, "c": 0}
