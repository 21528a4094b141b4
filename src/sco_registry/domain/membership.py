"""The membership stream family: a state's relations to the organizations (Shanghai Five
participation, founding membership, applications and admission procedures, admission,
observer / dialogue partner / partner statuses, their changes and ends).

Stream id: `membership/<STATE>` (one stream per state, across organizations), because the
question the integrity rules ask of a state ("was it a member or a party on that date?") spans
organizations: a Shanghai Five participant signs the Five's documents, an SCO member the SCO's.

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from sco_registry.domain import ids
from sco_registry.domain.errors import IntegrityViolation
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import (
    Sources,
    check_id,
    check_state_code,
    require_known,
    require_known_states,
    require_sources,
)


class MembershipChange(enum.StrEnum):
    """The history format's `change` values, plus `ended` (a status that ends without a
    successor, e.g. an observer status that lapses)."""

    PARTICIPATION_BEGAN = "participation_began"
    FOUNDING_MEMBER = "founding_member"
    APPLICATION_FILED = "application_filed"
    ADMISSION_PROCEDURE_STARTED = "admission_procedure_started"
    OBLIGATIONS_MEMORANDUM_SIGNED = "obligations_memorandum_signed"
    ADMITTED = "admitted"
    STATUS_GRANTED = "status_granted"
    STATUS_MEMORANDUM_SIGNED = "status_memorandum_signed"
    STATUS_CHANGED = "status_changed"
    WITHDREW = "withdrew"
    SUSPENDED = "suspended"
    ENDED = "ended"


class MembershipStatus(enum.StrEnum):
    SHANGHAI_FIVE_PARTICIPANT = "shanghai_five_participant"
    FOUNDING_MEMBER = "founding_member"
    MEMBER = "member"
    OBSERVER = "observer"
    DIALOGUE_PARTNER = "dialogue_partner"
    PARTNER = "partner"


# Statuses that make a state a party to the organization's documents.
PARTY_STATUSES = frozenset(
    {
        MembershipStatus.SHANGHAI_FIVE_PARTICIPANT,
        MembershipStatus.FOUNDING_MEMBER,
        MembershipStatus.MEMBER,
    }
)


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordMembershipChange:
    """Record one change in a state's relation to an organization (the history format's
    `membership` kind). `status_after` is the status held after the change (for steps of a
    procedure, the status kept while it runs); None after a withdrawal or an end."""

    organization_id: str
    state: str
    date: PartialDate
    change: MembershipChange
    status_after: MembershipStatus | None
    meeting: str | None = None
    document: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AdmitMember:
    """Admit a state as a member by a decision taken at `meeting` and/or recorded in
    `document` (Art. 7); the same as RecordMembershipChange(change=admitted, status_after=member).
    """

    organization_id: str
    state: str
    date: PartialDate
    meeting: str | None = None
    document: str | None = None
    sources: Sources
    record_id: str | None = None


def stream_id(state: str) -> str:
    return ids.membership_stream(state)


# --- events: one type per change, all of one shape ---------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MembershipChanged(Event):
    """The shape every membership event shares; its type says what changed."""

    CHANGE: ClassVar[MembershipChange]

    organization_id: str
    state: str
    status_after: MembershipStatus | None
    meeting: str | None
    document: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ParticipationBegan(MembershipChanged):
    CHANGE = MembershipChange.PARTICIPATION_BEGAN


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundingMemberJoined(MembershipChanged):
    CHANGE = MembershipChange.FOUNDING_MEMBER


@dataclass(frozen=True, kw_only=True, slots=True)
class ApplicationFiled(MembershipChanged):
    CHANGE = MembershipChange.APPLICATION_FILED


@dataclass(frozen=True, kw_only=True, slots=True)
class AdmissionProcedureStarted(MembershipChanged):
    CHANGE = MembershipChange.ADMISSION_PROCEDURE_STARTED


@dataclass(frozen=True, kw_only=True, slots=True)
class ObligationsMemorandumSigned(MembershipChanged):
    CHANGE = MembershipChange.OBLIGATIONS_MEMORANDUM_SIGNED


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberAdmitted(MembershipChanged):
    CHANGE = MembershipChange.ADMITTED


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusGranted(MembershipChanged):
    CHANGE = MembershipChange.STATUS_GRANTED


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusMemorandumSigned(MembershipChanged):
    CHANGE = MembershipChange.STATUS_MEMORANDUM_SIGNED


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusChanged(MembershipChanged):
    CHANGE = MembershipChange.STATUS_CHANGED


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberWithdrew(MembershipChanged):
    CHANGE = MembershipChange.WITHDREW


@dataclass(frozen=True, kw_only=True, slots=True)
class MembershipSuspended(MembershipChanged):
    CHANGE = MembershipChange.SUSPENDED


@dataclass(frozen=True, kw_only=True, slots=True)
class MembershipEnded(MembershipChanged):
    CHANGE = MembershipChange.ENDED


EVENT_FOR_CHANGE: dict[MembershipChange, type[MembershipChanged]] = {
    cls.CHANGE: cls
    for cls in (
        ParticipationBegan,
        FoundingMemberJoined,
        ApplicationFiled,
        AdmissionProcedureStarted,
        ObligationsMemorandumSigned,
        MemberAdmitted,
        StatusGranted,
        StatusMemorandumSigned,
        StatusChanged,
        MemberWithdrew,
        MembershipSuspended,
        MembershipEnded,
    )
}

# The status a change must leave; None: any (a step of a procedure keeps the status it had).
_REQUIRED_STATUS: dict[MembershipChange, frozenset[MembershipStatus | None]] = {
    MembershipChange.PARTICIPATION_BEGAN: frozenset({MembershipStatus.SHANGHAI_FIVE_PARTICIPANT}),
    MembershipChange.FOUNDING_MEMBER: frozenset({MembershipStatus.FOUNDING_MEMBER}),
    MembershipChange.ADMITTED: frozenset({MembershipStatus.MEMBER}),
    MembershipChange.STATUS_GRANTED: frozenset(
        {MembershipStatus.OBSERVER, MembershipStatus.DIALOGUE_PARTNER, MembershipStatus.PARTNER}
    ),
}
_ADMISSIONS = frozenset({MembershipChange.FOUNDING_MEMBER, MembershipChange.ADMITTED})
_MEMBER_STATUSES = frozenset({MembershipStatus.FOUNDING_MEMBER, MembershipStatus.MEMBER})
_ENDINGS = frozenset({MembershipChange.WITHDREW, MembershipChange.ENDED})

# --- state and facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedChange:
    organization_id: str
    change: MembershipChange
    status_after: MembershipStatus | None
    date: PartialDate | None
    meeting: str | None = None
    document: str | None = None


@dataclass(frozen=True, slots=True)
class MembershipState:
    """A state's changes across organizations, in the order they were recorded."""

    changes: tuple[RecordedChange, ...] = ()

    def status_at(self, organization_id: str, date: PartialDate) -> MembershipStatus | None:
        """The status after the last change that may have happened on or before `date`.

        The last change is the one recorded last among those that no other such change
        definitely follows: the dates order changes where they prove an order, and where two
        dates overlap ("2070" and "2070-06-05") the recording order does (the import records
        a stream's changes in the order their meaning gives, docs/data.md "How the import
        orders"). So a withdrawal dated "2070" recorded after a grant of 2070-06-05 ends it,
        and a change recorded with a coarser date never hides a later, more precise one."""
        relevant = [
            (i, c)
            for i, c in enumerate(self.changes)
            if c.organization_id == organization_id
            and (c.date is None or c.date.lower <= date.upper)
        ]
        if not relevant:
            return None
        # A change is followed for certain by another iff it ends before the latest start.
        starts = [c.date.lower for _, c in relevant if c.date is not None]
        last_start = max(starts, default=None)
        latest = [
            (i, c)
            for i, c in relevant
            if c.date is not None and last_start is not None and c.date.upper >= last_start
        ]
        # Undated changes (none come from the history format) count as the earliest.
        return max(latest or relevant, key=lambda t: t[0])[1].status_after

    def statuses_at(self, date: PartialDate) -> frozenset[MembershipStatus]:
        """Every status the state may hold on `date`, in any organization, as far as the
        dates' precision tells: a change's status counts unless another change of the same
        organization definitely came after it and definitely on or before `date`.

        The signatory rule asks this question ("was it possibly a member when it signed?"):
        a member that signed on 1994-08-08 and withdrew in "1994-08" (the sources give the
        month) may have signed before it left, so it is not refused; only dates that *prove*
        it held no party status are (see docs/data.md, "Valid by the format, refused by the
        domain")."""
        found: set[MembershipStatus] = set()
        for org in {c.organization_id for c in self.changes}:
            found |= self._possible(org, date)
        return frozenset(found)

    def _possible(self, organization_id: str, date: PartialDate) -> set[MembershipStatus]:
        before = [
            c
            for c in self.changes
            if c.organization_id == organization_id
            and (c.date is None or c.date.lower <= date.upper)
        ]
        out: set[MembershipStatus] = set()
        for c in before:
            superseded = c.date is not None and any(
                other.date is not None
                and c.date.definitely_before(other.date)
                and other.date.upper <= date.lower
                for other in before
            )
            if not superseded and c.status_after is not None:
                out.add(c.status_after)
        return out


