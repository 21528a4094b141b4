"""Reference data: the states the registry knows, registered from each history file's `states`
list. One stream, `reference/states`; decide functions take the known codes as a fact rather
than hard-coding the world.

Command names and fields are stable; a change is noted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sco_registry.domain import ids
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.events import Event
from sco_registry.domain.values import Citation, Sources, check_state_code, require_sources

STREAM_ID = ids.STATES_STREAM
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


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class StateRegistered(Event):
    """A state code with its name. Reference data: no valid time of its own."""

    code: str
    name: str


# --- state ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownStates:
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.names)


def decide(command: RegisterState, state: KnownStates) -> list[Event]:
    check_state_code(command.code)
    require_sources(command.sources)
    if not command.name.strip():
        raise InvalidValue("a state needs a name", code="state.missing_name")
    if state.names.get(command.code) == command.name:
        return []  # already known under this name: nothing new to record
    return [
        StateRegistered(
            valid_time=None, sources=command.sources, code=command.code, name=command.name
        )
    ]


def evolve(state: KnownStates, event: Event) -> KnownStates:
    if isinstance(event, StateRegistered):
        return KnownStates({**state.names, event.code: event.name})
    return state
