"""Reference states: RegisterState."""

from __future__ import annotations

from sco_registry.domain import states
from sco_registry.domain.states import KnownStates, RegisterState, StateRegistered
from tests.unit.domain.gwt import SRC


def spec(given: list[StateRegistered], when: RegisterState) -> list[object]:
    state = KnownStates()
    for e in given:
        state = states.evolve(state, e)
    return list(states.decide(when, state))


KZ = StateRegistered(valid_time=None, sources=SRC, code="KZ", name="Kazakhstan")


def test_register_state_records_it() -> None:
    assert spec([], RegisterState(code="KZ", name="Kazakhstan", sources=SRC)) == [KZ]


def test_registering_the_same_name_again_records_nothing() -> None:
    assert spec([KZ], RegisterState(code="KZ", name="Kazakhstan", sources=SRC)) == []


def test_another_name_is_recorded() -> None:
    events = spec([KZ], RegisterState(code="KZ", name="Republic of Kazakhstan", sources=SRC))
    assert [e.name for e in events] == ["Republic of Kazakhstan"]  # type: ignore[attr-defined]


def test_malformed_code_is_refused() -> None:
    import pytest

    from sco_registry.domain.errors import InvalidValue

    with pytest.raises(InvalidValue) as e:
        spec([], RegisterState(code="kz", name="Kazakhstan"))
    assert e.value.code == "state.malformed_code"


def test_a_state_needs_a_name_and_a_citation_a_title_or_url() -> None:
    import pytest

    from sco_registry.domain.errors import InvalidValue
    from sco_registry.domain.values import Citation

    with pytest.raises(InvalidValue) as e:
        spec([], RegisterState(code="KZ", name=" "))
    assert e.value.code == "state.missing_name"
    with pytest.raises(InvalidValue) as e:
        Citation(article="Art. 8")
    assert e.value.code == "source.empty"
