"""The cross-stream facts the integrity rules need, read from the streams they live in.

Every reader notes in the handler's `ReadSet` the version of each stream it read. The
decision carries that read set, and the bus appends a batch with no events for every read
stream the decision does not write, with the version read as its expected version: the
store checks it under the append lock, so a concurrent change to a fact stream between the
read and the append fails the append (WrongExpectedVersion), and the bus re-runs the
handler on fresh facts. A stream read as missing is expected to be still missing (0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from sco_registry.application.loading import Loaded, load
from sco_registry.domain import bodies, documents, meetings, membership, states
from sco_registry.domain.folding import effective, stored_events
from sco_registry.domain.membership import MembershipStatus
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import EventStore


class ReadSet:
    """The streams a handler read for facts, each with the version it read (0: none)."""

    __slots__ = ("_held", "_versions")

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        # The streams loaded for this decision (`loaded`), by id: read once per decision.
        self._held: dict[str, Loaded[Any]] = {}

    def note(self, stream_id: str, version: int) -> None:
        """Record a read. Read twice at different versions, the older one is kept, so that
        the append's check fails (the facts rest on two states of the stream)."""
        seen = self._versions.get(stream_id)
        self._versions[stream_id] = version if seen is None else min(seen, version)

    def loaded(self, loaded: Loaded[Any]) -> None:
        self.note(loaded.stream_id, loaded.version)
        self._held.setdefault(loaded.stream_id, loaded)

    def held(self, stream_id: str) -> Loaded[Any] | None:
        """The stream as this decision first loaded it, if it did (its version noted)."""
        return self._held.get(stream_id)

    @property
    def versions(self) -> Mapping[str, int]:
        return MappingProxyType(dict(self._versions))


async def known_states(store: EventStore, reads: ReadSet) -> frozenset[str]:
    loaded = await load(store, states.STREAM_ID, states.evolve, states.KnownStates())
    reads.loaded(loaded)
    return loaded.state.codes


async def known_ids(
    store: EventStore, reads: ReadSet, refs: Iterable[str | None]
) -> frozenset[str]:
    """The referenced record ids whose streams hold something (each record id is a stream).
    A stream this decision has loaded already (a meeting's body) is not read again: its
    version is noted, and the read set keeps the older of two reads anyway."""
    found: set[str] = set()
    for ref in sorted({r for r in refs if r}):
        held = reads.held(ref)
        if held is not None:
            if held.exists:
                found.add(ref)
            continue
        recorded = await store.read_stream(ref)
        reads.note(ref, recorded[-1].stream_version if recorded else 0)
        if effective(stored_events(recorded)):
            found.add(ref)
    return frozenset(found)


async def signatory_statuses(
    store: EventStore, reads: ReadSet, parties: Iterable[str], date: PartialDate
) -> dict[str, frozenset[MembershipStatus]]:
    out: dict[str, frozenset[MembershipStatus]] = {}
    for code in parties:
        loaded = await load(
            store, membership.stream_id(code), membership.evolve, membership.MembershipState()
        )
        reads.loaded(loaded)
        out[code] = loaded.state.statuses_at(date)
    return out


async def meeting_fact(
    store: EventStore, reads: ReadSet, meeting_id: str | None
) -> documents.MeetingFact | None:
    if meeting_id is None:
        return None
    loaded = await load(store, meeting_id, meetings.evolve, meetings.MeetingState())
    reads.loaded(loaded)
    state = loaded.state
    if state.phase is meetings.MeetingPhase.NONE:
        return None
    return documents.MeetingFact(
        held=state.phase is meetings.MeetingPhase.HELD,
        start_date=state.start_date,
        end_date=state.end_date,
    )


async def body_state(store: EventStore, reads: ReadSet, body_id: str) -> bodies.BodyState:
    loaded = await load(store, body_id, bodies.evolve, bodies.BodyState())
    reads.loaded(loaded)
    return loaded.state
