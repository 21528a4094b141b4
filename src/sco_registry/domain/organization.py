"""The organization stream family: the "Shanghai Five" process and the SCO, their founding,
adopted purposes and principles, and succession. Stream id: the record id (`organization/sco`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundOrganization:
    """Record an organization's founding. With a predecessor, the predecessor's stream records
    its succession in the same transaction.

    `founding_document` may be left None and recorded later with RecordFoundingDocument: the
    founding document is signed at a meeting of a body of the organization, so an importer
    records the organization first and its founding document after the document.
    """

    organization_id: str
    name: str
    founded_on: PartialDate
    abbreviation: str | None = None
    founded_at: str | None = None
    founding_members: tuple[str, ...] = ()
    founding_document: str | None = None
    predecessor: str | None = None
    purposes: tuple[str, ...] = ()
    principles: tuple[str, ...] = ()
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordFoundingDocument:
    """Name the document that founded an organization (valid time: the founding date)."""

    organization_id: str
    document_id: str
    sources: Sources
    record_id: str | None = None


class PrincipleKind(enum.StrEnum):
    PURPOSES = "purposes"  # Art. 2
    SHANGHAI_SPIRIT = "shanghai_spirit"  # Art. 4
    PRINCIPLES = "principles"  # Art. 5, 6, 7


@dataclass(frozen=True, kw_only=True, slots=True)
class AdoptPrinciples:
    """Record purposes, the "Shanghai Spirit" or principles adopted by an organization."""

    organization_id: str
    kind: PrincipleKind
    texts: tuple[str, ...]
    date: PartialDate
    document: str | None = None
    sources: Sources
    record_id: str | None = None
