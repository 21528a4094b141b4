"""The typed records of a `sco-registry-history/1` file: one frozen dataclass per kind, and the
enumerations the format defines (FORMAT.md), spelled exactly as in the files.

The enumerations look like the domain's, on purpose kept apart: they are the interchange
format's version 1, frozen with it, while the domain's vocabulary grows (its membership
changes include `ended`, which the format has not). `importer/mapping.py` translates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from sco_registry.domain.time import PartialDate

FORMAT_TAG = "sco-registry-history/1"
SCO_ID = "organization/sco"


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class BodyCategory(enum.StrEnum):
    COUNCIL = "council"
    PERMANENT_BODY = "permanent_body"
    MINISTERIAL_MEETING = "ministerial_meeting"
    EXPERT_GROUP = "expert_group"
    MECHANISM = "mechanism"
    AFFILIATED = "affiliated"
    PROCESS = "process"


class BodyStatus(enum.StrEnum):
    DECIDED = "decided"
    ESTABLISHED = "established"


class Permanence(enum.StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


class BodyChangeKind(enum.StrEnum):
    ESTABLISHED = "established"
    SEAT_RELOCATED = "seat_relocated"
    RENAMED = "renamed"
    DISSOLVED = "dissolved"


class MeetingFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"


class MeetingStatus(enum.StrEnum):
    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class DocumentCategory(enum.StrEnum):
    AGREEMENT = "agreement"
    DECLARATION = "declaration"
    CHARTER = "charter"
    CONVENTION = "convention"
    TREATY = "treaty"
    REGULATION = "regulation"
    MEMORANDUM = "memorandum"
    PROGRAMME = "programme"
    STRATEGY = "strategy"
    JOINT_STATEMENT = "joint_statement"
    PROTOCOL = "protocol"
    DECISION = "decision"


class MembershipChange(enum.StrEnum):
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


class MembershipStatus(enum.StrEnum):
    SHANGHAI_FIVE_PARTICIPANT = "shanghai_five_participant"
    FOUNDING_MEMBER = "founding_member"
    MEMBER = "member"
    OBSERVER = "observer"
    DIALOGUE_PARTNER = "dialogue_partner"
    PARTNER = "partner"


class Office(enum.StrEnum):
    EXECUTIVE_SECRETARY = "executive_secretary"
    SECRETARY_GENERAL = "secretary_general"
    DIRECTOR = "director"


@dataclass(frozen=True, slots=True)
class Citation:
    """One source of a record: a title, a URL, or both (never neither)."""

    title: str | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Fields every record has. `fingerprint` is a hash of the record's normalized content,
    all of it (sources, confidence and note included): two records with one id and one
    fingerprint are the same fact, told the same way (see `kinds.fingerprint`)."""

    id: str
    sources: tuple[Citation, ...]
    confidence: Confidence
    note: str | None
    fingerprint: str

    kind: ClassVar[str] = ""

    @property
    def valid_time(self) -> PartialDate | None:
        """When the fact happened in the world (used to order an import)."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationRecord(Record):
    kind: ClassVar[str] = "organization"
    name: str
    abbreviation: str | None
    founded_on: PartialDate
    founded_at: str | None
    founding_document: str | None
    predecessor: str | None
    purposes: tuple[str, ...]
    principles: tuple[str, ...]

    @property
    def valid_time(self) -> PartialDate | None:
        return self.founded_on


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyRecord(Record):
    kind: ClassVar[str] = "body"
    name: str
    abbreviation: str | None
    category: BodyCategory
    organization: str
    status: BodyStatus
    established: PartialDate | None
    parent: str | None
    permanence: Permanence | None
    seat: str | None
    seat_state: str | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.established


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyChangeRecord(Record):
    kind: ClassVar[str] = "body_change"
    body: str
    date: PartialDate
    change: BodyChangeKind
    seat: str | None
    seat_state: str | None
    name: str | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.date


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingRecord(Record):
    kind: ClassVar[str] = "meeting"
    body: str
    ordinal: int | None
    start_date: PartialDate
    end_date: PartialDate | None
    city: str
    host_state: str
    format: MeetingFormat
    status: MeetingStatus

    @property
    def valid_time(self) -> PartialDate | None:
        return self.start_date


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRecord(Record):
    kind: ClassVar[str] = "document"
    title: str
    category: DocumentCategory
    signed_on: PartialDate
    place: str | None
    meeting: str | None
    parties: tuple[str, ...] | None
    in_force_on: PartialDate | None
    amends: str | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.signed_on


@dataclass(frozen=True, slots=True, kw_only=True)
class MembershipRecord(Record):
    kind: ClassVar[str] = "membership"
    state: str
    organization: str
    date: PartialDate
    change: MembershipChange
    status_after: MembershipStatus | None  # None only after `withdrew`
    meeting: str | None
    document: str | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.date


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficeTermRecord(Record):
    kind: ClassVar[str] = "office_term"
    body: str
    office: Office
    person: str
    nationality: str | None
    from_: PartialDate
    to: PartialDate | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.from_


@dataclass(frozen=True, slots=True, kw_only=True)
class MandateRecord(Record):
    """`due` is either a meeting id (`due_meeting`) or a date (`due_date`), never both."""

    kind: ClassVar[str] = "mandate"
    by: str
    to: str
    date: PartialDate
    task: str
    document: str | None
    due_meeting: str | None
    due_date: PartialDate | None

    @property
    def valid_time(self) -> PartialDate | None:
        return self.date


AnyRecord = (
    OrganizationRecord
    | BodyRecord
    | BodyChangeRecord
    | MeetingRecord
    | DocumentRecord
    | MembershipRecord
    | OfficeTermRecord
    | MandateRecord
)

KINDS: tuple[str, ...] = (
    "organization",
    "body",
    "body_change",
    "meeting",
    "document",
    "membership",
    "office_term",
    "mandate",
)


@dataclass(frozen=True, slots=True)
class HistoryFile:
    """A parsed, valid file: its header and its records in file order."""

    path: str
    title: str
    covers_from: PartialDate
    covers_to: PartialDate
    states: dict[str, str]
    records: tuple[AnyRecord, ...]
