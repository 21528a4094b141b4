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

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources


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
