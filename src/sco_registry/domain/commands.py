"""The index of every command, by family, and how history-file records map onto them.

Mapping of the `sco-registry-history/1` kinds (every command also takes `sources` and
`record_id`; pass the record id as the idempotency key too):

* `states` list -> RegisterState (once per file, before its records).
* `organization` -> FoundOrganization (`founding_document` None when the document is not
  recorded yet), then RecordFoundingDocument once the document is recorded.
* `body` -> RecordBody; `body_change` -> EstablishBody / RelocateSeat / RenameBody / DissolveBody.
* `meeting` -> RecordMeeting (status held / postponed / cancelled).
* `document` -> RecordDocument (`parties` None allowed; `founding_parties`: the parties whose
  membership records cite this document on its date).
* `membership` -> RecordMembershipChange (every `change` value).
* `office_term` -> RecordOfficeTerm; `mandate` -> RecordMandate (`due` split into
  `due_meeting` for a meeting id, `due_date` otherwise).

Order: a record must come after the records it refers to, and a document after the membership
records that make its (non-founding) signatories members or participants on its date: ordering
records by date, then organization < body < body_change < meeting < document < membership <
office_term < mandate, with the founding documents recorded last, satisfies every rule.
"""

from __future__ import annotations

from sco_registry.domain.bodies import (
    ApproveBodyRules,
    DissolveBody,
    EstablishBody,
    RecordBody,
    RelocateSeat,
    RenameBody,
)
from sco_registry.domain.corrections import CorrectEvent, RetractEvent
from sco_registry.domain.documents import (
    BringDocumentIntoForce,
    MandateDrafting,
    RatifyDocument,
    RecordDocument,
    RecordDraft,
    SupersedeDocument,
)
from sco_registry.domain.mandates import FulfilMandate, RecordMandate
from sco_registry.domain.meetings import (
    CancelMeeting,
    HoldMeeting,
    MoveMeeting,
    PostponeMeeting,
    RecordMeeting,
    ScheduleMeeting,
)
from sco_registry.domain.membership import AdmitMember, RecordMembershipChange
from sco_registry.domain.offices import EndOfficeTerm, RecordOfficeTerm
from sco_registry.domain.organization import (
    AdoptPrinciples,
    FoundOrganization,
    RecordFoundingDocument,
)
from sco_registry.domain.states import RegisterState

Command = (
    RegisterState
    | FoundOrganization
    | RecordFoundingDocument
    | AdoptPrinciples
    | RecordMembershipChange
    | AdmitMember
    | RecordBody
    | EstablishBody
    | RelocateSeat
    | RenameBody
    | DissolveBody
    | ApproveBodyRules
    | RecordMeeting
    | ScheduleMeeting
    | HoldMeeting
    | PostponeMeeting
    | MoveMeeting
    | CancelMeeting
    | MandateDrafting
    | RecordDraft
    | RecordDocument
    | RatifyDocument
    | BringDocumentIntoForce
    | SupersedeDocument
    | RecordOfficeTerm
    | EndOfficeTerm
    | RecordMandate
    | FulfilMandate
    | CorrectEvent
    | RetractEvent
)

__all__ = [
    "AdmitMember",
    "AdoptPrinciples",
    "ApproveBodyRules",
    "BringDocumentIntoForce",
    "CancelMeeting",
    "Command",
    "CorrectEvent",
    "DissolveBody",
    "EndOfficeTerm",
    "EstablishBody",
    "FoundOrganization",
    "FulfilMandate",
    "HoldMeeting",
    "MandateDrafting",
    "MoveMeeting",
    "PostponeMeeting",
    "RatifyDocument",
    "RecordBody",
    "RecordDocument",
    "RecordDraft",
    "RecordFoundingDocument",
    "RecordMandate",
    "RecordMeeting",
    "RecordMembershipChange",
    "RecordOfficeTerm",
    "RegisterState",
    "RelocateSeat",
    "RenameBody",
    "RetractEvent",
    "ScheduleMeeting",
    "SupersedeDocument",
]
