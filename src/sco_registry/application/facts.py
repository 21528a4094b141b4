"""The cross-stream facts the integrity rules need, read from the streams they live in.

Only the streams a command writes are guarded by an expected version; the streams read here
for facts are read once per attempt. A concurrent change to one of them between the read and
the append is not detected: the rules are about history, which changes rarely and through
the same handlers, and each retry re-reads them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sco_registry.application.loading import load, stored_events
from sco_registry.domain import bodies, documents, meetings, membership, states
from sco_registry.domain.corrections import effective
from sco_registry.domain.membership import MembershipStatus
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import EventStore


async def known_states(store: EventStore) -> frozenset[str]:
    loaded = await load(store, states.STREAM_ID, states.evolve, states.KnownStates())
    return loaded.state.codes


async def known_ids(store: EventStore, refs: Iterable[str | None]) -> frozenset[str]:
    """The referenced record ids whose streams hold something (each record id is a stream)."""
    found: set[str] = set()
    for ref in {r for r in refs if r}:
        if effective(stored_events(await store.read_stream(ref))):
            found.add(ref)
    return frozenset(found)


async def signatory_statuses(
    store: EventStore, parties: Iterable[str], date: PartialDate
) -> dict[str, frozenset[MembershipStatus]]:
    out: dict[str, frozenset[MembershipStatus]] = {}
    for code in parties:
        loaded = await load(
            store, membership.stream_id(code), membership.evolve, membership.MembershipState()
        )
        out[code] = loaded.state.statuses_at(date)
    return out


async def meeting_fact(store: EventStore, meeting_id: str | None) -> documents.MeetingFact | None:
    if meeting_id is None:
        return None
    loaded = await load(store, meeting_id, meetings.evolve, meetings.MeetingState())
    state = loaded.state
    if state.phase is meetings.MeetingPhase.NONE:
        return None
    return documents.MeetingFact(
        held=state.phase is meetings.MeetingPhase.HELD,
        start_date=state.start_date,
        end_date=state.end_date,
    )


async def body_state(store: EventStore, body_id: str) -> bodies.BodyState:
    return (await load(store, body_id, bodies.evolve, bodies.BodyState())).state