@dataclass(frozen=True, slots=True)
class MembershipFacts:
    known_states: frozenset[str] = frozenset()
    known_ids: frozenset[str] = frozenset()  # organizations, meetings, documents referred to


MembershipCommand = RecordMembershipChange | AdmitMember


def decide(
    command: MembershipCommand, state: MembershipState, facts: MembershipFacts
) -> list[Event]:
    if isinstance(command, AdmitMember):
        command = RecordMembershipChange(
            organization_id=command.organization_id,
            state=command.state,
            date=command.date,
            change=MembershipChange.ADMITTED,
            status_after=MembershipStatus.MEMBER,
            meeting=command.meeting,
            document=command.document,
            sources=command.sources,
            record_id=command.record_id,
        )
    org = check_id(command.organization_id, ids.ORGANIZATION)
    check_state_code(command.state)
    require_sources(command.sources)
    require_known_states([command.state], facts.known_states, field="state")
    require_known(org, org in facts.known_ids, kind="organization", field="organization_id")
    for kind, ref in (("meeting", command.meeting), ("document", command.document)):
        require_known(ref, ref in facts.known_ids, kind=kind, field=kind)
    change, after = command.change, command.status_after
    allowed = _REQUIRED_STATUS.get(change)
    if allowed is not None and after not in allowed:
        raise IntegrityViolation(
            f"{change} cannot leave the status {after}",
            code="membership.inconsistent_status",
            details={"change": str(change), "status_after": str(after)},
        )
    refusal = status_refusal(state, org, command.state, command.date, change, after)
    if refusal is not None:
        raise refusal
    return [
        EVENT_FOR_CHANGE[change](
            valid_time=command.date,
            sources=command.sources,
            organization_id=org,
            state=command.state,
            status_after=after,
            meeting=command.meeting,
            document=command.document,
        )
    ]


