"""Importing history files into the event log: check every file, rehearse the whole import on
an in-memory copy of the log, and only then append, through the application's handlers.

What is appended when: nothing at all if any file has a problem, any record conflicts with
what is already imported, or the domain refuses any command in the rehearsal. The real run
appends the rehearsal's decisions in batches guarded by the head the log was read at
(`_append_decided`); if another writer appended in between, the rest is decided again on
the log as it now is, one command per transaction. It can still fail (a command decided
again is refused, the store fails); the import then stops there, what was appended before
stays (each batch, each command decided again, is one transaction), and running the same
import again appends only the rest (idempotency keys).

`check_only` stops after the rehearsal: the same report, nothing written. With
`accept_revisions`, a record imported before whose content changed becomes corrections of the
events it produced (`_revise`), after every other step of the import.
"""

from __future__ import annotations

import contextlib
import gc
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sco_registry.application import facts
from sco_registry.application.bus import fingerprint, handle
from sco_registry.application.context import CommandContext, CommandResult
from sco_registry.domain.commands import Command
from sco_registry.domain.corrections import CorrectEvent, RetractEvent
from sco_registry.domain.errors import RegistryError
from sco_registry.domain.folding import effective, stored_events
from sco_registry.domain.membership import RecordedChange
from sco_registry.domain.streams import stream_of
from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.format import Known, parse_paths
from sco_registry.importer.mapping import (
    LoggedFacts,
    citations,
    cross_facts,
    logged_change,
    state_commands,
    steps_for,
)
from sco_registry.importer.order import Step, order_steps
from sco_registry.importer.problems import ImportProblem
from sco_registry.importer.records import AnyRecord, HistoryFile
from sco_registry.store.base import (
    AppendResult,
    AppendUnit,
    EventStore,
    EventStoreBase,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
)
from sco_registry.store.errors import StoreError, WrongExpectedVersion

Progress = Callable[[int, int], None]
ContextFactory = Callable[[str], CommandContext]
# Makes an empty store for a rehearsal (the composition root's `Registry.scratch_store`).
ScratchStores = Callable[[], EventStore]


def _default_scratch() -> EventStore:
    # For callers without a registry (tests, scripts): the composition root's default,
    # imported here so that the importer itself never picks a concrete store.
    from sco_registry.bootstrap import scratch_stores

    return scratch_stores()()


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
    """`rejected`: records (or, for a file-level problem, files) with a problem.
    `revised`: records imported before with other content, appended as corrections.
    `checked_only`: a `--check` run; `events_appended` then counts the events the import
    would append (in the rehearsal), and nothing was written. `stopped`: the real run failed
    part way (another writer): the events appended before the failure stay.
    `files`: the files of the command, in order."""

    records_read: int
    events_appended: int
    already_imported: int
    rejected: int
    problems: tuple[ImportProblem, ...] = ()
    revised: int = 0
    checked_only: bool = False
    stopped: bool = False
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class _Log:
    """What the log says about earlier imports: record ids with their kinds, the command
    fingerprint recorded under each idempotency key, the fingerprint of each record's current
    version (`record.fingerprint` metadata, where its events carry one) and its streams."""

    events: list[RecordedEvent] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    # record id -> the fingerprint of its latest complete version (first import or revision)
    latest: dict[str, str] = field(default_factory=dict)
    # record id -> the streams holding its events
    streams: dict[str, set[str]] = field(default_factory=dict)
    # idempotency key -> the stream of its command's first event (the command's own stream)
    primary: dict[str, str] = field(default_factory=dict)
    # the position of the last event read: the log every decision of the import rests on
    head: int = 0


