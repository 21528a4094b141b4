"""The base of every domain event: its valid time (when it happened in the world, with the
precision the sources give, or None where they give none) and its sources."""

from __future__ import annotations

from dataclasses import dataclass

from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Sources


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    valid_time: PartialDate | None
    sources: Sources
