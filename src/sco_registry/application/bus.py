"""The command bus: find a command's handler, append what it decided in one transaction,
retry a bounded number of times on a concurrency conflict, and honour idempotency keys."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import fields
from typing import Any

from sco_registry.application import handlers as h
from sco_registry.application import loading
from sco_registry.application.context import CommandContext, CommandResult
from sco_registry.application.handlers import Decision
from sco_registry.domain import catalog, commands
from sco_registry.domain.commands import Command
from sco_registry.domain.events import Event
from sco_registry.domain.streams import stream_of
from sco_registry.domain.values import Citation
from sco_registry.store import fastjson
from sco_registry.store.base import EventStore, NewEvent, RecordedEvent, Source, StreamAppend
from sco_registry.store.errors import IdempotencyConflict, WrongExpectedVersion

Handler = Callable[[Any, EventStore], Awaitable[Decision]]

# Every command type to its family's handler.
HANDLERS: dict[type[Any], Handler] = {
    commands.RegisterState: h.decide_state,
    commands.FoundOrganization: h.decide_organization,
    commands.RecordFoundingDocument: h.decide_organization,
    commands.AdoptPrinciples: h.decide_organization,
    commands.RecordMembershipChange: h.decide_membership,
    commands.AdmitMember: h.decide_membership,
    commands.RecordBody: h.decide_body,
    commands.EstablishBody: h.decide_body,
    commands.RelocateSeat: h.decide_body,
    commands.RenameBody: h.decide_body,
    commands.DissolveBody: h.decide_body,
    commands.ApproveBodyRules: h.decide_body,
    commands.RecordMeeting: h.decide_meeting,
    commands.ScheduleMeeting: h.decide_meeting,
    commands.HoldMeeting: h.decide_meeting,
    commands.PostponeMeeting: h.decide_meeting,
    commands.MoveMeeting: h.decide_meeting,
    commands.CancelMeeting: h.decide_meeting,
    commands.MandateDrafting: h.decide_document,
    commands.RecordDraft: h.decide_document,
    commands.RecordDocument: h.decide_document,
    commands.RatifyDocument: h.decide_document,
    commands.BringDocumentIntoForce: h.decide_document,
    commands.SupersedeDocument: h.decide_document,
    commands.RecordOfficeTerm: h.decide_office,
    commands.EndOfficeTerm: h.decide_office,
    commands.RecordMandate: h.decide_mandate,
    commands.FulfilMandate: h.decide_mandate,
    commands.CorrectEvent: h.decide_correction,
    commands.RetractEvent: h.decide_correction,
}

# The streams a command's handler loads besides the command's own (each with its fold's
# evolve and initial state), read with the command's own stream in one read where the
# store can (`loading.read_ahead`) and offered to the handler's loads.
READ_AHEAD: dict[type[Any], Callable[[Any], list[tuple[str, Any, Any]]]] = {
    kind: h.meeting_reads for kind, handler in HANDLERS.items() if handler is h.decide_meeting
}

MAX_ATTEMPTS = 3


def fingerprint(command: Command) -> str:
    """What the command is about, independent of who runs it and of the context's
    annotations: a re-run with the same idempotency key but another content is a conflict,
    not a replay."""
    body = {fl.name: catalog.encode(getattr(command, fl.name)) for fl in fields(command)}
    # json.dumps(..., sort_keys=True, separators=(",", ":")): the stored fingerprints' form.
    text = fastjson.ascii_sorted_text([type(command).__name__, body])
    return hashlib.sha256(text.encode()).hexdigest()


async def handle(command: Command, store: EventStore, ctx: CommandContext) -> CommandResult:
    """Decide and append `command`. Integrity violations (RegistryError) propagate with
    nothing appended; a concurrency conflict is retried with freshly read state, up to
    MAX_ATTEMPTS, after which WrongExpectedVersion propagates. A context's `expected_version`
    that does not hold raises WrongExpectedVersion at once (not retried: the caller decided
    on a stream that has moved)."""
    handler = HANDLERS[type(command)]
    fp = fingerprint(command)
    own = stream_of(command)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        recorded: Sequence[RecordedEvent] | None = None
        if ctx.idempotency_key is not None:
            starts = {own: 1}
            ahead = READ_AHEAD.get(type(command))
            for stream, evolve, initial in [] if ahead is None else ahead(command):
                starts.setdefault(stream, loading.read_from(store, stream, evolve, initial))
            reads = await loading.read_ahead(store, starts)
            recorded = reads[own]
            replay = _replay(recorded, own, ctx.idempotency_key, fp)
            if replay is not None:
                return replay
        if recorded is None:
            decision = await handler(command, store)
        else:
            # The command's own stream, just read, is the handler's read of it too (and so
            # are the streams read with it).
            offer = {s: (starts[s], reads[s]) for s in starts}
            with loading.offered_reads(store, offer):
                decision = await handler(command, store)
        _check_expected_version(decision, ctx)
        if not decision.events:
            return CommandResult((decision.primary,), None, None, replayed=False)
        batches = _batches(command, decision, ctx, fp)
        try:
            result = await store.append_many(batches, idempotency_key=ctx.idempotency_key)
        except WrongExpectedVersion:
            if attempt == MAX_ATTEMPTS:
                raise
            continue
        return CommandResult(
            tuple(b.stream_id for b in batches if b.events),
            result.first_position,
            result.last_position,
            replayed=result.replayed,
            events_appended=0
            if result.replayed
            else result.last_position - result.first_position + 1,
        )
    raise AssertionError("unreachable")  # the loop returns or raises


def _check_expected_version(decision: Decision, ctx: CommandContext) -> None:
    """The caller's expected version of the command's own stream, against the version the
    decision rests on. The append then expects that version of the stream (written or only
    read-checked, `_batches`), so a change after this check fails the append as well."""
    if ctx.expected_version is None:
        return
    actual = decision.versions.get(decision.primary, 0)
    if actual != ctx.expected_version:
        raise WrongExpectedVersion(decision.primary, ctx.expected_version, actual)


def _replay(
    recorded: Sequence[RecordedEvent], stream_id: str, key: str, fp: str
) -> CommandResult | None:
    """The first outcome of a command already run with this key, found in its own stream
    (`recorded`, read whole).

    Checked before appending because the command's decision may differ the second time
    (an admission decided again is refused as a double admission), and the store's
    idempotency only sees appends."""
    mine = [r for r in recorded if r.metadata.get("idempotency_key") == key]
    if not mine:
        return None
    if mine[0].metadata.get("command_fingerprint") != fp:
        raise IdempotencyConflict(key)
    return CommandResult(
        (stream_id,), mine[0].position, mine[-1].position, replayed=True, events_appended=0
    )


def _batches(
    command: Command, decision: Decision, ctx: CommandContext, fp: str
) -> list[StreamAppend]:
    """The decision's events per stream, each batch with the version its stream was read
    at, followed by the read checks (`_read_checks`)."""
    by_stream: dict[str, list[NewEvent]] = {decision.primary: []}
    for event in decision.events:
        by_stream.setdefault(stream_of(event), []).append(_new_event(event, command, ctx, fp))
    expected = _expected_versions(decision)
    writes = [
        StreamAppend(stream, events, expected.get(stream, 0))
        for stream, events in by_stream.items()
        if events
    ]
    return writes + _read_checks(expected, {b.stream_id for b in writes})


def _expected_versions(decision: Decision) -> dict[str, int]:
    """Every stream the decision rests on, with the version it was read at: the streams it
    loaded to write (`versions`) and those it read for facts (`reads`). A stream read both
    ways at two versions keeps the older one, so the append fails and the handler re-runs:
    the decision rests on two states of that stream, at least one of them stale."""
    expected = dict(decision.reads)
    for stream, version in decision.versions.items():
        expected[stream] = min(version, expected.get(stream, version))
    return expected


def _read_checks(expected: Mapping[str, int], written: Set[str]) -> list[StreamAppend]:
    """A batch with no events for every stream read but not written, expecting the version
    read (0, no stream, for one read as missing): the store checks it under its append lock
    with the written streams, so a change to any of them since the read fails the append
    with WrongExpectedVersion, and `handle` re-runs the handler on fresh facts."""
    return [
        StreamAppend(stream, [], version)
        for stream, version in sorted(expected.items())
        if stream not in written
    ]


def _new_event(event: Event, command: Command, ctx: CommandContext, fp: str) -> NewEvent:
    name = catalog.type_name(event)
    metadata: dict[str, Any] = {
        "actor": ctx.actor,
        "correlation_id": str(ctx.correlation_id),
        "causation_id": None if ctx.causation_id is None else str(ctx.causation_id),
        "idempotency_key": ctx.idempotency_key,
        "command": type(command).__name__,
        "command_fingerprint": fp,
        "record_id": command.record_id,
    }
    if ctx.annotations:
        # Facts about the record behind the command (confidence, note, its fingerprint): a
        # plain dict, so that every store serializes it the same way.
        metadata["record"] = dict(ctx.annotations)
    return NewEvent(
        type=name,
        data=catalog.to_json(event),
        valid_time=event.valid_time,
        schema_version=catalog.schema_version_of(name),
        metadata=metadata,
        sources=_sources(event.sources),
        actor=ctx.actor,
        correlation_id=ctx.correlation_id,
        causation_id=ctx.causation_id,
    )


def _sources(citations: Sequence[Citation]) -> tuple[Source, ...]:
    # The store's citation has a title and a URL; an article goes into the title so that the
    # envelope alone answers "why does the registry say this?" (the data keeps it apart).
    return tuple(
        Source(
            title=c.title if not c.article else f"{c.title or ''}, {c.article}".lstrip(", "),
            url=c.url,
        )
        for c in citations
    )
