"""CommandContext.expected_version: a command is refused, appending nothing, unless its own
stream is at the version the caller saw; and the append itself expects that version."""

from __future__ import annotations

import uuid

import pytest

from sco_registry.application import CommandContext, handle
from sco_registry.domain import commands as c
from sco_registry.domain.organization import PrincipleKind
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.store.errors import WrongExpectedVersion
from sco_registry.store.memory import InMemoryEventStore

SRC = (Citation(title="Joint statement", url="https://example.org/1996"),)
FIVE = c.FoundOrganization(
    organization_id="organization/shanghai-five",
    name="Shanghai Five",
    founded_on=PartialDate.parse("1996-04-26"),
    sources=SRC,
)
PRINCIPLES = c.AdoptPrinciples(
    organization_id="organization/shanghai-five",
    kind=PrincipleKind.PRINCIPLES,
    texts=("mutual trust",),
    date=PartialDate.parse("1996-04-26"),
    sources=SRC,
)


def ctx(expected: int | None, key: str | None = None) -> CommandContext:
    return CommandContext(
        actor="curator@test",
        correlation_id=uuid.uuid4(),
        idempotency_key=key,
        expected_version=expected,
    )


async def test_a_new_stream_is_expected_at_version_zero() -> None:
    store = InMemoryEventStore()
    result = await handle(FIVE, store, ctx(0))
    assert result.events_appended == 1
    assert await store.stream_version("organization/shanghai-five") == 1


async def test_a_stale_expected_version_appends_nothing() -> None:
    store = InMemoryEventStore()
    await handle(FIVE, store, ctx(None))
    head = await store.head_position()
    with pytest.raises(WrongExpectedVersion) as caught:
        await handle(PRINCIPLES, store, ctx(0))
    assert caught.value.details == {
        "stream_id": "organization/shanghai-five",
        "expected": "0",
        "actual": 1,
    }
    assert await store.head_position() == head
    # The version it is at is accepted (the control: the same command can succeed).
    result = await handle(PRINCIPLES, store, ctx(1))
    assert result.events_appended == 1


async def test_without_an_expected_version_any_version_is_accepted() -> None:
    store = InMemoryEventStore()
    await handle(FIVE, store, ctx(None))
    assert (await handle(PRINCIPLES, store, ctx(None))).events_appended == 1


async def test_a_replay_returns_the_first_outcome_whatever_the_version() -> None:
    store = InMemoryEventStore()
    first = await handle(FIVE, store, ctx(0, key="k1"))
    again = await handle(FIVE, store, ctx(0, key="k1"))
    assert again.replayed and again.first_position == first.first_position
