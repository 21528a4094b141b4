"""What the import properties share: the Hypothesis settings of each property under the
active profile (registered in conftest.py), writing generated files, SQL stores on a copy
of one migrated database, and the events the log must hold for each record (docs/data.md,
"What each kind of record becomes in the log")."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from hypothesis import settings

from sco_registry.store.base import EventStore, RecordedEvent

PROFILE_ENV = "SCO_REGISTRY_HYPOTHESIS_PROFILE"
FUZZ_FACTOR = 20  # the fuzz profile runs this many times the CI examples


def profile() -> str:
    return os.environ.get(PROFILE_ENV, "ci")


def examples(ci: int) -> settings:
    """The settings of a property that runs `ci` examples in CI (FUZZ_FACTOR times more under
    the fuzz profile)."""
    name = profile()
    count = ci if name == "ci" else ci * FUZZ_FACTOR
    return settings(settings.get_profile(name), max_examples=count)


# Generated files written for import in this session (reported at the end of the run).
WRITTEN = collections.Counter[str]()


def years(ci: int) -> int:
    """The most years of history a property's examples span: `ci` in CI, four times more
    (larger histories, more files) under the fuzz profile."""
    return ci if profile() == "ci" else ci * 4


def write_files(
    files: Sequence[dict[str, Any]], directory: Path, *, backend: str = "SQLite"
) -> list[Path]:
    """Write generated files for an import on `backend` (counted for the run's summary)."""
    WRITTEN[backend] += len(files)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(files):
        path = directory / f"part-{i + 1}.json"
        path.write_text(json.dumps(f, ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


async def migrated_sqlite(directory: Path) -> Path:
    """A migrated, empty SQLite database file to copy for each example."""
    from sco_registry.db import migrate

    path = directory / "template.db"
    await migrate(f"sqlite+aiosqlite:///{path}")
    return path


@contextlib.asynccontextmanager
async def sqlite_copy(template: Path, directory: Path) -> AsyncIterator[EventStore]:
    """A SQL event store on a fresh copy of the migrated template, a file in `directory`."""
    from sco_registry.db import create_engine
    from sco_registry.store.sql import SqlEventStore

    path = directory / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, path)
    store = SqlEventStore(create_engine(f"sqlite+aiosqlite:///{path}"))
    try:
        yield store
    finally:
        await store.close()  # the caller's temporary directory removes the file


def comparable(event: RecordedEvent) -> tuple[Any, ...]:
    """An event as the properties compare it: what it says, not when or by whom it was
    written (ids, record times, hashes and the correlation id differ between runs)."""
    return (
        event.stream_id,
        event.type,
        json.dumps(event.data, sort_keys=True),
        None if event.valid_time is None else str(event.valid_time),
        json.dumps([s.to_json() for s in event.sources], sort_keys=True),
        event.metadata.get("record_id"),
        event.metadata.get("idempotency_key"),
        json.dumps(event.metadata.get("record"), sort_keys=True),
    )


# --- (c): the events each record becomes ---------------------------------------------------

# Every event type a kind may become, as docs/data.md's table lists them (a test compares).
EVENT_TYPES: dict[str, frozenset[str]] = {
    "organization": frozenset(
        {
            "OrganizationFounded",
            "PurposesAdopted",
            "PrinciplesAdopted",
            "OrganizationSucceeded",
            "FoundingDocumentRecorded",
        }
    ),
    "body": frozenset({"BodyDecided", "BodyEstablished", "ExpertGroupFormed"}),
    "body_change": frozenset({"BodyEstablished", "BodyRenamed", "SeatRelocated", "BodyDissolved"}),
    "meeting": frozenset(
        {"MeetingHeld", "MeetingScheduled", "MeetingPostponed", "MeetingCancelled"}
    ),
    "document": frozenset({"DocumentSigned", "DocumentEnteredIntoForce", "DocumentAmended"}),
    "membership": frozenset(
        {
            "ParticipationBegan",
            "FoundingMemberJoined",
            "ApplicationFiled",
            "AdmissionProcedureStarted",
            "ObligationsMemorandumSigned",
            "MemberAdmitted",
            "StatusGranted",
            "StatusMemorandumSigned",
            "StatusChanged",
            "MemberWithdrew",
            "MembershipSuspended",
        }
    ),
    "office_term": frozenset({"OfficeTermRecorded"}),
    "mandate": frozenset({"MandateGiven"}),
}

_MEMBERSHIP_EVENT = {
    "participation_began": "ParticipationBegan",
    "founding_member": "FoundingMemberJoined",
    "application_filed": "ApplicationFiled",
    "admission_procedure_started": "AdmissionProcedureStarted",
    "obligations_memorandum_signed": "ObligationsMemorandumSigned",
    "admitted": "MemberAdmitted",
    "status_granted": "StatusGranted",
    "status_memorandum_signed": "StatusMemorandumSigned",
    "status_changed": "StatusChanged",
    "withdrew": "MemberWithdrew",
    "suspended": "MembershipSuspended",
}

Expected = tuple[str, str, str | None]  # stream, event type, valid time


def expected_events(r: dict[str, Any]) -> list[Expected]:
    """The events a valid record becomes, read from the record alone (FORMAT.md's meaning
    and docs/data.md's table), in no particular order."""
    kind, rid = r["kind"], r["id"]
    if kind == "organization":
        day = r["founded_on"]
        out: list[Expected] = [(rid, "OrganizationFounded", day)]
        out += [(rid, "PurposesAdopted", day)] if r["purposes"] else []
        out += [(rid, "PrinciplesAdopted", day)] if r["principles"] else []
        out += [(r["predecessor"], "OrganizationSucceeded", day)] if r.get("predecessor") else []
        if r.get("founding_document"):
            out.append((rid, "FoundingDocumentRecorded", day))
        return out
    if kind == "body":
        if r["status"] == "decided":
            return [(rid, "BodyDecided", None)]
        event = "ExpertGroupFormed" if r["category"] == "expert_group" else "BodyEstablished"
        return [(rid, event, r.get("established"))]
    if kind == "body_change":
        body, day, change = r["body"], r["date"], r["change"]
        if change == "established":
            out = [(body, "BodyEstablished", day)]
            return out + ([(body, "BodyRenamed", day)] if r.get("name") else [])
        event = {"seat_relocated": "SeatRelocated", "renamed": "BodyRenamed"}.get(
            change, "BodyDissolved"
        )
        return [(body, event, day)]
    if kind == "meeting":
        status = r.get("status") or "held"
        if status == "held":
            return [(rid, "MeetingHeld", r["start_date"])]
        then = "MeetingPostponed" if status == "postponed" else "MeetingCancelled"
        return [(rid, "MeetingScheduled", r["start_date"]), (rid, then, None)]
    if kind == "document":
        out = [(rid, "DocumentSigned", r["signed_on"])]
        if r.get("in_force_on"):
            out.append((rid, "DocumentEnteredIntoForce", r["in_force_on"]))
        if r.get("amends"):
            out.append((r["amends"], "DocumentAmended", r["signed_on"]))
        return out
    if kind == "membership":
        return [(f"membership/{r['state']}", _MEMBERSHIP_EVENT[r["change"]], r["date"])]
    if kind == "office_term":
        return [(rid, "OfficeTermRecorded", r["from"])]
    return [(rid, "MandateGiven", r["date"])]