async def _read_log(store: EventStore) -> _Log:
    log = _Log()
    async for event in store.iter_all():
        log.events.append(event)
        log.head = event.position
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
            log.streams.setdefault(record_id, set()).add(event.stream_id)
        else:
            # Recorded without a history record (a mutation): its stream is its id; the kind
            # is unknown, so the format check accepts a reference to it of any kind.
            log.ids.setdefault(event.stream_id, "")
        if isinstance(key, str) and isinstance(fp, str):
            log.keys.setdefault(key, fp)
            log.primary.setdefault(key, event.stream_id)
        annotations = meta.get("record")
        if isinstance(record_id, str) and isinstance(annotations, Mapping):
            record_fp = annotations.get("fingerprint")
            if isinstance(record_fp, str) and _completes(annotations):
                log.latest[record_id] = record_fp
    return log


def _completes(annotations: Mapping[str, Any]) -> bool:
    """Whether an event's record annotations make its fingerprint the record's current one:
    any event of a first import, and the last command of a revision (a revision stopped
    part way leaves the earlier version current, so that running it again completes it)."""
    revision = annotations.get("revision")
    if not isinstance(revision, Mapping):
        return True
    return bool(revision.get("command") == revision.get("of"))


def _rejected(problems: Iterable[ImportProblem]) -> int:
    return len({(x.file, x.record_id) for x in problems})


async def import_files(
    paths: Sequence[str | Path],
    store: EventStore,
    *,
    actor: str = "importer",
    ctx_factory: ContextFactory | None = None,
    progress: Progress | None = None,
    check_only: bool = False,
    accept_revisions: bool = False,
    scratch_store: ScratchStores | None = None,
) -> ImportSummary:
    """Import `paths` in order (each may refer to records of those before it).

    `ctx_factory(key)` gives the context of the command with idempotency key `key` (the
    actor, correlation and causation ids); by default `actor` and one correlation id for
    the import. Whatever it returns, the key is the step's (replays depend on it), and so
    are the annotations: the record's confidence, note and fingerprint (`_annotations`).
    `check_only`: check and rehearse, write nothing. `accept_revisions`: a record imported
    before with other content becomes corrections (`_revise`) instead of a conflict.
    `scratch_store()` makes the empty store each rehearsal runs on (the registry's; by
    default the composition root's in-memory one).
    """
    with _fewer_collections():
        return await _import(
            paths, store, actor=actor, ctx_factory=ctx_factory, progress=progress,
            check_only=check_only, accept_revisions=accept_revisions,
            scratch=scratch_store or _default_scratch,
        )  # fmt: skip


# While imports run: the cyclic garbage collector's first threshold (CPython's default is
# 700 allocations). An import builds tens of thousands of objects that live until it ends
# (the log's copy, the rehearsal's decisions); at the default, each collection that reaches
# the oldest generation walks them all: 15% of a 10,000-record import's time, measured
# (docs/benchmarks.md). Restored when the last running import ends.
IMPORT_GC_THRESHOLD = 10_000
_imports_running = 0
_saved_threshold: tuple[int, int, int] | None = None


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    global _imports_running, _saved_threshold
    if _imports_running == 0:
        _saved_threshold = gc.get_threshold()
        first, *rest = _saved_threshold
        gc.set_threshold(max(first, IMPORT_GC_THRESHOLD), *rest)
    _imports_running += 1
    try:
        yield
    finally:
        _imports_running -= 1
        if _imports_running == 0 and _saved_threshold is not None:
            gc.set_threshold(*_saved_threshold)
            _saved_threshold = None


