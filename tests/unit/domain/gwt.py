"""Given / when / then for deciders: the events so far, a command, the facts; then the new
events, or a rejection with its code and no events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from sco_registry.domain.errors import RegistryError
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation

SRC = (Citation(title="Declaration on the Establishment of the SCO", article="Art. 3"),)
KNOWN_STATES = frozenset(
    {"CN", "KG", "KZ", "RU", "TJ", "UZ", "IN", "PK", "MN", "IR", "LK", "BY", "TR", "AF"}
)


def d(text: str) -> PartialDate:
    return PartialDate.parse(text)


class Spec:
    """A decider under test: `decide(command, state, facts)`, `evolve`, its initial state."""

    def __init__(
        self, decide: Callable[..., list[Event]], evolve: Callable[..., Any], initial: Any
    ) -> None:
        self.decide, self.evolve, self.initial = decide, evolve, initial

    def state(self, given: Sequence[Event]) -> Any:
        state = self.initial
        for e in given:
            state = self.evolve(state, e)
        return state

    def then(self, given: Sequence[Event], when: Any, facts: Any) -> list[Event]:
        return self.decide(when, self.state(given), facts)

    def then_rejected(self, given: Sequence[Event], when: Any, facts: Any, code: str) -> None:
        events: list[Event] | None = None
        with pytest.raises(RegistryError) as caught:
            events = self.decide(when, self.state(given), facts)
        assert caught.value.code == code, caught.value
        assert events is None  # nothing decided, so nothing to append
        assert caught.value.message
