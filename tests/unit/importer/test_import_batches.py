"""The import's real run appends the rehearsal's decisions in batches (`append_batch`,
guarded by the head the log was read at) and decides again, one command per transaction,
only when the log moved in between."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.history import BUNDLED, build_history
from sco_registry.application import handle
from sco_registry.application.context import CommandContext
from sco_registry.domain import commands as c
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.importer import load
from sco_registry.importer import problems as p
from sco_registry.importer.load import import_files
from sco_registry.store.base import AppendResult, AppendUnit, StreamAppend, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import StoreError
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import write

BODY = "body/synthetic-group-0"


class _Watched(InMemoryEventStore):
    """Counts the real run's appends; `before_batch` runs once before batch `hook_at`
    (as another writer would, between the rehearsal and the append); `fail_batch` fails that
    batch (1-based) once with a store error; `unguarded` defeats the batch's guards (the
    negative control: the head and every expected version taken as they now are)."""

    def __init__(self) -> None:
        super().__init__()
        self.singles = 0
        self.batches = 0
        self.before_batch: Callable[[], Awaitable[None]] | None = None
        self.fail_batch = 0
        self.hook_at = 1
        self.unguarded = False

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        self.singles += 1
        return await super().append_many(batches, idempotency_key=idempotency_key)

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        self.batches += 1
        if self.before_batch is not None and self.batches >= self.hook_at:
            hook, self.before_batch = self.before_batch, None
            await hook()
        if self.batches == self.fail_batch:
            raise StoreError("interference", code="store.test_interference")
        if self.unguarded:
            expected_head = await self.head_position()
            units = [
                AppendUnit(
                    [StreamAppend(b.stream_id, b.events, StreamState.ANY) for b in u.batches],
                    u.idempotency_key,
                )
                for u in units
            ]
        return await super().append_batch(units, expected_head=expected_head)


def _file(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    doc = build_history(20)
    return write(tmp_path / name, {**doc, "records": records})


async def _body_then_meeting(tmp_path: Path, store: _Watched) -> Path:
    """The log holds the bundled history and a body; the file returned holds a meeting of
    that body in 2006 and the document signed there."""
    records = build_history(20)["records"]
    assert records[0]["id"] == BODY and records[1]["body"] == BODY
    assert (await import_files([BUNDLED, _file(tmp_path, "body.json", records[:1])], store)).ok
    return _file(tmp_path, "meeting.json", records[1:3])


async def _dissolve(store: InMemoryEventStore) -> None:
    command = c.DissolveBody(
        body_id=BODY, date=PartialDate.parse("2005-12-31"), sources=(Citation(title="x"),)
    )
    ctx = CommandContext(actor="curator", correlation_id=uuid.uuid4())
    assert (await handle(command, store, ctx)).events_appended == 1


def _log_shape(events: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            e.stream_id,
            e.stream_version,
            e.type,
            e.data,
            {k: v for k, v in e.metadata.items() if k != "correlation_id"},
        )
        for e in events
    ]


async def test_the_real_run_appends_the_rehearsals_decisions_without_deciding_again(
    tmp_path: Path,
) -> None:
    store = _Watched()
    path = await _body_then_meeting(tmp_path, store)
    store.singles = store.batches = 0
    summary = await import_files([path], store)
    assert summary.ok and summary.events_appended > 0
    assert (store.singles, store.batches) == (0, 1)
    # Importing it again appends nothing (each command kept its idempotency key).
    head = await store.head_position()
    again = await import_files([path], store)
    assert (again.ok, again.events_appended, again.already_imported) == (True, 0, 2)
    assert await store.head_position() == head


async def test_batches_and_the_one_by_one_path_write_the_same_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "h.json", build_history(60))
    batched = _Watched()
    monkeypatch.setattr(load, "BATCH_EVENTS", 7)
    assert (await import_files([BUNDLED, path], batched)).ok
    assert batched.batches > 10 and batched.singles == 0
    one_by_one = _Watched()
    one_by_one.before_batch = lambda: _moved(one_by_one)  # every command decided again
    assert (await import_files([BUNDLED, path], one_by_one)).ok
    assert one_by_one.singles > 60
    log = await batched.read_all()
    other = await one_by_one.read_all()
    assert _log_shape(log) == _log_shape(other[1:])  # less the other writer's event
    assert verify_events(log).ok


async def _moved(store: InMemoryEventStore) -> None:
    await store.append("elsewhere", [_event()])


def _event() -> Any:
    from sco_registry.store.base import NewEvent

    return NewEvent(type="Unrelated", data={})


async def test_a_writer_changing_a_read_stream_before_the_append_is_detected(
    tmp_path: Path,
) -> None:
    store = _Watched()
    path = await _body_then_meeting(tmp_path, store)
    store.before_batch = lambda: _dissolve(store)
    summary = await import_files([path], store)
    # The batch's guard failed; the meeting, decided again on the log as it now is, is
    # refused: the body was dissolved before it.
    assert summary.stopped and [x.code for x in summary.problems] == [p.REJECTED_BY_DOMAIN]
    assert "meeting.body_dissolved" in summary.problems[0].message
    types = [e.type for e in await store.read_all()]
    assert types[-1] == "BodyDissolved"


async def test_negative_control_without_the_guards_the_meeting_lands_after_the_dissolution(
    tmp_path: Path,
) -> None:
    store = _Watched()
    path = await _body_then_meeting(tmp_path, store)
    store.before_batch = lambda: _dissolve(store)
    store.unguarded = True
    summary = await import_files([path], store)
    assert summary.ok and not summary.stopped
    events = await store.read_all()
    dissolved = next(e.position for e in events if e.type == "BodyDissolved")
    # The rule "a dissolved body holds no meeting" is broken: a meeting decided on the log
    # before the dissolution was appended after it.
    assert any(e.stream_id.startswith("meeting/") and e.position > dissolved for e in events)


async def test_a_stopped_batch_keeps_those_before_it_and_the_import_completes_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "h.json", build_history(60))
    monkeypatch.setattr(load, "BATCH_EVENTS", 10)
    store = _Watched()
    assert (await import_files([BUNDLED], store)).ok
    base = await store.head_position()
    store.fail_batch = store.batches + 3
    stopped = await import_files([path], store)
    assert stopped.stopped and [x.code for x in stopped.problems] == [p.APPEND_FAILED]
    assert "store.test_interference" in stopped.problems[0].message
    assert stopped.problems[0].file == str(path)
    partial = await store.head_position()
    assert base < partial and stopped.events_appended == partial - base
    resumed = await import_files([path], store)
    assert resumed.ok and 0 < resumed.already_imported < 60
    clean = _Watched()
    assert (await import_files([BUNDLED], clean)).ok
    assert (await import_files([path], clean)).ok
    assert [(e.stream_id, e.type, e.data) for e in await store.read_all()] == [
        (e.stream_id, e.type, e.data) for e in await clean.read_all()
    ]
    assert verify_events(await store.read_all()).ok


async def test_collections_are_fewer_while_an_import_runs_and_as_before_after_it(
    tmp_path: Path,
) -> None:
    import gc

    before = gc.get_threshold()
    seen: list[int] = []
    store = _Watched()
    await import_files(
        [BUNDLED], store, progress=lambda done, total: seen.append(gc.get_threshold()[0])
    )
    assert seen and set(seen) == {max(before[0], load.IMPORT_GC_THRESHOLD)}
    assert gc.get_threshold() == before

    class _Broken(_Watched):
        async def append_batch(self, units: Any, *, expected_head: int) -> Any:
            assert gc.get_threshold()[0] == max(before[0], load.IMPORT_GC_THRESHOLD)
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        await import_files([BUNDLED], _Broken())
    assert gc.get_threshold() == before  # restored on the way out of a failure too


async def test_a_head_moved_after_some_batches_counts_every_event_the_import_appended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "h.json", build_history(40))
    monkeypatch.setattr(load, "BATCH_EVENTS", 10)
    store = _Watched()
    assert (await import_files([BUNDLED], store)).ok
    base = await store.head_position()
    store.hook_at = store.batches + 3  # two batches land, then another writer appends
    store.before_batch = lambda: _moved(store)
    summary = await import_files([path], store)
    assert summary.ok and store.singles > 0
    assert summary.events_appended == await store.head_position() - base - 1
    again = await import_files([path], store)
    assert again.ok and again.events_appended == 0 and again.already_imported == 40