async def _import(
    paths: Sequence[str | Path],
    store: EventStore,
    *,
    actor: str,
    ctx_factory: ContextFactory | None,
    progress: Progress | None,
    check_only: bool,
    accept_revisions: bool,
    scratch: ScratchStores,
) -> ImportSummary:
    names = tuple(str(x) for x in paths)
    log = await _read_log(store)
    # Read to check references while parsing, not for a decision: no read set to keep.
    known = Known(log.ids, await facts.known_states(store, facts.ReadSet()))
    parsed = parse_paths(paths, known)
    read = sum(f.count for f in parsed)
    problems = [x for f in parsed for x in f.problems]

    def summary(
        appended: int, already: int, found: Sequence[ImportProblem], revised: int = 0
    ) -> ImportSummary:
        return ImportSummary(
            read, appended, already, _rejected(found), tuple(found), revised,
            checked_only=check_only, files=names,
        )  # fmt: skip

    if problems:
        return summary(0, 0, problems)
    files = [f.file for f in parsed if f.file is not None]
    plan = _plan(files, log, accept_revisions=accept_revisions)
    if plan.problems:
        return summary(0, plan.already, plan.problems)
    if ctx_factory is None:
        correlation = uuid.uuid4()  # one import, one correlation id for all its events

        def ctx_factory(key: str) -> CommandContext:
            return CommandContext(actor=actor, correlation_id=correlation, idempotency_key=key)

    given = ctx_factory

    def keyed(key: str) -> CommandContext:
        return replace(given(key), idempotency_key=key)

    recorder = _Recorder(await _copy(log, scratch()))
    rehearsal = await _run(recorder, plan, keyed, None, log, scratch, stop_at_first=False)
    if rehearsal.problems:
        return summary(0, plan.already, rehearsal.problems)
    revised = len(plan.revisions)
    if check_only:
        return summary(rehearsal.appended, plan.already, (), revised)
    decided = recorder.units[: rehearsal.decided]
    real = await _append_decided(store, decided, log.head, plan, progress)
    if real.moved:
        # Another writer changed the log since it was read: decide every command again on
        # the log as it now is, one transaction each (what is appended already replays).
        again = await _run(store, plan, keyed, progress, log, scratch, stop_at_first=True)
        real = _Outcome(real.appended + again.appended, again.problems)
    elif plan.revisions and not real.problems:
        more = await _run(
            store, plan, keyed, progress, log, scratch, stop_at_first=True,
            revisions_only=True, progressed=real.progressed,
        )  # fmt: skip
        real = _Outcome(real.appended + more.appended, more.problems)
    out = summary(real.appended, plan.already, real.problems, revised)
    return replace(out, stopped=bool(real.problems))


# The events `_append_decided` appends per transaction at most (a command's events are
# never split; one command with more is a transaction of its own).
BATCH_EVENTS = 1000


async def _append_decided(
    store: EventStore,
    units: Sequence[AppendUnit],
    head: int,
    plan: _Plan,
    progress: Progress | None,
) -> _Outcome:
    """Append the rehearsal's decisions in transactions of up to BATCH_EVENTS events, each
    guarded by the head the log was read at (`append_batch`): the rehearsal decided on that
    log, so its decisions (and the plan's inferences) hold while the log has not moved.
    Stops with `moved` set, the batches before appended, when another writer moved the
    head (or recorded a key) in between: the caller then decides again on fresh facts.
    A stopped run completes when run again: each command keeps its idempotency key."""
    outcome = _Outcome()
    done: set[str] = set()
    steps = {s.key: s for s in plan.steps}
    total = plan.records
    for chunk in _chunks(units):
        try:
            results = await store.append_batch(chunk, expected_head=head)
        except WrongExpectedVersion:  # HeadMoved included
            outcome.moved = True
            return outcome
        except RegistryError as e:
            if e.code == "store.batch_key_recorded":
                outcome.moved = True
                return outcome
            outcome.problems = (_batch_refused(chunk, steps, e),)
            return outcome
        head = results[-1].last_position
        outcome.appended += sum(r.last_position - r.first_position + 1 for r in results)
        for unit in chunk:
            record_id = _record_of(unit)
            if record_id is not None and record_id not in done:
                done.add(record_id)
                if progress is not None:
                    progress(len(done), total)
    outcome.progressed = len(done)
    return outcome


@dataclass(frozen=True, slots=True)
class _Revision:
    """A record imported before whose content changed: all of its steps, as the revised
    record maps them."""

    file: str
    record: AnyRecord
    steps: list[Step]


