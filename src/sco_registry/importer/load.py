"""Importing history files into the event log: check every file, rehearse the whole import on
an in-memory copy of the log, and only then append, through the application's handlers.

What is appended when: nothing at all if any file has a problem, any record conflicts with
what is already imported, or the domain refuses any command in the rehearsal. The real run
can still fail if another writer changes the log between the rehearsal and the append; the
import then stops at that record, what was appended before it stays (each command is one
transaction), and running the same import again appends only the rest (idempotency keys).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sco_registry.application import facts
from sco_registry.application.bus import fingerprint, handle
from sco_registry.application.context import CommandContext
from sco_registry.application.loading import stored_events
from sco_registry.domain.commands import Command
from sco_registry.domain.corrections import CORRECTION_TYPES, effective
from sco_registry.domain.errors import RegistryError
from sco_registry.importer import problems as p
from sco_registry.importer.format import Known, parse_paths
from sco_registry.importer.mapping import cross_facts, state_commands, steps_for
from sco_registry.importer.order import Step, order_steps
from sco_registry.importer.problems import ImportProblem
from sco_registry.importer.records import AnyRecord, HistoryFile
from sco_registry.store.base import EventStore, NewEvent, RecordedEvent, StreamState
from sco_registry.store.errors import StoreError
from sco_registry.store.memory import InMemoryEventStore

Progress = Callable[[int, int], None]
ContextFactory = Callable[[str], CommandContext]

# The kind of record behind the first command a record becomes (its `record_id` metadata).
_KIND_OF_COMMAND = {
    "FoundOrganization": "organization",
    "RecordBody": "body",
    "EstablishBody": "body_change",
    "RelocateSeat": "body_change",
    "RenameBody": "body_change",
    "DissolveBody": "body_change",
    "RecordMeeting": "meeting",
    "RecordDocument": "document",
    "RecordMembershipChange": "membership",
    "RecordOfficeTerm": "office_term",
    "RecordMandate": "mandate",
}


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """`rejected`: records (or, for a file-level problem, files) with a problem."""

    records_read: int
    events_appended: int
    already_imported: int
    rejected: int
    problems: tuple[ImportProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class _Log:
    """What the log says about earlier imports: record ids with their kinds, the command
    fingerprint recorded under each idempotency key, and the fingerprint of the whole record
    (`record.fingerprint` metadata) under each key whose events carry one."""

    events: list[RecordedEvent] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)


async def _read_log(store: EventStore) -> _Log:
    log = _Log()
    async for event in store.iter_all():
        log.events.append(event)
        meta = event.metadata
        record_id, key, fp = (
            meta.get("record_id"),
            meta.get("idempotency_key"),
            meta.get("command_fingerprint"),
        )
        if isinstance(record_id, str):
            kind = _KIND_OF_COMMAND.get(str(meta.get("command")))
            if kind is not None and record_id not in log.ids:
                log.ids[record_id] = kind
        else:
            # Recorded without a history record (a mutation): its stream is its id; the kind
            # is unknown, so the format check accepts a reference to it of any kind.
            log.ids.setdefault(event.stream_id, "")
        if isinstance(key, str) and isinstance(fp, str):
            log.keys.setdefault(key, fp)
        annotations = meta.get("record")
        if isinstance(key, str) and isinstance(annotations, Mapping):
            record_fp = annotations.get("fingerprint")
            if isinstance(record_fp, str):
                log.records.setdefault(key, record_fp)
    return log


def _rejected(problems: Iterable[ImportProblem]) -> int:
    return len({(x.file, x.record_id) for x in problems})


async def import_files(
    paths: Sequence[str | Path],
    store: EventStore,
    *,
    actor: str = "importer",
    ctx_factory: ContextFactory | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import `paths` in order (each may refer to records of those before it).

    `ctx_factory(key)` gives the context of the command with idempotency key `key` (the
    actor, correlation and causation ids); by default `actor` and one correlation id for
    the import. Whatever it returns, the key is the step's (replays depend on it), and so
    are the annotations: the record's confidence, note and fingerprint (`_annotations`).
    """
    log = await _read_log(store)
    # Read to check references while parsing, not for a decision: no read set to keep.
    known = Known(log.ids, await facts.known_states(store, facts.ReadSet()))
    parsed = parse_paths(paths, known)
    read = sum(f.count for f in parsed)
    problems = [x for f in parsed for x in f.problems]
    if problems:
        return ImportSummary(read, 0, 0, _rejected(problems), tuple(problems))
    files = [f.file for f in parsed if f.file is not None]
    plan = _plan(files, log)
    if plan.problems:
        return ImportSummary(read, 0, plan.already, _rejected(plan.problems), plan.problems)
    if ctx_factory is None:
        correlation = uuid.uuid4()  # one import, one correlation id for all its events

        def ctx_factory(key: str) -> CommandContext:
            return CommandContext(actor=actor, correlation_id=correlation, idempotency_key=key)

    given = ctx_factory

    def keyed(key: str) -> CommandContext:
        return replace(given(key), idempotency_key=key)

    rehearsal = await _run(await _copy(log), plan, keyed, None, stop_at_first=False)
    if rehearsal.problems:
        return ImportSummary(
            read, 0, plan.already, _rejected(rehearsal.problems), rehearsal.problems
        )
    real = await _run(store, plan, keyed, progress, stop_at_first=True)
    return ImportSummary(read, real.appended, plan.already, _rejected(real.problems), real.problems)


@dataclass(frozen=True, slots=True)
class _Plan:
    states: list[tuple[str, Command]]
    steps: list[Step]
    records: int  # records with steps to run
    already: int
    problems: tuple[ImportProblem, ...]


