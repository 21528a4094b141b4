"""The offices stream family: a person's term in an office of a body, with the office's title
as it was at the time. Stream id: the record id (`office/secretariat/zhang-deguang`).

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordOfficeTerm:
    """The history format's `office_term` kind. `office` is the title at the time
    (`executive_secretary`, `secretary_general`, `director`)."""

    term_id: str
    body_id: str
    office: str
    person: str
    from_date: PartialDate
    to_date: PartialDate | None = None
    nationality: str | None = None
    sources: Sources
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EndOfficeTerm:
    term_id: str
    date: PartialDate
    sources: Sources
    record_id: str | None = None
