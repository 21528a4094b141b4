"""The event catalog: stable names, JSON round trip for every event type, upcasting."""

from __future__ import annotations

import enum
import json
import types
import typing
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from sco_registry.domain import catalog
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.events import Event
from sco_registry.domain.offices import OfficeTermRecorded
from sco_registry.domain.time import PartialDate
from tests.unit.domain.gwt import SRC, d

FIXTURES = Path(__file__).parent / "fixtures"


def sample(hint: Any, name: str) -> Any:
    """A value of every field type, with partial dates of every precision."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return sample(next(a for a in typing.get_args(hint) if a is not type(None)), name)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return SRC if name == "sources" else (sample(item, name), sample(item, name))
    if hint is PartialDate:
        return {"valid_time": d("2004-06"), "expires_on": d("2009")}.get(name, d("2004-06-17"))
    if hint is uuid.UUID:
        return uuid.UUID(int=7)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return list(hint)[-1]
    if hint is bool:
        return True
    if hint is int:
        return 3
    if origin is not None or hint is Any:
        return {"start_date": "2004-06", "nested": [1, {"a": None}]}
    return f"{name}/value"


def instance(cls: type[Event]) -> Event:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: sample(hints[f.name], f.name) for f in fields(cls)})


@pytest.mark.parametrize("name", sorted(catalog.EVENT_TYPES))
def test_every_event_type_round_trips_through_json(name: str) -> None:
    entry = catalog.EVENT_TYPES[name]
    event = instance(entry.cls)
    data = catalog.to_json(event)
    assert json.loads(json.dumps(data)) == data  # plain JSON
    assert catalog.type_name(event) == name
    assert catalog.from_json(name, json.loads(json.dumps(data)), entry.schema_version) == event


def test_partial_dates_keep_their_precision() -> None:
    data = catalog.to_json(instance(OfficeTermRecorded))
    assert data["valid_time"] == "2004-06" and data["from_date"] == "2004-06-17"


def test_type_names_are_stable_names_not_module_paths() -> None:
    for name, entry in catalog.EVENT_TYPES.items():
        assert "." not in name and name[0].isupper()
        assert entry.schema_version >= 1


def test_every_event_class_of_the_domain_is_in_the_catalog() -> None:
    import inspect

    from sco_registry.domain import (
        bodies,
        corrections,
        documents,
        mandates,
        meetings,
        membership,
        offices,
        organization,
        states,
    )

    classes = {
        cls
        for module in (
            bodies,
            corrections,
            documents,
            mandates,
            meetings,
            membership,
            offices,
            organization,
            states,
        )
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Event)
        and cls is not Event
        and not cls.__name__.startswith("_")
        and cls.__module__ == module.__name__
        and cls.__name__ != "MembershipChanged"
    }
    assert classes == {e.cls for e in catalog.EVENT_TYPES.values()}


def test_upcaster_reads_the_old_form_of_an_office_term() -> None:
    old = json.loads((FIXTURES / "office_term_recorded_v1.json").read_text())
    event = catalog.from_json(old["type"], old["data"], old["schema_version"])
    assert isinstance(event, OfficeTermRecorded)
    assert event.office == "executive_secretary"
    assert event.from_date == d("2004-01") and event.to_date == d("2006")
    assert catalog.schema_version_of("OfficeTermRecorded") == 2
    assert catalog.UPCASTERS[("OfficeTermRecorded", 1)][0] == 1  # upcaster number 1


def test_unknown_types_and_versions_are_refused() -> None:
    with pytest.raises(InvalidValue) as e:
        catalog.from_json("MemberJoinedTheClub", {})
    assert e.value.code == "event.unknown_type"
    with pytest.raises(InvalidValue) as e:
        catalog.upcast("OfficeTermRecorded", 3, {})
    assert e.value.code == "event.unknown_schema_version"
    with pytest.raises(InvalidValue) as e:
        catalog.upcast("OfficeTermRecorded", 0, {})
    assert e.value.code == "event.no_upcaster"


def test_malformed_json_forms_are_refused() -> None:
    data = catalog.to_json(instance(OfficeTermRecorded))
    with pytest.raises(InvalidValue) as e:
        catalog.from_json("OfficeTermRecorded", {**data, "person": 42})
    assert e.value.code == "event.malformed"
    with pytest.raises(InvalidValue) as e:
        catalog.from_json("OfficeTermRecorded", {**data, "from_date": "2004-13"})
    assert e.value.code == "date.malformed"
