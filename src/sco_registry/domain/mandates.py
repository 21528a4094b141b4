"""The mandates stream family: an instruction by one body to another (the history format's
`mandate` kind) and its fulfilment. Stream id: the record id (`mandate/2005-07-05/...`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordMandate:
    """`due` of the format is either a meeting id (`due_meeting`) or a date (`due_date`)."""

    mandate_id: str
    by_body: str
    to_body: str
    date: PartialDate
    task: str
    document: str | None = None
    due_meeting: str | None = None
    due_date: PartialDate | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FulfilMandate:
    mandate_id: str
    date: PartialDate
    document: str | None = None
    sources: Sources
    record_id: str | None = None