@dataclass(frozen=True, slots=True)
class _Plan:
    states: list[tuple[str, Command]]
    steps: list[Step]
    records: int  # records with steps to run (revised ones included)
    already: int
    problems: tuple[ImportProblem, ...]
    revisions: list[_Revision] = field(default_factory=list)


def _plan(files: Sequence[HistoryFile], log: _Log, *, accept_revisions: bool = False) -> _Plan:
    """The steps still to run, in order; records already imported; conflicts and cycles;
    with `accept_revisions`, the revised records instead of their conflicts."""
    everything: list[tuple[str, AnyRecord]] = [(f.path, r) for f in files for r in f.records]
    logged = _logged_facts(log)
    facts = cross_facts((r for _, r in everything), logged)
    first_seen: dict[str, tuple[str, str]] = {}
    pending: list[Step] = []
    revisions: list[_Revision] = []
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
        if _changed(record, steps, log):
            if not accept_revisions:
                problems.append(
                    _conflict(
                        path,
                        record,
                        "it was imported before with other content (to record the changes "
                        "as corrections of its events, run import --accept-revisions)",
                    )
                )
            elif log.ids.get(record.id, record.kind) not in (record.kind, ""):
                problems.append(
                    _not_correctable(
                        path, record, f"it was imported as a {log.ids[record.id]}, not a "
                        f"{record.kind}; no correction changes the kind of a record",
                    )
                )  # fmt: skip
            else:
                revisions.append(_Revision(path, record, steps))
                records += 1
        elif todo:
            pending.extend(todo)
            records += 1
        else:
            already += 1
    ordered, cycles = order_steps(pending, logged.statuses)
    states: list[tuple[str, Command]] = list(state_commands(files))
    return _Plan(states, ordered, records, already, tuple(problems + cycles), revisions)


def _logged_facts(log: _Log) -> LoggedFacts:
    """What the inferences use from the log, as its streams now hold it (corrections
    applied): each signed document's founding parties and date, each membership change."""
    streams: dict[str, list[RecordedEvent]] = {}
    for e in log.events:
        if e.type == "DocumentSigned" or e.stream_id.startswith("membership/"):
            streams.setdefault(e.stream_id, [])
    for e in log.events:
        if e.stream_id in streams:
            streams[e.stream_id].append(e)
    founding: dict[str, tuple[str, ...]] = {}
    signed: dict[str, PartialDate] = {}
    memberships: list[tuple[str, PartialDate, str | None]] = []
    statuses: list[tuple[str, RecordedChange]] = []
    for stream, events in streams.items():
        for held in effective(stored_events(events)):
            date = held.data.get("valid_time")
            if held.type == "DocumentSigned":
                founding[stream] = tuple(held.data.get("founding_parties") or ())
                if isinstance(date, str):
                    signed[stream] = PartialDate.parse(date)
            elif stream.startswith("membership/") and isinstance(date, str):
                document = held.data.get("document")
                state = str(held.data.get("state"))
                memberships.append((state, PartialDate.parse(date), document))
                statuses.append((state, logged_change(held.type, held.data)))
    return LoggedFacts(founding, signed, memberships, statuses)


def _fp(step: Step) -> str:
    return fingerprint(step.command)


def _changed(record: AnyRecord, steps: Sequence[Step], log: _Log) -> bool:
    """Whether the record was imported before with other content. Its latest version in the
    log (`record.fingerprint` of its events, a completed revision's included) is compared
    with the record's fingerprint, which covers sources, confidence and note too.

    Backward compatible: events imported before records were annotated carry no `record`
    metadata; for them only the command fingerprints are compared."""
    latest = log.latest.get(record.id)
    if latest is not None:
        return latest != record.fingerprint
    return any(s.key in log.keys and log.keys[s.key] != _fp(s) for s in steps)


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


