"""The bundled 1996-2012 history passes every integrity rule through the handlers, and a
second run appends nothing."""

from __future__ import annotations

import uuid

from tests.unit.application.history_fixture import commands_for, load_history

from sco_registry.application import CommandContext, handle
from sco_registry.store.memory import InMemoryEventStore


async def test_real_history_is_accepted_and_a_rerun_appends_nothing() -> None:
    store = InMemoryEventStore()
    steps = commands_for(load_history())
    correlation = uuid.uuid4()
    for key, command in steps:
        ctx = CommandContext(actor="test", correlation_id=correlation, idempotency_key=key)
        await handle(command, store, ctx)
    head = await store.head_position()
    assert head > len(steps) - 20
    for key, command in steps:
        ctx = CommandContext(actor="test", correlation_id=correlation, idempotency_key=key)
        result = await handle(command, store, ctx)
        assert result.events_appended == 0
    assert await store.head_position() == head
