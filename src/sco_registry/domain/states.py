"""Reference data: the states the registry knows, registered from each history file's `states`
list. One stream, `reference/states`; decide functions take the known codes as a fact rather
than hard-coding the world.

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sco_registry.domain.values import Citation, Sources

STREAM_ID = "reference/states"
ISO_3166 = Citation(
    title="ISO 3166-1 alpha-2 country codes", url="https://www.iso.org/iso-3166-country-codes.html"
)

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RegisterState:
    """Register an ISO 3166-1 alpha-2 code with a name. Registering a known code under the
    same name changes nothing; under another name records the new name."""

    code: str
    name: str
    sources: Sources = (ISO_3166,)
    record_id: str | None = None
