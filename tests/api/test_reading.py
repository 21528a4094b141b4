"""Time on every read: `knownAt` by position and by time (inherited by nested fields),
`minPosition` (a bounded wait with a clear timeout), and the input errors' codes."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

import httpx

from sco_registry.app import create_app
from sco_registry.application.bus import handle
from sco_registry.application.context import CommandContext
from sco_registry.domain.corrections import CorrectEvent
from sco_registry.domain.values import Citation
from tests.api.conftest import Api

MEETING = "meeting/heads_of_state/2002"
CITY = 'query ($k: KnownAt) { meeting(id: "' + MEETING + '", knownAt: $k) { city } }'


async def _correct_city(api: Api, city: str) -> int:
    store = api.registry.store
    (held, *_) = await store.read_stream(MEETING)
    result = await handle(
        CorrectEvent(
            stream_id=MEETING,
            event_id=held.event_id,
            reason="test",
            changes={"city": city},
            sources=(Citation(title="t"),),
        ),
        store,
        CommandContext(actor="test", correlation_id=uuid.uuid4()),
    )
    assert result is not None
    return await store.head_position()


async def test_known_at_a_position_and_a_time(api: Api) -> None:
    before = await api.registry.store.head_position()
    await asyncio.sleep(0.01)
    middle = dt.datetime.now(dt.UTC)
    await asyncio.sleep(0.01)
    after = await _correct_city(api, "Saint Petersburg")
    assert after == before + 1
    at = await api.data(CITY, {"k": {"position": before}})
    assert at["meeting"]["city"] == "St. Petersburg"
    assert (await api.data(CITY, {"k": {"position": after}}))["meeting"]["city"] == (
        "Saint Petersburg"
    )
    by_time = await api.data(CITY, {"k": {"time": middle.isoformat()}})
    assert by_time["meeting"]["city"] == "St. Petersburg"
    early = await api.data(CITY, {"k": {"time": "2000-01-01T00:00:00+00:00"}})
    assert early["meeting"] is None  # nothing was recorded yet
    # Nested fields inherit the view: the charter's meeting as known then, and now.
    nested = (
        'query ($k: KnownAt) { document(id: "document/charter-2002", knownAt: $k) '
        "{ meeting { city } } }"
    )
    then = await api.data(nested, {"k": {"position": before}})
    assert then["document"]["meeting"]["city"] == "St. Petersburg"
    now = await api.data(nested, {"k": None})
    assert now["document"]["meeting"]["city"] == "Saint Petersburg"


async def test_min_position_waits_for_the_read_models(api: Api) -> None:
    head = await api.registry.store.head_position()
    ok = await api.query(
        'query ($p: Int) { meeting(id: "' + MEETING + '", minPosition: $p) { city } }', {"p": head}
    )
    assert ok["data"]["meeting"]["city"] == "St. Petersburg"
    # A position no write has reached yet: the bounded wait ends with the timeout's code...
    timed_out = await api.query(
        'query ($p: Int) { head { position } meeting(id: "' + MEETING + '", minPosition: $p) '
        "{ city } }",
        {"p": head + 1},
    )
    assert timed_out["errors"][0]["extensions"]["code"] == "read.min_position_timeout"
    # ...and one reached while it waits is answered with the write visible. This part runs
    # on an app with a generous bound (the same store): the append may be slow on a busy
    # machine, and only the answer is checked, never how long it took.
    patient = dataclasses.replace(
        api.registry,
        settings=api.registry.settings.model_copy(update={"api_min_position_timeout_s": 60.0}),
    )
    transport = httpx.ASGITransport(app=create_app(patient))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        query = 'query ($p: Int) { meeting(id: "' + MEETING + '", minPosition: $p) { city } }'
        waiting = asyncio.create_task(
            client.post("/graphql", json={"query": query, "variables": {"p": head + 1}})
        )
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the position is not reached: it cannot have answered
        await _correct_city(api, "Saint Petersburg")
        answered = (await waiting).json()
    assert answered["data"]["meeting"]["city"] == "Saint Petersburg", answered


async def test_input_errors_have_codes(shared_api: Api) -> None:
    cases = {
        '{ members(organization: "organization/sco", asOf: "2005-13", first: 1) '
        "{ totalCount } }": "input.malformed_date",
        '{ meetings(first: 1, knownAt: {position: 1, time: "2020-01-01T00:00:00Z"}) '
        "{ totalCount } }": "input.malformed_known_at",
        '{ meetings(first: 1, knownAt: {time: "2020-01-01T00:00:00"}) '
        "{ totalCount } }": "input.malformed_known_at",
        '{ meetings(first: 1, after: "not a cursor") { totalCount } }': "page.malformed_cursor",
        '{ state(code: "KZ") { status(organization: "organization/sco") { answer } } }': (
            "input.as_of_required"
        ),
        '{ meetingOf(body: "body/heads_of_state_council") { id } }': "input.invalid",
    }
    for query, code in cases.items():
        body = await shared_api.query(query)
        assert body["errors"][0]["extensions"]["code"] == code, (query, body)
    # Control: the same queries well formed are answered.
    good = await shared_api.query(
        '{ members(organization: "organization/sco", asOf: "2005-12", first: 1) { totalCount } }'
    )
    assert "errors" not in good
