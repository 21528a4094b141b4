"""Revised files (`import --accept-revisions`): a record imported before whose content changed
becomes corrections of the events it produced; the log keeps both versions, and the streams'
effective state is the revised one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sco_registry.application.compliance import gather_norm_facts
from sco_registry.application.loading import load
from sco_registry.domain import bodies, meetings, membership
from sco_registry.domain.folding import effective
from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.load import ImportSummary, import_files
from sco_registry.store.base import NewEvent, RecordedEvent, StreamState
from sco_registry.store.chain import verify_events
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import clone, every_kind_file, record, write

MEETING = "meeting/heads_of_state/2009"
STATUS = "membership/BY/2015-07-10/status_changed"
HELD = "meeting/heads_of_state/2021"


def as_new(e: RecordedEvent) -> NewEvent:
    return NewEvent(
        type=e.type, data=e.data, valid_time=e.valid_time, schema_version=e.schema_version,
        metadata=e.metadata, sources=e.sources, actor=e.actor, correlation_id=e.correlation_id,
        causation_id=e.causation_id, event_id=e.event_id,
    )  # fmt: skip


def codes(summary: ImportSummary) -> set[tuple[str | None, str]]:
    return {(x.record_id, x.code) for x in summary.problems}


async def imported(
    tmp_path: Path,
) -> tuple[InMemoryEventStore, dict[str, Any], list[RecordedEvent]]:
    store = InMemoryEventStore()
    doc = every_kind_file()
    assert (await import_files([write(tmp_path / "v1.json", doc)], store)).ok
    return store, clone(doc), list(await store.read_all())


async def test_a_revised_date_becomes_a_correction_and_the_state_is_the_revised_one(
    tmp_path: Path,
) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, MEETING).update(start_date="2009-06-16", end_date="2009-06-16")
    v2 = write(tmp_path / "v2.json", doc)
    summary = await import_files([v2], store, accept_revisions=True)
    assert summary.problems == () and summary.revised == 1
    assert summary.already_imported == len(doc["records"]) - 1
    after = await store.read_all()
    assert after[: len(before)] == before  # the original events untouched
    (correction,) = after[len(before) :]
    (held,) = [e for e in before if e.stream_id == MEETING]
    assert correction.stream_id == MEETING and correction.type == "EventCorrected"
    assert correction.data["event_id"] == str(held.event_id)
    assert correction.data["changes"] == {
        "start_date": "2009-06-16",
        "end_date": "2009-06-16",
        "valid_time": "2009-06-16",
    }
    assert correction.data["reason"] == f"revised record {MEETING} in {v2}"
    assert correction.valid_time == PartialDate.parse("2009-06-16")
    assert correction.metadata["record_id"] == MEETING
    state = (await load(store, MEETING, meetings.evolve, meetings.MeetingState())).state
    assert state.start_date == PartialDate.parse("2009-06-16")
    assert held.data["start_date"] == "2009-06-15"  # control: the event as first recorded
    assert verify_events(after).ok
    # The same revised file again: nothing to do.
    again = await import_files([v2], store, accept_revisions=True)
    assert again.ok and again.revised == 0 and again.events_appended == 0
    assert again.already_imported == len(doc["records"])
    # ... and without the flag too: the revision is the record's current version.
    assert (await import_files([v2], store)).ok
    assert await store.head_position() == len(after)


async def test_a_revised_source_is_cited_by_the_correction(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    revised = [{"title": "Better source", "url": "https://example.org/better"}]
    record(doc, MEETING)["sources"] = revised
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert summary.problems == ()
    (correction,) = (await store.read_all())[len(before) :]
    assert correction.data["changes"] == {"sources": [{**revised[0], "article": None}]}
    assert [s.to_json() for s in correction.sources] == revised
    loaded = await load(store, MEETING, meetings.evolve, meetings.MeetingState())
    (held,) = [e for e in loaded.stored if e.type == "MeetingHeld"]
    assert held.data["sources"][0]["title"] == "Synthetic test source"  # as first recorded
    (now,) = effective(loaded.stored)
    assert now.data["sources"] == [{**revised[0], "article": None}]


async def test_a_revised_status_after_changes_the_state_s_status(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, STATUS)["status_after"] = "partner"
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert summary.problems == ()
    (correction,) = (await store.read_all())[len(before) :]
    assert correction.stream_id == "membership/BY"
    assert correction.data["changes"] == {"status_after": "partner"}
    loaded = await load(store, "membership/BY", membership.evolve, membership.MembershipState())
    at = PartialDate.parse("2016")
    assert loaded.state.status_at("organization/sco", at) is membership.MembershipStatus.PARTNER
    # Control: the events as recorded say observer.
    raw = [e for e in loaded.stored if e.type == "StatusChanged"]
    assert raw[0].data["status_after"] == "observer"


async def test_a_meeting_held_then_postponed_is_retracted_and_recorded_anew(
    tmp_path: Path,
) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, HELD)["status"] = "postponed"
    v2 = write(tmp_path / "v2.json", doc)
    summary = await import_files([v2], store, accept_revisions=True)
    assert summary.problems == () and summary.revised == 1
    added = (await store.read_all())[len(before) :]
    assert [e.type for e in added] == ["EventRetracted", "MeetingScheduled", "MeetingPostponed"]
    assert {e.stream_id for e in added} == {HELD}
    state = (await load(store, HELD, meetings.evolve, meetings.MeetingState())).state
    assert state.phase is meetings.MeetingPhase.POSTPONED
    assert (await import_files([v2], store, accept_revisions=True)).events_appended == 0
    # Revised back: the re-recorded events are what the next revision corrects.
    record(doc, HELD)["status"] = "held"
    v3 = write(tmp_path / "v3.json", doc)
    assert (await import_files([v3], store, accept_revisions=True)).problems == ()
    state = (await load(store, HELD, meetings.evolve, meetings.MeetingState())).state
    assert state.phase is meetings.MeetingPhase.HELD
    assert verify_events(await store.read_all()).ok


async def test_without_the_flag_a_revision_is_refused_and_says_how_to_accept_it(
    tmp_path: Path,
) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, MEETING).update(start_date="2009-06-16", end_date="2009-06-16")
    summary = await import_files([write(tmp_path / "v2.json", doc)], store)
    assert codes(summary) == {(MEETING, p.CONFLICTING_RECORD)}
    assert "--accept-revisions" in summary.problems[0].message
    assert await store.read_all() == before


async def test_a_change_to_another_stream_is_not_correctable(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, STATUS)["state"] = "TR"  # the record's events would be Turkey's
    record(doc, MEETING).update(
        start_date="2009-06-16", end_date="2009-06-16"
    )  # correctable, but the import is whole
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert codes(summary) == {(STATUS, p.REVISION_NOT_CORRECTABLE)}
    assert "membership/BY" in summary.problems[0].message
    assert await store.read_all() == before


async def test_another_kind_under_the_same_id_is_not_correctable(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    old = record(doc, "mandate/2005/open")
    doc["records"].remove(old)
    doc["records"].append(
        {**{k: old[k] for k in ("id", "sources", "confidence")}, "kind": "body", "name": "X",
         "category": "process", "status": "decided", "established": None}
    )  # fmt: skip
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert codes(summary) == {("mandate/2005/open", p.REVISION_NOT_CORRECTABLE)}
    assert "kind" in summary.problems[0].message
    assert await store.read_all() == before


async def test_a_changed_note_alone_is_not_correctable(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, MEETING)["note"] = "A second look at the sources."
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert codes(summary) == {(MEETING, p.REVISION_NOT_CORRECTABLE)}
    assert await store.read_all() == before


async def test_check_with_revisions_counts_them_and_writes_nothing(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, MEETING).update(start_date="2009-06-16", end_date="2009-06-16")
    record(doc, STATUS)["status_after"] = "partner"
    path = write(tmp_path / "v2.json", doc)
    checked = await import_files([path], store, accept_revisions=True, check_only=True)
    assert checked.ok and checked.revised == 2 and checked.events_appended == 2
    assert await store.read_all() == before
    real = await import_files([path], store, accept_revisions=True)
    assert real.ok and real.events_appended == 2


async def test_a_revision_the_domain_refuses_appends_nothing(tmp_path: Path) -> None:
    store, doc, before = await imported(tmp_path)
    # The charter would enter into force before its signature.
    record(doc, "document/charter-2002")["in_force_on"] = "2001"
    summary = await import_files([write(tmp_path / "v2.json", doc)], store, accept_revisions=True)
    assert {x.code for x in summary.problems} <= {p.REJECTED_BY_DOMAIN, p.DATES_INCONSISTENT}
    assert summary.problems and await store.read_all() == before


async def test_each_correction_names_its_file_and_the_record_s_new_fingerprint(
    tmp_path: Path,
) -> None:
    store, doc, before = await imported(tmp_path)
    record(doc, MEETING).update(start_date="2009-06-16", end_date="2009-06-16")
    v2 = write(tmp_path / "v2.json", doc)
    assert (await import_files([v2], store, accept_revisions=True)).ok
    (correction,) = (await store.read_all())[len(before) :]
    (held,) = [e for e in before if e.stream_id == MEETING]
    annotations = correction.metadata["record"]
    assert annotations["revision"] == {"file": str(v2), "command": 1, "of": 1}
    assert annotations["fingerprint"] != held.metadata["record"]["fingerprint"]
    assert correction.metadata["idempotency_key"].startswith(f"{MEETING}@")


async def test_a_revision_stopped_part_way_is_completed_by_the_next_import(
    tmp_path: Path,
) -> None:
    """Only the revision's last command makes the new version current: a log holding the
    retraction but not the meeting recorded anew is completed, not taken as done."""
    store, doc, before = await imported(tmp_path)
    record(doc, HELD)["status"] = "postponed"
    v2 = write(tmp_path / "v2.json", doc)
    assert (await import_files([v2], store, accept_revisions=True)).ok
    events = await store.read_all()
    retraction = len(before) + 1  # the first event after the first import
    assert events[retraction - 1].type == "EventRetracted"
    stopped = InMemoryEventStore()
    for e in events[:retraction]:
        await stopped.append(e.stream_id, [as_new(e)], StreamState.ANY)
    state = (await load(stopped, HELD, meetings.evolve, meetings.MeetingState())).state
    assert state.phase is meetings.MeetingPhase.NONE  # control: the meeting is missing
    summary = await import_files([v2], stopped, accept_revisions=True)
    assert summary.ok and summary.revised == 1 and summary.events_appended == 2
    state = (await load(stopped, HELD, meetings.evolve, meetings.MeetingState())).state
    assert state.phase is meetings.MeetingPhase.POSTPONED
    assert (await import_files([v2], stopped, accept_revisions=True)).events_appended == 0


async def test_a_step_added_or_dropped_by_a_revision(tmp_path: Path) -> None:
    change = "body_change/rats/2004/established"
    store, doc, before = await imported(tmp_path)
    record(doc, change)["name"] = "RATS of the SCO"  # established under a new name: a 2nd step
    assert (await import_files([write(tmp_path / "v2.json", doc)], store,
                               accept_revisions=True)).problems == ()  # fmt: skip
    added = (await store.read_all())[len(before) :]
    assert [e.type for e in added] == ["BodyRenamed"]
    assert added[0].metadata["idempotency_key"] == f"{change}#2"
    state = (await load(store, "body/rats", bodies.evolve, bodies.BodyState())).state
    assert state.name == "RATS of the SCO"
    del record(doc, change)["name"]  # the first version again: the renaming is retracted
    assert (await import_files([write(tmp_path / "v3.json", doc)], store,
                               accept_revisions=True)).problems == ()  # fmt: skip
    last = (await store.read_all())[-1]
    assert last.type == "EventRetracted" and last.data["event_id"] == str(added[0].event_id)
    state = (await load(store, "body/rats", bodies.evolve, bodies.BodyState())).state
    assert state.name == "Regional Anti-Terrorist Structure"


async def test_the_norms_read_the_revised_history(tmp_path: Path) -> None:
    """Read models fold corrections too: the meeting revised to postponed is no longer a
    held summit for the declaration's norms."""
    store, doc, _ = await imported(tmp_path)
    held = {m.meeting_id for m in (await gather_norm_facts(store)).meetings}
    assert HELD in held  # control: as first imported
    record(doc, HELD)["status"] = "postponed"
    assert (await import_files([write(tmp_path / "v2.json", doc)], store,
                               accept_revisions=True)).ok  # fmt: skip
    assert {m.meeting_id for m in (await gather_norm_facts(store)).meetings} == held - {HELD}