def _not_correctable(path: str, record: AnyRecord, why: str) -> ImportProblem:
    return ImportProblem(
        path,
        record.id,
        None,
        p.REVISION_NOT_CORRECTABLE,
        f"the revision of {record.id} cannot be recorded as corrections: {why}",
    )


async def _copy(log: _Log, into: EventStore) -> EventStore:
    """`into` (an empty scratch store) holding the log's events (same ids, data and
    metadata), for the rehearsal. Linear in the log's size, which is fine for a registry of
    history."""
    return await _copy_events(log.events, into)


async def _copy_events(
    events: Iterable[RecordedEvent], into: EventStore, *, leave_out: str | None = None
) -> EventStore:
    """`into` (an empty scratch store) holding `events`, less those of record `leave_out`
    (its `record_id`)."""
    copy = into
    for e in events:
        if leave_out is not None and e.metadata.get("record_id") == leave_out:
            continue
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
    # In a rehearsal on a `_Recorder`: how many of its units the plan's states and steps
    # appended (the revisions' come after them).
    decided: int = 0
    # Records counted by `progress` so far.
    progressed: int = 0
    # `_append_decided` stopped because the log moved since it was read.
    moved: bool = False


def _chunks(units: Sequence[AppendUnit]) -> Iterator[list[AppendUnit]]:
    chunk: list[AppendUnit] = []
    size = 0
    for unit in units:
        n = sum(len(b.events) for b in unit.batches)
        if chunk and size + n > BATCH_EVENTS:
            yield chunk
            chunk, size = [], 0
        chunk.append(unit)
        size += n
    if chunk:
        yield chunk


def _record_of(unit: AppendUnit) -> str | None:
    for b in unit.batches:
        for e in b.events:
            record_id = e.metadata.get("record_id")
            return record_id if isinstance(record_id, str) else None
    return None


def _batch_refused(
    chunk: Sequence[AppendUnit], steps: Mapping[str, Step], e: RegistryError
) -> ImportProblem:
    """The problem of a batch the store refused, named after its first command (the whole
    batch is refused: all or nothing)."""
    first = chunk[0]
    step = steps.get(first.idempotency_key or "")
    command = next(e.metadata.get("command") for b in first.batches for e in b.events)
    return ImportProblem(
        "" if step is None else step.file, _record_of(first), None, p.APPEND_FAILED,
        f"{command} refused: {e}",
    )  # fmt: skip


