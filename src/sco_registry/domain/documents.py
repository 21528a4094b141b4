"""The documents stream family: an instrument's drafting mandated and drafted, its signature
(where, when, by whom), ratification per state, entry into force, amendment and supersession.
Stream id: the record id (`document/charter-2002`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources


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


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MandateDrafting:
    """A body instructs another to draft a document, due at a meeting or by a date
    (the declaration's final part: the Charter, to the State Coordinators' Council, 2002)."""

    document_id: str
    title: str
    category: DocumentCategory
    date: PartialDate
    mandated_by: str
    mandated_to: str
    due_meeting: str | None = None
    due_date: PartialDate | None = None
    mandate_document: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordDraft:
    document_id: str
    date: PartialDate
    drafted_by: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordDocument:
    """Record a signed instrument (the history format's `document` kind).

    `parties` is None where the sources do not list them. `founding_parties` are signatories
    that become members or participants through this very document (the 1996 Shanghai
    agreement, the 2001 declaration, Uzbekistan's 2001 admission statement): the signatory
    rule accepts them though no status is recorded for them yet, because their membership
    records cite this document and so can only be recorded after it. An importer finds them
    among the membership records that cite the document with a date overlapping `signed_on`.
    With `amends`, the amended document's stream records the amendment in the same transaction.
    """

    document_id: str
    title: str
    category: DocumentCategory
    signed_on: PartialDate
    place: str | None = None
    meeting: str | None = None
    parties: tuple[str, ...] | None = None
    founding_parties: tuple[str, ...] = ()
    in_force_on: PartialDate | None = None
    amends: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RatifyDocument:
    document_id: str
    state: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BringDocumentIntoForce:
    document_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SupersedeDocument:
    document_id: str
    superseded_by: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None