def status_refusal(
    state: MembershipState,
    organization_id: str,
    code: str,
    date: PartialDate,
    change: MembershipChange,
    after: MembershipStatus | None,
) -> IntegrityViolation | None:
    """Why `change` (leaving `after`) cannot follow the changes of `state` on `date`, or None:
    an admission of a member, a grant of the status already held, an end or a suspension of
    no status. The import orders a stream's changes with this very rule (importer/order.py),
    so that what it accepts and what the domain accepts cannot drift apart."""
    current = state.status_at(organization_id, date)
    details = {"state": code, "organization": organization_id, "status": str(current)}
    if change in _ADMISSIONS and current in _MEMBER_STATUSES:
        return IntegrityViolation(
            f"{code} is already a member of {organization_id} on {date}",
            code="membership.already_member",
            details=details,
        )
    if change is MembershipChange.STATUS_GRANTED and current == after:
        return IntegrityViolation(
            f"{code} already holds the status {after} in {organization_id} on {date}",
            code="membership.status_already_granted",
            details=details,
        )
    if change in _ENDINGS | {MembershipChange.SUSPENDED} and current is None:
        return IntegrityViolation(
            f"{code} holds no status in {organization_id} on {date} to end or suspend",
            code="membership.no_status",
            details=details,
        )
    return None


def evolve(state: MembershipState, event: Event) -> MembershipState:
    if isinstance(event, MembershipChanged):
        change = RecordedChange(
            event.organization_id,
            event.CHANGE,
            event.status_after,
            event.valid_time,
            event.meeting,
            event.document,
        )
        return MembershipState((*state.changes, change))
    return state