class _Recorder(EventStoreBase):
    """A rehearsal's store (`inner`, the scratch copy) that keeps every append it made, as
    the units `append_batch` takes: the rehearsal's decisions, to append to the real log
    when it has not moved since it was read."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.units: list[AppendUnit] = []

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        result = await self.inner.append_many(batches, idempotency_key=idempotency_key)
        if not result.replayed:
            self.units.append(AppendUnit(tuple(batches), idempotency_key))
        return result

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        results = await self.inner.append_batch(units, expected_head=expected_head)
        self.units.extend(units)
        return results

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        return await self.inner.read_all(after=after, limit=limit)

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self.inner.read_stream(stream_id, from_version=from_version, limit=limit)

    async def stream_version(self, stream_id: str) -> int:
        return await self.inner.stream_version(stream_id)

    async def head_position(self) -> int:
        return await self.inner.head_position()

    async def wait_for_events(self, after: int, timeout: float) -> bool:
        return await self.inner.wait_for_events(after, timeout)

    async def close(self) -> None:
        await self.inner.close()


def _refused(step: Step, e: RegistryError, command: Command | None = None) -> ImportProblem:
    field = e.details.get("field")
    return ImportProblem(
        step.file, step.record.id, field if isinstance(field, str) else None,
        p.APPEND_FAILED if isinstance(e, StoreError) else p.REJECTED_BY_DOMAIN,
        f"{type(command or step.command).__name__} refused: {e}",
    )  # fmt: skip


async def _run(
    store: EventStore,
    plan: _Plan,
    ctx_factory: ContextFactory,
    progress: Progress | None,
    log: _Log,
    scratch: ScratchStores,
    *,
    stop_at_first: bool,
    revisions_only: bool = False,
    progressed: int = 0,
) -> _Outcome:
    """Send the plan's commands through the handlers, then the revisions' corrections. In
    a rehearsal (`stop_at_first` False) go on after a refusal, skipping what depends on a
    refused record, to report every refusal that is not a consequence of another.
    `revisions_only`: the revisions alone (the rest appended already, `progressed` records
    of it counted)."""
    outcome = _Outcome()
    problems: list[ImportProblem] = []
    for key, command in () if revisions_only else plan.states:
        outcome.appended += (await handle(command, store, ctx_factory(key))).events_appended
    failed: set[str] = set()
    done_records: set[str] = set()
    total = plan.records

    def done(record_id: str) -> None:
        if record_id not in done_records:
            done_records.add(record_id)
            if progress is not None:
                progress(progressed + len(done_records), total)

    for step in () if revisions_only else plan.steps:
        if step.record.id in failed or step.after & failed:
            failed.add(step.record.id)
            continue
        ctx = replace(ctx_factory(step.key), annotations=_annotations(step.record))
        try:
            result = await handle(step.command, store, ctx)
        except RegistryError as e:
            failed.add(step.record.id)
            problems.append(_refused(step, e))
            if stop_at_first:
                break
            continue
        outcome.appended += result.events_appended
        done(step.record.id)
    if isinstance(store, _Recorder):
        outcome.decided = len(store.units)
    for revision in plan.revisions:
        if problems and stop_at_first:
            break
        try:
            outcome.appended += await _revise(store, revision, ctx_factory, log, scratch)
        except _Refusal as refusal:
            problems.append(refusal.problem)
            continue
        done(revision.record.id)
    outcome.problems = tuple(problems)
    return outcome


class _Refusal(Exception):
    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _Current:
    """An event a record's step produced, as the log now holds it (corrections applied)."""

    recorded: RecordedEvent
    data: Mapping[str, Any]


async def _current(store: EventStore, log: _Log, record_id: str, key: str) -> list[_Current]:
    """The events the step with idempotency key `key` produced and the registry still holds:
    those appended under `key` and, where an earlier revision recorded the step anew, under
    `key@...`; retracted ones left out, corrected ones with their corrected data."""
    out: list[_Current] = []
    for stream in sorted(log.streams.get(record_id, ())):
        recorded = await store.read_stream(stream)
        by_id = {r.event_id: r for r in recorded}
        for e in effective(stored_events(recorded)):
            r = by_id[e.event_id]
            k = r.metadata.get("idempotency_key")
            if isinstance(k, str) and (k == key or k.startswith(f"{key}@")):
                out.append(_Current(r, e.data))
    return sorted(out, key=lambda c: c.recorded.position)


async def _appended(store: EventStore, result: CommandResult) -> list[RecordedEvent]:
    first, last = result.first_position, result.last_position
    if first is None or last is None:
        return []
    return await store.read_all(after=first - 1, limit=last - first + 1)


