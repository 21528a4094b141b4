"""The facts the declaration's norms are evaluated over, gathered from the whole log, and
the evaluation itself (`check_norms`)."""

from __future__ import annotations

from collections import defaultdict

from sco_registry.domain import documents, meetings, membership, norms, organization
from sco_registry.domain.folding import fold, stored_events
from sco_registry.domain.membership import MembershipChange
from sco_registry.store.base import EventStore, RecordedEvent

_JOINED = frozenset({MembershipChange.FOUNDING_MEMBER, MembershipChange.ADMITTED})
_LEFT = frozenset({MembershipChange.WITHDREW, MembershipChange.ENDED})


async def gather_norm_facts(
    store: EventStore, *, organization_id: str = "organization/sco", until_year: int | None = None
) -> norms.NormFacts:
    streams: dict[str, list[RecordedEvent]] = defaultdict(list)
    async for event in store.iter_all():
        streams[event.stream_id].append(event)
    org = fold(
        organization.evolve,
        organization.OrganizationState(),
        stored_events(streams.get(organization_id, [])),
    )
    held: list[norms.HeldMeeting] = []
    members: list[norms.MemberTerm] = []
    admissions: list[norms.Admission] = []
    signed: list[norms.SignedDocument] = []
    for stream_id, recorded in sorted(streams.items()):
        stored = stored_events(recorded)
        if stream_id.startswith("meeting/"):
            m = fold(meetings.evolve, meetings.MeetingState(), stored)
            if m.phase is meetings.MeetingPhase.HELD and m.body_id and m.start_date:
                held.append(norms.HeldMeeting(stream_id, m.body_id, m.start_date, m.host_state))
        elif stream_id.startswith("membership/"):
            ms = fold(membership.evolve, membership.MembershipState(), stored)
            mine = [c for c in ms.changes if c.organization_id == organization_id and c.date]
            code = stream_id.removeprefix("membership/")
            since = None
            for c in sorted(mine, key=lambda c: c.date.sort_key if c.date else ()):
                assert c.date is not None
                if c.change in _JOINED and since is None:
                    since = c.date
                elif c.change in _LEFT and since is not None:
                    members.append(norms.MemberTerm(code, since, c.date))
                    since = None
                if c.change is MembershipChange.ADMITTED:
                    admissions.append(
                        norms.Admission(code, c.date, c.meeting, c.document, stream_id)
                    )
            if since is not None:
                members.append(norms.MemberTerm(code, since))
        elif stream_id.startswith("document/"):
            d = fold(documents.evolve, documents.DocumentState(), stored)
            if d.signed and d.signed_on is not None and d.category is not None:
                signed.append(
                    norms.SignedDocument(stream_id, str(d.category), d.signed_on, d.meeting)
                )
    return norms.NormFacts(
        founded_on=org.founded_on,
        meetings=tuple(held),
        members=tuple(members),
        admissions=tuple(admissions),
        documents=tuple(signed),
        until_year=until_year,
        organization_id=organization_id,
    )


async def check_norms(store: EventStore, *, until_year: int | None = None) -> list[norms.Finding]:
    return norms.evaluate(await gather_norm_facts(store, until_year=until_year))
