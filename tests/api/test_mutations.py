"""Every mutation end to end over HTTP, on SQLite and PostgreSQL: each command once (a
success with what it appended), the import of a history file, and each typed error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sco_registry.application.bus import HANDLERS
from sco_registry.graphql.auth import Role
from sco_registry.graphql.mutations import mutation_name
from sco_registry.importer.bundled import bundled_files
from tests.api.conftest import Api
from tests.api.writes import SRC, RegistryApi, bearer, mutate, registry_api, scenario, token

__all__ = ["registry_api"]  # the fixture

WRITER = bearer(token(Role.WRITER, subject="alice@test"))


async def _head(api: Api) -> dict[str, Any]:
    head: dict[str, Any] = (await api.query("{ head { position hash } }"))["data"]["head"]
    return head


async def test_every_command_mutation_appends_as_the_writer(api: Api) -> None:
    steps = scenario()
    # The scenario plus the correction and retraction below cover every command.
    assert {n for n, _ in steps} | {"correctEvent", "retractEvent"} == {
        mutation_name(c) for c in HANDLERS
    }
    last = (await _head(api))["position"]
    results: dict[str, dict[str, Any]] = {}
    for name, input in steps:
        result = await mutate(api, name, input, headers=WRITER)
        assert result["__typename"] == "MutationSuccess", (name, result)
        assert result["eventsAppended"] == len(result["events"]) >= 1, (name, result)
        assert result["firstPosition"] == last + 1 and result["position"] > last, name
        assert [e["position"] for e in result["events"]] == list(
            range(result["firstPosition"], result["position"] + 1)
        )
        assert result["version"] == max(
            e["version"] for e in result["events"] if e["streamId"] == result["streamId"]
        )
        last = result["position"]
        results[name] = result
    assert results["recordBody"]["recordId"] == "body/test-council"
    assert results["admitMember"]["streamId"] == "membership/TM"
    # Each success carries the object the command affected, read back at its position:
    # the entity its record id names (a state for a membership change or a registration).
    for name, result in results.items():
        record = result["record"]
        assert record is not None, (name, result)
        if record["__typename"] == "State":
            assert result["recordId"] in {f"membership/{record['code']}", f"state/{record['code']}"}
        else:
            assert record["id"] == result["recordId"], (name, result)
    assert results["admitMember"]["record"] == {"__typename": "State", "code": "TM"}
    assert results["registerState"]["recordId"] == "state/TM"
    assert results["recordBody"]["record"]["__typename"] == "Body"
    assert results["recordMeeting"]["record"]["__typename"] == "Meeting"
    # A correction of the office term's event, then the retraction of the mandate's.
    term = results["recordOfficeTerm"]["events"][0]
    corrected = await mutate(
        api,
        "correctEvent",
        {"streamId": term["streamId"], "eventId": term["eventId"], "reason": "misspelt",
         "changes": {"person": "A. Testor"}, "sources": SRC},
        headers=WRITER,
        expected_version=results["endOfficeTerm"]["version"],
    )  # fmt: skip
    assert corrected["__typename"] == "MutationSuccess", corrected
    assert corrected["events"][0]["type"] == "EventCorrected"
    fulfilled = results["fulfilMandate"]["events"][0]
    retracted = await mutate(
        api,
        "retractEvent",
        {"streamId": fulfilled["streamId"], "eventId": fulfilled["eventId"],
         "reason": "not fulfilled after all", "sources": SRC},
        headers=WRITER,
    )  # fmt: skip
    assert retracted["__typename"] == "MutationSuccess", retracted
    assert (await _head(api))["position"] == retracted["position"]


async def test_the_actor_is_the_tokens_subject(registry_api: RegistryApi) -> None:
    result = await mutate(
        registry_api, "registerState", {"code": "TM", "name": "Turkmenistan"}, headers=WRITER
    )
    assert result["__typename"] == "MutationSuccess", result
    store = registry_api.registry.store
    event = (await store.read_all(after=result["position"] - 1, limit=1))[0]
    assert event.actor == "alice@test"
    assert event.metadata["actor"] == "alice@test"


async def test_the_same_key_replays_and_another_command_under_it_conflicts(api: Api) -> None:
    input = {"code": "TM", "name": "Turkmenistan"}
    first = await mutate(api, "registerState", input, headers=WRITER, key="same")
    again = await mutate(api, "registerState", input, headers=WRITER, key="same")
    assert first["__typename"] == again["__typename"] == "MutationSuccess"
    assert again["replayed"] and again["eventsAppended"] == 0
    assert again["position"] == first["position"] and again["events"] == first["events"]
    other = await mutate(
        api, "registerState", {"code": "TM", "name": "Other"}, headers=WRITER, key="same"
    )
    assert other["__typename"] == "ConflictError"
    assert other["code"] == "store.idempotency_conflict"
    # The key is the writer's own: another writer's same key is another request.
    bob = bearer(token(Role.WRITER, subject="bob@test"))
    theirs = await mutate(api, "registerState", input, headers=bob, key="same")
    assert theirs["__typename"] == "MutationSuccess" and not theirs["replayed"]


async def test_typed_errors_with_stable_codes_and_nothing_appended(api: Api) -> None:
    before = await _head(api)
    sco = "organization/sco"
    cases: list[tuple[str, dict[str, Any], int | None, str, str]] = [
        # An integrity rule: Kazakhstan is a founding member already.
        ("admitMember", {"organizationId": sco, "state": "KZ", "date": "2005",
                         "sources": SRC}, None, "IntegrityError", "membership."),
        ("recordMeeting", {"meetingId": "meeting/x/1", "bodyId": "body/nowhere",
                           "startDate": "2021", "sources": SRC}, None, "NotFoundError",
         "reference.unknown_body"),
        ("registerState", {"code": "TM", "name": "T"}, 5, "ConflictError",
         "store.wrong_expected_version"),
        ("recordMeeting", {"meetingId": "meeting/x/1", "bodyId": "body/nowhere",
                           "startDate": "2021-13", "sources": SRC}, None, "InvalidInputError",
         "date.malformed"),
        ("recordMeeting", {"meetingId": "meeting/x/1", "bodyId": "body/nowhere",
                           "startDate": "2021", "sources": [{"article": "Art. 1"}]}, None,
         "InvalidInputError", "source.empty"),
    ]  # fmt: skip
    for name, input, version, typename, code in cases:
        result = await mutate(api, name, input, headers=WRITER, expected_version=version)
        assert result["__typename"] == typename, (name, result)
        assert result["code"].startswith(code), (name, result)
        assert result["message"]
    assert await _head(api) == before


async def test_import_history_text_then_again_appends_nothing(api: Api) -> None:
    text = json.dumps(
        {
            "format": "sco-registry-history/1",
            "title": "A test file",
            "states": [{"code": "TM", "name": "Turkmenistan"}],
            "records": [],
        }
    )
    document = """mutation($input: ImportHistoryInput!) { importHistory(input: $input) {
        __typename
        ... on ImportSuccess { position recordsRead eventsAppended alreadyImported checkedOnly }
        ... on ImportRejectedError { code problems { file recordId field code message } }
        ... on MutationError { code message } } }"""
    nobody = await api.query(document, {"input": {"text": text}})
    assert nobody["data"]["importHistory"]["__typename"] == "UnauthorizedError"
    bundled = bundled_files()[0].read_text()
    again = await api.query(document, {"input": {"text": bundled, "name": "b.json"}}, **WRITER)
    imported = again["data"]["importHistory"]
    assert imported["__typename"] == "ImportSuccess", imported
    assert imported["eventsAppended"] == 0 and imported["alreadyImported"] > 100
    bad = await api.query(
        document, {"input": {"text": "{not json", "name": "../../etc/x.json"}}, **WRITER
    )
    rejected = bad["data"]["importHistory"]
    assert rejected["__typename"] == "ImportRejectedError"
    assert rejected["problems"][0]["code"] == "import.bad_json"
    assert rejected["problems"][0]["file"] == "x.json"  # the name only, no directory
    assert text  # the minimal file is only refused for want of a token above


_MEETING = (
    "mutation($input: RecordMeetingInput!, $key: String!) "
    "{ r: recordMeeting(input: $input, idempotencyKey: $key) { __typename %s } }"
)
_FULL = "fragment Full on MutationSuccess { position recordId version events { position } }"


async def test_a_result_without_events_or_version_reads_nothing_back(
    registry_api: RegistryApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result that selects neither `events` nor `version` (the API benchmark's write) is
    answered without reading the events back from the log; selected, in place or through
    a fragment, they are read back and right. Negative control: taken as never selected,
    the version is not the stream's."""
    from sco_registry.graphql import mutations

    store = registry_api.registry.store
    reads = 0
    read_all = store.read_all

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await read_all(*args, **kwargs)

    monkeypatch.setattr(store, "read_all", counting)

    async def record(n: int, selection: str, fragment: str = "") -> dict[str, Any]:
        value = {"meetingId": f"meeting/bench/back-{n}", "bodyId": "body/heads_of_state_council",
                 "startDate": f"2030-0{n}-15", "hostState": "KZ", "sources": SRC}  # fmt: skip
        document = fragment + _MEETING % selection
        body = await registry_api.query(document, {"input": value, "key": f"back-{n}"}, **WRITER)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["r"]
        return result

    plain = await record(1, "... on MutationSuccess { position recordId }")
    assert reads == 0
    assert plain == {"__typename": "MutationSuccess", "position": await store.head_position(),
                     "recordId": "meeting/bench/back-1"}  # fmt: skip
    full = await record(2, "...Full", _FULL)
    assert reads == 1
    assert full["version"] == 1 == await store.stream_version("meeting/bench/back-2")
    assert full["events"] == [{"position": full["position"]}]
    nested = await record(3, "... on MutationSuccess { position version }")
    assert reads == 2 and nested["version"] == 1
    monkeypatch.setattr(mutations, "_READ_BACK", frozenset())
    blind = await record(4, "... on MutationSuccess { version events { position } }")
    assert reads == 2 and blind["version"] != 1 and blind["events"] == []