async def _revise(
    store: EventStore,
    revision: _Revision,
    ctx_factory: ContextFactory,
    log: _Log,
    scratch_store: ScratchStores,
) -> int:
    """Append the corrections that make the log hold the revised record: returns the events
    appended, raises `_Refusal` when the domain refuses or no correction can express it.

    The revised record is first recorded, step by step, in a scratch copy of the log (a
    store from `scratch_store`) that
    leaves out every event of the record: the events it would produce there are compared
    with those the log holds for each step. The same events with other data: one
    `CorrectEvent` each (the changed fields, valid time and sources included). Other events
    (a meeting held, now postponed; a document that now amends another): the events held
    are retracted (`RetractEvent`) and the step is recorded anew. A step whose own stream
    would change (a membership record of another state, a body change of another body):
    refused, `import.revision_not_correctable`. A step the revised record adds is recorded
    as usual; the events of a step it no longer makes are retracted. Every command carries
    the revised record's sources, a reason naming the file, and an idempotency key derived
    from the record's new fingerprint (`<key>@<fingerprint>/<position>`), so that importing the same
    revised file again appends nothing."""
    record, file = revision.record, revision.file
    rev = record.fingerprint[:16]
    src = citations(record)
    reason = f"revised record {record.id} in {file}"
    events = [e async for e in store.iter_all()]
    scratch = await _copy_events(events, scratch_store(), leave_out=record.id)
    commands: list[tuple[str, Command, Step]] = []
    for step in revision.steps:
        if step.key not in log.keys:
            commands.append((step.key, step.command, step))  # a step the revision adds
            continue
        was, now = log.primary[step.key], stream_of(step.command)
        if was != now:
            raise _Refusal(
                _not_correctable(
                    file, record, f"its events would move from {was} to {now}; a correction "
                    "stays in the stream of the event it corrects",
                )
            )  # fmt: skip
        current = await _current(store, log, record.id, step.key)
        try:
            made = await handle(
                step.command,
                scratch,
                CommandContext(
                    actor="revision", correlation_id=uuid.uuid4(), idempotency_key=step.key
                ),
            )
        except RegistryError as e:
            raise _Refusal(_refused(step, e)) from None  # fmt: skip
        new = await _appended(scratch, made)
        old_shape = [(c.recorded.stream_id, c.recorded.type) for c in current]
        if old_shape == [(e.stream_id, e.type) for e in new]:
            for c, made_event in zip(current, new, strict=True):
                changes = {k: v for k, v in made_event.data.items() if c.data.get(k) != v}
                if changes:
                    correct = CorrectEvent(
                        stream_id=c.recorded.stream_id, event_id=c.recorded.event_id,
                        reason=reason, changes=changes, sources=src, record_id=record.id,
                    )  # fmt: skip
                    commands.append((f"{step.key}@{rev}/{c.recorded.position}", correct, step))
            continue
        # Other events (a meeting held, now postponed): retract those held, record anew.
        for c in current:
            retract = RetractEvent(
                stream_id=c.recorded.stream_id, event_id=c.recorded.event_id,
                reason=reason, sources=src, record_id=record.id,
            )  # fmt: skip
            commands.append((f"{step.key}@{rev}/{c.recorded.position}", retract, step))
        commands.append((f"{step.key}@{rev}", step.command, step))
    # A step the revised record no longer makes (an establishment without its new name now):
    # its events are retracted.
    made_keys = {step.key for step in revision.steps}
    dropped = sorted(k for k in log.keys if k.startswith(f"{record.id}#") and "@" not in k)
    for key in (k for k in dropped if k not in made_keys):
        for c in await _current(store, log, record.id, key):
            retract = RetractEvent(
                stream_id=c.recorded.stream_id, event_id=c.recorded.event_id,
                reason=reason, sources=src, record_id=record.id,
            )  # fmt: skip
            commands.append((f"{key}@{rev}/{c.recorded.position}", retract, revision.steps[0]))
    if not commands:
        raise _Refusal(
            _not_correctable(
                file, record, "no event changes (only its confidence or note differ, which "
                "the log keeps as the record's annotations, not as facts a correction changes)",
            )
        )  # fmt: skip
    appended = 0
    for i, (key, command, step) in enumerate(commands, start=1):
        annotations = {**_annotations(record), "revision": {"file": file, "command": i,
                                                            "of": len(commands)}}  # fmt: skip
        ctx = replace(ctx_factory(key), annotations=annotations)
        try:
            appended += (await handle(command, store, ctx)).events_appended
        except RegistryError as e:
            raise _Refusal(_refused(step, e, command)) from None
    return appended
