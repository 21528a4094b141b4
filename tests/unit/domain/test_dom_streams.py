"""Stream routing (`domain/streams.py`): every command and every event type of the catalog
has its stream, named by its family's identity field, and a type without a route is refused
rather than routed by whatever field it happens to have."""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pytest

from sco_registry.domain import catalog, ids, streams
from sco_registry.domain.commands import Command, RecordMembershipChange
from sco_registry.domain.meetings import MeetingHeld
from sco_registry.domain.membership import MembershipChange, MembershipStatus
from sco_registry.domain.streams import stream_of
from tests.unit.domain.gwt import SRC, d

COMMAND_TYPES: list[type[Any]] = list(typing.get_args(Command))
EVENT_TYPES: list[type[Any]] = [t.cls for t in catalog.EVENT_TYPES.values()]

# Written out here, apart from the routing table: the field that names each family's stream.
IDENTITY = {
    "organization": "organization_id",
    "bodies": "body_id",
    "meetings": "meeting_id",
    "documents": "document_id",
    "offices": "term_id",
    "mandates": "mandate_id",
    "corrections": "stream_id",
}


def _value(hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return _value(next(a for a in typing.get_args(hint) if a is not type(None)), name)
    if origin is tuple:
        return SRC if name == "sources" else ()
    if origin in (dict, Mapping) or hint is Any:
        return {}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if hint is uuid.UUID:
        return uuid.UUID(int=1)
    if hint is bool:
        return False
    if hint is int:
        return 1
    if hint is str:
        return f"<{name}>"  # every string field distinct: the route must pick the right one
    return d("2004-06-15")  # PartialDate, the only other field type


def instance(cls: type[Any]) -> Any:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], f.name) for f in fields(cls) if f.init})


def expected_stream(message: Any) -> str:
    family = type(message).__module__.rsplit(".", 1)[-1]
    if family == "states":
        return ids.STATES_STREAM
    if family == "membership":
        return ids.membership_stream(message.state)
    value = getattr(message, IDENTITY[family])
    assert isinstance(value, str)
    return value


@pytest.mark.parametrize("cls", COMMAND_TYPES + EVENT_TYPES, ids=lambda c: c.__name__)
def test_every_command_and_event_type_has_its_familys_stream(cls: type[Any]) -> None:
    message = instance(cls)
    assert stream_of(message) == expected_stream(message)


def test_the_routing_table_lists_exactly_the_commands_and_the_catalog() -> None:
    assert set(streams.ROUTES) == set(COMMAND_TYPES) | set(EVENT_TYPES)
    assert len(COMMAND_TYPES) == 30 and len(EVENT_TYPES) == 44


def test_a_type_without_a_route_is_refused_not_guessed() -> None:
    # Negative control: a new event type (here a subclass of a routed one, with a meeting_id
    # a guess would use) is not routed until the table names it.
    @dataclass(frozen=True, kw_only=True, slots=True)
    class MeetingReheld(MeetingHeld):
        pass

    event = instance(MeetingReheld)
    with pytest.raises(TypeError, match="no stream for MeetingReheld"):
        stream_of(event)
    assert stream_of(instance(MeetingHeld)) == "<meeting_id>"


def test_membership_and_states_are_streams_of_their_own() -> None:
    change = RecordMembershipChange(
        organization_id="organization/sco",
        state="KZ",
        date=d("2001-06-15"),
        change=MembershipChange.FOUNDING_MEMBER,
        status_after=MembershipStatus.FOUNDING_MEMBER,
        sources=SRC,
    )
    assert stream_of(change) == ids.membership_stream("KZ") == "membership/KZ"
    assert ids.STATES_STREAM == "reference/states"
    assert all(p.endswith("/") for p in ids.RECORD_PREFIXES)
