"""import_files (importer/load.py): all or nothing, replays, conflicts, order, and the bundled
files, on the in-memory store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sco_registry.application.context import CommandContext
from sco_registry.importer import problems as p
from sco_registry.importer.format import parse_paths
from sco_registry.importer.load import import_files
from sco_registry.store.base import NewEvent
from sco_registry.store.chain import verify_events
from sco_registry.store.errors import HeadMoved, StoreError
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import clone, every_kind_file, record, write

DATA = Path(__file__).parents[3] / "data"
HISTORY = DATA / "sco-history-1996-2012.json"
DECLARATION = DATA / "declaration-2001.json"


def where(summary: Any) -> set[tuple[str, str | None, str | None, str]]:
    return {(Path(x.file).name, x.record_id, x.field, x.code) for x in summary.problems}


async def test_the_bundled_files_import_verify_and_import_again_as_nothing() -> None:
    store = InMemoryEventStore()
    first = await import_files([HISTORY, DECLARATION], store)
    assert first.problems == ()
    assert (first.records_read, first.already_imported, first.rejected) == (120, 0, 0)
    head = await store.head_position()
    assert first.events_appended == head > 120
    assert verify_events(await store.read_all()).ok
    again = await import_files([HISTORY, DECLARATION], store)
    assert again.problems == ()
    assert (again.records_read, again.events_appended, again.already_imported) == (120, 0, 120)
    assert await store.head_position() == head


async def test_every_record_is_in_the_log_under_its_id_as_idempotency_key() -> None:
    store = InMemoryEventStore()
    await import_files([HISTORY, DECLARATION], store)
    events = await store.read_all()
    keys = {e.metadata.get("idempotency_key") for e in events}
    ids = {r["id"] for f in (HISTORY, DECLARATION) for r in json.loads(f.read_text())["records"]}
    assert ids <= keys
    # The organization's founding document is a second command of its record.
    assert {"organization/sco#2", "organization/shanghai-five#2"} <= keys
    assert all(e.actor == "importer" for e in events)
    assert len({e.correlation_id for e in events}) == 1


async def test_the_declaration_file_needs_the_history_file_first() -> None:
    store = InMemoryEventStore()
    alone = await import_files([DECLARATION], store)
    assert {x.code for x in alone.problems} == {p.DANGLING_REFERENCE}
    assert alone.events_appended == 0 and await store.head_position() == 0
    assert (await import_files([HISTORY], store)).problems == ()
    then = await import_files([DECLARATION], store)
    assert then.problems == () and then.records_read == 8 and then.events_appended > 0


async def test_a_synthetic_file_with_every_kind_and_value_imports(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    path = write(tmp_path / "every.json", every_kind_file())
    summary = await import_files([path], store)
    assert summary.problems == ()
    assert summary.records_read == len(every_kind_file()["records"])
    assert summary.events_appended == await store.head_position()
    assert verify_events(await store.read_all()).ok


async def test_records_in_reverse_order_import_the_same_events(tmp_path: Path) -> None:
    forward, backward = InMemoryEventStore(), InMemoryEventStore()
    doc = every_kind_file()
    await import_files([write(tmp_path / "f.json", doc)], forward)
    doc["records"].reverse()
    assert (await import_files([write(tmp_path / "b.json", doc)], backward)).problems == ()

    def facts(events: Any) -> list[tuple[str, str, str]]:
        return sorted((e.stream_id, e.type, json.dumps(e.data, sort_keys=True)) for e in events)

    assert facts(await forward.read_all()) == facts(await backward.read_all())


async def _seeded() -> InMemoryEventStore:
    store = InMemoryEventStore()
    await store.append("test/other", [NewEvent(type="Other", data={})])
    return store


async def test_a_broken_file_is_rejected_with_every_problem_and_nothing_appended(
    tmp_path: Path,
) -> None:
    store = await _seeded()
    doc = every_kind_file()
    record(doc, "meeting/s5/1996")["start_date"] = "1996-04-31"
    record(doc, "meeting/heads_of_state/2002")["host_state"] = "XX"
    record(doc, "document/charter-2002")["meeting"] = "meeting/heads_of_state/1999"
    twin = clone(record(doc, "body/rats"))
    twin["seat"] = "Almaty"
    doc["records"].append(twin)
    del record(doc, "office/rats/director")["person"]
    good = write(tmp_path / "good.json", every_kind_file())
    broken = write(tmp_path / "broken.json", doc)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"format": "sco-registry-history/1", "records": [', encoding="utf-8")
    summary = await import_files([good, broken, bad_json], store)
    assert where(summary) >= {
        ("broken.json", "meeting/s5/1996", "start_date", p.DATE_MALFORMED),
        ("broken.json", "meeting/heads_of_state/2002", "host_state", p.UNKNOWN_STATE),
        ("broken.json", "document/charter-2002", "meeting", p.DANGLING_REFERENCE),
        ("broken.json", "body/rats", "id", p.DUPLICATE_ID),
        ("broken.json", "office/rats/director", "person", p.MISSING_FIELD),
        ("bad.json", None, None, p.BAD_JSON),
    }
    assert not summary.ok and summary.events_appended == 0 and summary.rejected == 6
    assert await store.head_position() == 1


async def test_a_record_imported_before_with_other_content_is_a_conflict(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    doc = every_kind_file()
    assert (await import_files([write(tmp_path / "v1.json", doc)], store)).ok
    head = await store.head_position()
    record(doc, "meeting/heads_of_state/2005")["city"] = "Almaty"
    summary = await import_files([write(tmp_path / "v2.json", doc)], store)
    assert where(summary) == {
        ("v2.json", "meeting/heads_of_state/2005", None, p.CONFLICTING_RECORD)
    }
    assert summary.already_imported == len(doc["records"]) - 1
    assert await store.head_position() == head


async def test_one_id_in_two_files_of_one_import(tmp_path: Path) -> None:
    doc = every_kind_file()
    same = write(tmp_path / "same.json", doc)
    other = clone(doc)
    record(other, "body/rats")["seat"] = "Osh"
    changed = write(tmp_path / "changed.json", other)
    store = InMemoryEventStore()
    twice = await import_files([write(tmp_path / "a.json", doc), same], store)
    assert twice.ok and twice.already_imported == len(doc["records"])
    store = InMemoryEventStore()
    clash = await import_files([write(tmp_path / "a.json", doc), changed], store)
    assert where(clash) == {("changed.json", "body/rats", None, p.CONFLICTING_RECORD)}
    assert await store.head_position() == 0


async def test_a_rule_of_the_domain_broken_by_a_valid_file_appends_nothing(
    tmp_path: Path,
) -> None:
    store = await _seeded()
    doc = every_kind_file()
    # Well-formed, but India is admitted twice: the domain refuses the second admission.
    twice = clone(record(doc, "membership/IN/2017-06-09/admitted"))
    twice["id"] = "membership/IN/2018/admitted"
    twice["date"] = "2018"
    doc["records"].append(twice)
    summary = await import_files([write(tmp_path / "twice.json", doc)], store)
    assert where(summary) == {
        ("twice.json", "membership/IN/2018/admitted", None, p.REJECTED_BY_DOMAIN)
    }
    assert "membership." in summary.problems[0].message
    assert await store.head_position() == 1


async def test_references_that_no_order_can_satisfy_are_a_cycle(tmp_path: Path) -> None:
    doc = every_kind_file()
    record(doc, "organization/shanghai-five")["predecessor"] = "organization/sco"
    summary = await import_files([write(tmp_path / "cycle.json", doc)], InMemoryEventStore())
    assert {(x.record_id, x.code) for x in summary.problems} == {
        ("organization/shanghai-five", p.REFERENCE_CYCLE),
        ("organization/sco", p.REFERENCE_CYCLE),
    }


async def test_progress_counts_records_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    store = InMemoryEventStore()
    path = write(tmp_path / "every.json", every_kind_file())
    await import_files([path], store, progress=lambda done, total: calls.append((done, total)))
    total = len(every_kind_file()["records"])
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == list(range(1, total + 1))


async def test_a_later_file_adds_only_its_own_records(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    assert (await import_files([HISTORY], store)).ok
    head = await store.head_position()
    both = await import_files([HISTORY, DECLARATION], store)
    assert both.ok and both.already_imported == 112
    appended = await store.read_all(after=head)
    assert {e.metadata["record_id"] for e in appended} == {
        r["id"] for r in json.loads(DECLARATION.read_text())["records"]
    }


class _FailingOnce(InMemoryEventStore):
    """A store whose n-th append fails once, as when another writer interferes between the
    rehearsal and the real run. Its batches always find the head moved, so the real run
    takes the one-command-per-transaction path (tests/unit/importer/test_import_batches.py
    stops the batched one)."""

    async def append_batch(self, units: Any, *, expected_head: int) -> Any:
        raise HeadMoved(expected_head, expected_head + 1)

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.appends = 0
        self.fail_at = fail_at

    async def append_many(self, batches: Any, *, idempotency_key: str | None = None) -> Any:
        self.appends += 1
        if self.appends == self.fail_at:
            raise StoreError("interference", code="store.test_interference")
        return await super().append_many(batches, idempotency_key=idempotency_key)


async def test_an_import_stopped_mid_way_completes_when_run_again() -> None:
    store = _FailingOnce(fail_at=40)
    stopped = await import_files([HISTORY, DECLARATION], store)
    assert [(x.code, "store.test_interference" in x.message) for x in stopped.problems] == [
        (p.APPEND_FAILED, True)
    ]
    partial = await store.head_position()
    assert 0 < partial == stopped.events_appended
    resumed = await import_files([HISTORY, DECLARATION], store)
    assert resumed.ok and resumed.already_imported > 0
    clean = InMemoryEventStore()
    await import_files([HISTORY, DECLARATION], clean)
    assert [(e.stream_id, e.type, e.data) for e in await store.read_all()] == [
        (e.stream_id, e.type, e.data) for e in await clean.read_all()
    ]
    assert verify_events(await store.read_all()).ok


async def test_a_context_factory_sets_actor_and_correlation_but_not_the_key(
    tmp_path: Path,
) -> None:
    correlation = uuid.uuid4()

    def ctx(key: str) -> CommandContext:
        return CommandContext(actor="curator", correlation_id=correlation, idempotency_key="x")

    store = InMemoryEventStore()
    path = write(tmp_path / "every.json", every_kind_file())
    assert (await import_files([path], store, ctx_factory=ctx)).ok
    events = await store.read_all()
    assert {(e.actor, e.correlation_id) for e in events} == {("curator", correlation)}
    assert "body/rats" in {e.metadata["idempotency_key"] for e in events}
    assert (await import_files([path], store)).events_appended == 0


async def test_every_event_of_a_record_carries_its_confidence_note_and_fingerprint() -> None:
    store = InMemoryEventStore()
    assert (await import_files([HISTORY, DECLARATION], store)).ok
    raw = {r["id"]: r for f in (HISTORY, DECLARATION) for r in json.loads(f.read_text())["records"]}
    parsed = {
        r.id: r for f in parse_paths([HISTORY, DECLARATION]) if f.file for r in f.file.records
    }
    assert len(parsed) == len(raw) == 120
    for event in await store.read_all():
        if event.stream_id == "reference/states":  # states are no records: no annotations
            assert "record" not in event.metadata
            continue
        source = raw[event.metadata["record_id"]]
        expected = {"confidence": source["confidence"]}
        if "note" in source:
            expected["note"] = source["note"]
        expected["fingerprint"] = parsed[source["id"]].fingerprint
        assert event.metadata["record"] == expected, event.metadata["idempotency_key"]
    # Both steps of a record with two commands carry the record's annotations.
    steps = [e for e in await store.read_all() if e.metadata["record_id"] == "organization/sco"]
    assert {e.metadata["idempotency_key"] for e in steps} == {
        "organization/sco",
        "organization/sco#2",
    }
    assert len({str(e.metadata["record"]) for e in steps}) == 1


def _only_note_changed(doc: dict[str, Any]) -> str:
    record(doc, "mandate/2005/open")["note"] = "Another reading of the sources."
    return "mandate/2005/open"


def _note_added(doc: dict[str, Any]) -> str:
    record(doc, "meeting/heads_of_state/2005")["note"] = "Dates differ by a day."
    return "meeting/heads_of_state/2005"


def _only_confidence_changed(doc: dict[str, Any]) -> str:
    record(doc, "body/rats")["confidence"] = "low"
    return "body/rats"


def _only_sources_changed(doc: dict[str, Any]) -> str:
    record(doc, "body/rats")["sources"] = [{"title": "Another source"}]
    return "body/rats"


def _founding_document_note_changed(doc: dict[str, Any]) -> str:
    # A record of two commands (found, then name the founding document).
    record(doc, "organization/sco")["note"] = "Named in the Charter's preamble."
    return "organization/sco"


@pytest.mark.parametrize(
    "change",
    [
        _only_note_changed,
        _note_added,
        _only_confidence_changed,
        _only_sources_changed,
        _founding_document_note_changed,
    ],
)
async def test_a_record_changed_only_in_its_annotations_is_a_conflict(
    tmp_path: Path, change: Callable[[dict[str, Any]], str]
) -> None:
    store = InMemoryEventStore()
    doc = every_kind_file()
    assert (await import_files([write(tmp_path / "v1.json", doc)], store)).ok
    head = await store.head_position()
    changed = change(doc)
    summary = await import_files([write(tmp_path / "v2.json", doc)], store)
    assert where(summary) == {("v2.json", changed, None, p.CONFLICTING_RECORD)}
    assert summary.events_appended == 0
    assert summary.already_imported == len(doc["records"]) - 1
    assert await store.head_position() == head


async def test_an_unchanged_file_is_already_imported_and_appends_nothing(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    path = write(tmp_path / "every.json", every_kind_file())
    assert (await import_files([path], store)).ok
    head = await store.head_position()
    again = await import_files([path], store)
    assert again.ok and again.events_appended == 0
    assert again.already_imported == len(every_kind_file()["records"])
    assert await store.head_position() == head


async def _without_record_metadata(store: InMemoryEventStore) -> InMemoryEventStore:
    """The same log as imported before records were annotated: no `record` metadata."""
    old = InMemoryEventStore()
    for e in await store.read_all():
        metadata = {k: v for k, v in e.metadata.items() if k != "record"}
        await old.append(
            e.stream_id,
            [NewEvent(type=e.type, data=e.data, valid_time=e.valid_time, metadata=metadata,
                      sources=e.sources, actor=e.actor, correlation_id=e.correlation_id)],
        )  # fmt: skip
    return old


async def test_a_log_imported_before_annotations_compares_command_fingerprints_only(
    tmp_path: Path,
) -> None:
    new = InMemoryEventStore()
    doc = every_kind_file()
    assert (await import_files([write(tmp_path / "v1.json", doc)], new)).ok
    store = await _without_record_metadata(new)
    head = await store.head_position()
    same = await import_files([write(tmp_path / "same.json", doc)], store)
    assert same.ok and same.already_imported == len(doc["records"])
    # A note alone cannot be compared with what the old log does not hold.
    _only_note_changed(doc)
    noted = await import_files([write(tmp_path / "noted.json", doc)], store)
    assert noted.ok and noted.events_appended == 0
    # Another command is a conflict as before.
    record(doc, "meeting/heads_of_state/2005")["city"] = "Almaty"
    summary = await import_files([write(tmp_path / "v2.json", doc)], store)
    assert where(summary) == {
        ("v2.json", "meeting/heads_of_state/2005", None, p.CONFLICTING_RECORD)
    }
    assert await store.head_position() == head
