"""The order of an import: commands sorted so that every reference is recorded before the
record that makes it (a topological order), and otherwise by valid time, then file order;
the changes of one stream (a body's, a state's in one organization) in the order their meaning
gives where their dates overlap (`stream_order`; docs/data.md, "How the import orders a
stream's changes").

References within a file may point forward, and the format has cycles between kinds (an
organization's founding document is signed at a meeting of one of its own bodies). The mapping
breaks such cycles by splitting a record into several steps (found the organization, then
name its founding document); this module only orders the steps it is given.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from sco_registry.domain.commands import Command
from sco_registry.domain.membership import (
    MembershipChange,
    MembershipState,
    RecordedChange,
    RecordMembershipChange,
    status_refusal,
)
from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.problems import ImportProblem
from sco_registry.importer.records import AnyRecord, BodyChangeKind, BodyChangeRecord

# Undated records (a body whose establishment date is unknown) go as early as their
# references allow: what refers to them is usually dated after them.
_UNDATED = (dt.date.min, dt.date.min, -1)

# On the same date, a kind is recorded before the kinds that usually cite it (a document
# before the membership records that cite it, a meeting before the documents adopted at it).
_KIND_RANK = {
    kind: rank
    for rank, kind in enumerate(
        ("organization", "body", "body_change", "meeting", "document", "membership",
         "office_term", "mandate")
    )
}  # fmt: skip

# The changes of one stream (a body's changes; a state's changes in one organization), in
# the order their meaning gives where the dates do not give one (docs/data.md, "How the
# import orders a stream's changes"): a beginning, then what changes a thing that exists,
# then an ending. An ending is placed by the end of its date ("2070": as late as
# 2070-12-31), a beginning or a change by its start.
BEGINNING, CHANGE, ENDING = 0, 1, 2
_BODY_PHASE = {
    BodyChangeKind.ESTABLISHED: BEGINNING,
    BodyChangeKind.SEAT_RELOCATED: CHANGE,
    BodyChangeKind.RENAMED: CHANGE,
    BodyChangeKind.DISSOLVED: ENDING,
}
_MEMBERSHIP_PHASE = {
    MembershipChange.PARTICIPATION_BEGAN: BEGINNING,
    MembershipChange.FOUNDING_MEMBER: BEGINNING,
    MembershipChange.ADMITTED: BEGINNING,
    MembershipChange.STATUS_GRANTED: BEGINNING,
    MembershipChange.WITHDREW: ENDING,
}

_Key = tuple[tuple[dt.date, dt.date, int], int, int, int]


@dataclass(frozen=True, slots=True)
class Step:
    """One command of the import. `key` is its idempotency key: the record id for a record's
    first command, `<record id>#2`, `#3`... for further ones. `after` names the records whose
    first step must come before this one."""

    key: str
    file: str
    record: AnyRecord
    command: Command
    after: frozenset[str]
    index: int = 0  # position of the step within its record


def order_steps(
    steps: Sequence[Step], logged: Sequence[tuple[str, RecordedChange]] = ()
) -> tuple[list[Step], list[ImportProblem]]:
    """Steps in an order that satisfies every `after`, or the records caught in a cycle.
    Among the steps ready at one time: earliest valid time first, then by kind, then given
    order; the changes of one stream follow `stream_order` (their meaning where the dates
    overlap). `logged`: the membership changes already in the log, by state, in log order
    (what a state holds before the import's own changes).

    A reference to a record outside `steps` (imported earlier) is already satisfied.
    """
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.index == 0:
            first.setdefault(step.record.id, i)
    waiting_on: list[set[int]] = []
    unlocks: dict[int, list[int]] = {}
    for i, step in enumerate(steps):
        needs = {first[r] for r in step.after if r in first and first[r] != i}
        if step.index > 0 and step.record.id in first:  # else its first step ran before
            needs.add(first[step.record.id])
        waiting_on.append(needs)
        for n in needs:
            unlocks.setdefault(n, []).append(i)
    placed = _stream_places(steps, first, logged)

    def key(i: int) -> _Key:
        record = steps[i].record
        vt = record.valid_time
        at, within = placed.get(record.id, (_UNDATED if vt is None else vt.sort_key, 0))
        return (at, _KIND_RANK[record.kind], within, i)

    ready = [key(i) for i, needs in enumerate(waiting_on) if not needs]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        *_, i = heapq.heappop(ready)
        ordered.append(steps[i])
        for j in unlocks.get(i, ()):
            waiting_on[j].discard(i)
            if not waiting_on[j]:
                heapq.heappush(ready, key(j))
    problems = []
    if len(ordered) < len(steps):
        in_cycle = _cycle_members(waiting_on, unlocks)
        ids = sorted({steps[i].record.id for i in in_cycle})
        reported: set[str] = set()
        for i in sorted(in_cycle):
            s = steps[i]
            if s.record.id in reported:
                continue
            reported.add(s.record.id)
            problems.append(
                ImportProblem(
                    s.file,
                    s.record.id,
                    None,
                    p.REFERENCE_CYCLE,
                    "its references form a cycle that no order can satisfy, among: "
                    + ", ".join(ids),
                )
            )
    return ordered, problems


def _stream_of(step: Step) -> tuple[str, ...] | None:
    """The stream whose changes are ordered by meaning: a body's changes, or a state's
    changes in one organization (the domain's membership rules are per organization)."""
    record, command = step.record, step.command
    if isinstance(record, BodyChangeRecord):
        return ("body", record.body)
    if isinstance(command, RecordMembershipChange):
        return ("membership", command.state, command.organization_id)
    return None


def _phase(step: Step) -> int:
    record, command = step.record, step.command
    if isinstance(record, BodyChangeRecord):
        return _BODY_PHASE[record.change]
    assert isinstance(command, RecordMembershipChange)
    return _MEMBERSHIP_PHASE.get(command.change, CHANGE)


def _stream_places(
    steps: Sequence[Step], first: dict[str, int], logged: Sequence[tuple[str, RecordedChange]]
) -> dict[str, tuple[tuple[dt.date, dt.date, int], int]]:
    """For each record of a stream, its place in the import: a time (its own, or the time of
    the stream's change before it when that is later) and its rank within the stream."""
    streams: dict[tuple[str, ...], list[int]] = {}
    for i in first.values():
        stream = _stream_of(steps[i])
        if stream is not None and steps[i].record.valid_time is not None:
            streams.setdefault(stream, []).append(i)
    held: dict[str, list[RecordedChange]] = {}
    for state, change in logged:
        held.setdefault(state, []).append(change)
    out: dict[str, tuple[tuple[dt.date, dt.date, int], int]] = {}
    for stream, members in streams.items():
        before = held.get(stream[1], []) if stream[0] == "membership" else []
        at: tuple[dt.date, dt.date, int] | None = None
        ordered = stream_order([steps[j] for j in members], before)
        for rank, i in enumerate((members[k] for k in ordered), start=1):
            own = _place(steps[i])
            at = own if at is None else max(own, at)
            out[steps[i].record.id] = (at, rank)
    return out


def stream_order(changes: Sequence[Step], before: Sequence[RecordedChange] = ()) -> list[int]:
    """The order of one stream's changes (their positions in `changes`, given in file
    order): each time, among the changes that no other change left definitely precedes
    (their dates pairwise overlap, so the dates do not order them), the first by meaning
    that the domain accepts after the changes placed so far: a beginning before a change
    before an ending (phase), then by its place in its date (an ending by the end of its
    date, the others by the start), then file order. A change the domain would refuse
    waits for one that makes it acceptable: a second grant after the withdrawal that ended
    the first, though a beginning goes first otherwise. If none is accepted, the first by
    that order (the domain then refuses it, naming it). `before`: the stream's changes in
    the log (membership only; the domain's rules are asked with them)."""
    dates = [c.record.valid_time for c in changes]
    left = [i for i in range(len(changes)) if dates[i] is not None]
    history = list(before)
    order: list[int] = []
    while left:
        bound = min(_d(dates[i]).upper for i in left)
        ready = [i for i in left if _d(dates[i]).lower <= bound]
        ready.sort(key=lambda i: (_phase(changes[i]), _place(changes[i]), i))
        choice = next((i for i in ready if _accepts(history, changes[i])), ready[0])
        order.append(choice)
        left.remove(choice)
        command = changes[choice].command
        if isinstance(command, RecordMembershipChange):
            history.append(
                RecordedChange(
                    command.organization_id, command.change, command.status_after, command.date
                )
            )
    return order


def _d(date: PartialDate | None) -> PartialDate:
    assert date is not None
    return date


def _place(step: Step) -> tuple[dt.date, dt.date, int]:
    """Where a change sits in its date: an ending at the end of it, the others at the start."""
    date = _d(step.record.valid_time)
    if _phase(step) == ENDING:
        return (date.upper, date.upper, date.sort_key[2])
    return date.sort_key


def _accepts(history: Sequence[RecordedChange], step: Step) -> bool:
    command = step.command
    if not isinstance(command, RecordMembershipChange):
        return True  # a body: the phases are its rules (one establishment, no change after)
    refusal = status_refusal(
        MembershipState(tuple(history)),
        command.organization_id,
        command.state,
        command.date,
        command.change,
        command.status_after,
    )
    return refusal is None


def _cycle_members(waiting_on: list[set[int]], unlocks: dict[int, list[int]]) -> set[int]:
    """Of the steps left waiting, those on a cycle: drop, again and again, the steps that no
    waiting step needs (they only wait on a cycle, downstream of it)."""
    stuck = {i for i, needs in enumerate(waiting_on) if needs}
    needed_by = {i: {j for j in unlocks.get(i, ()) if j in stuck} for i in stuck}
    leaves = [i for i in stuck if not needed_by[i]]
    while leaves:
        i = leaves.pop()
        stuck.discard(i)
        for n in waiting_on[i]:
            if n in stuck:
                needed_by[n].discard(i)
                if not needed_by[n]:
                    leaves.append(n)
    return stuck
