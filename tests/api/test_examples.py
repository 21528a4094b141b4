"""docs/api.md's worked examples, each run as written (read from the file) over HTTP on
SQLite and PostgreSQL with the bundled history, and its answer checked by hand."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from sco_registry.application.bus import handle
from sco_registry.application.context import CommandContext
from sco_registry.domain.corrections import CorrectEvent
from sco_registry.domain.values import Citation
from sco_registry.store.chain import chain_hash, envelope_of
from tests.api.conftest import Api

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example(name: str) -> str:
    """The GraphQL block after `<!-- example: NAME -->` in docs/api.md."""
    found = re.search(
        rf"<!-- example: {re.escape(name)} -->\s*```graphql\n(.*?)```", DOC.read_text(), re.S
    )
    assert found, f"docs/api.md has no example {name!r}"
    return found.group(1)


async def test_members_on_1_january_2005(shared_api: Api) -> None:
    data = await shared_api.data(example("members-2005"))
    nodes = data["members"]["nodes"]
    assert [n["state"]["code"] for n in nodes] == ["CN", "KG", "KZ", "RU", "TJ", "UZ"]
    assert {(n["answer"], n["certain"]) for n in nodes} == {("YES", True)}
    assert data["members"]["totalCount"] == 6


async def test_the_anti_terrorist_structures_seat_over_time(shared_api: Api) -> None:
    body = (await shared_api.data(example("rats-seat")))["body"]
    assert [
        (s["seat"], s["validPeriod"]["start"], s["validPeriod"]["end"]) for s in body["seatHistory"]
    ] == [("Bishkek", None, {"text": "2003-09-05"}), ("Tashkent", {"text": "2003-09-05"}, None)]
    assert [s["period"]["seat"] for s in body["in2002"]] == ["Bishkek"]
    assert [s["period"]["seat"] for s in body["moved"]] == ["Tashkent"]
    assert sorted(s["period"]["seat"] for s in body["during2003"]) == ["Bishkek", "Tashkent"]


async def test_documents_signed_at_the_2002_summit(shared_api: Api) -> None:
    meeting = (await shared_api.data(example("documents-2002")))["meeting"]
    assert meeting["city"] == "St. Petersburg"
    assert meeting["startDate"] == {"text": "2002-06-07", "precision": "DAY"}
    assert meeting["hostState"] == {"code": "RU", "name": "Russia"}
    assert [d["id"] for d in meeting["documents"]] == [
        "document/charter-2002",
        "document/rats-agreement-2002",
    ]
    assert all(d["provenance"]["sources"] for d in meeting["documents"])


async def test_what_the_registry_said_before_a_correction(api: Api) -> None:
    meeting_id = "meeting/heads_of_state/2002"
    store = api.registry.store
    (held, *_) = await store.read_stream(meeting_id)
    before = await store.head_position()
    await handle(
        CorrectEvent(
            stream_id=meeting_id,
            event_id=held.event_id,
            reason="the city's name as the Charter gives it",
            changes={"city": "Saint Petersburg"},
            sources=(Citation(title="Charter of the SCO, 2002"),),
        ),
        store,
        CommandContext(actor="test", correlation_id=uuid.uuid4()),
    )
    variables = {"id": meeting_id, "before": before}
    data = await api.data(example("before-correction"), variables)
    assert data["before"]["city"] == "St. Petersburg"
    assert data["now"]["city"] == "Saint Petersburg"
    positions = [e["position"] for e in data["now"]["provenance"]["events"]]
    assert before + 1 in positions  # the correction is among the events that made it
    assert all(p <= before for p in (e["position"] for e in data["before"]["provenance"]["events"]))


async def test_departures_from_the_declarations_norms(shared_api: Api) -> None:
    found = (await shared_api.data(example("departures")))["complianceFindings"]
    assert found["totalCount"] == 4
    assert [(f["year"], f["body"], f["rule"]) for f in found["nodes"]] == [
        (2003, "body/heads_of_state_council", "rotation"),
        (2006, "body/heads_of_state_council", "rotation"),
        (2010, "body/heads_of_government_council", "rotation"),
        (2011, "body/heads_of_government_council", "rotation"),
    ]
    assert found["nodes"][0]["evidence"] == [
        "meeting/heads_of_state/2002",
        "meeting/heads_of_state/2003",
    ]


async def test_an_auditor_checks_a_facts_events_and_hashes(shared_api: Api) -> None:
    data = await shared_api.data(example("auditor"))
    events: list[dict[str, Any]] = data["audit"]["nodes"]
    assert events and events[0]["type"] == "MeetingHeld"
    for e in events:
        # The predecessor's hash, read from the raw log, is the one the event chains to...
        previous = await shared_api.data(
            "query ($p: Int!) { events(positionFrom: $p, positionTo: $p, first: 1) "
            "{ nodes { hash } } }",
            {"p": e["position"] - 1},
        )
        assert previous["events"]["nodes"][0]["hash"] == e["previousHash"]
        # ...and the hash is the chain's over the event as stored (what `verify` recomputes).
        (stored,) = await shared_api.registry.store.read_all(after=e["position"] - 1, limit=1)
        assert chain_hash(e["previousHash"], envelope_of(stored)) == e["hash"]
        assert str(stored.event_id) == e["id"]
    # Negative control: a hash over another predecessor is not the event's.
    assert chain_hash("0" * 64, envelope_of(stored)) != events[-1]["hash"]
    head = await shared_api.registry.store.head_position()
    assert data["head"]["position"] == head
