"""Record annotations (CommandContext.annotations): facts about the record behind a command,
kept in every event's metadata under `record`, and no part of the command's fingerprint."""

from __future__ import annotations

import dataclasses
import uuid
from types import MappingProxyType

import pytest

from sco_registry.application import CommandContext, handle
from sco_registry.application.bus import fingerprint
from sco_registry.domain import commands as c
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.store.memory import InMemoryEventStore

SRC = (Citation(title="Joint statement", url="https://example.org/1996"),)
CORRELATION = uuid.uuid4()
FIVE = c.FoundOrganization(
    organization_id="organization/shanghai-five",
    name="Shanghai Five",
    founded_on=PartialDate.parse("1996-04-26"),
    sources=SRC,
    record_id="organization/shanghai-five",
)
# Founding the SCO as the Five's successor appends to two streams in one command.
SCO = c.FoundOrganization(
    organization_id="organization/sco",
    name="SCO",
    founded_on=PartialDate.parse("2001-06-15"),
    predecessor=FIVE.organization_id,
    sources=SRC,
    record_id="organization/sco",
)
NOTED = {"confidence": "medium", "note": "the sources disagree on the day", "fingerprint": "f1"}
BASE_METADATA = {
    "actor",
    "correlation_id",
    "causation_id",
    "idempotency_key",
    "command",
    "command_fingerprint",
    "record_id",
}


def ctx(key: str | None = None, **annotations: str) -> CommandContext:
    return CommandContext(
        actor="curator@test",
        correlation_id=CORRELATION,
        idempotency_key=key,
        annotations=annotations,
    )


def test_the_context_defaults_to_no_annotations_and_stays_frozen_and_hashable() -> None:
    plain = CommandContext(actor="a", correlation_id=CORRELATION)
    assert dict(plain.annotations) == {}
    assert isinstance(plain.annotations, MappingProxyType)  # the default cannot be mutated
    hash(plain)
    hash(ctx(**NOTED))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plain.annotations = {}  # type: ignore[misc]


async def test_annotations_land_in_the_metadata_of_every_event_of_the_command() -> None:
    store = InMemoryEventStore()
    await handle(FIVE, store, ctx(FIVE.organization_id, **NOTED))
    result = await handle(SCO, store, ctx(SCO.organization_id, **NOTED))
    assert result.stream_ids == ("organization/sco", "organization/shanghai-five")
    events = await store.read_all()
    assert len(events) == 3
    for event in events:
        assert event.metadata["record"] == NOTED
        assert set(event.metadata) == BASE_METADATA | {"record"}


async def test_a_command_without_annotations_has_the_metadata_it_always_had() -> None:
    store = InMemoryEventStore()
    await handle(FIVE, store, ctx(FIVE.organization_id))
    (event,) = await store.read_all()
    assert set(event.metadata) == BASE_METADATA
    assert "record" not in event.metadata


async def test_annotations_are_no_part_of_the_command_fingerprint() -> None:
    store = InMemoryEventStore()
    first = await handle(FIVE, store, ctx(FIVE.organization_id, **NOTED))
    (event,) = await store.read_all()
    assert event.metadata["command_fingerprint"] == fingerprint(FIVE)
    # The same command under the same key with other annotations is a replay, not a
    # conflict: the importer, which knows records, compares annotations itself.
    again = await handle(FIVE, store, ctx(FIVE.organization_id, confidence="low"))
    assert again.replayed and again.first_position == first.first_position
    assert await store.head_position() == 1
