"""The order of an import: commands sorted so that every reference is recorded before the
record that makes it (a topological order), and otherwise by valid time, then file order.

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

# Among body changes of one date, an establishment first and a dissolution last: a dissolved
# body takes no further change, and a file need not list a body's last day in that order.
# For the same reason a dissolution is placed by the end of its date ("2007": as late as
# 2007-12-31), after any change of the body the date allows before it.
_BODY_CHANGE_RANK = {"established": 0, "seat_relocated": 1, "renamed": 1, "dissolved": 2}


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


def order_steps(steps: Sequence[Step]) -> tuple[list[Step], list[ImportProblem]]:
    """Steps in an order that satisfies every `after`, or the records caught in a cycle.
    Among the steps ready at one time: earliest valid time first, then by kind (and, for body
    changes of one date, establishment first and dissolution last), then given order.

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

    def key(i: int) -> tuple[tuple[dt.date, dt.date, int], int, int, int]:
        record = steps[i].record
        vt = record.valid_time
        at = _UNDATED if vt is None else vt.sort_key
        within = 0
        if isinstance(record, BodyChangeRecord):
            within = _BODY_CHANGE_RANK[record.change.value]
            if record.change is BodyChangeKind.DISSOLVED:
                at = (record.date.upper, record.date.upper, at[2])
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
