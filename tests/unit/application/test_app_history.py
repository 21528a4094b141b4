"""The bundled 1996-2012 history passes every integrity rule through the handlers, and a
second run appends nothing."""

from __future__ import annotations

import uuid

from sco_registry.application import CommandContext, handle
from sco_registry.domain.norms import FindingStatus
from sco_registry.projections import compliance
from sco_registry.projections.runner import runner_for
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.application.history_fixture import commands_for, load_history


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


async def test_norms_over_real_history_report_its_departures() -> None:
    store = InMemoryEventStore()
    projections = runner_for(store)
    for key, command in commands_for(load_history()):
        ctx = CommandContext(actor="test", correlation_id=uuid.uuid4(), idempotency_key=key)
        await handle(command, store, ctx)
    found = await projections.read(lambda conn: compliance.findings(conn, standing_only=True))
    findings = [f.as_finding() for f in found]
    by = {(f.norm, f.year, f.body): f for f in findings}
    chs = "body/heads_of_state_council"
    assert by[("charter_signed_2002", 2002, chs)].status is FindingStatus.MET
    for year in range(2001, 2013):
        assert by[("annual_heads_of_state_meeting", year, chs)].status is FindingStatus.MET
    # Russia hosted in 2002 (St. Petersburg) and again in 2003 (Moscow).
    assert by[("rotation", 2003, chs)].status is FindingStatus.DEPARTED
    assert by[("rotation", 2004, chs)].status is FindingStatus.MET
    assert all(
        f.status is FindingStatus.NOT_APPLICABLE
        for f in findings
        if f.norm == "admission_by_consensus"
    )