def _plan(files: Sequence[HistoryFile], log: _Log) -> _Plan:
    """The steps still to run, in order; records already imported; conflicts and cycles."""
    everything: list[tuple[str, AnyRecord]] = [(f.path, r) for f in files for r in f.records]
    facts = cross_facts((r for _, r in everything), _recorded_founding(log))
    first_seen: dict[str, tuple[str, str]] = {}
    pending: list[Step] = []
    problems: list[ImportProblem] = []
    already = records = 0
    for path, record in everything:
        if record.id in first_seen:  # the same id in two files of this import
            other, fp = first_seen[record.id]
            if fp == record.fingerprint:
                already += 1
            else:
                problems.append(_conflict(path, record, f"{other} holds it with other content"))
            continue
        first_seen[record.id] = (path, record.fingerprint)
        steps = steps_for(path, record, facts)
        todo = [s for s in steps if s.key not in log.keys]
        changed = [s for s in steps if s.key in log.keys and _changed(s, log)]
        if changed:
            problems.append(_conflict(path, record, "it was imported before with other content"))
        elif todo:
            pending.extend(todo)
            records += 1
        else:
            already += 1
    ordered, cycles = order_steps(pending)
    states: list[tuple[str, Command]] = list(state_commands(files))
    return _Plan(states, ordered, records, already, tuple(problems + cycles))


def _recorded_founding(log: _Log) -> dict[str, tuple[str, ...]]:
    """The founding parties of every document signed in the log, as its stream now holds
    them (corrections applied): document id -> states."""
    streams: dict[str, list[RecordedEvent]] = {}
    for e in log.events:
        if e.type in ("DocumentSigned", *CORRECTION_TYPES):
            streams.setdefault(e.stream_id, []).append(e)
    out: dict[str, tuple[str, ...]] = {}
    for stream, events in streams.items():
        for signed in effective(stored_events(events)):
            if signed.type == "DocumentSigned":
                out[stream] = tuple(signed.data.get("founding_parties") or ())
    return out


def _fp(step: Step) -> str:
    return fingerprint(step.command)


def _changed(step: Step, log: _Log) -> bool:
    """Whether the step, already in the log under its key, was imported with other content:
    another command (its fingerprint), or another record behind the same command (the
    record's fingerprint, which also covers its sources, confidence and note).

    Backward compatible: events imported before records were annotated carry no `record`
    metadata; for them only the command fingerprints are compared."""
    if log.keys[step.key] != _fp(step):
        return True
    stored = log.records.get(step.key)
    return stored is not None and stored != step.record.fingerprint


def _annotations(record: AnyRecord) -> dict[str, Any]:
    """What the log keeps about the record behind every event of its commands (the
    context's `annotations`, metadata `record`): facts about the record, not the event."""
    out: dict[str, Any] = {"confidence": record.confidence.value}
    if record.note is not None:
        out["note"] = record.note
    out["fingerprint"] = record.fingerprint
    return out


def _conflict(path: str, record: AnyRecord, why: str) -> ImportProblem:
    return ImportProblem(
        path, record.id, None, p.CONFLICTING_RECORD, f"record {record.id} conflicts: {why}"
    )


async def _copy(log: _Log) -> InMemoryEventStore:
    """An in-memory log holding the same events (same ids, data and metadata), for the
    rehearsal. Linear in the log's size, which is fine for a registry of history."""
    copy = InMemoryEventStore()
    for e in log.events:
        event = NewEvent(
            type=e.type, data=e.data, valid_time=e.valid_time, schema_version=e.schema_version,
            metadata=e.metadata, sources=e.sources, actor=e.actor,
            correlation_id=e.correlation_id, causation_id=e.causation_id, event_id=e.event_id,
        )  # fmt: skip
        await copy.append(e.stream_id, [event], StreamState.ANY)
    return copy


@dataclass(slots=True)
class _Outcome:
    appended: int = 0
    problems: tuple[ImportProblem, ...] = ()


async def _run(
    store: EventStore,
    plan: _Plan,
    ctx_factory: ContextFactory,
    progress: Progress | None,
    *,
    stop_at_first: bool,
) -> _Outcome:
    """Send the plan's commands through the handlers. In a rehearsal (`stop_at_first` False)
    go on after a refusal, skipping what depends on a refused record, to report every
    refusal that is not a consequence of another."""
    outcome = _Outcome()
    problems: list[ImportProblem] = []
    for key, command in plan.states:
        outcome.appended += (await handle(command, store, ctx_factory(key))).events_appended
    failed: set[str] = set()
    done_records: set[str] = set()
    total = plan.records
    for step in plan.steps:
        if step.record.id in failed or step.after & failed:
            failed.add(step.record.id)
            continue
        ctx = replace(ctx_factory(step.key), annotations=_annotations(step.record))
        try:
            result = await handle(step.command, store, ctx)
        except RegistryError as e:
            failed.add(step.record.id)
            field = e.details.get("field")
            problems.append(
                ImportProblem(
                    step.file, step.record.id, field if isinstance(field, str) else None,
                    p.APPEND_FAILED if isinstance(e, StoreError) else p.REJECTED_BY_DOMAIN,
                    f"{type(step.command).__name__} refused: {e}",
                )
            )  # fmt: skip
            if stop_at_first:
                break
            continue
        outcome.appended += result.events_appended
        if step.record.id not in done_records:
            done_records.add(step.record.id)
            if progress is not None:
                progress(len(done_records), total)
    outcome.problems = tuple(problems)
    return outcome
